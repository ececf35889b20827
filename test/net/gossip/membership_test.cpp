// Table tests of the SWIM membership core: one node driven by hand, its
// effects checked against the virtual times and precedence rules they must
// follow. The multi-node simulation is in membership_sim_test.cpp.
#include "net/gossip/membership.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>

#include "test/net/gossip/membership_rows.hpp"

namespace kvip::net::gossip {
namespace {

using std::chrono::milliseconds;
using namespace kvip::test;
std::optional<steady_time> armed(const std::vector<effect>& fx) {
  auto t = only(fx, effect::kind::arm_timer);
  if (t.empty()) return std::nullopt;
  return t.back().at;
}

// A silent member: ping at the start of a period, ping_req after the probe
// timeout, suspect at the end of the period, dead after the suspicion timeout.
TEST(GossipMembership, SilentMemberTimeline) {
  membership m(test_config());
  auto fx = m.start(t0, {"b", "c", "d"});
  auto pings = only(fx, effect::kind::send_ping);
  ASSERT_EQ(pings.size(), 1U);
  const std::string x = pings[0].to;
  const std::uint64_t seq = pings[0].msg.seq;
  EXPECT_EQ(armed(fx), t0 + milliseconds(12));

  struct row {
    int at_ms;
    effect::kind what;
    std::optional<member_state> state; // member_changed: the state of x
    std::size_t count;                 // effects of that kind concerning x
  };
  const std::vector<row> timeline = {
      {12, effect::kind::send_ping, std::nullopt, 1},     // the direct ping again
      {12, effect::kind::send_ping_req, std::nullopt, 2}, // k = 3, only 2 helpers
      {40, effect::kind::member_changed, member_state::suspect, 1},
      {100, effect::kind::member_changed, member_state::dead, 1},
  };
  std::vector<std::pair<int, effect>> seen; // effects about x, by virtual ms
  steady_time now = t0;
  std::optional<steady_time> next = armed(fx);
  while (next && *next <= t0 + milliseconds(120)) {
    now = *next;
    fx = m.tick(now);
    for (const auto& e : fx) {
      bool about_x = e.to == x || e.msg.target == x || e.member.node == x;
      if (about_x) seen.emplace_back(static_cast<int>((now - t0) / milliseconds(1)), e);
    }
    if (auto a = armed(fx)) next = a;
  }
  std::set<std::uint64_t> seqs{seq};
  for (const auto& r : timeline) {
    std::size_t n = 0;
    for (const auto& [at, e] : seen) {
      if (at != r.at_ms || e.what != r.what) continue;
      if (r.state && e.member.state != *r.state) continue;
      if (e.what == effect::kind::send_ping_req || e.what == effect::kind::send_ping) {
        // Every frame has a seq of its own (the wire's replay guard).
        EXPECT_TRUE(seqs.insert(e.msg.seq).second) << e.msg.seq;
      }
      ++n;
    }
    EXPECT_EQ(n, r.count) << "at " << r.at_ms << " ms: " << to_string(r.what);
  }
  EXPECT_EQ(m.state_of(x), member_state::dead);
  // Nothing about x became dead before 100 ms or suspect before 40 ms.
  for (const auto& [at, e] : seen) {
    if (e.what != effect::kind::member_changed) continue;
    if (e.member.state == member_state::suspect) {
      EXPECT_GE(at, 40);
    }
    if (e.member.state == member_state::dead) {
      EXPECT_GE(at, 100);
    }
  }
}

TEST(GossipMembership, AckInTimeKeepsMemberAlive) {
  membership m(test_config());
  auto fx = m.start(t0, {"b"});
  auto ping = only(fx, effect::kind::send_ping).at(0);
  m.received(t0 + milliseconds(1), from("b", message::kind::ack, ping.msg.seq));
  fx = m.tick(t0 + milliseconds(12));
  EXPECT_TRUE(only(fx, effect::kind::send_ping_req).empty());
  m.tick(t0 + milliseconds(40));
  EXPECT_EQ(m.state_of("b"), member_state::alive);
}

TEST(GossipMembership, IndirectAckIsRelayedAndCounts) {
  // b asks a to probe c: a pings c, c's ack goes back to b under b's seq.
  membership m(test_config());
  m.start(t0, {"b", "c"});
  message req = from("b", message::kind::ping_req, 77);
  req.target = "c";
  auto fx = m.received(t0, req);
  auto pings = only(fx, effect::kind::send_ping);
  ASSERT_EQ(pings.size(), 1U);
  EXPECT_EQ(pings[0].to, "c");
  fx = m.received(t0 + milliseconds(1), from("c", message::kind::ack, pings[0].msg.seq));
  auto acks = only(fx, effect::kind::send_ack);
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_EQ(acks[0].to, "b");
  EXPECT_EQ(acks[0].msg.seq, 77U);
  EXPECT_EQ(acks[0].msg.target, "c");
}

TEST(GossipMembership, RefutesSuspicionAndDeathOfItself) {
  struct row {
    member_state heard;
    std::uint64_t heard_inc;
    std::uint64_t own_before;
    std::uint64_t own_after;
  };
  const std::vector<row> rows = {
      {member_state::suspect, 0, 0, 1}, {member_state::suspect, 3, 0, 4},
      {member_state::dead, 0, 0, 1},    {member_state::suspect, 0, 1, 1}, // stale
      {member_state::alive, 5, 0, 6},   {member_state::alive, 0, 0, 0},
  };
  for (const auto& r : rows) {
    membership m(test_config());
    m.start(t0, {"b"});
    for (std::uint64_t i = 0; i < r.own_before; ++i)
      m.local_health(t0, static_cast<health_bits>(i + 1));
    ASSERT_EQ(m.incarnation(), r.own_before);
    auto fx = m.received(t0, from("b", message::kind::ping, 5, {{"a", r.heard, r.heard_inc, 0}}));
    EXPECT_EQ(m.incarnation(), r.own_after) << to_string(r.heard) << " " << r.heard_inc;
    auto acks = only(fx, effect::kind::send_ack);
    ASSERT_EQ(acks.size(), 1U);
    EXPECT_EQ(acks[0].msg.incarnation, r.own_after);
    if (r.own_after != r.own_before) {
      // The refutation rides on the very ack to the accuser.
      const auto& ups = acks[0].msg.updates;
      update refutation{"a", member_state::alive, r.own_after, m.health()};
      EXPECT_NE(std::find(ups.begin(), ups.end(), refutation), ups.end());
    }
  }
}

TEST(GossipMembership, SuspectClearedOnlyByHigherIncarnation) {
  membership m(test_config());
  m.start(t0, {"b", "c"});
  m.received(t0, from("c", message::kind::ping, 1, {{"b", member_state::suspect, 0, 0}}));
  ASSERT_EQ(m.state_of("b"), member_state::suspect);
  m.received(t0, from("b", message::kind::ping, 2, {}, 0)); // same incarnation: still suspect
  EXPECT_EQ(m.state_of("b"), member_state::suspect);
  m.received(t0, from("b", message::kind::ping, 3, {}, 1)); // refuted
  EXPECT_EQ(m.state_of("b"), member_state::alive);
  EXPECT_EQ(m.members().at("b").incarnation, 1U);
}

TEST(GossipMembership, DisconnectThenUnansweredProbeIsDead) {
  membership m(test_config());
  m.start(t0, {"b", "c"});
  const steady_time t = t0 + milliseconds(5);
  auto fx = m.peer_disconnected(t, "b");
  auto changed = only(fx, effect::kind::member_changed);
  ASSERT_EQ(changed.size(), 1U);
  EXPECT_EQ(changed[0].member.state, member_state::suspect);
  auto pings = only(fx, effect::kind::send_ping);
  ASSERT_EQ(pings.size(), 1U);
  EXPECT_EQ(pings[0].to, "b");
  // The local suspicion is not gossiped: nobody else is told before the probe fails.
  for (const auto& u : pings[0].msg.updates)
    EXPECT_NE(u.state, member_state::suspect);
  m.tick(t + milliseconds(11));
  EXPECT_EQ(m.state_of("b"), member_state::suspect);
  fx = m.tick(t + milliseconds(12));
  EXPECT_EQ(m.state_of("b"), member_state::dead);
  EXPECT_EQ(m.queued().count("b"), 1U);
}

TEST(GossipMembership, DisconnectThenAnsweredProbeIsAlive) {
  membership m(test_config());
  m.start(t0, {"b", "c"});
  auto fx = m.peer_disconnected(t0, "b");
  auto ping = only(fx, effect::kind::send_ping).at(0);
  fx = m.received(t0 + milliseconds(1), from("b", message::kind::ack, ping.msg.seq));
  EXPECT_EQ(m.state_of("b"), member_state::alive);
  m.tick(t0 + milliseconds(30));
  EXPECT_EQ(m.state_of("b"), member_state::alive);
}

TEST(GossipMembership, GossipedSuspicionOfDisconnectedMemberRunsItsTimer) {
  membership m(test_config());
  m.start(t0, {"b", "c"});
  auto fx = m.peer_disconnected(t0, "b");
  auto ping = only(fx, effect::kind::send_ping).at(0);
  m.received(t0 + milliseconds(1),
             from("c", message::kind::ack, 1, {{"b", member_state::suspect, 0, 0}}));
  EXPECT_FALSE(m.members().at("b").local_suspicion);
  // The probe's answer no longer clears it: only b's refutation does.
  m.received(t0 + milliseconds(2), from("b", message::kind::ack, ping.msg.seq));
  EXPECT_EQ(m.state_of("b"), member_state::suspect);
  m.received(t0 + milliseconds(3), from("b", message::kind::ack, 4242, {}, 1));
  EXPECT_EQ(m.state_of("b"), member_state::alive);
}

TEST(GossipMembership, DeadMemberIsToldAndRejoins) {
  // Two real cores: a declared b dead; b, still running, hears it from a's
  // reply and comes back with a higher incarnation.
  membership a(test_config());
  config cb = test_config();
  cb.self = "b";
  membership b(cb);
  a.start(t0, {"b", "c"});
  b.start(t0, {"a", "c"});
  a.received(t0, from("c", message::kind::ack, 1, {{"b", member_state::dead, 0, 0}}));
  ASSERT_EQ(a.state_of("b"), member_state::dead);
  auto fx = a.received(t0, message{message::kind::ping, "b", b.incarnation(), 0, 5, {}, {}});
  auto ack = only(fx, effect::kind::send_ack).at(0);
  b.received(t0, ack.msg);
  EXPECT_EQ(b.incarnation(), 1U);
  // The refutation rides on b's next message to a.
  fx = b.received(t0, from("a", message::kind::ping, 6));
  a.received(t0, only(fx, effect::kind::send_ack).at(0).msg);
  EXPECT_EQ(a.state_of("b"), member_state::alive);
  EXPECT_EQ(a.members().at("b").incarnation, 1U);
}

TEST(GossipMembership, RestartedLeftMemberIsToldLongAfterTheGoodbye) {
  // b left at incarnation 3 and restarted (a new process starts lower). The
  // goodbye's dissemination is long over, yet a's answer to b's first ping
  // still tells b what a believes, so b refutes above it and rejoins.
  membership a(test_config());
  a.start(t0, {"b", "c"});
  a.received(t0, from("b", message::kind::ping, 1, {{"b", member_state::left, 3, 0}}, 3));
  ASSERT_EQ(a.state_of("b"), member_state::left);
  for (int i = 0; i < 50; ++i) // every queued update sent to c until none is left
    a.received(t0, from("c", message::kind::ping, 100 + static_cast<std::uint64_t>(i)));
  EXPECT_EQ(a.queued().count("b"), 0U);
  config cb = test_config();
  cb.self = "b";
  membership b(cb);
  b.start(t0, {"a", "c"});
  auto fx = a.received(t0, message{message::kind::ping, "b", b.incarnation(), 0, 7, {}, {}});
  auto ack = only(fx, effect::kind::send_ack).at(0);
  b.received(t0, ack.msg);
  EXPECT_EQ(b.incarnation(), 4U);
  fx = b.received(t0, from("a", message::kind::ping, 8));
  a.received(t0, only(fx, effect::kind::send_ack).at(0).msg);
  EXPECT_EQ(a.state_of("b"), member_state::alive);
}

TEST(GossipMembership, BothSidesOfAHealedPartitionFindEachOtherAgain) {
  // a and b hold each other dead (a healed partition); every third period the
  // probe goes to a dead member, carrying what a believes: b's answer revives it.
  config ca = test_config();
  ca.dead_probe_every = 3;
  config cb = ca;
  cb.self = "b";
  membership a(ca), b(cb);
  a.start(t0, {"b", "c"});
  b.start(t0, {"a", "c"});
  a.received(t0, from("c", message::kind::ack, 1, {{"b", member_state::dead, 0, 0}}));
  b.received(t0, from("c", message::kind::ack, 1, {{"a", member_state::dead, 0, 0}}));
  ASSERT_EQ(a.state_of("b"), member_state::dead);
  ASSERT_EQ(b.state_of("a"), member_state::dead);
  bool healed = false;
  for (int period = 1; period <= 6 && !healed; ++period) {
    auto now = t0 + milliseconds(40 * period);
    for (const auto& ping : only(a.tick(now), effect::kind::send_ping)) {
      if (ping.to != "b") continue;
      for (const auto& ack : only(b.received(now, ping.msg), effect::kind::send_ack))
        if (ack.to == "a") a.received(now, ack.msg);
    }
    healed = a.state_of("b") == member_state::alive;
  }
  EXPECT_TRUE(healed) << "a never probed the dead b, or b's answer did not revive it";
  EXPECT_GT(b.incarnation(), 0U) << "b refuted its death";
}

// The SWIM precedence of updates about another member, as a table: the
// member is brought to (state, incarnation) by gossip, then one update arrives.
TEST(GossipMembership, PrecedenceTable) {
  using s = member_state;
  struct row {
    s cur;
    std::uint64_t cur_inc;
    s upd;
    std::uint64_t upd_inc;
    s want;
    std::uint64_t want_inc;
  };
  const std::vector<row> rows = {
      {s::alive, 2, s::alive, 1, s::alive, 2},
      {s::alive, 2, s::alive, 3, s::alive, 3},
      {s::alive, 2, s::suspect, 1, s::alive, 2},
      {s::alive, 2, s::suspect, 2, s::suspect, 2},
      {s::alive, 2, s::suspect, 3, s::suspect, 3},
      {s::alive, 2, s::dead, 1, s::alive, 2},
      {s::alive, 2, s::dead, 2, s::dead, 2},
      {s::suspect, 2, s::alive, 2, s::suspect, 2},
      {s::suspect, 2, s::alive, 3, s::alive, 3},
      {s::suspect, 2, s::suspect, 2, s::suspect, 2},
      {s::suspect, 2, s::suspect, 3, s::suspect, 3},
      {s::suspect, 2, s::dead, 1, s::suspect, 2},
      {s::suspect, 2, s::dead, 2, s::dead, 2},
      {s::dead, 2, s::alive, 2, s::dead, 2},
      {s::dead, 2, s::suspect, 3, s::dead, 2},
      {s::dead, 2, s::dead, 3, s::dead, 2},
      {s::dead, 2, s::alive, 3, s::alive, 3},
      // left: only a later incarnation (a restart) brings it back; a goodbye
      // beats a death at the same incarnation.
      {s::alive, 2, s::left, 1, s::alive, 2},
      {s::alive, 2, s::left, 2, s::left, 2},
      {s::suspect, 2, s::left, 3, s::left, 3},
      {s::dead, 2, s::left, 2, s::left, 2},
      {s::left, 2, s::alive, 2, s::left, 2},
      {s::left, 2, s::alive, 3, s::alive, 3},
      {s::left, 2, s::suspect, 3, s::left, 2},
      {s::left, 2, s::dead, 2, s::left, 2},
      {s::left, 2, s::dead, 3, s::dead, 3},
      {s::left, 2, s::left, 3, s::left, 3},
  };
  for (const auto& r : rows) {
    membership m(test_config());
    m.start(t0, {"b", "c"});
    std::vector<update> setup = {{"b", s::alive, r.cur_inc, health_carrier}};
    if (r.cur != s::alive) setup.push_back({"b", r.cur, r.cur_inc, 0});
    m.received(t0, from("c", message::kind::ack, 999, setup));
    ASSERT_EQ(m.state_of("b"), r.cur);
    m.received(t0, from("c", message::kind::ack, 999, {{"b", r.upd, r.upd_inc, health_carrier}}));
    const auto& b = m.members().at("b");
    EXPECT_EQ(b.state, r.want) << to_string(r.cur) << r.cur_inc << " + " << to_string(r.upd)
                               << r.upd_inc;
    EXPECT_EQ(b.incarnation, r.want_inc)
        << to_string(r.cur) << r.cur_inc << " + " << to_string(r.upd) << r.upd_inc;
  }
}

TEST(GossipMembership, DisseminationCounts) {
  struct row {
    unsigned lambda;
    std::size_t peers; // n = peers + 1
    unsigned sends;    // lambda * ceil(log2(n + 1))
  };
  const std::vector<row> rows = {{1, 1, 2}, {3, 4, 9}, {2, 4, 6}, {2, 8, 8}};
  for (const auto& r : rows) {
    config c = test_config();
    c.lambda = r.lambda;
    membership m(c);
    std::vector<std::string> peers;
    for (std::size_t i = 0; i < r.peers; ++i)
      peers.push_back("p" + std::to_string(i));
    m.start(t0, peers);
    m.local_health(t0, health_carrier); // incarnation 1, queued afresh
    unsigned carried = 0;
    for (std::uint32_t i = 0; i < 40; ++i) {
      auto fx = m.received(t0, from("p0", message::kind::ping, i));
      for (const auto& e : only(fx, effect::kind::send_ack))
        for (const auto& u : e.msg.updates)
          if (u.node == "a" && u.incarnation == 1) ++carried;
    }
    EXPECT_EQ(carried, r.sends) << "lambda " << r.lambda << " peers " << r.peers;
  }
}

TEST(GossipMembership, PiggybackOrderAndBound) {
  config c = test_config();
  c.max_piggyback = 4;
  membership m(c);
  m.start(t0, {"b"});
  std::vector<update> ups = {{"x1", member_state::alive, 1, 0},
                             {"x2", member_state::suspect, 0, 0},
                             {"x3", member_state::dead, 0, 0},
                             {"x4", member_state::alive, 0, 0},
                             {"b", member_state::alive, 4, 0}};
  m.received(t0, from("c", message::kind::ack, 1, ups));
  auto fx = m.received(t0, from("b", message::kind::ping, 9, {}, 4));
  auto ack = only(fx, effect::kind::send_ack).at(0);
  ASSERT_EQ(ack.msg.updates.size(), 4U);
  EXPECT_EQ(ack.msg.updates[0].node, "b");  // about the destination first
  EXPECT_EQ(ack.msg.updates[1].node, "a");  // then about ourselves
  EXPECT_EQ(ack.msg.updates[2].node, "x3"); // dead before suspect before alive
  EXPECT_EQ(ack.msg.updates[3].node, "x2");
}

TEST(GossipMembership, EligibleOnlyWhenAliveAndHealthy) {
  membership m(test_config());
  m.start(t0, {"b", "c"});
  EXPECT_FALSE(m.eligible("b")); // health unknown until heard
  auto fx = m.received(t0, from("b", message::kind::ping, 1));
  EXPECT_TRUE(m.eligible("b"));
  auto changed = only(fx, effect::kind::member_changed);
  ASSERT_EQ(changed.size(), 1U);
  EXPECT_TRUE(changed[0].eligible);
  m.received(t0, message{message::kind::ping, "b", 1, health_control_plane, 2, {}, {}});
  EXPECT_FALSE(m.eligible("b")); // carrier lost
  m.received(t0, from("c", message::kind::ack, 3, {{"b", member_state::suspect, 1, 0}}));
  EXPECT_FALSE(m.eligible("b"));
  EXPECT_FALSE(m.eligible("a"));
  fx = m.local_health(t0, health_carrier | health_control_plane);
  changed = only(fx, effect::kind::member_changed);
  ASSERT_EQ(changed.size(), 1U);
  EXPECT_EQ(changed[0].member.node, "a");
  EXPECT_TRUE(changed[0].eligible);
  EXPECT_EQ(m.incarnation(), 1U);
}

// join(): a member learnt after start. Rows: what a knew of "x" before, and
// what join("x") does.
TEST(GossipMembership, JoinTable) {
  using s = member_state;
  struct row {
    const char* name;
    std::optional<update> before; // gossip a received about x first
    std::size_t changes;          // member_changed effects of join
    s after;
  };
  const std::vector<row> rows = {
      {"unknown: joins alive at 0", std::nullopt, 1, s::alive},
      {"known alive: no-op", update{"x", s::alive, 4, health_carrier}, 0, s::alive},
      {"known suspect: no-op", update{"x", s::suspect, 4, 0}, 0, s::suspect},
      {"known dead: stays dead", update{"x", s::dead, 4, 0}, 0, s::dead},
      {"known left: stays left", update{"x", s::left, 4, 0}, 0, s::left},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    membership m(test_config());
    m.start(t0, {"b"});
    if (r.before) m.received(t0, from("b", message::kind::ack, 1, {*r.before}));
    auto fx = m.join(t0 + milliseconds(1), "x");
    EXPECT_EQ(only(fx, effect::kind::member_changed).size(), r.changes);
    EXPECT_EQ(m.state_of("x"), r.after);
    if (!r.before) {
      EXPECT_EQ(m.members().at("x").incarnation, 0U);
    }
  }
  membership m(test_config());
  m.start(t0, {"b"});
  EXPECT_TRUE(m.join(t0, "a").empty()); // self
  EXPECT_TRUE(m.join(t0, "").empty());
  // A member that joined is probed within one round (two members: two periods).
  m.join(t0, "x");
  std::set<std::string> probed;
  for (int i = 1; i <= 2; ++i)
    for (const auto& e : only(m.tick(t0 + milliseconds(40 * i)), effect::kind::send_ping))
      probed.insert(e.to);
  EXPECT_TRUE(probed.contains("x"));
}

// leave(): the goodbye reaches every live member at once; the receiver marks
// the member left (gone, not eligible), never probes it again, and takes it
// back only at a higher incarnation.
TEST(GossipMembership, LeaveIsPingedToEveryLiveMemberAndFinal) {
  membership a(test_config());
  a.start(t0, {"b", "c", "d"});
  a.received(t0, from("c", message::kind::ack, 1, {{"d", member_state::dead, 0, 0}}));
  auto fx = a.leave(t0 + milliseconds(1));
  EXPECT_EQ(a.incarnation(), 1U);
  auto pings = only(fx, effect::kind::send_ping);
  std::set<std::string> to;
  for (const auto& p : pings) {
    to.insert(p.to);
    EXPECT_EQ(p.msg.incarnation, 1U);
    EXPECT_NE(std::find(p.msg.updates.begin(), p.msg.updates.end(),
                        update{"a", member_state::left, 1, 0}),
              p.msg.updates.end());
  }
  EXPECT_EQ(to, (std::set<std::string>{"b", "c"}));    // d is dead
  EXPECT_TRUE(a.tick(t0 + milliseconds(100)).empty()); // probes nobody any more
  EXPECT_TRUE(a.leave(t0 + milliseconds(101)).empty());

  config cb = test_config();
  cb.self = "b";
  membership b(cb);
  b.start(t0, {"a", "c"});
  b.received(t0, from("a", message::kind::ping, 1, {}, 0)); // a alive at 0
  fx = b.received(t0 + milliseconds(2),
                  pings.front().to == "b" ? pings.front().msg : pings.back().msg);
  auto changes = only(fx, effect::kind::member_changed);
  std::erase_if(changes, [](const effect& e) { return e.member.node != "a"; });
  ASSERT_EQ(changes.size(), 1U); // straight to left, no flap through alive
  EXPECT_EQ(changes[0].member.state, member_state::left);
  EXPECT_TRUE(changes[0].gone);
  EXPECT_FALSE(changes[0].eligible);
  EXPECT_TRUE(b.gone("a"));
  EXPECT_EQ(b.live_count(), 2U);
  // Never probed again: several rounds of b's ticks ping only c.
  for (int i = 1; i <= 8; ++i)
    for (const auto& e : b.tick(t0 + milliseconds(40 * i))) {
      EXPECT_NE(e.to, "a") << to_string(e.what);
    }
  EXPECT_TRUE(b.peer_disconnected(t0 + milliseconds(400), "a").empty());
  // Its old incarnation is refused; a restart (higher incarnation) is back.
  b.received(t0 + milliseconds(401), from("a", message::kind::ping, 2, {}, 1));
  EXPECT_EQ(b.state_of("a"), member_state::left);
  fx = b.received(t0 + milliseconds(402), from("a", message::kind::ping, 3, {}, 2));
  EXPECT_EQ(b.state_of("a"), member_state::alive);
  EXPECT_FALSE(b.gone("a"));
  changes = only(fx, effect::kind::member_changed);
  ASSERT_EQ(changes.size(), 1U);
  EXPECT_FALSE(changes[0].gone);
}

// effect::gone per way of dying.
TEST(GossipMembership, GoneOnlyWhenTheProcessIsGone) {
  struct row {
    const char* name;
    void (*drive)(membership&);
    member_state state;
    bool gone;
  };
  const std::vector<row> rows = {
      {"disconnect confirmed by the failed probe",
       [](membership& m) {
         m.peer_disconnected(t0, "b");
         m.tick(t0 + milliseconds(12));
       },
       member_state::dead, true},
      {"disconnect, probe answered",
       [](membership& m) {
         auto ping = only(m.peer_disconnected(t0, "b"), effect::kind::send_ping).at(0);
         m.received(t0 + milliseconds(1), from("b", message::kind::ack, ping.msg.seq));
         m.tick(t0 + milliseconds(12));
       },
       member_state::alive, false},
      {"suspicion timed out",
       [](membership& m) {
         m.received(t0, from("c", message::kind::ack, 1, {{"b", member_state::suspect, 0, 0}}));
         m.tick(t0 + milliseconds(61));
       },
       member_state::dead, false},
      {"death learnt by gossip",
       [](membership& m) {
         m.received(t0, from("c", message::kind::ack, 1, {{"b", member_state::dead, 0, 0}}));
       },
       member_state::dead, false},
      {"left",
       [](membership& m) {
         m.received(t0, from("c", message::kind::ack, 1, {{"b", member_state::left, 0, 0}}));
       },
       member_state::left, true},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    membership m(test_config());
    m.start(t0, {"b", "c"});
    r.drive(m);
    EXPECT_EQ(m.state_of("b"), r.state);
    EXPECT_EQ(m.gone("b"), r.gone);
  }
}

TEST(GossipMembership, SeqsStartAtSeqStartAndNeverRepeat) {
  config c = test_config();
  c.seq_start = 1'000'000;
  membership m(c);
  auto fx = m.start(t0, {"b", "c", "d"});
  std::set<std::uint64_t> seqs;
  for (const auto& e : only(fx, effect::kind::send_ping)) {
    EXPECT_TRUE(seqs.insert(e.msg.seq).second);
  }
  EXPECT_GT(*seqs.begin(), 1'000'000U);
  const std::uint64_t mine = m.next_seq();
  EXPECT_GT(mine, *seqs.rbegin());
  for (const auto& e : m.tick(t0 + milliseconds(12)))
    if (e.what == effect::kind::send_ping || e.what == effect::kind::send_ping_req) {
      EXPECT_GT(e.msg.seq, mine);
      EXPECT_TRUE(seqs.insert(e.msg.seq).second);
    }
}

} // namespace
} // namespace kvip::net::gossip
