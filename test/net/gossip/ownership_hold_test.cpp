// The owner's hold across changes of its own set (ownership.hpp "hold"): an
// echo matching an older version of what this node owns still holds every
// VIP it owned then; a VIP claimed since waits for an echo that includes it.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/gossip/ownership.hpp"
#include "test/net/gossip/ownership_rows.hpp"
#include "test/net/gossip/table_timing.hpp"

namespace {

using namespace kvip::net::gossip;
using namespace kvip::test;

const std::string V1 = "10.0.0.1";
const std::string V2 = "10.0.0.2";

/// `a` with two live members that are not eligible (so `a` ranks first for
/// every VIP), owning V1: claimed at 200 (after the first takeover wait)
/// and confirmed by b's answer; deadline 300 (claim sent + fence 100).
struct owner_of_v1 {
  ownership o{{"a", table_timing()}, at(0)};
  std::vector<vip_claim> answers;
  owner_of_v1() {
    o.members_changed(at(0), {{"b", true, false, false}, {"c", true, false, false}});
    o.self_eligible(at(0), true);
    o.set_vips(at(0), {V1});
    o.tick(at(200));
    o.answers_received(at(201), "b", {{V1, "a", 1, false}}, at(200));
  }
  /// Now V2 too: `a` claims it at `t` (its own set gets a new version).
  void add_v2(long t) {
    o.set_vips(at(t), {V1, V2});
    o.tick(at(t));
  }
};

TEST(OwnershipHold, ConfirmedClaimAnswersUntilFenceAfterTheClaim) {
  owner_of_v1 w;
  EXPECT_TRUE(w.o.may_answer(V1, at(299)));
  EXPECT_FALSE(w.o.may_answer(V1, at(300)));
}

TEST(OwnershipHold, EchoOfTheCurrentSetExtendsEveryHeldVip) {
  owner_of_v1 w;
  w.o.echo(at(260), "b", at(250), w.o.own_digest());
  EXPECT_TRUE(w.o.may_answer(V1, at(349)));
  EXPECT_FALSE(w.o.may_answer(V1, at(350)));
}

TEST(OwnershipHold, EchoOfAnOlderSetStillHoldsWhatItOwnedThen) {
  owner_of_v1 w;
  auto before = w.o.own_digest();
  w.add_v2(250);
  EXPECT_EQ(w.o.own_digest(), before); // a claim in flight changes no digest
  w.o.answers_received(at(252), "b", {{V2, "a", 1, false}}, at(250));
  ASSERT_TRUE(w.o.may_answer(V2, at(252)));
  ASSERT_NE(w.o.own_digest(), before); // confirmed: it answers for V2 too
  // b's echo still names the older set: a holds V1 in b's view, not V2.
  w.o.echo(at(290), "b", at(280), before);
  EXPECT_TRUE(w.o.may_answer(V1, at(379))); // 280 + 100
  EXPECT_FALSE(w.o.may_answer(V1, at(380)));
  EXPECT_TRUE(w.o.may_answer(V2, at(349))); // its claim: 250 + 100, no more
  EXPECT_FALSE(w.o.may_answer(V2, at(350)));
}

TEST(OwnershipHold, EchoOfTheNewSetHoldsBoth) {
  owner_of_v1 w;
  w.add_v2(250);
  w.o.answers_received(at(252), "b", {{V2, "a", 1, false}}, at(250));
  w.o.echo(at(290), "b", at(280), w.o.own_digest());
  EXPECT_TRUE(w.o.may_answer(V1, at(379)));
  EXPECT_TRUE(w.o.may_answer(V2, at(379)));
  EXPECT_FALSE(w.o.may_answer(V2, at(380)));
}

// A burst of Services: 40 VIPs claimed and confirmed one by one (40 new
// versions of the own set) and 300 claims still in flight (no new set),
// while b's echo still names the set from before the burst. It must still
// hold V1: before, the history kept 32 versions, the burst pushed the echoed
// set out and V1 lapsed at its deadline (a VIP reclaimed at 1000 Services).
TEST(OwnershipHold, AnEchoFromBeforeABurstOfClaimsStillHolds) {
  struct row {
    int confirmed, in_flight;
  };
  for (auto [confirmed, in_flight] : {row{40, 0}, row{0, 300}, row{40, 300}}) {
    owner_of_v1 w;
    auto before = w.o.own_digest();
    std::vector<std::string> vips{V1};
    for (int i = 0; i < confirmed + in_flight; ++i) {
      long t = 250 + i / 10; // up to 10 a millisecond
      auto v = "10.0." + std::to_string(1 + i / 250) + "." + std::to_string(1 + i % 250);
      vips.push_back(v);
      w.o.set_vips(at(t), vips);
      w.o.tick(at(t));
      if (i < confirmed) w.o.answers_received(at(t), "b", {{v, "a", 1, false}}, at(t));
    }
    if (confirmed > 0) {
      ASSERT_NE(w.o.own_digest(), before);
    }
    w.o.echo(at(295), "b", at(285), before);
    EXPECT_TRUE(w.o.may_answer(V1, at(384))) << confirmed << " confirmed, " << in_flight;
    EXPECT_FALSE(w.o.may_answer(V1, at(385))) << confirmed << " confirmed, " << in_flight;
  }
}

// The hold refresh's helpers (hold_refresh.hpp): members whose latest echo
// matches what the owner holds now; an echo of an older set (a member that
// has not heard of the newest VIP yet) extends only older holds and does not
// count, so a refresh round it answers is escalated.
TEST(OwnershipHold, EchoingMembersAreThoseEchoingTheCurrentSet) {
  owner_of_v1 w;
  EXPECT_TRUE(w.o.echoing_members().empty());
  auto before = w.o.own_digest();
  w.o.echo(at(260), "b", at(250), before);
  w.o.echo(at(261), "c", at(251), 42); // matches nothing
  using echoes = std::map<std::string, time_point>;
  EXPECT_EQ(w.o.echoing_members(), (echoes{{"b", at(250)}}));
  w.add_v2(270);
  w.o.answers_received(at(272), "b", {{V2, "a", 1, false}}, at(270));
  ASSERT_NE(w.o.own_digest(), before);
  EXPECT_TRUE(w.o.echoing_members().empty()) << "b echoed the older set";
  w.o.echo(at(280), "c", at(275), w.o.own_digest());
  EXPECT_EQ(w.o.echoing_members(), (echoes{{"c", at(275)}}));
  w.o.echo(at(290), "b", at(285), before); // b again names the older set
  EXPECT_EQ(w.o.echoing_members(), (echoes{{"c", at(275)}}));
}

TEST(OwnershipHold, AMemberCountsAVipInItsDigestOnlyOnceItsOwnerSaysItAnswers) {
  ownership b{{"b", table_timing()}, at(0)};
  std::vector<vip_claim> answers;
  b.members_changed(at(0), {{"a", true, false, false}, {"c", true, false, false}});
  b.set_vips(at(0), {V1});
  b.claims_received(at(200), "a", {{V1, "a", 1, false}}, answers); // agreed: a claims
  ASSERT_EQ(b.status().front().owner, "a");
  EXPECT_EQ(b.digest_for("a"), 0U);
  b.claims_received(at(210), "c", {{V1, "a", 1, true}}, answers); // not from a itself
  EXPECT_EQ(b.digest_for("a"), 0U);
  b.claims_received(at(220), "a", {{V1, "a", 1, true}}, answers); // a's notice
  auto d = b.digest_for("a");
  EXPECT_NE(d, 0U);
  // The owner computes the same digest for what it answers for.
  owner_of_v1 w;
  EXPECT_EQ(w.o.own_digest(), d);
}

TEST(OwnershipHold, EchoMatchingNoVersionExtendsNothing) {
  owner_of_v1 w;
  w.o.echo(at(260), "b", at(250), 42);
  EXPECT_FALSE(w.o.may_answer(V1, at(300)));
}

TEST(OwnershipHold, EchoFromANonMemberExtendsNothing) {
  owner_of_v1 w;
  w.o.echo(at(260), "z", at(250), w.o.own_digest());
  EXPECT_FALSE(w.o.may_answer(V1, at(300)));
}

TEST(OwnershipHold, VipReclaimedSinceTheEchoedVersionIsNotHeldByIt) {
  owner_of_v1 w;
  auto before = w.o.own_digest();
  // V1's Lease names c: a stops at once and claims V1 anew, so V1 is in the
  // own set again only from a later version.
  w.o.lease_holder(at(250), V1, "c");
  w.o.tick(at(260));
  ASSERT_EQ(w.o.status().front().term, 2U);
  w.o.answers_received(at(262), "b", {{V1, "a", 2, false}}, at(260));
  ASSERT_TRUE(w.o.may_answer(V1, at(262)));
  w.o.echo(at(300), "b", at(290), before); // b still names a in term 1
  EXPECT_TRUE(w.o.may_answer(V1, at(359)));
  EXPECT_FALSE(w.o.may_answer(V1, at(360))); // its new claim (260) + 100 only
  w.o.echo(at(301), "b", at(291), w.o.own_digest());
  EXPECT_TRUE(w.o.may_answer(V1, at(390)));
}

// A lapsed hold leaves the own set as it was until the view changes: the
// members still name this node for the VIP, so their echoes keep matching
// (when the own set followed the fences, one lapsed hold made every echo
// mismatch, and the holds confirmed after it lapsed too: the fence storm).
TEST(OwnershipHold, ALapsedHoldStaysInTheOwnSetUntilTheViewChanges) {
  owner_of_v1 w;
  auto before = w.o.own_digest();
  ASSERT_NE(before, 0U);
  w.o.resumed(at(290)); // a freeze: no claim before 290 + takeover wait (150)
  w.o.tick(at(300));
  ASSERT_FALSE(w.o.may_answer(V1, at(300)));
  ASSERT_EQ(w.o.status().front().term, 1U) << "claimed again inside the resume window";
  EXPECT_EQ(w.o.own_digest(), before);
  w.o.echo(at(310), "b", at(305), before);
  EXPECT_EQ(w.o.echoing_members().count("b"), 1U) << "b's echo names the current own set";
  EXPECT_FALSE(w.o.may_answer(V1, at(310))) << "an echo never revives a lapsed hold";
  w.o.tick(at(440)); // the window ended: a claims V1 anew, in term 2
  ASSERT_EQ(w.o.status().front().term, 2U);
  EXPECT_EQ(w.o.own_digest(), 0U) << "an unconfirmed claim is not in the own set";
}

std::size_t held_claims_sent_to(const std::vector<ownership_effect>& fx, const std::string& to) {
  std::size_t n = 0;
  for (const auto& e : fx)
    if (e.what == ownership_effect::kind::send_claims && e.to == to)
      for (const auto& c : e.claims)
        n += c.owner == "a" && c.answering ? 1 : 0;
  return n;
}

TEST(OwnershipHold, AMemberWhoseDigestStaysDifferentGetsEveryHeldClaimWithBackoff) {
  owner_of_v1 w;
  // c's echoes keep a holding V1; b's digest of a stays different.
  long c_at = 200;
  auto b_echo = [&](long t, std::uint64_t digest) {
    for (; c_at < t; c_at += 50)
      w.o.echo(at(c_at), "c", at(c_at - 1), w.o.own_digest());
    return held_claims_sent_to(w.o.echo(at(t), "b", at(t - 5), digest), "b");
  };
  // takeover_wait is 150 in the tables: the first echo after the change
  // starts the clock; a differing digest within it is left alone.
  EXPECT_EQ(b_echo(210, 42), 0U);
  EXPECT_EQ(b_echo(300, 42), 0U);
  EXPECT_EQ(b_echo(360, 42), 1U);
  EXPECT_EQ(b_echo(400, 42), 0U); // next after 150
  EXPECT_EQ(b_echo(510, 42), 1U);
  EXPECT_EQ(b_echo(700, 42), 0U); // next after 300
  EXPECT_EQ(b_echo(810, 42), 1U);
  ASSERT_TRUE(w.o.may_answer(V1, at(810)));
  // It matches: the backoff starts over.
  EXPECT_EQ(b_echo(820, w.o.own_digest()), 0U);
  EXPECT_EQ(b_echo(830, 42), 1U);
}

} // namespace

