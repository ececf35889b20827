// Per-VIP owners (ownership::set_vip_specs): a Service VIP with
// externalTrafficPolicy Local may be owned only by the nodes with a ready
// local endpoint. Three ownership instances exchange claims synchronously
// (every send_claims is delivered at once and answered); the checks: only an
// allowed node claims, the VIP follows the allowed set when it changes (the
// old owner gives it up before the new one claims), and an empty set leaves
// the VIP unowned. Holds and timing are the other tests' business.
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/gossip/ownership.hpp"
#include "test/net/gossip/ownership_rows.hpp"
#include "test/net/gossip/table_timing.hpp"

namespace {

using namespace kvip::net::gossip;
using namespace kvip::test;
using state = fence::state;
using kind = ownership_effect::kind;

class trio {
public:
  trio() {
    for (const char* n : {"a", "b", "c"})
      nodes_[n] = std::make_unique<ownership>(ownership_config{n, table_timing()}, at(0));
    for (auto& [name, o] : nodes_) {
      std::vector<member_view> others;
      for (const auto& [other, _] : nodes_)
        if (other != name) others.push_back(live(other));
      run(name, o->members_changed(at(0), others));
      run(name, o->self_eligible(at(0), true));
    }
  }

  /// Every node learns the VIP's allowed owners at `t` (nullopt: any).
  void allow(long t, std::optional<std::vector<std::string>> nodes) {
    now_ = t;
    for (auto& [name, o] : nodes_)
      run(name, o->set_vip_specs(at(t), {{V, nodes}}));
    tick(t);
  }
  void tick(long t) {
    now_ = t;
    for (auto& [name, o] : nodes_)
      run(name, o->tick(at(t)));
  }
  state of(const std::string& n) const { return nodes_.at(n)->status().at(0).state; }
  /// Nodes that may answer for V now.
  std::vector<std::string> answering() const {
    std::vector<std::string> out;
    for (const auto& [name, o] : nodes_)
      if (o->may_answer(V, at(now_))) out.push_back(name);
    return out;
  }
  std::size_t max_answering = 0; ///< the most nodes answering at once, ever

private:
  struct frame {
    std::string from, to;
    std::vector<vip_claim> claims;
  };
  void run(const std::string& self, const std::vector<ownership_effect>& fx) {
    for (const auto& e : fx)
      if (e.what == kind::send_claims) queue_.push_back({self, e.to, e.claims});
    if (delivering_) return;
    delivering_ = true;
    while (!queue_.empty()) {
      auto f = queue_.front();
      queue_.pop_front();
      std::vector<vip_claim> answers;
      run(f.to, nodes_[f.to]->claims_received(at(now_), f.from, f.claims, answers));
      run(f.from, nodes_[f.from]->answers_received(at(now_), f.to, answers, at(now_)));
      max_answering = std::max(max_answering, answering().size());
    }
    delivering_ = false;
  }

  std::map<std::string, std::unique_ptr<ownership>> nodes_;
  std::deque<frame> queue_;
  bool delivering_ = false;
  long now_ = 0;
};

TEST(OwnershipAllowed, OnlyAnAllowedNodeClaims) {
  trio t;
  t.allow(0, std::vector<std::string>{"b"});
  t.tick(200); // past the first takeover wait
  EXPECT_EQ(t.of("b"), state::owning);
  EXPECT_EQ(t.answering(), (std::vector<std::string>{"b"}));
  EXPECT_EQ(t.of("a"), state::idle);
  EXPECT_EQ(t.of("c"), state::idle);
}

TEST(OwnershipAllowed, TheVipFollowsTheAllowedSetAndNeverHasTwoOwners) {
  trio t;
  t.allow(0, std::vector<std::string>{"b"});
  t.tick(200);
  ASSERT_EQ(t.of("b"), state::owning);
  // The endpoint moves from b to c: b gives the VIP up (a release notice),
  // c claims at once and the others agree.
  t.allow(220, std::vector<std::string>{"c"});
  EXPECT_EQ(t.of("c"), state::owning);
  EXPECT_NE(t.of("b"), state::owning);
  EXPECT_EQ(t.answering(), (std::vector<std::string>{"c"}));
  EXPECT_EQ(t.max_answering, 1U);
}

TEST(OwnershipAllowed, AnEmptySetLeavesTheVipUnownedAndAnyNodeTakesItBack) {
  trio t;
  t.allow(0, std::vector<std::string>{"c"});
  t.tick(200);
  ASSERT_EQ(t.of("c"), state::owning);
  t.allow(220, std::vector<std::string>{});
  t.tick(400);
  EXPECT_TRUE(t.answering().empty());
  // Back to "any node" (externalTrafficPolicy Cluster): someone owns it again.
  t.allow(420, std::nullopt);
  t.tick(440);
  EXPECT_EQ(t.answering().size(), 1U);
  EXPECT_EQ(t.max_answering, 1U);
}

TEST(OwnershipAllowed, AnOwnerStillAllowedKeepsTheVipWhenOthersJoinTheSet) {
  trio t;
  t.allow(0, std::vector<std::string>{"a"});
  t.tick(200);
  ASSERT_EQ(t.of("a"), state::owning);
  t.allow(220, std::vector<std::string>{"a", "b", "c"}); // no failback churn
  EXPECT_EQ(t.of("a"), state::owning);
  EXPECT_EQ(t.answering(), (std::vector<std::string>{"a"}));
}

} // namespace
