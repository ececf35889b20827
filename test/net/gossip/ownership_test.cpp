// Ownership of VIPs as one node sees it (net/gossip/ownership) as tables:
// each row is an event at a virtual time (milliseconds on an injected
// monotonic clock) and the effects and fence state it must lead to. The
// fence timing is the default: fence 100 ms, takeover 150, check 10.
// The VIP ranks a, b, c, d, e (checked by the first test), so `a` is the
// bootstrap owner and `b` the successor.
#include "net/gossip/ownership.hpp"

#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/gossip/ranking.hpp"

#include "test/net/gossip/ownership_rows.hpp"
#include "test/net/gossip/table_timing.hpp"

namespace {

using namespace kvip::net::gossip;
using state = fence::state;
using kind = ownership_effect::kind;

using namespace kvip::test;

/// A release notice: every term this node ever claimed.
vip_claim release() {
  return {V, "", std::numeric_limits<std::uint64_t>::max(), false};
}
ownership_effect answer(long until) {
  return {.what = kind::answer, .vip = V, .until = at(until)};
}
ownership_effect silence() {
  return {.what = kind::answer, .vip = V};
}
ownership_effect announce() {
  return {.what = kind::announce, .vip = V};
}
ownership_effect lease(const std::string& holder, std::uint64_t term) {
  return {.what = kind::write_lease, .vip = V, .holder = holder, .term = term};
}
ownership_effect send(const std::string& to, std::vector<vip_claim> claims) {
  return {.what = kind::send_claims, .to = to, .claims = std::move(claims)};
}

/// A confirmed owner tells `to` that it answers (ownership.hpp "hold").
ownership_effect notice(const std::string& to, const std::string& owner, std::uint64_t term) {
  return send(to, {claim(owner, term, true)});
}

enum class op {
  members,
  eligible,
  vips,
  tick,
  claims,
  answers,
  echo,
  heard,
  lease,
  stop,
  claims_for,
  renew
};

struct row {
  op what;
  long now;
  std::string who = {};                               ///< from / Lease holder / claims_for's member
  std::vector<member_view> members = {};              ///< members
  std::vector<vip_claim> claims = {};                 ///< claims, answers; claims_for: expected
  long sent = 0;                                      ///< answers, echo
  bool match = true;                                  ///< echo: the digest equals own_digest()
  std::vector<ownership_effect> effects = {};         ///< expected, arm_timer left out
  std::optional<std::vector<vip_claim>> answers = {}; ///< claims: expected answers
  std::optional<state> after = {};
  std::optional<bool> answering = {}; ///< may_answer(V, now) after the row
};

struct table {
  const char* name;
  std::string self;
  long started;
  std::vector<row> rows;
};

} // namespace

namespace kvip::net::gossip {
void PrintTo(const vip_claim& c, std::ostream* os) {
  *os << c.vip << ":" << (c.owner.empty() ? "none" : c.owner) << "@" << c.term
      << (c.answering ? "+answering" : "");
}
void PrintTo(const ownership_effect& e, std::ostream* os) {
  *os << to_string(e.what) << " " << e.vip << " until " << e.until.time_since_epoch().count()
      << " holder " << e.holder << " term " << e.term << " to " << e.to << " claims [";
  for (const auto& c : e.claims) {
    PrintTo(c, os);
    *os << " ";
  }
  *os << "]";
}
} // namespace kvip::net::gossip

