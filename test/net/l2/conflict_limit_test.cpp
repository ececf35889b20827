// Table tests for net/l2/conflict_limit: how often an address conflict is reported.
#include "net/l2/conflict_limit.hpp"

#include <gtest/gtest.h>

namespace {

using kvip::net::l2::conflict_limit;
using effect = conflict_limit::effect;
using state = conflict_limit::state;
using namespace std::chrono_literals;

TEST(ConflictLimit, ReportsOncePerWindowPerVip) {
  const auto t0 = conflict_limit::clock::time_point{} + 1h;
  struct row {
    const char* vip;
    conflict_limit::clock::duration at;
    effect want;
    state after;
  };
  const row table[] = {
      {"10.0.0.100", 0s, effect::report, state::muted},   // first claim: reported
      {"10.0.0.100", 5s, effect::note, state::muted},     // inside the window
      {"10.0.0.101", 5s, effect::report, state::muted},   // another VIP has its own
      {"10.0.0.100", 9999ms, effect::note, state::muted}, // still inside
      {"10.0.0.100", 10s, effect::report, state::muted},  // window over: reported
      {"10.0.0.100", 19s, effect::note, state::muted},    // new window from 10 s
      {"10.0.0.101", 15s, effect::report, state::muted},  // 10 s after its first
      {"10.0.0.100", 20s, effect::report, state::muted},
  };
  conflict_limit lim{10s};
  EXPECT_EQ(lim.state_of("10.0.0.100"), state::quiet);
  for (const auto& r : table) {
    SCOPED_TRACE(std::string{r.vip} + " at " + std::to_string(r.at.count()));
    EXPECT_EQ(lim.claim(r.vip, t0 + r.at), r.want);
    EXPECT_EQ(lim.state_of(r.vip), r.after);
  }
}

TEST(ConflictLimit, AZeroWindowReportsEveryClaim) {
  conflict_limit lim{0s};
  auto t = conflict_limit::clock::time_point{};
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(lim.claim("fd00::100", t), effect::report);
}

} // namespace
