// The probe period's target (net/gossip/membership.cpp start_probe): a member
// heard from within the last period is not pinged again (an owner refreshing
// its hold talks to its members far more often than once a round), a silent
// one is, and one that stays silent is suspected as before.
#include <gtest/gtest.h>

#include <algorithm>

#include "net/gossip/membership.hpp"

namespace kvip::net::gossip {
namespace {

using std::chrono::milliseconds;
const steady_time t0 = steady_time{} + std::chrono::seconds(100);

config test_config() {
  config c;
  c.self = "a";
  c.seed = 7;
  c.probe_period = milliseconds(40);
  c.probe_timeout = milliseconds(12);
  c.suspicion_timeout = milliseconds(60);
  c.suspicion_ping = milliseconds(10);
  c.dead_probe_every = 0;
  return c;
}

message ping_from(const std::string& node, std::uint64_t seq) {
  return message{message::kind::ping, node, 0, health_carrier, seq, "a", {}};
}

/// Direct pings `fx` sends to `node`.
std::size_t pings_to(const std::vector<effect>& fx, const std::string& node) {
  return static_cast<std::size_t>(std::count_if(fx.begin(), fx.end(), [&](const effect& e) {
    return e.what == effect::kind::send_ping && e.to == node;
  }));
}

/// Every effect of `m`'s timers from `from_t` to `until`, in 2 ms steps.
std::vector<effect> run(membership& m, steady_time from_t, steady_time until,
                        const std::string& chatty = {}) {
  std::vector<effect> all;
  std::uint64_t seq = 1000;
  for (auto t = from_t; t <= until; t += milliseconds(2)) {
    if (!chatty.empty()) (void)m.received(t, ping_from(chatty, ++seq)); // heard every 2 ms
    auto fx = m.tick(t);
    all.insert(all.end(), fx.begin(), fx.end());
  }
  return all;
}

/// Starts `m` with member b and answers the first probe (sent at once).
void start_with_b(membership& m) {
  for (const auto& e : m.start(t0, {"b"}))
    if (e.what == effect::kind::send_ping && e.to == "b")
      (void)m.received(t0 + milliseconds(1),
                       message{message::kind::ack, "b", 0, health_carrier, e.msg.seq, "b", {}});
}

TEST(MembershipProbe, AMemberHeardWithinThePeriodIsNotPinged) {
  membership m(test_config());
  start_with_b(m);
  // b talks to a all the time: after the first period no probe goes to it.
  auto fx = run(m, t0 + milliseconds(2), t0 + milliseconds(400), "b");
  EXPECT_EQ(pings_to(fx, "b"), 0U);
  EXPECT_EQ(m.members().at("b").state, member_state::alive);
}

TEST(MembershipProbe, ASilentMemberIsPingedEveryRound) {
  membership m(test_config());
  start_with_b(m);
  // Heard once, then silent: probed again within a period or two, and once
  // its pings go unanswered, suspected.
  auto fx = run(m, t0 + milliseconds(2), t0 + milliseconds(200));
  EXPECT_GE(pings_to(fx, "b"), 1U);
  EXPECT_NE(m.members().at("b").state, member_state::alive);
}

} // namespace
} // namespace kvip::net::gossip