namespace {

std::ostream& operator<<(std::ostream& os, const table& t) {
  return os << t.name;
}

std::vector<ownership_effect> run(ownership& o, const row& r, std::vector<vip_claim>& answers) {
  auto now = at(r.now);
  switch (r.what) {
  case op::members:
    return o.members_changed(now, r.members);
  case op::eligible:
    return o.self_eligible(now, r.who != "no");
  case op::vips:
    return o.set_vips(now, {V});
  case op::tick:
    return o.tick(now);
  case op::claims:
    return o.claims_received(now, r.who, r.claims, answers);
  case op::answers:
    return o.answers_received(now, r.who, r.claims, at(r.sent));
  case op::echo:
    return o.echo(now, r.who, at(r.sent), r.match ? o.own_digest() : 42);
  case op::heard:
    o.heard(now, r.who);
    return {};
  case op::lease:
    return o.lease_holder(now, V, r.who);
  case op::renew:
    return o.node_lease_renewed(now, at(r.sent));
  case op::stop:
    return o.stop(now);
  case op::claims_for:
    answers = o.claims_for(r.who, 8);
    return {};
  }
  return {};
}

class OwnershipTable : public ::testing::TestWithParam<table> {};

TEST_P(OwnershipTable, Rows) {
  const auto& t = GetParam();
  ownership o({t.self, table_timing()}, at(t.started));
  int i = 0;
  for (const auto& r : t.rows) {
    std::vector<vip_claim> answers;
    auto effects = run(o, r, answers);
    std::erase_if(effects, [](const auto& e) { return e.what == kind::arm_timer; });
    EXPECT_EQ(effects.size(), r.effects.size())
        << "row " << i << ": " << ::testing::PrintToString(effects);
    for (std::size_t k = 0; k < std::min(effects.size(), r.effects.size()); ++k)
      EXPECT_EQ(effects[k], r.effects[k])
          << "row " << i << " effect " << k << ": " << to_string(effects[k].what) << " "
          << effects[k].vip << " to " << effects[k].to;
    if (r.what == op::claims_for) {
      EXPECT_EQ(answers, r.claims) << "row " << i;
    }
    if (r.answers) {
      EXPECT_EQ(answers, *r.answers) << "row " << i;
    }
    auto st = o.status();
    if (r.after) {
      ASSERT_EQ(st.size(), 1U);
      EXPECT_EQ(st[0].state, *r.after) << "row " << i << ": " << to_string(st[0].state);
    }
    if (r.answering) {
      EXPECT_EQ(o.may_answer(V, at(r.now)), *r.answering) << "row " << i;
    }
    ++i;
  }
}

std::vector<row> cluster(std::vector<member_view> members) {
  return {{.what = op::members, .now = 0, .members = std::move(members)},
          {.what = op::eligible, .now = 0},
          {.what = op::vips, .now = 0, .after = state::idle}};
}

// a, with members b and c, claims in term 1 at 150 and is confirmed by b's
// answer to the claim sent at 150: deadline 250.
std::vector<row> a_owns() {
  auto rows = cluster({live("b"), live("c")});
  rows.push_back({.what = op::tick, .now = 149, .after = state::idle});
  rows.push_back({.what = op::tick,
                  .now = 150,
                  .effects = {send("b", {claim("a", 1)}), send("c", {claim("a", 1)})},
                  .after = state::claiming,
                  .answering = false});
  rows.push_back({.what = op::answers,
                  .now = 152,
                  .who = "b",
                  .claims = {claim("a", 1)},
                  .sent = 150,
                  .effects = {answer(250), announce(), lease("a", 1), notice("b", "a", 1),
                              notice("c", "a", 1)},
                  .after = state::owning,
                  .answering = true});
  return rows;
}

table then(const char* name, std::vector<row> rows, std::vector<row> more,
           const std::string& self = "a", long started = 0) {
  rows.insert(rows.end(), more.begin(), more.end());
  return {name, self, started, rows};
}

const std::vector<table> bootstrap_tables{
    then("bootstrap: the top-ranked node claims after takeover_wait, one answer confirms", a_owns(),
         {{.what = op::tick, .now = 249, .effects = {}, .answering = true},
          // no echo extended it: fenced, and (still the chosen owner) it
          // claims again in a new term
          {.what = op::tick,
           .now = 250,
           .effects = {silence(), send("b", {claim("a", 2)}), send("c", {claim("a", 2)})},
           .after = state::claiming,
           .answering = false}}),
    then("bootstrap: the others agree to the top-ranked claim", cluster({live("a"), live("c")}),
         {{.what = op::tick, .now = 150, .effects = {}, .after = state::idle},
          {.what = op::claims,
           .now = 151,
           .who = "a",
           .claims = {claim("a", 1)},
           .answers = std::vector{claim("a", 1)},
           .after = state::idle},
          {.what = op::tick, .now = 400, .effects = {}, .after = state::idle}},
         "b"),
    then("a lone node is its own majority", cluster({}),
         {{.what = op::tick,
           .now = 150,
           .effects = {answer(250), announce(), lease("a", 1)},
           .after = state::owning}}),
    then("majority counts dead members: 3 of 5",
         cluster({live("b"), live("c"), dead("d"), dead("e")}),
         {{.what = op::tick,
           .now = 150,
           .effects = {send("b", {claim("a", 1)}), send("c", {claim("a", 1)})}},
          {.what = op::answers,
           .now = 151,
           .who = "b",
           .claims = {claim("a", 1)},
           .sent = 150,
           .effects = {},
           .after = state::claiming},
          {.what = op::answers,
           .now = 152,
           .who = "c",
           .claims = {claim("a", 1)},
           .sent = 150,
           .effects = {answer(250), announce(), lease("a", 1), notice("b", "a", 1),
                       notice("c", "a", 1)},
           .after = state::owning}}),
};

const std::vector<table> agreement_tables{
    then("restart rule: a member younger than takeover_wait disagrees",
         {{.what = op::members, .now = 1000, .members = {live("a"), live("c")}},
          {.what = op::eligible, .now = 1000},
          {.what = op::vips, .now = 1000}},
         {{.what = op::claims,
           .now = 1100,
           .who = "a",
           .claims = {claim("a", 5)},
           .answers = std::vector{claim("", 0)}},
          {.what = op::claims,
           .now = 1150,
           .who = "a",
           .claims = {claim("a", 5)},
           .answers = std::vector{claim("a", 5)}}},
         "b", 1000),
    then("restart rule: a restarted member takes a confirmed owner's claim at once",
         {{.what = op::members, .now = 1000, .members = {live("a"), live("c")}},
          {.what = op::eligible, .now = 1000},
          {.what = op::vips, .now = 1000}},
         {{.what = op::claims,
           .now = 1010,
           .who = "a",
           .claims = {claim("a", 5, true)},
           .answers = std::vector{claim("a", 5)}}},
         "b", 1000),
    then("agreement: the view's owner heard recently -> no; silent for takeover_wait -> yes",
         cluster({live("a"), live("b")}),
         {{.what = op::claims,
           .now = 200,
           .who = "a",
           .claims = {claim("a", 1)},
           .answers = std::vector{claim("a", 1)}},
          {.what = op::heard, .now = 300, .who = "a"},
          {.what = op::claims,
           .now = 449,
           .who = "b",
           .claims = {claim("b", 2)},
           .answers = std::vector{claim("a", 1)}},
          {.what = op::claims,
           .now = 450,
           .who = "b",
           .claims = {claim("b", 2)},
           .answers = std::vector{claim("b", 2)}}},
         "c"),
    then("agreement: the view's owner gone -> yes at once", cluster({live("a"), live("b")}),
         {{.what = op::claims,
           .now = 200,
           .who = "a",
           .claims = {claim("a", 1)},
           .answers = std::vector{claim("a", 1)}},
          {.what = op::heard, .now = 300, .who = "a"},
          {.what = op::members, .now = 301, .members = {gone("a"), live("b")}},
          {.what = op::claims,
           .now = 302,
           .who = "b",
           .claims = {claim("b", 2)},
           .answers = std::vector{claim("b", 2)}}},
         "c"),
    then("agreement: an owner never agrees while it holds the VIP", a_owns(),
         {{.what = op::claims,
           .now = 200,
           .who = "b",
           .claims = {claim("b", 2)},
           .effects = {},
           .answers = std::vector{claim("a", 1, true)},
           .after = state::owning}}),
    then("agreement: a lower term is refused", cluster({live("a"), live("b")}),
         {{.what = op::claims, .now = 200, .who = "a", .claims = {claim("a", 3)}},
          {.what = op::claims,
           .now = 500,
           .who = "b",
           .claims = {claim("b", 2)},
           .answers = std::vector{claim("a", 3)}}},
         "c"),
};

const std::vector<table> failover_tables{
    then("crash failover: owner gone -> the successor claims, one round confirms",
         cluster({live("a"), live("c")}),
         {{.what = op::claims, .now = 200, .who = "a", .claims = {claim("a", 1)}},
          {.what = op::heard, .now = 300, .who = "a"},
          {.what = op::members,
           .now = 305,
           .members = {gone("a"), live("c")},
           .effects = {send("c", {claim("b", 2)})},
           .after = state::claiming},
          {.what = op::answers,
           .now = 306,
           .who = "c",
           .claims = {claim("b", 2)},
           .sent = 305,
           .effects = {answer(405), announce(), lease("b", 2), notice("a", "b", 2),
                       notice("c", "b", 2)},
           .after = state::owning}},
         "b"),
    then("frozen owner: the successor waits takeover_wait of silence",
         cluster({live("a"), live("c")}),
         {{.what = op::claims, .now = 200, .who = "a", .claims = {claim("a", 1)}},
          {.what = op::heard, .now = 300, .who = "a"},
          {.what = op::members,
           .now = 360,
           .members = {dead("a"), live("c")},
           .effects = {},
           .after = state::idle},
          {.what = op::tick, .now = 449, .effects = {}, .after = state::idle},
          {.what = op::tick,
           .now = 450,
           .effects = {send("c", {claim("b", 2)})},
           .after = state::claiming}},
         "b"),
    then("stale resumed owner: stops, re-claims, a higher term refuses it -> decided other",
         a_owns(),
         {{.what = op::tick,
           .now = 600,
           .effects = {silence(), send("b", {claim("a", 2)}), send("c", {claim("a", 2)})},
           .after = state::claiming,
           .answering = false},
          {.what = op::answers,
           .now = 601,
           .who = "c",
           .claims = {claim("b", 3)},
           .sent = 600,
           .effects = {send("b", {release()}), send("c", {release()})},
           .after = state::idle,
           .answering = false},
          {.what = op::tick, .now = 700, .effects = {}, .after = state::idle}}),
    then("stale resumed owner: a confirmed owner in the same term wins", a_owns(),
         {{.what = op::tick,
           .now = 600,
           .effects = {silence(), send("b", {claim("a", 2)}), send("c", {claim("a", 2)})}},
          {.what = op::answers,
           .now = 601,
           .who = "b",
           .claims = {claim("b", 2, true)},
           .sent = 600,
           .effects = {send("b", {release()}), send("c", {release()})},
           .after = state::idle}}),
    then("same-term conflict: the worse-ranked claimer yields", cluster({live("a"), live("c")}),
         {{.what = op::members,
           .now = 200,
           .members = {dead("a"), live("c")},
           .effects = {send("c", {claim("b", 1)})},
           .after = state::claiming},
          {.what = op::heard, .now = 201, .who = "a"},
          {.what = op::claims,
           .now = 201,
           .who = "a",
           .claims = {claim("a", 1)},
           .effects = {send("c", {release()})},
           .answers = std::vector{claim("a", 1)},
           .after = state::idle}},
         "b"),
    then("release notice: a member forgets the released owner and agrees at once",
         cluster({live("a"), live("b")}),
         {{.what = op::claims, .now = 200, .who = "a", .claims = {claim("a", 1)}},
          {.what = op::heard, .now = 300, .who = "a"},
          {.what = op::claims,
           .now = 300,
           .who = "a",
           .claims = {claim("", 1)},
           .answers = std::vector{claim("", 1)}},
          {.what = op::claims,
           .now = 301,
           .who = "b",
           .claims = {claim("b", 2)},
           .answers = std::vector{claim("b", 2)}}},
         "c"),
};

const std::vector<table> hold_tables{
    then("echo: a matching digest extends, another digest does not", a_owns(),
         {{.what = op::echo, .now = 200, .who = "b", .sent = 190, .effects = {answer(290)}},
          {.what = op::echo, .now = 210, .who = "c", .sent = 205, .match = false, .effects = {}},
          {.what = op::claims_for, .now = 210, .who = "c", .claims = {claim("a", 1, true)}},
          {.what = op::claims_for, .now = 210, .who = "b", .claims = {}},
          {.what = op::echo, .now = 220, .who = "c", .sent = 215, .effects = {answer(315)}},
          {.what = op::claims_for, .now = 220, .who = "c", .claims = {}},
          {.what = op::tick, .now = 314, .effects = {}, .answering = true},
          {.what = op::tick,
           .now = 315,
           .effects = {silence(), send("b", {claim("a", 2)}), send("c", {claim("a", 2)})},
           .after = state::claiming,
           .answering = false}}),
    then("node Lease renewal extends a hold, not a release, and never confirms a claim", a_owns(),
         {{.what = op::renew, .now = 200, .sent = 195, .effects = {answer(295)}},
          {.what = op::stop, .now = 210, .effects = {}, .after = state::releasing},
          {.what = op::renew, .now = 220, .sent = 215, .effects = {}},
          {.what = op::tick, .now = 295, .effects = {silence()}, .after = state::stopped}}),
    then("node Lease renewal: a claim stays a claim", cluster({live("b"), live("c")}),
         {{.what = op::tick,
           .now = 150,
           .effects = {send("b", {claim("a", 1)}), send("c", {claim("a", 1)})},
           .after = state::claiming},
          {.what = op::renew, .now = 160, .sent = 155, .effects = {}, .after = state::claiming}}),
    then("self ineligible: stops at once and releases its term", a_owns(),
         {{.what = op::eligible,
           .now = 200,
           .who = "no",
           .effects = {silence(), send("b", {release()}), send("c", {release()})},
           .after = state::idle,
           .answering = false},
          {.what = op::echo, .now = 201, .who = "b", .sent = 195, .match = false, .effects = {}},
          {.what = op::claims_for, .now = 201, .who = "b", .claims = {release()}}}),
    then("Lease holder other: stops at once, then re-confirms in a new term", a_owns(),
         {{.what = op::lease, .now = 200, .who = "a", .effects = {}, .answering = true},
          {.what = op::lease,
           .now = 201,
           .who = "b",
           .effects = {silence(), send("b", {release(), claim("a", 2)}),
                       send("c", {release(), claim("a", 2)})},
           .after = state::claiming,
           .answering = false}}),
    then("graceful stop: releasing answers until the successor's answering claim", a_owns(),
         {{.what = op::stop,
           .now = 200,
           .effects = {},
           .after = state::releasing,
           .answering = true},
          {.what = op::claims,
           .now = 210,
           .who = "b",
           .claims = {claim("b", 2)},
           .effects = {},
           .answers = std::vector{claim("a", 1, true)},
           .answering = true},
          {.what = op::claims,
           .now = 215,
           .who = "b",
           .claims = {claim("b", 2, true)},
           .effects = {silence()},
           .after = state::stopped,
           .answering = false}}),
    then("graceful stop: or until the deadline passes", a_owns(),
         {{.what = op::stop, .now = 200, .effects = {}, .after = state::releasing},
          {.what = op::tick, .now = 249, .effects = {}, .answering = true},
          {.what = op::tick, .now = 250, .effects = {silence()}, .after = state::stopped}}),
    then("sticky: a better-ranked node rejoining does not take the VIP",
         cluster({gone("a"), live("c")}),
         {{.what = op::tick, .now = 150, .effects = {send("c", {claim("b", 1)})}},
          {.what = op::answers,
           .now = 151,
           .who = "c",
           .claims = {claim("b", 1)},
           .sent = 150,
           .effects = {answer(250), announce(), lease("b", 1), notice("c", "b", 1)},
           .after = state::owning},
          // a is back: it learns at once what b answers for
          {.what = op::members,
           .now = 200,
           .members = {live("a"), live("c")},
           .effects = {notice("a", "b", 1)},
           .after = state::owning}},
         "b"),
    then("sticky: the rejoined better-ranked node keeps to the owner",
         {{.what = op::members, .now = 500, .members = {live("b"), live("c")}},
          {.what = op::eligible, .now = 500},
          {.what = op::vips, .now = 500}},
         {{.what = op::claims,
           .now = 510,
           .who = "b",
           .claims = {claim("b", 1, true)},
           .answers = std::vector{claim("b", 1)}},
          {.what = op::tick, .now = 800, .effects = {}, .after = state::idle}},
         "a", 500),
};

INSTANTIATE_TEST_SUITE_P(Bootstrap, OwnershipTable, ::testing::ValuesIn(bootstrap_tables));
INSTANTIATE_TEST_SUITE_P(Agreement, OwnershipTable, ::testing::ValuesIn(agreement_tables));
INSTANTIATE_TEST_SUITE_P(Failover, OwnershipTable, ::testing::ValuesIn(failover_tables));
INSTANTIATE_TEST_SUITE_P(Hold, OwnershipTable, ::testing::ValuesIn(hold_tables));

TEST(Ownership, TheTablesVipRanksABCDE) {
  EXPECT_EQ(rank(V, {"e", "d", "c", "b", "a"}),
            (std::vector<std::string>{"a", "b", "c", "d", "e"}));
}

TEST(Ownership, DigestIsZeroForNoneAndEqualForEqualViews) {
  ownership x({"x", table_timing()}, at(0));
  ownership y({"y", table_timing()}, at(0));
  x.set_vips(at(0), {"10.0.0.2", "10.0.0.1"});
  y.set_vips(at(0), {"10.0.0.1", "10.0.0.2"});
  EXPECT_EQ(x.digest_for("a"), 0U);
  std::vector<vip_claim> answers;
  for (auto* o : {&x, &y})
    o->claims_received(at(500), "a", {{"10.0.0.1", "a", 3, true}, {"10.0.0.2", "a", 4, true}},
                       answers);
  EXPECT_NE(x.digest_for("a"), 0U);
  EXPECT_EQ(x.digest_for("a"), y.digest_for("a"));
  y.claims_received(at(500), "a", {{"10.0.0.2", "a", 5, true}}, answers);
  EXPECT_NE(x.digest_for("a"), y.digest_for("a"));
}

TEST(Ownership, StoppedOnceNothingAnswers) {
  ownership o({"a", table_timing()}, at(0));
  o.set_vips(at(0), {V});
  o.self_eligible(at(0), true);
  o.tick(at(150));
  EXPECT_TRUE(o.may_answer(V, at(150)));
  EXPECT_FALSE(o.stopped());
  o.stop(at(160));
  EXPECT_FALSE(o.stopped()); // releasing: answers until handed over
  o.tick(at(250));
  EXPECT_TRUE(o.stopped());
}

} // namespace
