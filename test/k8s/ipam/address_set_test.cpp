// Address sets as intervals (k8s/ipam/address_set): merging, removing, sizes up
// to ::/0, and the allocator's searches (first free, used in order, count) in
// both orders, on pools far too large to enumerate.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "k8s/ipam/address_set.hpp"
#include "test/k8s/ipam/ipam_rows.hpp"

namespace kvip::k8s::ipam {
namespace {

using testing::ip;
using testing::ranges_text;
using used_map = std::map<net::ip_address, int>;

address_set v4set(std::initializer_list<std::pair<const char*, const char*>> ranges) {
  address_set s{ip_family::v4};
  for (auto& [a, b] : ranges)
    s.add(to_number(ip(a)), to_number(ip(b)));
  return s;
}

used_map used(std::initializer_list<const char*> addresses) {
  used_map m;
  for (auto* a : addresses)
    m[ip(a)] = 1;
  return m;
}

TEST(IpamAddressSet, NumbersRoundTrip) {
  for (auto* text : {"0.0.0.0", "10.1.2.3", "255.255.255.255", "::", "fd00::1:2",
                     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}) {
    auto a = ip(text);
    EXPECT_EQ(from_number(a.family, to_number(a)), a) << text;
  }
  EXPECT_EQ(to_number(ip("10.0.0.1")), u128{0x0a000001});
  EXPECT_EQ(to_decimal(0), "0");
  EXPECT_EQ(to_decimal(~u128{0}), "340282366920938463463374607431768211455");
}

TEST(IpamAddressSet, AddMergesOverlappingAndAdjacentIntervals) {
  struct row {
    address_set set;
    std::string want;
  };
  std::vector<row> rows = {
      {v4set({{"10.0.0.5", "10.0.0.9"}, {"10.0.0.1", "10.0.0.3"}}),
       "10.0.0.1-10.0.0.3,10.0.0.5-10.0.0.9"},
      {v4set({{"10.0.0.1", "10.0.0.4"}, {"10.0.0.5", "10.0.0.9"}}), "10.0.0.1-10.0.0.9"},
      {v4set({{"10.0.0.1", "10.0.0.8"}, {"10.0.0.3", "10.0.0.4"}}), "10.0.0.1-10.0.0.8"},
      {v4set({{"10.0.0.1", "10.0.0.5"}, {"10.0.0.4", "10.0.0.9"}, {"10.0.0.20", "10.0.0.20"}}),
       "10.0.0.1-10.0.0.9,10.0.0.20"},
      {v4set({{"0.0.0.0", "255.255.255.255"}, {"10.0.0.1", "10.0.0.2"}}),
       "0.0.0.0-255.255.255.255"},
  };
  for (auto& r : rows)
    EXPECT_EQ(ranges_text(r.set), r.want);
}

TEST(IpamAddressSet, RemoveSplitsAnInterval) {
  auto s = v4set({{"10.0.0.0", "10.0.0.9"}});
  s.remove(to_number(ip("10.0.0.0")));
  s.remove(to_number(ip("10.0.0.5")));
  s.remove(to_number(ip("10.0.0.9")));
  s.remove(to_number(ip("10.0.0.77"))); // absent: nothing
  EXPECT_EQ(ranges_text(s), "10.0.0.1-10.0.0.4,10.0.0.6-10.0.0.8");
  EXPECT_EQ(s.size(), u128{7});
  EXPECT_TRUE(s.contains(ip("10.0.0.6")));
  EXPECT_FALSE(s.contains(ip("10.0.0.5")));
  EXPECT_FALSE(s.contains(ip("::a00:6"))); // other family
}

TEST(IpamAddressSet, SizesOfHugeSets) {
  address_set v6{ip_family::v6};
  v6.add(to_number(ip("fd00::")), to_number(ip("fd00::ffff:ffff:ffff:ffff")));
  EXPECT_EQ(to_decimal(v6.size()), "18446744073709551616"); // a /64
  address_set all{ip_family::v6};
  all.add(0, ~u128{0});
  EXPECT_EQ(all.size(), ~u128{0}); // ::/0 saturates
}

TEST(IpamAddressSet, FirstFreeInBothOrders) {
  struct row {
    address_set set;
    used_map in_use;
    search_order order;
    std::string want; ///< "" = none
  };
  auto pool = v4set({{"10.0.0.1", "10.0.0.4"}, {"10.0.0.10", "10.0.0.12"}});
  const auto asc = search_order::ascending;
  const auto desc = search_order::descending;
  std::vector<row> rows = {
      {pool, {}, asc, "10.0.0.1"},
      {pool, {}, desc, "10.0.0.12"},
      {pool, used({"10.0.0.1", "10.0.0.2"}), asc, "10.0.0.3"},
      {pool, used({"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}), asc, "10.0.0.10"},
      {pool, used({"10.0.0.12", "10.0.0.11"}), desc, "10.0.0.10"},
      {pool, used({"10.0.0.10", "10.0.0.11", "10.0.0.12", "10.0.0.4"}), desc, "10.0.0.3"},
      {pool, used({"10.0.0.0", "10.0.0.5", "fd00::1"}), asc, "10.0.0.1"}, // outside: no effect
      {pool,
       used(
           {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.10", "10.0.0.11", "10.0.0.12"}),
       asc, ""},
      {pool,
       used(
           {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.10", "10.0.0.11", "10.0.0.12"}),
       desc, ""},
      {v4set({{"0.0.0.0", "0.0.0.1"}}), used({"0.0.0.0"}), asc, "0.0.0.1"},
      {v4set({{"255.255.255.254", "255.255.255.255"}}), used({"255.255.255.255"}), desc,
       "255.255.255.254"},
      {v4set({{"255.255.255.254", "255.255.255.255"}}), used({"255.255.255.254"}), asc,
       "255.255.255.255"},
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& r = rows[i];
    auto got = first_free(r.set, r.in_use, r.order);
    EXPECT_EQ(got ? got->to_string() : "", r.want) << "row " << i;
  }
}

TEST(IpamAddressSet, FirstFreeInASlash64NextToUsedAddresses) {
  address_set s{ip_family::v6};
  s.add(to_number(ip("fd00::")), to_number(ip("fd00::ffff:ffff:ffff:ffff")));
  used_map m = used({"fd00::", "fd00::1", "fd00::2", "fd00::ffff:ffff:ffff:ffff"});
  EXPECT_EQ(first_free(s, m, search_order::ascending)->to_string(), "fd00::3");
  EXPECT_EQ(first_free(s, m, search_order::descending)->to_string(), "fd00::ffff:ffff:ffff:fffe");
  EXPECT_EQ(count_used(s, m), u128{4});
}

TEST(IpamAddressSet, UsedAddressesInsideTheSetInOrder) {
  auto pool = v4set({{"10.0.0.1", "10.0.0.4"}, {"10.0.0.10", "10.0.0.12"}});
  auto m = used({"10.0.0.0", "10.0.0.2", "10.0.0.4", "10.0.0.7", "10.0.0.11", "10.0.0.13"});
  for (auto order : {search_order::ascending, search_order::descending}) {
    std::vector<std::string> seen;
    auto stop = for_each_used(pool, m, order, [&](const auto& kv) {
      seen.push_back(kv.first.to_string());
      return false;
    });
    EXPECT_FALSE(stop);
    if (order == search_order::ascending) {
      EXPECT_EQ(seen, (std::vector<std::string>{"10.0.0.2", "10.0.0.4", "10.0.0.11"}));
    } else {
      EXPECT_EQ(seen, (std::vector<std::string>{"10.0.0.11", "10.0.0.4", "10.0.0.2"}));
    }
  }
  auto hit = for_each_used(pool, m, search_order::ascending,
                           [](const auto& kv) { return kv.first == ip("10.0.0.4"); });
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit, ip("10.0.0.4"));
  EXPECT_EQ(count_used(pool, m), u128{3});
}

} // namespace
} // namespace kvip::k8s::ipam
