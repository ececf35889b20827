// net/config/load: random configuration values from the environment never
// crash loading; every problem names its key (see test/support/fuzz.hpp).
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "net/config/config.hpp"
#include "test/support/fuzz.hpp"

namespace {

using kvip::test::random_bytes;

TEST(ConfigLoadFuzz, ConfigurationValuesFromTheEnvironment) {
  std::mt19937 rng{5};
  const auto& knobs = kvip::net::config::knobs();
  const std::string chars = "0123456789abcdefxyz:/,.[]-_ sTtFf%";
  for (int i = 0; i < 3000; ++i) {
    kvip::net::config::sources src;
    src.hostname = "node";
    for (int k = 0; k < 6; ++k) {
      const auto& knob = knobs[rng() % knobs.size()];
      if (!knob.env.empty()) src.env[knob.env] = random_bytes(rng, 24, chars);
    }
    auto r = kvip::net::config::load(src);
    for (const auto& p : r.problems)
      EXPECT_FALSE(p.key.empty());
  }
}

} // namespace
