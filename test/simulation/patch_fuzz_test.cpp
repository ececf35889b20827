// simulation/patch: mutated merge, JSON and strategic-merge patches from API
// clients never crash the patch engines (see test/support/fuzz.hpp).
#include <random>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "simulation/patch.hpp"
#include "test/support/fuzz.hpp"

namespace {

using kvip::test::mutate;

TEST(PatchFuzz, PatchesFromApiClients) {
  std::mt19937 rng{4};
  const std::string doc = R"({"metadata":{"name":"web","labels":{"a":"b"}},)"
                          R"("spec":{"ports":[{"port":80,"name":"http"}],"type":"ClusterIP"}})";
  const std::vector<std::string> patches = {
      R"({"metadata":{"labels":{"a":null,"c":"d"}},"spec":{"type":"LoadBalancer"}})",
      R"([{"op":"add","path":"/spec/ports/-","value":{"port":443}},{"op":"remove","path":"/metadata/labels/a"}])",
      R"({"spec":{"$setElementOrder/ports":[{"port":80}],"ports":[{"port":80,"$patch":"delete"}]}})",
  };
  for (int i = 0; i < 20000; ++i) {
    auto text = mutate(rng, patches[static_cast<std::size_t>(i) % patches.size()]);
    boost::system::error_code ec;
    auto patch = boost::json::parse(text, ec);
    if (ec) continue; // not JSON: the server answers 400 before patching
    auto target = boost::json::parse(doc);
    switch (i % 3) {
    case 0:
      (void)kvip::sim::apply_merge_patch(target, patch);
      break;
    case 1:
      (void)kvip::sim::apply_json_patch(target, patch);
      break;
    default:
      (void)kvip::sim::apply_strategic_merge_patch(target, patch, "Service");
    }
  }
}

} // namespace
