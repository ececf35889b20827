// The allocator's policies (k8s/ipam/allocator): sharing an address between
// Services with disjoint ports (allowed, refused, consent of every holder),
// the dual-stack policies, and 300 Services in 10 namespaces from overlapping
// pools without a duplicate.
#include <gtest/gtest.h>

#include "k8s/ipam/allocator.hpp"
#include "test/k8s/ipam/allocator_rows.hpp"

namespace kvip::k8s::ipam {
namespace {

using namespace testing;

const port_id tcp80{"TCP", 80};
const port_id tcp443{"TCP", 443};
const port_id udp80{"UDP", 80};
const port_id tcp53{"TCP", 53};

TEST(IpamSharing, DisjointPortsShareWhenTheNamespacesAllowIt) {
  allocator a{parse_pool_config(data_t{{"cidr-global", "10.0.0.0/29"},
                                       {"allow-share-global", "true"},
                                       {"allow-share-locked", "false"}})};
  a.observe(hold("default", "web", {"10.0.0.1"}, {tcp80}));
  struct row {
    std::string ns, name;
    std::vector<port_id> ports;
    std::string want;
    bool shared;
  };
  std::vector<row> rows = {
      {"default", "tls", {tcp443}, "10.0.0.1", true},       // disjoint: shares
      {"default", "web2", {tcp80}, "10.0.0.2", false},      // 80 taken on .1
      {"default", "dns", {udp80, tcp53}, "10.0.0.1", true}, // UDP 80 is not TCP 80
      {"default", "noports", {}, "10.0.0.3", false},        // no ports: never shares
      {"locked", "x", {{"TCP", 9}}, "10.0.0.4", false},     // its namespace refuses
      {"default", "y", {{"TCP", 9}}, "10.0.0.1", true},     // shares .1 again
      {"default", "z", {{"TCP", 9}}, "10.0.0.2", true},     // 9 taken on .1, .2 has 80 only
  };
  for (auto& r : rows) {
    auto got = a.allocate(req(r.ns, r.name, {}, family_policy::single_stack, r.ports));
    ASSERT_TRUE(got) << r.name;
    EXPECT_EQ(text(got), r.want) << r.name;
    EXPECT_EQ(got->shared[0], r.shared) << r.name;
  }
  EXPECT_EQ(a.holders(ip("10.0.0.1")).size(), 4u);
}

TEST(IpamSharing, RefusedWithoutAllowShareOrWhenAHolderCannotShare) {
  struct row {
    data_t data;
    std::vector<holding> held;
    std::string want;
  };
  const data_t pool{{"cidr-global", "10.0.0.0/29"}};
  auto with = [&](data_t extra) {
    extra.insert(pool.begin(), pool.end());
    return extra;
  };
  std::vector<row> rows = {
      // allow-share absent or false: a new address.
      {pool, {hold("default", "web", {"10.0.0.1"}, {tcp80})}, "10.0.0.2"},
      {with({{"allow-share-global", "false"}}),
       {hold("default", "web", {"10.0.0.1"}, {tcp80})},
       "10.0.0.2"},
      // The holder's namespace refuses sharing.
      {with({{"allow-share-global", "true"}, {"allow-share-team-b", "false"}}),
       {hold("team-b", "web", {"10.0.0.1"}, {tcp80})},
       "10.0.0.2"},
      // A holder without ports keeps the address to itself.
      {with({{"allow-share-global", "true"}}), {hold("default", "bare", {"10.0.0.1"})}, "10.0.0.2"},
      // A shareable address outside the Service's pool is not taken.
      {with({{"allow-share-global", "true"}}),
       {hold("default", "far", {"10.9.9.9"}, {tcp80})},
       "10.0.0.1"},
      // The namespace's own allow-share wins over global.
      {with({{"allow-share-global", "false"}, {"allow-share-default", "true"}}),
       {hold("default", "web", {"10.0.0.1"}, {tcp80})},
       "10.0.0.1"},
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    allocator a{parse_pool_config(rows[i].data)};
    for (auto& h : rows[i].held)
      a.observe(h);
    EXPECT_EQ(text(a.allocate(req("default", "new", {}, family_policy::single_stack, {tcp443}))),
              rows[i].want)
        << "row " << i;
  }
}

TEST(IpamSharing, FollowsTheSearchOrderAndWorksForIpv6) {
  allocator a{parse_pool_config(data_t{{"cidr-global", "10.0.0.0/29,fd00::/125"},
                                       {"allow-share-global", "true"},
                                       {"search-order", "desc"}})};
  a.observe(hold("default", "a", {"10.0.0.2", "fd00::2"}, {tcp80}));
  a.observe(hold("default", "b", {"10.0.0.5", "fd00::5"}, {tcp80}));
  auto got = a.allocate(req("default", "c", {ip_family::v6, ip_family::v4},
                            family_policy::require_dual_stack, {tcp443}));
  EXPECT_EQ(text(got), "fd00::5,10.0.0.5"); // the highest shareable, per family
  EXPECT_EQ(got->shared, (std::vector<bool>{true, true}));
}

TEST(IpamDualStack, FamiliesAndPolicies) {
  const auto single = family_policy::single_stack;
  const auto prefer = family_policy::prefer_dual_stack;
  const auto require = family_policy::require_dual_stack;
  const auto v4 = ip_family::v4;
  const auto v6 = ip_family::v6;
  struct row {
    std::string cidrs;
    std::vector<ip_family> families;
    family_policy policy;
    std::string want;
    std::string note = "";
  };
  std::vector<row> rows = {
      {"10.0.0.0/30,fd00::/127", {}, single, "10.0.0.1"},
      {"10.0.0.0/30,fd00::/127", {v6}, single, "fd00::"},
      {"fd00::/127", {}, single, "fd00::"},
      {"fd00::/127", {v4}, single, "error: pool cidr-global has no valid IPv4 entry"},
      {"10.0.0.0/30,fd00::/127", {}, prefer, "10.0.0.1,fd00::"},
      {"10.0.0.0/30,fd00::/127", {v6, v4}, prefer, "fd00::,10.0.0.1"},
      {"10.0.0.0/30,fd00::/127", {v6}, require, "fd00::,10.0.0.1"},
      {"10.0.0.0/30",
       {v4, v6},
       prefer,
       "10.0.0.1",
       "PreferDualStack gets one family only: pool cidr-global has no valid IPv6 entry"},
      {"10.0.0.0/30",
       {v4, v6},
       require,
       "error: RequireDualStack needs IPv4 and IPv6: pool cidr-global has no valid IPv6 entry"},
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& r = rows[i];
    allocator a{parse_pool_config(data_t{{"cidr-global", r.cidrs}})};
    auto got = a.allocate(req("default", "s", r.families, r.policy));
    EXPECT_EQ(text(got), r.want) << "row " << i;
    if (got) {
      EXPECT_EQ(got->note, r.note) << "row " << i;
    }
  }
}

TEST(IpamDualStack, ExhaustedFamilies) {
  const data_t data{{"cidr-global", "10.0.0.0/30,fd00::/127"}};
  auto full_v6 = [&] {
    allocator a{parse_pool_config(data)};
    a.observe(hold("default", "taken", {"fd00::", "fd00::1"}));
    return a;
  };
  {
    auto a = full_v6();
    auto got = a.allocate(req("default", "s", {ip_family::v6}, family_policy::prefer_dual_stack));
    EXPECT_EQ(text(got), "10.0.0.1");
    EXPECT_EQ(got->note, "PreferDualStack gets one family only: pool cidr-global fd00::/127 "
                         "exhausted: 2 of 2 in use");
  }
  {
    auto a = full_v6();
    auto got = a.allocate(req("default", "s", {}, family_policy::require_dual_stack));
    ASSERT_FALSE(got);
    EXPECT_EQ(got.err().kind, alloc_error_kind::exhausted);
    EXPECT_EQ(got.err().message, "RequireDualStack needs IPv4 and IPv6: pool cidr-global "
                                 "fd00::/127 exhausted: 2 of 2 in use");
    EXPECT_FALSE(a.in_use(ip("10.0.0.1"))); // nothing reserved: both or nothing
    EXPECT_EQ(a.services(), 1u);
  }
  {
    auto a = full_v6();
    a.observe(hold("default", "more", {"10.0.0.1", "10.0.0.2", "10.0.0.3"}));
    auto got = a.allocate(req("default", "s", {}, family_policy::prefer_dual_stack));
    ASSERT_FALSE(got);
    EXPECT_EQ(got.err().kind, alloc_error_kind::exhausted);
    EXPECT_EQ(got.err().message,
              "PreferDualStack got no address: pool cidr-global 10.0.0.0/30 exhausted: 3 of 3 in "
              "use; pool cidr-global fd00::/127 exhausted: 2 of 2 in use");
  }
}

TEST(IpamAllocator, ThreeHundredServicesInTenNamespacesFromOverlappingPoolsNoDuplicate) {
  // ns0..ns4 have overlapping ranges of their own; ns5..ns9 use the global pool,
  // which overlaps them all; a third of the Services ask for both families.
  data_t data{{"cidr-global", "10.0.0.0/22,fd00::/120"}};
  for (int i = 0; i < 5; ++i) { // 10.0.0.1-10.0.1.80, 10.0.0.41-10.0.1.120, ...
    data["range-ns" + std::to_string(i)] =
        "10.0.0." + std::to_string(i * 40 + 1) + "-10.0.1." + std::to_string(i * 40 + 80);
  }
  data["range-ns2"] += ",fd00::40-fd00::7f"; // and IPv6 inside the global IPv6
  auto config = parse_pool_config(data);
  ASSERT_TRUE(config.problems.empty()) << config.problems.front().message;
  allocator a{config};
  std::map<net::ip_address, std::string> owner;
  std::vector<holding> written;
  for (int k = 0; k < 300; ++k) { // round robin over the namespaces
    auto ns = "ns" + std::to_string(k % 10);
    auto policy = k % 3 == 0 ? family_policy::prefer_dual_stack : family_policy::single_stack;
    auto r = req(ns, "svc" + std::to_string(k), {}, policy);
    auto got = a.allocate(r);
    ASSERT_TRUE(got) << ns << ": " << got.err().message;
    for (auto& addr : got->addresses) {
      auto [it, fresh] = owner.emplace(addr, r.service.to_string());
      EXPECT_TRUE(fresh) << addr.to_string() << " twice: " << it->second << ", "
                         << r.service.to_string();
      EXPECT_TRUE(config.pool_for(ns)->of(addr.family).addresses.contains(addr)) << ns;
    }
    written.push_back({r.service, got->addresses, {}});
  }
  // A restart: rebuilt from the Services only, the next Service still gets a new address.
  allocator rebuilt{config};
  for (auto& h : written)
    rebuilt.observe(h);
  for (auto ns : {"ns0", "ns7"}) {
    auto got = rebuilt.allocate(req(ns, "late"));
    ASSERT_TRUE(got);
    EXPECT_FALSE(owner.contains(got->addresses[0])) << got->addresses[0].to_string();
  }
}

} // namespace
} // namespace kvip::k8s::ipam
