// Rendezvous ranking of a VIP's eligible nodes (net/gossip/ranking): a hash
// pinned across builds, an even spread, minimal movement when membership
// changes, and a sticky owner.
#include "net/gossip/ranking.hpp"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace kvip::net::gossip;

std::vector<std::string> nodes(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back("node-" + std::string(1, static_cast<char>('a' + i)));
  return out;
}

std::vector<std::string> vips(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1));
  return out;
}

std::map<std::string, std::string> owners(const std::vector<std::string>& vs,
                                          const std::vector<std::string>& eligible) {
  std::map<std::string, std::string> out;
  for (auto& v : vs)
    out[v] = rank(v, eligible).front();
  return out;
}

// Every node of a mixed-version cluster must compute the same weights: these
// values were computed by an independent reimplementation (FNV-1a 64, 0xff
// separator, fmix64), so a changed hash fails here before it splits a cluster.
TEST(GossipRanking, WeightIsPinnedAcrossBuilds) {
  EXPECT_EQ(rendezvous_weight("10.0.0.1", "node-a"), 0x402076789ab807ebULL);
  EXPECT_EQ(rendezvous_weight("fd00::10", "node-b"), 0xb8292fcb786bd008ULL);
  EXPECT_EQ(rendezvous_weight("", ""), 0x1bbd5c813c69a8d7ULL);
}

TEST(GossipRanking, SeparatorKeepsVipAndNodeApart) {
  EXPECT_NE(rendezvous_weight("10.0.0.1", "2x"), rendezvous_weight("10.0.0.12", "x"));
}

TEST(GossipRanking, OrderDoesNotDependOnInputOrder) {
  auto ns = nodes(5);
  auto reversed = std::vector<std::string>(ns.rbegin(), ns.rend());
  for (auto& v : vips(50))
    EXPECT_EQ(rank(v, ns), rank(v, reversed)) << v;
}

TEST(GossipRanking, DuplicatesAndEmpty) {
  EXPECT_TRUE(rank("10.0.0.1", {}).empty());
  EXPECT_EQ(rank("10.0.0.1", {"n1", "n1", "n2"}).size(), 2U);
  EXPECT_FALSE(choose_owner("10.0.0.1", {}, std::nullopt));
  EXPECT_FALSE(successor("10.0.0.1", {"n1"}, "n1"));
}

// 1000 VIPs over 5 nodes: 200 each expected; a binomial(1000, 0.2) count has
// a standard deviation of 12.6, so 200 +- 50 (4 sigma, 25%) is the tolerance.
TEST(GossipRanking, SpreadsEvenly) {
  std::map<std::string, int> count;
  for (auto& [vip, owner] : owners(vips(1000), nodes(5)))
    ++count[owner];
  ASSERT_EQ(count.size(), 5U);
  for (auto& [node, n] : count) {
    EXPECT_GE(n, 150) << node;
    EXPECT_LE(n, 250) << node;
  }
}

TEST(GossipRanking, NodeLeavingMovesOnlyItsVips) {
  auto all = nodes(5);
  auto without_c = std::vector<std::string>{"node-a", "node-b", "node-d", "node-e"};
  auto before = owners(vips(1000), all);
  auto after = owners(vips(1000), without_c);
  int moved = 0;
  for (auto& [vip, owner] : before) {
    if (owner == "node-c") {
      EXPECT_NE(after[vip], "node-c");
      ++moved;
    } else {
      EXPECT_EQ(after[vip], owner) << vip << " moved though its owner stayed";
    }
  }
  EXPECT_GT(moved, 0);
}

TEST(GossipRanking, NodeJoiningTakesOnlyWhatItTops) {
  auto before = owners(vips(1000), nodes(5));
  auto after = owners(vips(1000), nodes(6)); // node-f joins
  int moved = 0;
  for (auto& [vip, owner] : before) {
    if (after[vip] == owner) continue;
    EXPECT_EQ(after[vip], "node-f") << vip << " moved between two old nodes";
    ++moved;
  }
  // About 1000/6; the same 4-sigma tolerance as the spread.
  EXPECT_GT(moved, 166 - 48);
  EXPECT_LT(moved, 166 + 48);
}

struct sticky_row {
  const char* name;
  std::vector<std::string> eligible;
  std::optional<std::string> current;
  bool expect_current; ///< else: the top-ranked eligible node
};

TEST(GossipRanking, StickyChoice) {
  const std::string vip = "10.0.0.7";
  auto ranked = rank(vip, nodes(3));
  const std::string top = ranked[0];
  const std::string low = ranked[2];
  std::vector<sticky_row> rows = {
      {"no owner yet: top-ranked", nodes(3), std::nullopt, false},
      {"healthy low-ranked owner keeps it (no failback)", nodes(3), low, true},
      {"owner lost: successor takes it", {ranked[0], ranked[1]}, low, false},
      {"unknown owner: top-ranked", nodes(3), std::string("gone"), false},
  };
  for (auto& r : rows) {
    auto got = choose_owner(vip, r.eligible, r.current);
    ASSERT_TRUE(got) << r.name;
    EXPECT_EQ(*got, r.expect_current ? *r.current : top) << r.name;
  }
  EXPECT_EQ(*successor(vip, nodes(3), top), ranked[1]);
  EXPECT_EQ(*successor(vip, nodes(3), low), top);
}

// The owner a lost node's VIP goes to is the one successor() names, so a
// graceful handover and a crash failover pick the same node.
TEST(GossipRanking, SuccessorMatchesFailover) {
  auto all = nodes(5);
  for (auto& v : vips(100)) {
    auto owner = rank(v, all).front();
    std::vector<std::string> rest;
    for (auto& n : all)
      if (n != owner) rest.push_back(n);
    EXPECT_EQ(*successor(v, all, owner), *choose_owner(v, rest, owner)) << v;
  }
}

// The copy-free choice the per-event decision uses picks what choose_owner
// picks: sticky to an eligible current owner, else the top-ranked node.
TEST(GossipRanking, CopyFreeChoiceMatchesChooseOwner) {
  const std::vector<std::string> all{"a", "b", "c", "d", "e"};
  for (int i = 0; i < 200; ++i) {
    auto v = "10.1." + std::to_string(i / 50) + "." + std::to_string(i % 50);
    std::vector<std::string> some(all.begin(), all.begin() + 1 + i % 5);
    for (const std::string* current :
         {static_cast<const std::string*>(nullptr), &all[1], &all[4]}) {
      auto expect = choose_owner(
          v, some, current ? std::optional<std::string>{*current} : std::optional<std::string>{});
      const auto* got = choose_owner_in(v, some, current);
      ASSERT_EQ(got != nullptr, expect.has_value()) << v;
      if (got) {
        EXPECT_EQ(*got, *expect) << v;
      }
    }
  }
  EXPECT_EQ(choose_owner_in("10.1.0.1", {}, nullptr), nullptr);
}

} // namespace
