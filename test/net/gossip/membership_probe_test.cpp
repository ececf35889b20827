// The probe period's target (net/gossip/membership.cpp start_probe): a member
// heard from within the last period is not pinged again (an owner refreshing
// its hold talks to its members far more often than once a round), a silent
// one is, and one that stays silent is suspected as before.
#include <gtest/gtest.h>

#include <algorithm>

#include "net/gossip/membership.hpp"
#include "test/net/gossip/membership_rows.hpp"

namespace kvip::net::gossip {
namespace {

using std::chrono::milliseconds;
using namespace kvip::test;
message ping_from(const std::string& node, std::uint64_t seq) {
  auto m = from(node, message::kind::ping, seq);
  m.target = "a";
  return m;
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
      (void)m.received(t0 + milliseconds(1), [&] {
        auto ack = from("b", message::kind::ack, e.msg.seq);
        ack.target = "b";
        return ack;
      }());
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
