// Per-VIP owners (ownership::set_vip_specs): a Service VIP with
// externalTrafficPolicy Local may be owned only by the nodes with a ready
// local endpoint. Three ownership instances exchange claims synchronously
// (every send_claims is delivered at once and answered); the checks: only an
// allowed node claims, the VIP follows the allowed set when it changes (the
// old owner gives it up before the new one claims), and an empty set leaves
// the VIP unowned; VIPs with one rank key (Services on one kube-vip Lease)
// share their owner. Holds and timing are the other tests' business.
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/gossip/ownership.hpp"
#include "net/gossip/ranking.hpp"
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
  /// Every node learns these VIPs at `t`.
  void serve(long t, const std::vector<vip_spec>& specs) {
    now_ = t;
    for (auto& [name, o] : nodes_)
      run(name, o->set_vip_specs(at(t), specs));
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
  /// The nodes that may answer for `vip` now.
  std::vector<std::string> answering(const std::string& vip) const {
    std::vector<std::string> out;
    for (const auto& [name, o] : nodes_)
      if (o->may_answer(vip, at(now_))) out.push_back(name);
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

// Twelve Service IPs: each ranked by its own address they spread over the
// three nodes; all given one rank key (kube-vip.io/leaseName on their
// Services), they all go to the node that key ranks first.
TEST(OwnershipAllowed, VipsWithOneRankKeyShareTheOwnerTheKeyRanksFirst) {
  std::vector<std::string> ips;
  for (int i = 1; i <= 12; ++i)
    ips.push_back("10.0.0." + std::to_string(i));
  auto owners = [&](const trio& t) {
    std::set<std::string> out;
    for (const auto& ip : ips) {
      auto a = t.answering(ip);
      EXPECT_EQ(a.size(), 1U) << ip;
      if (!a.empty()) out.insert(a.front());
    }
    return out;
  };
  trio spread;
  std::vector<vip_spec> own_keys;
  for (const auto& ip : ips)
    own_keys.push_back({ip, std::nullopt, ""});
  spread.serve(0, own_keys);
  spread.tick(200);
  EXPECT_GT(owners(spread).size(), 1U);

  trio grouped;
  std::vector<vip_spec> one_key;
  for (const auto& ip : ips)
    one_key.push_back({ip, std::nullopt, "default/shared-lease"});
  grouped.serve(0, one_key);
  grouped.tick(200);
  auto first = choose_owner("default/shared-lease", {"a", "b", "c"}, std::nullopt);
  ASSERT_TRUE(first);
  EXPECT_EQ(owners(grouped), (std::set<std::string>{*first}));
}

} // namespace
