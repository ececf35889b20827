// Services sharing an IP (k8s/services/sharing): disjoint ports or allow-share,
// the deterministic claim order (older, then namespace, then name), reasons for
// the Services that may not share, and the table an actor keeps.
#include <gtest/gtest.h>

#include "k8s/services/sharing.hpp"
#include "test/k8s/services/fixtures.hpp"

namespace kvip::k8s::services {
namespace {

using namespace testing;

net::ip_address addr(const char* s) {
  return *net::ip_address::parse(s);
}

const auto vip = addr("192.168.1.200");

/// A claim on `vip` (and `more`); `age` seconds after 2026-01-01, -1 = no timestamp.
ip_claim claim(std::string ns, std::string name, int age, std::vector<port_key> ports,
               bool allow = false, std::vector<net::ip_address> more = {}) {
  ip_claim c{std::move(ns), std::move(name), std::nullopt, std::move(ports), {vip}, allow};
  if (age >= 0) c.created = *net::parse_rfc3339("2026-01-01T00:00:00Z") + std::chrono::seconds(age);
  c.addresses.insert(c.addresses.end(), more.begin(), more.end());
  return c;
}

const port_key tcp80{protocol::tcp, 80};
const port_key tcp443{protocol::tcp, 443};
const port_key tcp53{protocol::tcp, 53};
const port_key udp53{protocol::udp, 53};
const port_key tcp8080{protocol::tcp, 8080};

TEST(Sharing, WhoKeepsTheAddress) {
  struct row {
    std::string name;
    std::vector<ip_claim> claims;
    std::vector<std::string> holders;
    std::set<std::string> conflicts;
  };
  std::vector<row> rows = {
      {"alone", {claim("d", "a", 1, {tcp80})}, {"d/a"}, {}},
      {"disjoint ports share",
       {claim("d", "b", 2, {tcp443}), claim("d", "a", 1, {tcp80})},
       {"d/a", "d/b"},
       {}},
      {"same port: the older keeps it",
       {claim("d", "new", 2, {tcp80}), claim("d", "old", 1, {tcp80})},
       {"d/old"},
       {"d/new"}},
      {"same number, other protocol",
       {claim("d", "t", 1, {tcp53}), claim("d", "u", 2, {udp53})},
       {"d/t", "d/u"},
       {}},
      {"both pools allow sharing",
       {claim("d", "a", 1, {tcp80}, true), claim("d", "b", 2, {tcp80}, true)},
       {"d/a", "d/b"},
       {}},
      {"one pool allows sharing",
       {claim("d", "a", 1, {tcp80}, true), claim("d", "b", 2, {tcp80})},
       {"d/a"},
       {"d/b"}},
      {"same age: namespace, then name",
       {claim("b", "a", 1, {tcp80}), claim("a", "z", 1, {tcp80}), claim("a", "y", 1, {tcp80})},
       {"a/y"},
       {"a/z", "b/a"}},
      {"no timestamp counts as newest",
       {claim("a", "a", -1, {tcp80}), claim("z", "z", 5, {tcp80})},
       {"z/z"},
       {"a/a"}},
      {"a loser does not block later claims",
       {claim("d", "a", 1, {tcp80}), claim("d", "b", 2, {tcp80, tcp8080}),
        claim("d", "c", 3, {tcp8080})},
       {"d/a", "d/c"},
       {"d/b"}},
      {"no ports share with anything",
       {claim("d", "a", 1, {tcp80}), claim("d", "b", 2, {})},
       {"d/a", "d/b"},
       {}},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    std::vector<const ip_claim*> ptrs;
    for (const auto& c : r.claims)
      ptrs.push_back(&c);
    auto got = resolve_ip(vip, ptrs);
    EXPECT_EQ(got.holders, r.holders);
    std::set<std::string> conflicts;
    for (const auto& [k, why] : got.conflicts)
      conflicts.insert(k);
    EXPECT_EQ(conflicts, r.conflicts);
    // The same outcome whatever order the claims arrive in.
    std::reverse(ptrs.begin(), ptrs.end());
    EXPECT_EQ(resolve_ip(vip, ptrs).holders, r.holders);
  }
}

TEST(Sharing, ReasonNamesTheAddressPortsAndHolder) {
  auto a = claim("default", "web", 1, {tcp80, tcp443});
  auto b = claim("shop", "api", 2, {tcp443, tcp80, udp53});
  EXPECT_EQ(share_conflict(vip, a, b),
            "192.168.1.200 TCP/443, TCP/80 is already announced for default/web (claimed first); "
            "sharing an address needs disjoint ports or pools with allow-share");
  EXPECT_EQ(share_conflict(vip, a, claim("x", "y", 3, {udp53})), "");
  // Claimants of other addresses are ignored.
  auto other = claim("d", "other", 0, {tcp80});
  other.addresses = {addr("192.168.1.201")};
  auto got = resolve_ip(vip, {&other, &a});
  EXPECT_EQ(got.holders, std::vector<std::string>{"default/web"});
}

TEST(Sharing, ClaimOfAParsedService) {
  auto s = parsed(R"({"metadata":{"annotations":{"kube-vip.io/loadbalancerIPs":"10.0.0.1"}},
      "spec":{"ports":[{"port":80},{"port":80,"protocol":"UDP"},{"name":"again","port":80}]}})");
  auto c = claim_of(s, select_addresses(s), true);
  EXPECT_EQ(c.key(), "default/web");
  EXPECT_EQ(c.ports, (std::vector<port_key>{tcp80, {protocol::udp, 80}}));
  EXPECT_EQ(c.addresses, std::vector<net::ip_address>{addr("10.0.0.1")});
  EXPECT_EQ(c.created, s.created);
  EXPECT_TRUE(c.allow_share);
}

TEST(SharingTable, FollowsUpsertsAndRemovals) {
  sharing_table t;
  const auto v2 = addr("192.168.1.202");
  EXPECT_EQ(t.upsert(claim("d", "new", 2, {tcp80})), std::set<net::ip_address>{vip});
  EXPECT_EQ(t.holders(vip).holders, std::vector<std::string>{"d/new"});
  // An older Service claiming the same port takes the address over.
  t.upsert(claim("d", "old", 1, {tcp80}));
  EXPECT_EQ(t.holders(vip).holders, std::vector<std::string>{"d/old"});
  ASSERT_EQ(t.conflicts_of("d/new").size(), 1u);
  EXPECT_TRUE(t.conflicts_of("d/old").empty());
  // Moving "old" to another address: both addresses may have changed.
  auto moved = claim("d", "old", 1, {tcp80});
  moved.addresses = {v2};
  EXPECT_EQ(t.upsert(moved), (std::set<net::ip_address>{vip, v2}));
  EXPECT_EQ(t.holders(vip).holders, std::vector<std::string>{"d/new"});
  EXPECT_TRUE(t.conflicts_of("d/new").empty());
  EXPECT_EQ(t.addresses(), (std::set<net::ip_address>{vip, v2}));
  EXPECT_EQ(t.remove("d/old"), std::set<net::ip_address>{v2});
  EXPECT_EQ(t.addresses(), std::set<net::ip_address>{vip});
  EXPECT_TRUE(t.holders(v2).holders.empty());
  EXPECT_TRUE(t.remove("d/nobody").empty());
  EXPECT_TRUE(t.conflicts_of("d/nobody").empty());
}

} // namespace
} // namespace kvip::k8s::services
