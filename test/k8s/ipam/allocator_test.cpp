// The allocator (k8s/ipam/allocator): order, namespace pools before global,
// skip-end-ips, the exhaustion message, reservations, rebuilding from what
// Services hold, the DHCP pool, and 1000 allocations from a /16 and a /64.
// Sharing and dual-stack: allocator_policy_test.cpp.
#include <gtest/gtest.h>

#include "k8s/ipam/allocator.hpp"
#include "test/k8s/ipam/allocator_rows.hpp"

namespace kvip::k8s::ipam {
namespace {

using namespace testing;

TEST(IpamAllocator, AscendingAndDescendingOverThePoolAsOneSortedSet) {
  struct row {
    data_t data;
    std::vector<std::string> want;
  };
  std::vector<row> rows = {
      {{{"cidr-global", "10.0.0.0/29"}}, {"10.0.0.1", "10.0.0.2", "10.0.0.3"}},
      {{{"cidr-global", "10.0.0.0/29"}, {"search-order", "desc"}},
       {"10.0.0.7", "10.0.0.6", "10.0.0.5"}},
      {{{"range-global", "10.0.0.20-10.0.0.21,10.0.0.5-10.0.0.6"}},
       {"10.0.0.5", "10.0.0.6", "10.0.0.20", "10.0.0.21"}},
      {{{"range-global", "10.0.0.20-10.0.0.21,10.0.0.5-10.0.0.6"}, {"search-order", "desc"}},
       {"10.0.0.21", "10.0.0.20", "10.0.0.6", "10.0.0.5"}},
      {{{"cidr-global", "10.0.0.8/31"}, {"range-global", "10.0.0.1-10.0.0.2"}},
       {"10.0.0.1", "10.0.0.2", "10.0.0.8", "10.0.0.9"}},
      {{{"cidr-global", "fd00::/126"}}, {"fd00::", "fd00::1", "fd00::2", "fd00::3"}},
  };
  for (auto& r : rows) {
    allocator a{parse_pool_config(r.data)};
    std::vector<std::string> got;
    for (std::size_t i = 0; i < r.want.size(); ++i)
      got.push_back(text(a.allocate(req("default", "s" + std::to_string(i)))));
    EXPECT_EQ(got, r.want) << r.data.begin()->second;
  }
}

TEST(IpamAllocator, NamespacePoolFirstThenGlobalAndNeverSpills) {
  allocator a{parse_pool_config(data_t{{"cidr-global", "10.0.0.0/30"},
                                       {"cidr-team-a", "10.1.0.0/30"},
                                       {"interface-team-a", "eth1"},
                                       {"interface-global", "eth0"}})};
  auto t = a.allocate(req("team-a", "web"));
  ASSERT_TRUE(t);
  EXPECT_EQ(text(t), "10.1.0.1");
  EXPECT_EQ(t->scope, "team-a");
  EXPECT_EQ(t->interface, "eth1");
  auto d = a.allocate(req("default", "web"));
  EXPECT_EQ(text(d), "10.0.0.1");
  EXPECT_EQ(d->scope, "global");
  EXPECT_EQ(d->interface, "eth0");
  EXPECT_EQ(text(a.allocate(req("team-a", "b"))), "10.1.0.2");
  EXPECT_EQ(text(a.allocate(req("team-a", "c"))), "10.1.0.3");
  auto full = a.allocate(req("team-a", "d"));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.err().kind, alloc_error_kind::exhausted);
  EXPECT_EQ(full.err().message, "pool cidr-team-a 10.1.0.0/30 exhausted: 3 of 3 in use");
  // A namespace pool without the family asked for does not borrow the global one either.
  auto v6 = a.allocate(req("team-a", "e", {ip_family::v6}));
  ASSERT_FALSE(v6);
  EXPECT_EQ(v6.err().kind, alloc_error_kind::no_family_pool);
  EXPECT_EQ(v6.err().message, "pool cidr-team-a has no valid IPv6 entry");
}

TEST(IpamAllocator, NoPoolAtAll) {
  allocator a{parse_pool_config(data_t{{"cidr-team-a", "10.1.0.0/30"}})};
  auto r = a.allocate(req("team-b", "web"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().kind, alloc_error_kind::no_pool);
  EXPECT_EQ(r.err().message, "no address pool for namespace \"team-b\": the pool ConfigMap has "
                             "no cidr-team-b, range-team-b, cidr-global or range-global");
}

TEST(IpamAllocator, SkipEndIpsAndTheExhaustionMessage) {
  allocator a{
      parse_pool_config(data_t{{"cidr-global", "10.0.0.0/30"}, {"skip-end-ips-in-cidr", "true"}})};
  EXPECT_EQ(text(a.allocate(req("default", "a"))), "10.0.0.1");
  EXPECT_EQ(text(a.allocate(req("default", "b"))), "10.0.0.2");
  auto r = a.allocate(req("default", "c"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().kind, alloc_error_kind::exhausted);
  EXPECT_EQ(r.err().message, "pool cidr-global 10.0.0.0/30 exhausted: 2 of 2 in use");
  EXPECT_FALSE(a.in_use(ip("10.0.0.0")));
  EXPECT_FALSE(a.in_use(ip("10.0.0.3")));
  // Several keys and entries of a family are named together.
  allocator b{parse_pool_config(
      data_t{{"cidr-global", "10.0.0.0/31,fd00::/127"}, {"range-global", "10.0.0.7-10.0.0.7"}})};
  for (auto* n : {"a", "b", "c"})
    ASSERT_TRUE(b.allocate(req("default", n)));
  EXPECT_EQ(
      b.allocate(req("default", "d")).err().message,
      "pool cidr-global 10.0.0.0/31 + range-global 10.0.0.7-10.0.0.7 exhausted: 3 of 3 in use");
}

TEST(IpamAllocator, AddressesOtherServicesShowAreNeverHandedOut) {
  allocator a{parse_pool_config(data_t{{"cidr-team-a", "10.0.0.0/29"}})};
  // Held by Services of other namespaces and pools (a manual annotation, a status).
  a.observe(hold("default", "manual", {"10.0.0.1", "10.0.0.3"}));
  a.observe(hold("team-b", "other", {"10.0.0.2"}));
  EXPECT_EQ(text(a.allocate(req("team-a", "web"))), "10.0.0.4");
  a.forget({"default", "manual"});
  EXPECT_EQ(text(a.allocate(req("team-a", "db"))), "10.0.0.1");
  EXPECT_EQ(a.holders(ip("10.0.0.2")), (std::vector<service_id>{{"team-b", "other"}}));
}

TEST(IpamAllocator, ReservationsLastUntilTheWriteIsSeenOrCancelled) {
  allocator a{parse_pool_config(data_t{{"cidr-global", "10.0.0.0/29"}})};
  EXPECT_EQ(text(a.allocate(req("default", "a"))), "10.0.0.1");
  EXPECT_EQ(text(a.allocate(req("default", "a"))), "10.0.0.1"); // the same again
  a.observe(hold("default", "a", {})); // a MODIFIED event before the write landed
  EXPECT_TRUE(a.in_use(ip("10.0.0.1")));
  EXPECT_EQ(text(a.allocate(req("default", "b"))), "10.0.0.2");
  a.cancel({"default", "a"}); // the write failed
  EXPECT_FALSE(a.in_use(ip("10.0.0.1")));
  EXPECT_EQ(text(a.allocate(req("default", "c"))), "10.0.0.1");
  // The write of b landed: the observed address replaces the reservation.
  a.observe(hold("default", "b", {"10.0.0.2"}));
  a.cancel({"default", "b"});
  EXPECT_TRUE(a.in_use(ip("10.0.0.2")));
  // Someone else set c's address meanwhile: the reservation ends with it.
  a.observe(hold("default", "c", {"10.0.0.6"}));
  EXPECT_FALSE(a.in_use(ip("10.0.0.1")));
  EXPECT_EQ(a.services(), 2u);
  a.forget({"default", "c"});
  a.forget({"default", "b"});
  EXPECT_EQ(a.services(), 0u);
  EXPECT_FALSE(a.in_use(ip("10.0.0.2")));
}

TEST(IpamAllocator, RebuiltFromWhatServicesHoldNeverRepeatsAnAddress) {
  const data_t data{{"cidr-global", "10.0.0.0/28,fd00::/124"}, {"search-order", "desc"}};
  allocator first{parse_pool_config(data)};
  std::vector<holding> written;
  for (int i = 0; i < 6; ++i) {
    auto r = req("default", "s" + std::to_string(i), {ip_family::v6, ip_family::v4},
                 i % 2 ? family_policy::prefer_dual_stack : family_policy::single_stack);
    auto got = first.allocate(r);
    ASSERT_TRUE(got);
    written.push_back({r.service, got->addresses, {}});
  }
  allocator rebuilt{parse_pool_config(data)}; // a restart: only the Services remain
  for (auto& h : written)
    rebuilt.observe(h);
  std::set<net::ip_address> seen;
  for (auto& h : written)
    seen.insert(h.addresses.begin(), h.addresses.end());
  for (int i = 0; i < 6; ++i) {
    auto got = rebuilt.allocate(
        req("default", "new" + std::to_string(i), {}, family_policy::prefer_dual_stack));
    ASSERT_TRUE(got);
    for (auto& addr : got->addresses)
      EXPECT_TRUE(seen.insert(addr).second) << addr.to_string() << " handed out twice";
  }
}

TEST(IpamAllocator, ConfigChangesKeepWhatServicesHold) {
  allocator a{parse_pool_config(data_t{{"cidr-global", "10.0.0.0/29"}})};
  ASSERT_TRUE(a.allocate(req("default", "a")));
  a.set_config(parse_pool_config(data_t{{"range-global", "10.0.0.1-10.0.0.2"}}));
  EXPECT_TRUE(a.in_use(ip("10.0.0.1")));
  EXPECT_EQ(text(a.allocate(req("default", "b"))), "10.0.0.2");
}

TEST(IpamAllocator, DhcpPoolGivesEveryServiceTheUnspecifiedAddress) {
  allocator a{parse_pool_config(data_t{{"cidr-global", "0.0.0.0/32"}})};
  for (auto* n : {"a", "b", "c"}) {
    auto r = a.allocate(req("default", n, {}, family_policy::require_dual_stack));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->dhcp);
    EXPECT_EQ(text(r), "0.0.0.0");
  }
  EXPECT_FALSE(a.in_use(ip("0.0.0.0")));
  EXPECT_TRUE(a.allocate(req("default", "a"))->dhcp); // the reservation, again
}

TEST(IpamAllocator, AThousandServicesFromASlash16AndASlash64) {
  allocator a{parse_pool_config(data_t{{"cidr-global", "10.0.0.0/16"}})};
  allocator b{parse_pool_config(data_t{{"cidr-global", "fd00::/64"}, {"search-order", "desc"}})};
  for (int i = 0; i < 1000; ++i) {
    auto name = "s" + std::to_string(i);
    auto x = a.allocate(req("default", name));
    auto y = b.allocate(req("default", name));
    ASSERT_TRUE(x && y);
    // 10.0.0.1 onwards, through 10.0.0.255 and 10.0.1.0 (ordinary inside a /16).
    EXPECT_EQ(to_number(x->addresses[0]), to_number(ip("10.0.0.1")) + static_cast<u128>(i));
    EXPECT_EQ(to_number(y->addresses[0]),
              to_number(ip("fd00::ffff:ffff:ffff:ffff")) - static_cast<u128>(i));
  }
  EXPECT_TRUE(a.in_use(ip("10.0.1.0")));
  EXPECT_TRUE(a.in_use(ip("10.0.3.232")));
  EXPECT_EQ(a.services(), 1000u);
}

} // namespace
} // namespace kvip::k8s::ipam
