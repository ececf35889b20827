// Table tests of membership::forget (net/gossip/membership_forget.cpp): a
// member removed from the cluster (its Node deleted) is dropped, not marked
// dead; what was pending about it is cancelled; it is ignored until it joins
// again. Same single-node harness as membership_test.cpp (membership_rows.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <set>

#include "net/gossip/membership.hpp"
#include "test/net/gossip/membership_rows.hpp"

namespace kvip::net::gossip {
namespace {

using std::chrono::milliseconds;
using namespace kvip::test;
/// Any effect that sends to `node`, asks to probe it, or carries news about it.
bool mentions(const effect& e, const std::string& node) {
  if (e.to == node || e.msg.target == node || e.member.node == node) return true;
  return std::any_of(e.msg.updates.begin(), e.msg.updates.end(),
                     [&](const update& u) { return u.node == node; });
}

/// Drives `m` through its own timers until `until`; every effect on the way.
std::vector<effect> run_until(membership& m, steady_time from_t, steady_time until) {
  std::vector<effect> all;
  for (auto t = from_t; t <= until; t += milliseconds(2)) {
    auto fx = m.tick(t);
    all.insert(all.end(), fx.begin(), fx.end());
  }
  return all;
}

// Rows: how a knew x when it was told to forget it. Whatever the state, x
// leaves members() at once (not dead: gone from the list), one member_changed
// says `removed` with its last state, and nothing about x is sent or decided
// afterwards: no probe, no ping-req, no suspicion or death, no queued news.
TEST(GossipMembershipForget, ForgetTable) {
  using s = member_state;
  struct row {
    const char* name;
    std::function<void(membership&)> before;
    s last; // the state the removal effect reports
  };
  const auto t_start = t0 - milliseconds(200);
  auto gossip = [](membership& m, member_state st) {
    m.received(t0, from("b", message::kind::ack, 1, {{"x", st, 0, 0}}));
  };
  const std::vector<row> rows = {
      {"alive, heard from",
       [](membership& m) { m.received(t0, from("x", message::kind::ping, 1)); }, s::alive},
      {"suspected by gossip (its timer runs)", [&](membership& m) { gossip(m, s::suspect); },
       s::suspect},
      {"disconnected (its confirming probe is pending)",
       [](membership& m) { m.peer_disconnected(t0, "x"); }, s::suspect},
      {"dead", [&](membership& m) { gossip(m, s::dead); }, s::dead},
      {"left", [&](membership& m) { gossip(m, s::left); }, s::left},
      {"the probe target of this period, its probe pending",
       [&](membership& m) {
         // Every probe is answered until one goes to x, which stays pending.
         // Seq 1 is the probe start() sent (seqs start at seq_start + 1).
         m.received(t_start + milliseconds(1), from("b", message::kind::ack, 1));
         for (int i = 1; i <= 4; ++i) {
           auto t = t_start + milliseconds(40 * i);
           auto fx = m.tick(t);
           auto pings = only(fx, effect::kind::send_ping);
           ASSERT_FALSE(pings.empty());
           if (pings.back().to == "x") return;
           m.received(t + milliseconds(1), from("b", message::kind::ack, pings.back().msg.seq));
         }
         FAIL() << "x never probed";
       },
       s::alive},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    membership m(test_config());
    m.start(t_start, {"b", "x"});
    r.before(m);
    const auto live_before = m.live_count();
    const bool counted = r.last != s::dead && r.last != s::left;
    auto fx = m.forget(t0 + milliseconds(1), "x");
    auto changed = only(fx, effect::kind::member_changed);
    ASSERT_EQ(changed.size(), 1U);
    EXPECT_TRUE(changed[0].removed);
    EXPECT_EQ(changed[0].member.node, "x");
    EXPECT_EQ(changed[0].member.state, r.last);
    EXPECT_FALSE(changed[0].eligible);
    EXPECT_FALSE(m.members().contains("x"));
    EXPECT_TRUE(m.forgotten("x"));
    EXPECT_FALSE(m.eligible("x"));
    EXPECT_EQ(m.live_count(), live_before - (counted ? 1 : 0));
    EXPECT_FALSE(m.queued().contains("x"));
    for (const auto& e : run_until(m, t0 + milliseconds(2), t0 + milliseconds(400))) {
      EXPECT_FALSE(mentions(e, "x")) << to_string(e.what) << " to " << e.to;
    }
    EXPECT_TRUE(m.members().contains("b")); // the others are untouched
  }
}

// Rows: what reaches a after it forgot x. A forgotten node is ignored (a
// member that has not forgotten it yet may still gossip about it, and its
// own process may still run) until join() brings it back.
TEST(GossipMembershipForget, ForgottenIsIgnoredUntilItJoins) {
  struct row {
    const char* name;
    std::function<std::vector<effect>(membership&)> event;
  };
  const std::vector<row> rows = {
      {"a ping from x (its process still runs)",
       [](membership& m) { return m.received(t0, from("x", message::kind::ping, 5, {}, 3)); }},
      {"an ack from x",
       [](membership& m) { return m.received(t0, from("x", message::kind::ack, 6, {}, 3)); }},
      {"gossip: x alive at a higher incarnation",
       [](membership& m) {
         return m.received(
             t0, from("b", message::kind::ack, 7, {{"x", member_state::alive, 9, health_carrier}}));
       }},
      {"gossip: x suspect",
       [](membership& m) {
         return m.received(t0,
                           from("b", message::kind::ack, 8, {{"x", member_state::suspect, 9, 0}}));
       }},
      {"a ping-req to probe x",
       [](membership& m) {
         message req = from("b", message::kind::ping_req, 9);
         req.target = "x";
         return m.received(t0, req);
       }},
      {"its connection closes", [](membership& m) { return m.peer_disconnected(t0, "x"); }},
      {"forgotten again", [](membership& m) { return m.forget(t0, "x"); }},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    membership m(test_config());
    m.start(t0 - milliseconds(100), {"b", "x"});
    m.forget(t0 - milliseconds(50), "x");
    auto fx = r.event(m);
    for (const auto& e : fx) {
      EXPECT_FALSE(mentions(e, "x")) << to_string(e.what);
    }
    EXPECT_FALSE(m.members().contains("x"));
    EXPECT_TRUE(m.forgotten("x"));
    EXPECT_EQ(m.state_of("x"), member_state::dead); // unknown
  }
  // Its Node reappears: a new member, alive at incarnation 0, heard again.
  membership m(test_config());
  m.start(t0 - milliseconds(100), {"b", "x"});
  m.received(t0 - milliseconds(90), from("x", message::kind::ping, 1, {}, 4));
  m.forget(t0 - milliseconds(50), "x");
  auto fx = m.join(t0, "x");
  auto changed = only(fx, effect::kind::member_changed);
  ASSERT_EQ(changed.size(), 1U);
  EXPECT_FALSE(changed[0].removed);
  EXPECT_FALSE(m.forgotten("x"));
  EXPECT_EQ(m.members().at("x").incarnation, 0U);
  m.received(t0 + milliseconds(1), from("x", message::kind::ping, 2, {}, 4));
  EXPECT_EQ(m.state_of("x"), member_state::alive);
  EXPECT_EQ(m.members().at("x").incarnation, 4U);
  EXPECT_TRUE(m.eligible("x"));
}

TEST(GossipMembershipForget, SelfAndUnknownAreNoOps) {
  membership m(test_config());
  m.start(t0, {"b"});
  EXPECT_TRUE(m.forget(t0, "a").empty());
  EXPECT_TRUE(m.forget(t0, "nobody").empty());
  EXPECT_TRUE(m.forget(t0, "").empty());
  EXPECT_FALSE(m.forgotten("a"));
  EXPECT_FALSE(m.forgotten("nobody"));
  // An unknown node is not blocked: it may still join by gossip.
  m.received(t0, from("b", message::kind::ack, 1, {{"nobody", member_state::alive, 1, 0}}));
  EXPECT_TRUE(m.members().contains("nobody"));
}

// The driver re-arms from the effects: a forgotten suspect's deadlines no
// longer count, so the next timer is the next protocol period, not its
// suspicion timeout.
TEST(GossipMembershipForget, ItsDeadlinesNoLongerArmTheTimer) {
  membership m(test_config());
  m.start(t0, {"b", "x"});
  m.received(t0 + milliseconds(1),
             from("b", message::kind::ack, 1, {{"x", member_state::suspect, 0, 0}}));
  auto fx = m.forget(t0 + milliseconds(2), "x");
  auto timers = only(fx, effect::kind::arm_timer);
  ASSERT_FALSE(timers.empty());
  EXPECT_GE(timers.back().at, t0 + milliseconds(12)); // the probe timeout or the period, not x's
  // The member that was left keeps being probed, and only it.
  std::set<std::string> probed;
  for (const auto& e : run_until(m, t0 + milliseconds(3), t0 + milliseconds(200)))
    if (e.what == effect::kind::send_ping) probed.insert(e.to);
  EXPECT_EQ(probed, std::set<std::string>{"b"});
}

} // namespace
} // namespace kvip::net::gossip
