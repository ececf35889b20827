// Claims in the same term (net/gossip/ownership_claims.cpp): which claimer
// keeps its claim and which one gives way or claims again in a higher term.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/gossip/ownership.hpp"
#include "test/net/gossip/ownership_rows.hpp"
#include "test/net/gossip/table_timing.hpp"

namespace {

using namespace kvip::net::gossip;
using state = fence::state;
using kind = ownership_effect::kind;

using namespace kvip::test;

// a (the best-ranked node) claims in term 1 after it was cut off; meanwhile b
// was confirmed in term 1 and has since died (its link went down). c answers
// with b@1. a must not wait for c to agree to a second owner in term 1 (it
// never would): it adopts b@1 and, b not being eligible, claims again in
// term 2. Found in the lab: five nodes, a link-down fault on the owner right
// after the previous owner's link came back; nobody answered until b's link
// came up again.
TEST(Ownership, SameTermAnswerNamingADeadOwnerMakesTheClaimerBumpItsTerm) {
  ownership o({"a", table_timing()}, at(0));
  o.members_changed(at(0), {dead("b"), live("c")});
  o.self_eligible(at(0), true);
  o.set_vips(at(0), {V});
  o.tick(at(150));
  ASSERT_EQ(o.status().at(0).state, state::claiming);
  ASSERT_EQ(o.status().at(0).term, 1U);
  auto fx = o.answers_received(at(152), "c", {claim("b", 1)}, at(150));
  auto st = o.status().at(0);
  EXPECT_EQ(st.state, state::claiming);
  EXPECT_EQ(st.owner, "a");
  EXPECT_EQ(st.term, 2U);
  bool sent = false;
  for (const auto& e : fx)
    if (e.what == kind::send_claims && e.to == "c")
      for (const auto& c : e.claims)
        sent = sent || c == claim("a", 2);
  EXPECT_TRUE(sent) << "the claim in term 2 goes to c at once";
  // c agrees (b is silent): confirmed.
  fx = o.answers_received(at(153), "c", {claim("a", 2)}, at(152));
  EXPECT_EQ(o.status().at(0).state, state::owning);
}

// The same answer naming a live, eligible claimer ranked below a: a keeps its
// claim (the other one yields), as before.
TEST(Ownership, SameTermAnswerNamingALiveLowerRankedClaimerKeepsTheClaim) {
  ownership o({"a", table_timing()}, at(0));
  o.members_changed(at(0), {live("b"), live("c")});
  o.self_eligible(at(0), true);
  o.set_vips(at(0), {V});
  o.tick(at(150));
  ASSERT_EQ(o.status().at(0).term, 1U);
  o.answers_received(at(152), "c", {claim("b", 1)}, at(150));
  auto st = o.status().at(0);
  EXPECT_EQ(st.state, state::claiming);
  EXPECT_EQ(st.term, 1U);
}

} // namespace
