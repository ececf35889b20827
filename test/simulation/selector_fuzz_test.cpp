// simulation/selector: bad label and field selectors from API clients never
// crash the parsers (seeded random selectors; see test/support/fuzz.hpp).
#include <random>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "simulation/selector.hpp"
#include "test/support/fuzz.hpp"

namespace {

using kvip::test::random_bytes;

TEST(SelectorFuzz, SelectorsFromApiClients) {
  std::mt19937 rng{3};
  const std::string chars = "abcxyz019=!,() in notin/.-_ ";
  const std::vector<std::string> supported = {"metadata.name", "metadata.namespace", "spec.type"};
  boost::json::object labels{{"app", "web"}, {"tier", "x"}};
  boost::json::object obj{{"metadata", boost::json::object{{"name", "web"}}}};
  for (int i = 0; i < 50000; ++i) {
    auto text = random_bytes(rng, 40, chars);
    if (auto l = kvip::sim::label_selector::parse(text))
      (void)l->matches(labels);
    else
      EXPECT_FALSE(l.err().message.empty()) << text;
    if (auto f = kvip::sim::field_selector::parse(text, supported))
      (void)f->matches(obj);
    else
      EXPECT_FALSE(f.err().message.empty()) << text;
  }
}

} // namespace
