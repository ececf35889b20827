// The owner's hold refresh (hold_refresh.hpp), table by table: when a round
// is due and whom it pings (echoing members first, a majority less self,
// round robin, suspects only when the alive ones are too few), and what a
// third of a period later brings: nothing when the round was echoed, every
// other candidate when an echo is missing (a target froze or died just then).
// Fence 60 ms (margin 20), probe period 30 ms (check at +10).
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/gossip/hold_refresh.hpp"

namespace {

using namespace kvip::net::gossip;
using st = hold_refresh::state;
using names = std::vector<std::string>;

time_point at(long ms) {
  return time_point{} + duration{ms} + std::chrono::hours{1};
}

hold_refresh make() {
  return hold_refresh{{"self", duration{60}, duration{30}}};
}

/// A member: `e` is the send time (ms) its latest matching echo acknowledged,
/// -1 for none.
refresh_member m(std::string name, long e = -1, member_state s = member_state::alive) {
  refresh_member r{std::move(name), s, std::nullopt};
  if (e >= 0) r.echoed = at(e);
  return r;
}

refresh_view view(long hold, std::vector<refresh_member> members) {
  refresh_view v;
  if (hold >= 0) v.earliest_hold = at(hold);
  v.cluster_size = members.size() + 1;
  v.members = std::move(members);
  return v;
}

struct first_row {
  const char* what;
  refresh_view v;
  names ping;
  st after;
  long next; ///< -1: none
};

TEST(HoldRefresh, WhenARoundIsDueAndWhomItPings) {
  const long now = 1000;
  const auto D = member_state::dead;
  const auto S = member_state::suspect;
  const first_row rows[] = {
      {"nothing held", view(-1, {m("a"), m("b")}), {}, st::idle, -1},
      {"hold 50 ms away: wait until 20 ms before it",
       view(1050, {m("a", 990), m("b", 990)}),
       {},
       st::idle,
       1030},
      {"3 nodes, hold near: one member, an echoing one first",
       view(1015, {m("a"), m("b", 990)}),
       {"b"},
       st::round_sent,
       1010},
      {"5 nodes: two members, the echoing ones",
       view(1015, {m("a"), m("b", 990), m("c"), m("d", 980)}),
       {"b", "d"},
       st::round_sent,
       1010},
      {"5 nodes, one echoing: it, then the first other",
       view(1015, {m("a"), m("b"), m("c", 990), m("d")}),
       {"c", "a"},
       st::round_sent,
       1010},
      {"alive fewer than a majority less self: suspects too",
       view(1015, {m("a", 990), m("b", -1, S), m("c", -1, D), m("d", -1, D)}),
       {"a", "b"},
       st::round_sent,
       1010},
      {"enough alive: suspects left out",
       view(1015, {m("a"), m("b", -1, S), m("c"), m("d", -1, D)}),
       {"a", "c"},
       st::round_sent,
       1010},
      {"5 nodes, one dead: a spare target (all three alive)",
       view(1015, {m("a", 990), m("b", 990), m("c"), m("d", -1, D)}),
       {"a", "b", "c"},
       st::round_sent,
       1010},
      {"every member dead: nobody to ping",
       view(1015, {m("a", 990, D), m("b", -1, D)}),
       {},
       st::idle,
       1030},
      {"the deadline already passed: a round still goes out",
       view(995, {m("a", 990), m("b", 990)}),
       {"a"},
       st::round_sent,
       1010},
  };
  for (const auto& r : rows) {
    auto h = make();
    auto d = h.decide(at(now), r.v);
    EXPECT_EQ(d.ping, r.ping) << r.what;
    EXPECT_EQ(h.current(), r.after) << r.what;
    EXPECT_EQ(d.next_check, r.next < 0 ? time_point{} : at(r.next)) << r.what;
  }
}

/// A round sent at 1000 in a 5-node cluster to b and d (the echoing ones),
/// then decide() at `now` with the members' echoes as given.
struct check_row {
  const char* what;
  long now;
  std::vector<refresh_member> members;
  names ping;
  st after;
  long next;
};

TEST(HoldRefresh, AThirdOfAPeriodLaterTheRoundIsCountedAndEscalatedIfAnEchoIsMissing) {
  const check_row rows[] = {
      {"too early to count",
       1005,
       {m("a"), m("b", 990), m("c"), m("d", 980)},
       {},
       st::round_sent,
       1010},
      {"both targets echoed the round",
       1010,
       {m("a"), m("b", 1000), m("c"), m("d", 1001)},
       {},
       st::round_echoed,
       1030},
      {"d is silent: everyone else that has not echoed is pinged",
       1010,
       {m("a"), m("b", 1000), m("c"), m("d", 980)},
       {"d", "a", "c"},
       st::escalated,
       1030},
      {"nobody echoed: every candidate",
       1012,
       {m("a"), m("b", 990), m("c"), m("d", 980)},
       {"b", "d", "a", "c"},
       st::escalated,
       1030},
      {"an echo of a probe to a non-target counts too",
       1010,
       {m("a", 1004), m("b", 1000), m("c"), m("d", 980)},
       {},
       st::round_echoed,
       1030},
      {"an echo from before the round does not count",
       1010,
       {m("a"), m("b", 999), m("c"), m("d", 1000)},
       {"b", "a", "c"},
       st::escalated,
       1030},
      {"d died since the round: it is no candidate any more",
       1010,
       {m("a"), m("b", 1000), m("c"), m("d", 980, member_state::dead)},
       {"a", "c"},
       st::escalated,
       1030},
  };
  for (const auto& r : rows) {
    auto h = make();
    auto first = h.decide(at(1000), view(1015, {m("a"), m("b", 990), m("c"), m("d", 980)}));
    ASSERT_EQ(first.ping, (names{"b", "d"})) << r.what;
    auto d = h.decide(at(r.now), view(1015, r.members));
    EXPECT_EQ(d.ping, r.ping) << r.what;
    EXPECT_EQ(h.current(), r.after) << r.what;
    EXPECT_EQ(d.next_check, at(r.next)) << r.what;
  }
}

TEST(HoldRefresh, OneRoundPerPeriodAndOneEscalationPerRound) {
  auto h = make();
  const std::vector<refresh_member> silent{m("a", 990), m("b", 990)};
  EXPECT_EQ(h.decide(at(1000), view(1015, silent)).ping, names{"a"});
  EXPECT_TRUE(h.decide(at(1000), view(1015, silent)).ping.empty()) << "same instant again";
  EXPECT_EQ(h.decide(at(1010), view(1015, silent)).ping, (names{"a", "b"}));
  EXPECT_EQ(h.current(), st::escalated);
  for (long t : {1011, 1020, 1029}) {
    auto d = h.decide(at(t), view(1015, silent));
    EXPECT_TRUE(d.ping.empty()) << t;
    EXPECT_EQ(d.next_check, at(1030)) << t;
  }
  // The next period: a new round (round robin moved on to b).
  EXPECT_EQ(h.decide(at(1030), view(1035, silent)).ping, names{"b"});
  EXPECT_EQ(h.current(), st::round_sent);
}

TEST(HoldRefresh, RoundRobinAmongEchoingMembersWhileTheyAreEnough) {
  auto h = make();
  const std::vector<refresh_member> all{m("a", 990), m("b", 990), m("c", 990), m("d", 990), m("e")};
  std::vector<names> rounds;
  for (long t = 1000; t < 1120; t += 30) {
    auto hold = t + 15;
    rounds.push_back(h.decide(at(t), view(hold, all)).ping);
    // Everyone echoes the round: no escalation in between.
    std::vector<refresh_member> echoed{m("a", t), m("b", t), m("c", t), m("d", t), m("e")};
    EXPECT_TRUE(h.decide(at(t + 10), view(hold, echoed)).ping.empty());
  }
  // 6 nodes: a majority less self is 3; e (not echoing) is never asked.
  EXPECT_EQ(rounds, (std::vector<names>{
                        {"a", "b", "c"}, {"d", "a", "b"}, {"c", "d", "a"}, {"b", "c", "d"}}));
}

TEST(HoldRefresh, AFarDeadlineAfterARoundGoesQuietAndNothingHeldResets) {
  auto h = make();
  const std::vector<refresh_member> two{m("a", 990), m("b", 990)};
  ASSERT_EQ(h.decide(at(1000), view(1015, two)).ping, names{"a"});
  ASSERT_TRUE(h.decide(at(1010), view(1060, {m("a", 1000), m("b", 990)})).ping.empty());
  EXPECT_EQ(h.current(), st::round_echoed);
  auto d = h.decide(at(1030), view(1060, two));
  EXPECT_TRUE(d.ping.empty());
  EXPECT_EQ(h.current(), st::idle);
  EXPECT_EQ(d.next_check, at(1040));
  d = h.decide(at(1040), view(-1, two));
  EXPECT_TRUE(d.ping.empty());
  EXPECT_EQ(d.next_check, time_point{});
  EXPECT_TRUE(h.round_targets().empty());
}

} // namespace