namespace {

bool announces(const std::vector<ownership_effect>& fx, const std::string& vip) {
  for (const auto& e : fx)
    if (e.what == ownership_effect::kind::announce && e.vip == vip) return true;
  return false;
}

/// The answer effect that starts answering `vip`, if any.
const ownership_effect* starts_answering(const std::vector<ownership_effect>& fx,
                                         const std::string& vip) {
  for (const auto& e : fx)
    if (e.what == ownership_effect::kind::answer && e.vip == vip && e.until != time_point{})
      return &e;
  return nullptr;
}

} // namespace

// A hold that lapsed (echoes late under load) and is claimed again answers
// without a second gratuitous announcement: nobody else owned the VIP in
// between, so the neighbours' caches still name this node. Once another node
// has owned it, claiming it back announces again.
TEST(OwnershipHold, AReclaimAfterALapseAnnouncesOnlyWhenAnotherNodeOwnedItSince) {
  ownership o{{"a", table_timing()}, at(0)};
  o.members_changed(at(0), {{"b", true, false, false}, {"c", true, false, false}});
  o.self_eligible(at(0), true);
  o.set_vips(at(0), {V1});
  o.tick(at(200));
  auto first = o.answers_received(at(201), "b", {{V1, "a", 1, false}}, at(200));
  ASSERT_TRUE(starts_answering(first, V1));
  EXPECT_TRUE(announces(first, V1)) << "the first confirmation announces";
  EXPECT_FALSE(starts_answering(first, V1)->quiet) << "answered once announced";

  o.tick(at(300)); // no echo: the hold lapses at 300 and a claims again (term 2)
  ASSERT_FALSE(o.may_answer(V1, at(300)));
  EXPECT_EQ(o.hold_lapses(), 1U);
  o.tick(at(301));
  ASSERT_EQ(o.status().front().term, 2U);
  auto again = o.answers_received(at(302), "b", {{V1, "a", 2, false}}, at(301));
  ASSERT_TRUE(starts_answering(again, V1));
  EXPECT_FALSE(announces(again, V1)) << "reclaimed with nobody in between: no announcement";
  EXPECT_TRUE(starts_answering(again, V1)->quiet) << "so it answers at once";

  // b owns V1 in term 5 (b is eligible now and answers), then b is gone: a
  // claims V1 back and must announce (the caches name b).
  o.members_changed(at(310), {{"b", true, true, false}, {"c", true, false, false}});
  o.answers_received(at(311), "b", {{V1, "b", 5, true}}, at(310));
  ASSERT_EQ(o.status().front().owner, "b");
  o.members_changed(at(320), {{"b", false, false, true}, {"c", true, false, false}});
  o.tick(at(321));
  ASSERT_EQ(o.status().front().owner, "a");
  auto term = o.status().front().term;
  auto back = o.answers_received(at(322), "c", {{V1, "a", term, false}}, at(321));
  ASSERT_TRUE(starts_answering(back, V1));
  EXPECT_TRUE(announces(back, V1)) << "b owned it in between: announce";
  EXPECT_FALSE(starts_answering(back, V1)->quiet);
}
