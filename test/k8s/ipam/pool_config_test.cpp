// The kubevip ConfigMap (k8s/ipam/pool_config): every key form, CIDRs and
// ranges of both families, the IPv4 edge rules and skip-end-ips-in-cidr, the
// DHCP pool, and one problem per malformed key or entry that leaves the rest of
// the ConfigMap working.
#include <gtest/gtest.h>

#include "k8s/ipam/pool_config.hpp"
#include "test/k8s/ipam/ipam_rows.hpp"

namespace kvip::k8s::ipam {
namespace {

using testing::ranges_text;
using data_t = std::map<std::string, std::string>;

TEST(IpamPoolConfig, CidrsAndRangesOfBothFamilies) {
  struct row {
    data_t data;
    std::string v4, v6; ///< the global pool's addresses
  };
  const data_t skip = {{"skip-end-ips-in-cidr", "true"}};
  auto with_skip = [&](data_t d) {
    d.insert(skip.begin(), skip.end());
    return d;
  };
  std::vector<row> rows = {
      {{{"cidr-global", "10.0.0.0/24"}}, "10.0.0.1-10.0.0.254", ""},
      {{{"cidr-global", "10.0.0.0/30"}}, "10.0.0.1-10.0.0.3", ""},
      {with_skip({{"cidr-global", "10.0.0.0/30"}}), "10.0.0.1-10.0.0.2", ""},
      {{{"cidr-global", "10.0.0.4/30"}}, "10.0.0.4-10.0.0.7", ""},
      {with_skip({{"cidr-global", "10.0.0.4/30"}}), "10.0.0.5-10.0.0.6", ""},
      {with_skip({{"cidr-global", "10.0.0.0/31"}}), "10.0.0.0-10.0.0.1", ""},
      {with_skip({{"cidr-global", "10.0.0.255/32"}}), "10.0.0.255", ""},
      // Inside a larger prefix .0 and .255 are ordinary addresses (W19).
      {{{"cidr-global", "10.1.0.0/16"}}, "10.1.0.1-10.1.255.254", ""},
      {with_skip({{"cidr-global", "10.1.0.0/16"}}), "10.1.0.1-10.1.255.254", ""},
      // Host bits are masked, as kube-vip-cloud-provider does.
      {{{"cidr-global", "192.168.0.220/29"}}, "192.168.0.216-192.168.0.223", ""},
      {{{"cidr-global", "fd00::/120"}}, "", "fd00::-fd00::ff"},
      {with_skip({{"cidr-global", "fd00::/126"}}), "", "fd00::-fd00::3"},
      {{{"cidr-global", "10.0.0.0/30, fd00::/126"}}, "10.0.0.1-10.0.0.3", "fd00::-fd00::3"},
      {{{"cidr-global", "10.0.0.8/30,10.0.0.0/30,10.0.0.4/31"}},
       "10.0.0.1-10.0.0.5,10.0.0.8-10.0.0.11",
       ""},
      {{{"range-global", "10.0.0.10-10.0.0.20,10.0.0.15-10.0.0.30"}}, "10.0.0.10-10.0.0.30", ""},
      {{{"range-global", " 10.0.0.1 - 10.0.0.3 , 10.0.0.9-10.0.0.9"}},
       "10.0.0.1-10.0.0.3,10.0.0.9",
       ""},
      {{{"range-global", "10.0.0.250-10.0.1.5"}}, "10.0.0.250-10.0.1.5", ""},
      {{{"range-global", "10.0.0.0-10.0.0.10"}}, "10.0.0.1-10.0.0.10", ""},
      {{{"range-global", "10.0.0.255-10.0.1.1"}}, "10.0.1.1", ""},
      {{{"range-global", "10.0.0.254-10.0.0.255"}}, "10.0.0.254-10.0.0.255", ""},
      {{{"range-global", "fd00::10-fd00::20,10.0.0.1-10.0.0.2"}},
       "10.0.0.1-10.0.0.2",
       "fd00::10-fd00::20"},
      {{{"range-global", "::-::2"}}, "", "::1-::2"}, // never ::
      {{{"cidr-global", "10.0.0.0/30"}, {"range-global", "10.0.0.2-10.0.0.6"}},
       "10.0.0.1-10.0.0.6",
       ""},
  };
  for (auto& r : rows) {
    auto c = parse_pool_config(r.data);
    EXPECT_TRUE(c.problems.empty()) << c.problems.front().message;
    auto* p = c.pool_for("any");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(ranges_text(p->v4.addresses), r.v4) << r.data.begin()->second;
    EXPECT_EQ(ranges_text(p->v6.addresses), r.v6) << r.data.begin()->second;
  }
}

TEST(IpamPoolConfig, ScopesKeysAndDescriptions) {
  auto c = parse_pool_config(data_t{{"cidr-global", "10.0.0.0/24,fd00::/64"},
                                    {"range-global", "10.0.9.1-10.0.9.5"},
                                    {"range-team-a", "10.1.0.1-10.1.0.9"},
                                    {"cidr-team-a", "10.1.1.0/30"},
                                    {"cidr-dhcp", "0.0.0.0/32"}});
  auto* global = c.pool_for("default");
  ASSERT_NE(global, nullptr);
  EXPECT_EQ(global->scope, "global");
  EXPECT_EQ(global->key_names(), "cidr-global/range-global");
  EXPECT_EQ(global->v4.describe(), "cidr-global 10.0.0.0/24 + range-global 10.0.9.1-10.0.9.5");
  EXPECT_EQ(global->v6.describe(), "cidr-global fd00::/64");
  auto* team = c.pool_for("team-a");
  ASSERT_NE(team, nullptr);
  EXPECT_EQ(team->scope, "team-a");
  EXPECT_EQ(team->key_names(), "cidr-team-a/range-team-a");
  EXPECT_EQ(ranges_text(team->v4.addresses), "10.1.0.1-10.1.0.9,10.1.1.1-10.1.1.3");
  EXPECT_TRUE(team->v6.addresses.empty());
  auto* dhcp = c.pool_for("dhcp");
  ASSERT_NE(dhcp, nullptr);
  EXPECT_TRUE(dhcp->dhcp);
  EXPECT_TRUE(dhcp->v4.addresses.empty());
  EXPECT_EQ(parse_pool_config(data_t{{"cidr-team-a", "10.1.1.0/30"}}).pool_for("team-b"), nullptr);
}

TEST(IpamPoolConfig, SharingInterfacesAndSearchOrder) {
  auto c = parse_pool_config(data_t{{"allow-share-global", "true"},
                                    {"allow-share-team-a", "False"},
                                    {"interface-global", "eth0"},
                                    {"interface-team-a", "auto"},
                                    {"search-order", "desc"}});
  EXPECT_TRUE(c.problems.empty());
  EXPECT_TRUE(c.allow_share_for("default"));
  EXPECT_FALSE(c.allow_share_for("team-a"));
  EXPECT_EQ(c.interface_for("default"), "eth0");
  EXPECT_EQ(c.interface_for("team-a"), "auto");
  EXPECT_EQ(c.order, search_order::descending);
  auto none = parse_pool_config(data_t{{"search-order", "asc"}});
  EXPECT_FALSE(none.allow_share_for("default"));
  EXPECT_EQ(none.interface_for("default"), "");
  EXPECT_EQ(none.order, search_order::ascending);
  EXPECT_FALSE(none.skip_end_ips);
  for (auto* t : {"1", "t", "T", "TRUE", "true", "True"})
    EXPECT_EQ(parse_bool(t), true) << t;
  for (auto* f : {"0", "f", "F", "FALSE", "false", "False"})
    EXPECT_EQ(parse_bool(f), false) << f;
  for (auto* bad : {"", "yes", "tRUE", "2"})
    EXPECT_EQ(parse_bool(bad), std::nullopt) << bad;
}

TEST(IpamPoolConfig, EveryMalformedKeyOrEntryIsOneProblemNamingIt) {
  struct row {
    std::string key, value;
    std::string message;
  };
  std::vector<row> rows = {
      {"cidr-global", "10.0.0.300/24",
       "cidr-global: \"10.0.0.300/24\" is not a CIDR (address/prefix-length); entry ignored"},
      {"cidr-global", "10.0.0.1",
       "cidr-global: \"10.0.0.1\" is not a CIDR (address/prefix-length); entry ignored"},
      {"cidr-global", "10.0.0.0/33",
       "cidr-global: \"10.0.0.0/33\" is not a CIDR (address/prefix-length); entry ignored"},
      {"cidr-global", "", "cidr-global: \"\" lists no addresses"},
      {"cidr-global", "0.0.0.0/32,10.0.0.0/30",
       "cidr-global: \"0.0.0.0/32\" (DHCP) must be the only entry of its key; entry ignored"},
      {"range-global", "10.0.0.5",
       "range-global: \"10.0.0.5\" is not a range (start-end); entry ignored"},
      {"range-global", "10.0.0.1-10.0.0.2-10.0.0.3",
       "range-global: \"10.0.0.1-10.0.0.2-10.0.0.3\" is not a range (start-end); entry ignored"},
      {"range-global", "10.0.0.1-10.0.0.x",
       "range-global: \"10.0.0.1-10.0.0.x\" is not a range (start-end of two IP addresses); "
       "entry ignored"},
      {"range-global", "10.0.0.5-10.0.0.1",
       "range-global: \"10.0.0.5-10.0.0.1\" ends before it starts; entry ignored"},
      {"range-global", "10.0.0.1-fd00::1",
       "range-global: \"10.0.0.1-fd00::1\" mixes IPv4 and IPv6; entry ignored"},
      {"cidr-Team_A", "10.0.0.0/24",
       "cidr-Team_A: \"Team_A\" is not a namespace name (nor \"global\"); key ignored"},
      {"range-", "10.0.0.1-10.0.0.2",
       "range-: \"\" is not a namespace name (nor \"global\"); key ignored"},
      {"allow-share-global", "yes",
       "allow-share-global: \"yes\" is not a boolean (true or false); using false"},
      {"interface-global", "eth0/1",
       "interface-global: \"eth0/1\" is not an interface name (1-15 bytes, no '/', ':' or space)"},
      {"search-order", "random",
       "search-order: \"random\" is not a search order (asc or desc); using asc"},
      {"skip-end-ips-in-cidr", "yes",
       "skip-end-ips-in-cidr: \"yes\" is not a boolean (true or false); using false"},
      {"cdir-global", "10.0.0.0/24",
       "\"cdir-global\" is not a key of the pool ConfigMap (cidr-, range-, allow-share-, "
       "interface-<namespace|global>, search-order, skip-end-ips-in-cidr); ignored"},
  };
  for (auto& r : rows) {
    auto c = parse_pool_config(data_t{{r.key, r.value}});
    ASSERT_EQ(c.problems.size(), 1u) << r.key << "=" << r.value;
    EXPECT_EQ(c.problems[0].key, r.key);
    EXPECT_EQ(c.problems[0].message, r.message);
  }
}

TEST(IpamPoolConfig, ProblemsLeaveTheRestWorking) {
  auto c = parse_pool_config(data_t{{"cidr-global", "10.0.0.0/30,bogus,,fd00::/126"},
                                    {"range-team-a", "10.2.0.9-10.2.0.1,10.2.0.1-10.2.0.3"},
                                    {"allow-share-global", "maybe"},
                                    {"allow-share-team-a", "true"},
                                    {"interface-team-a", "a very bad name"},
                                    {"interface-global", "eth1"},
                                    {"search-order", "sideways"},
                                    {"cdir-team-b", "10.3.0.0/24"}});
  std::vector<std::string> keys;
  for (auto& p : c.problems)
    keys.push_back(p.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"allow-share-global", "cdir-team-b", "cidr-global",
                                            "cidr-global", "interface-team-a", "range-team-a",
                                            "search-order"}));
  auto* global = c.pool_for("default");
  EXPECT_EQ(ranges_text(global->v4.addresses), "10.0.0.1-10.0.0.3");
  EXPECT_EQ(ranges_text(global->v6.addresses), "fd00::-fd00::3");
  EXPECT_EQ(global->v4.describe(), "cidr-global 10.0.0.0/30"); // only the valid entries
  EXPECT_EQ(ranges_text(c.pool_for("team-a")->v4.addresses), "10.2.0.1-10.2.0.3");
  EXPECT_FALSE(c.allow_share_for("default"));
  EXPECT_TRUE(c.allow_share_for("team-a"));
  EXPECT_EQ(c.interface_for("team-a"), "eth1"); // the bad one is left out
  EXPECT_EQ(c.order, search_order::ascending);
}

TEST(IpamPoolConfig, AKeyWithoutValidEntriesStillClaimsItsNamespace) {
  auto c = parse_pool_config(data_t{{"cidr-global", "10.0.0.0/24"}, {"cidr-team-a", "nonsense"}});
  auto* p = c.pool_for("team-a");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->scope, "team-a");
  EXPECT_TRUE(p->v4.addresses.empty() && p->v6.addresses.empty());
}

TEST(IpamPoolConfig, TheRawDataObject) {
  boost::json::object data{{"cidr-global", "10.0.0.0/30"}, {"allow-share-global", true}};
  auto c = parse_pool_config(data);
  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_EQ(c.problems[0].message, "allow-share-global: true is not a string; key ignored");
  EXPECT_EQ(ranges_text(c.pool_for("x")->v4.addresses), "10.0.0.1-10.0.0.3");
  EXPECT_FALSE(c.allow_share_for("x"));
}

} // namespace
} // namespace kvip::k8s::ipam
