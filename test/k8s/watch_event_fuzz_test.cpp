// k8s/watch_event: bad watch lines from an API server never crash the parser
// (seeded random and mutated lines; see test/support/fuzz.hpp).
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "k8s/watch_event.hpp"
#include "test/support/fuzz.hpp"

namespace {

using kvip::test::mutate;
using kvip::test::random_bytes;

TEST(WatchEventFuzz, WatchLinesFromAnApiServer) {
  std::mt19937 rng{2};
  const std::string good =
      R"({"type":"MODIFIED","object":{"kind":"Service","apiVersion":"v1","metadata":)"
      R"({"name":"web","namespace":"default","resourceVersion":"12"},"spec":{"ports":[{"port":80}]}}})";
  const std::string json_chars = "{}[]\":,0123456789abcdefghijklmnopqrstuvwxyzE.-+ \\nu";
  int ok = 0;
  for (int i = 0; i < 30000; ++i) {
    auto line = i % 3 == 0 ? random_bytes(rng, 200, json_chars) : mutate(rng, good);
    auto r = kvip::k8s::parse_watch_event(line);
    ok += r.ok();
  }
  EXPECT_GT(ok, 0); // some mutations stay valid: the parser is exercised on both paths
}

} // namespace
