// Value parsers of the configuration layer: Go booleans and durations,
// integers, name/address syntax, and the bgp_peers grammar.
#include "net/config/detail.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace kvip::net::config;
using namespace kvip::net::config::detail;
using namespace std::chrono_literals;

namespace {

// -- booleans ---------------------------------------------------------------------

TEST(ConfigParse, BooleansAreGoParseBool) {
  for (auto s : {"1", "t", "T", "TRUE", "true", "True"})
    EXPECT_EQ(parse_bool(s), true) << s;
  for (auto s : {"0", "f", "F", "FALSE", "false", "False"})
    EXPECT_EQ(parse_bool(s), false) << s;
  for (auto s : {"", "yes", "no", "on", "tRUE", " true", "2"})
    EXPECT_FALSE(parse_bool(s).has_value()) << s;
}

TEST(ConfigParse, IntegersAreBase10WithRange) {
  EXPECT_EQ(parse_int("42", 0, 100), 42);
  EXPECT_EQ(parse_int("+7", 0, 100), 7);
  EXPECT_EQ(parse_int("-4", -10, 10), -4);
  EXPECT_EQ(parse_int("4294967295", 1, 4294967295), 4294967295);
  for (auto s : {"", "+", "++1", "0x10", "1e3", "12a", " 1", "101", "-1"})
    EXPECT_FALSE(parse_int(s, 0, 100).has_value()) << s;
}

// -- durations --------------------------------------------------------------------

struct duration_case {
  const char* name;
  const char* text;
  std::chrono::milliseconds bare;
  std::optional<std::chrono::milliseconds> want;
};

TEST(ConfigParse, DurationForms) {
  const duration_case cases[] = {
      {"bare seconds", "5", 1000ms, 5s},
      {"bare zero", "0", 1000ms, 0ms},
      {"bare milliseconds (arpRate)", "3000", 1ms, 3000ms},
      {"go seconds", "5s", 1000ms, 5s},
      {"go milliseconds", "1500ms", 1000ms, 1500ms},
      {"go minutes", "1m", 1000ms, 60s},
      {"go compound", "1m30s", 1000ms, 90s},
      {"go hours", "1h", 1000ms, 3600s},
      {"go fraction", "1.5s", 1000ms, 1500ms},
      {"go leading dot", ".5s", 1000ms, 500ms},
      {"go microseconds whole ms", "2000us", 1000ms, 2ms},
      {"go zero with unit", "0s", 1000ms, 0ms},
      {"plus sign", "+2s", 1000ms, 2s},
      {"bare milliseconds ignore unit of go form", "2s", 1ms, 2s},
      {"empty", "", 1000ms, std::nullopt},
      {"negative bare", "-1", 1000ms, std::nullopt},
      {"negative go", "-5s", 1000ms, std::nullopt},
      {"unknown unit", "5x", 1000ms, std::nullopt},
      {"unit only", "s", 1000ms, std::nullopt},
      {"bare decimal", "1.5", 1000ms, std::nullopt},
      {"sub-millisecond", "1500us", 1000ms, std::nullopt},
      {"days are not go", "1d", 1000ms, std::nullopt},
      {"space", "5 s", 1000ms, std::nullopt},
      {"huge", "99999999999h", 1000ms, std::nullopt},
  };
  for (auto& c : cases)
    EXPECT_EQ(parse_duration(c.text, c.bare), c.want) << c.name;
}

TEST(ConfigParse, DurationFormatting) {
  EXPECT_EQ(format_duration(0ms), "0s");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(1500ms), "1.5s");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(3600s), "1h0m0s");
}

// -- names and addresses ----------------------------------------------------------

struct address_case {
  const char* name;
  const char* text;
  std::vector<std::string> want; ///< the VIPs, one per item
  const char* bad_part;          ///< nullptr = valid; else the problem's key suffix
};

TEST(ConfigParse, AddressIsKubeVipsCommaList) {
  const address_case cases[] = {
      {"empty", "", {}, nullptr},
      {"one ipv4", "192.0.2.10", {"192.0.2.10"}, nullptr},
      {"dual stack", "192.0.2.10,2001:db8::10", {"192.0.2.10", "2001:db8::10"}, nullptr},
      {"v6 first", "2001:db8::10,192.0.2.10", {"2001:db8::10", "192.0.2.10"}, nullptr},
      {"two of a family", "192.0.2.10,192.0.2.11", {"192.0.2.10", "192.0.2.11"}, nullptr},
      {"dns name", "cp.example.com", {"cp.example.com"}, nullptr},
      {"names and ips", "cp.example.com,192.0.2.1", {"cp.example.com", "192.0.2.1"}, nullptr},
      {"empty item", "192.0.2.10,", {}, "[1]"},
      {"leading comma", ",192.0.2.10", {}, "[0]"},
      {"space is not trimmed", "192.0.2.10, 192.0.2.11", {}, "[1]"},
      {"duplicate", "192.0.2.10,192.0.2.10", {}, "[1]"},
      {"bad ip", "192.0.2.300", {}, "[0]"},
      {"cidr is not an address", "192.0.2.10/24", {}, "[0]"},
  };
  for (auto& c : cases) {
    settings s;
    error_sink sink{c.text};
    parse_address(s, c.text, sink);
    if (c.bad_part == nullptr) {
      EXPECT_TRUE(sink.ok()) << c.name;
      EXPECT_EQ(s.address, c.want) << c.name;
      continue;
    }
    ASSERT_FALSE(sink.ok()) << c.name;
    EXPECT_EQ(sink.items().front().key, c.bad_part) << c.name;
    EXPECT_TRUE(s.address.empty()) << c.name; // nothing half-applied
  }
}

TEST(ConfigParse, AddressesAndNames) {
  EXPECT_EQ(ip_family("192.0.2.1"), 4);
  EXPECT_EQ(ip_family("2001:db8::1"), 6);
  EXPECT_EQ(ip_family("::"), 6);
  EXPECT_EQ(ip_family("192.0.2"), 0);
  EXPECT_EQ(ip_family("[2001:db8::1]"), 0);
  EXPECT_TRUE(is_cidr("10.0.0.0/8"));
  EXPECT_TRUE(is_cidr("fd00::/64"));
  EXPECT_FALSE(is_cidr("10.0.0.0/33"));
  EXPECT_FALSE(is_cidr("10.0.0.0/"));
  EXPECT_FALSE(is_cidr("10.0.0.0/+8"));
  EXPECT_FALSE(is_cidr("10.0.0.0"));
  EXPECT_TRUE(is_dns_name("cp.example.com"));
  EXPECT_TRUE(is_dns_name("kube-vip"));
  EXPECT_FALSE(is_dns_name("-bad.example.com"));
  EXPECT_FALSE(is_dns_name("a..b"));
  EXPECT_FALSE(is_dns_name("300.1.1.1"));
  EXPECT_FALSE(is_dns_name(std::string(64, 'a') + ".com"));
  EXPECT_TRUE(is_dns_label("kube-system"));
  EXPECT_FALSE(is_dns_label("Kube-System"));
  EXPECT_FALSE(is_dns_label("a.b"));
  EXPECT_TRUE(is_dns_subdomain("plndr-cp-lock"));
  EXPECT_TRUE(is_dns_subdomain("a.b-c"));
  EXPECT_FALSE(is_dns_subdomain("under_score"));
  EXPECT_TRUE(is_lease_name("kube-system/plndr-cp-lock"));
  EXPECT_FALSE(is_lease_name("a/b/c"));
  EXPECT_FALSE(is_lease_name("/x"));
  EXPECT_TRUE(is_instance_name("kvip-1.a_B"));
  EXPECT_FALSE(is_instance_name("bad name"));
  EXPECT_FALSE(is_instance_name(std::string(244, 'a')));
  EXPECT_TRUE(is_ifname("eth0"));
  EXPECT_TRUE(is_ifname("enp0s31f6.200"));
  EXPECT_FALSE(is_ifname(""));
  EXPECT_FALSE(is_ifname("sixteen-chars-xx"));
  EXPECT_FALSE(is_ifname("eth0:1"));
  EXPECT_FALSE(is_ifname("a/b"));
  EXPECT_FALSE(is_ifname("a b"));
  EXPECT_FALSE(is_ifname(".."));
}

TEST(ConfigParse, ListenAddressesAndUrls) {
  for (auto s : {":2112", "0.0.0.0:2112", "[::1]:9100", "localhost:65535", "127.0.0.1:0"})
    EXPECT_TRUE(is_listen_address(s)) << s;
  for (auto s : {"2112", ":65536", ":-1", "::1:2112", "[::1]", "host:", "[x]:1", ":+80"})
    EXPECT_FALSE(is_listen_address(s)) << s;
  for (auto s : {"http://10.0.0.1:6443/livez", "https://[2001:db8::1]/readyz", "https://api.local",
                 "http://user@host:80/?x=1"})
    EXPECT_TRUE(is_http_url(s)) << s;
  for (auto s : {"ftp://x", "http://", "https://:80/", "http://a b/", "10.0.0.1:6443"})
    EXPECT_FALSE(is_http_url(s)) << s;
}

// -- bgp_peers ----------------------------------------------------------------------

struct peers_result {
  std::vector<bgp_peer> peers;
  std::vector<problem> errors;
};

peers_result peers(const std::string& text) {
  error_sink sink{text};
  auto out = parse_bgp_peers(text, sink);
  return {out, sink.items()};
}

TEST(ConfigBgpPeers, Ipv4Minimal) {
  auto r = peers("192.0.2.1:65001");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.peers.size(), 1u);
  EXPECT_EQ(r.peers[0].address, "192.0.2.1");
  EXPECT_EQ(r.peers[0].asn, 65001u);
  EXPECT_EQ(r.peers[0].port, 179);
  EXPECT_EQ(r.peers[0].password, "");
  EXPECT_FALSE(r.peers[0].multihop);
  EXPECT_FALSE(r.peers[0].bfd.enabled);
  EXPECT_EQ(r.peers[0].bfd.rx, 300ms);
  EXPECT_EQ(r.peers[0].bfd.tx, 300ms);
  EXPECT_EQ(r.peers[0].bfd.multiplier, 3);
}

TEST(ConfigBgpPeers, Ipv6InBracketsAndList) {
  auto r = peers("[2001:db8::1]:65002:pw:true,192.0.2.2:65003");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.peers.size(), 2u);
  EXPECT_EQ(r.peers[0].address, "2001:db8::1");
  EXPECT_EQ(r.peers[0].asn, 65002u);
  EXPECT_EQ(r.peers[0].password, "pw");
  EXPECT_TRUE(r.peers[0].multihop);
  EXPECT_EQ(r.peers[1].address, "192.0.2.2");
}

TEST(ConfigBgpPeers, Unnumbered) {
  auto r = peers("unnumbered:eth1:65010");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.peers.size(), 1u);
  EXPECT_EQ(r.peers[0].address, "");
  EXPECT_EQ(r.peers[0].interface, "eth1");
  EXPECT_EQ(r.peers[0].asn, 65010u);
}

TEST(ConfigBgpPeers, PasswordWithoutMultihop) {
  auto r = peers("192.0.2.1:65001:s3cret");
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.peers[0].password, "s3cret");
  EXPECT_FALSE(r.peers[0].multihop);
  EXPECT_EQ(r.peers[0].port, 179);
}

TEST(ConfigBgpPeers, AllFields) {
  auto r = peers("[fd00::2]:65004:pw:false:1179:mpbgp_nexthop=fixed;mpbgp_ipv4=192.0.2.9;"
                 "mpbgp_ipv6=[fd00::9]:true;100;200;5");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].expected;
  auto& p = r.peers.at(0);
  EXPECT_EQ(p.port, 1179);
  EXPECT_EQ(p.mpbgp.nexthop, mpbgp_nexthop::fixed);
  EXPECT_EQ(p.mpbgp.ipv4, "192.0.2.9");
  EXPECT_EQ(p.mpbgp.ipv6, "fd00::9");
  EXPECT_TRUE(p.bfd.enabled);
  EXPECT_EQ(p.bfd.rx, 100ms);
  EXPECT_EQ(p.bfd.tx, 200ms);
  EXPECT_EQ(p.bfd.multiplier, 5);
}

TEST(ConfigBgpPeers, EmptyFieldsKeepDefaults) {
  auto r = peers("192.0.2.1:65001::::mpbgp_nexthop=auto_sourceif:true;;;");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].expected;
  auto& p = r.peers.at(0);
  EXPECT_EQ(p.port, 179);
  EXPECT_EQ(p.mpbgp.nexthop, mpbgp_nexthop::auto_sourceif);
  EXPECT_TRUE(p.bfd.enabled);
  EXPECT_EQ(p.bfd.rx, 300ms);
  EXPECT_EQ(p.bfd.multiplier, 3);
}

struct bad_peer_case {
  const char* name;
  const char* text;
  const char* key;      // suffix naming the peer
  const char* mentions; // the field named in `expected`
};

TEST(ConfigBgpPeers, BadPeersNamePeerAndField) {
  const bad_peer_case cases[] = {
      {"bad AS", "192.0.2.1:abc", "[0]", "AS field"},
      {"AS zero", "192.0.2.1:0", "[0]", "AS field"},
      {"AS too big", "192.0.2.1:4294967296", "[0]", "AS field"},
      {"missing AS", "192.0.2.1", "[0]", "AS field missing"},
      {"bad port", "192.0.2.1:65001::false:70000", "[0]", "port field"},
      {"port zero", "192.0.2.1:65001::false:0", "[0]", "port field"},
      {"bad multihop", "192.0.2.1:65001::maybe", "[0]", "multihop field"},
      {"bad bfd count", "192.0.2.1:65001:::::true;300", "[0]", "bfd field"},
      {"bad bfd enable", "192.0.2.1:65001:::::yes;300;300;3", "[0]", "bfd field"},
      {"bad bfd interval", "192.0.2.1:65001:::::true;0;300;3", "[0]", "bfd field"},
      {"bad bfd multiplier", "192.0.2.1:65001:::::true;300;300;256", "[0]", "multiplier"},
      {"bad mpbgp key", "192.0.2.1:65001::::foo=bar", "[0]", "mpbgp field"},
      {"bad mpbgp nexthop", "192.0.2.1:65001::::mpbgp_nexthop=sometimes", "[0]", "mpbgp_nexthop"},
      {"bad mpbgp ipv4", "192.0.2.1:65001::::mpbgp_ipv4=[fd00::1]", "[0]", "mpbgp_ipv4"},
      {"mpbgp without =", "192.0.2.1:65001::::mpbgp_ipv4", "[0]", "key=value"},
      {"too many fields", "192.0.2.1:65001:a:false:179::true;1;1;1:extra", "[0]", "at most 7"},
      {"unbracketed v6", "2001:db8::1:65001", "[0]", "address"},
      {"v6 missing bracket", "[2001:db8::1:65001", "[0]", "missing ']'"},
      {"v4 in brackets", "[192.0.2.1]:65001", "[0]", "IPv6 address inside []"},
      {"hostname", "router.example:65001", "[0]", "address"},
      {"unnumbered bad iface", "unnumbered:eth0/1:65001", "[0]", "unnumbered interface"},
      {"unnumbered missing AS", "unnumbered:eth0", "[0]", "AS field missing"},
      {"second peer bad", "192.0.2.1:65001,192.0.2.2:x", "[1]", "AS field"},
  };
  for (auto& c : cases) {
    auto r = peers(c.text);
    ASSERT_EQ(r.errors.size(), 1u) << c.name;
    EXPECT_EQ(r.errors[0].key, c.key) << c.name;
    EXPECT_NE(r.errors[0].expected.find(c.mentions), std::string::npos)
        << c.name << ": " << r.errors[0].expected;
  }
}

TEST(ConfigBgpPeers, EveryBadPeerIsReported) {
  auto r = peers("192.0.2.1:x,192.0.2.2:65001,,192.0.2.3:65001::nope");
  EXPECT_EQ(r.peers.size(), 1u);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].key, "[0]");
  EXPECT_EQ(r.errors[0].value, "192.0.2.1:x");
  EXPECT_EQ(r.errors[1].key, "[2]");
}

} // namespace

// -- kvip_gossip_peers ----------------------------------------------------------------

namespace {

struct gossip_peers_result {
  std::vector<gossip_peer> peers;
  std::vector<problem> errors;
};

gossip_peers_result gossip_peers(const std::string& text) {
  error_sink sink{text};
  auto peers = parse_gossip_peers(text, sink);
  return {peers, sink.items()};
}

} // namespace

TEST(ConfigGossipPeers, GoodForms) {
  struct good_case {
    const char* text;
    std::vector<gossip_peer> want;
  };
  const good_case cases[] = {
      {"", {}},
      {"10.0.0.1", {{"10.0.0.1", 0}}},
      {"10.0.0.1:8000", {{"10.0.0.1", 8000}}},
      {"node-1.example.com", {{"node-1.example.com", 0}}},
      {"node-1:1", {{"node-1", 1}}},
      {"fd00::1", {{"fd00::1", 0}}},
      {"[fd00::1]:65535", {{"fd00::1", 65535}}},
      {"10.0.0.1,[fd00::2]:7000,node-3", {{"10.0.0.1", 0}, {"fd00::2", 7000}, {"node-3", 0}}},
  };
  for (auto& c : cases) {
    auto r = gossip_peers(c.text);
    EXPECT_TRUE(r.errors.empty()) << c.text;
    EXPECT_EQ(r.peers, c.want) << c.text;
  }
}

TEST(ConfigGossipPeers, BadItemsAreNamedByIndex) {
  struct bad_case {
    const char* text;
    const char* suffix; // the failing item's index
    const char* item;
  };
  const bad_case cases[] = {
      {"10.0.0.1:0", "[0]", "10.0.0.1:0"},
      {"10.0.0.1:65536", "[0]", "10.0.0.1:65536"},
      {"10.0.0.1:", "[0]", "10.0.0.1:"},
      {"fd00::1:7947,10.0.0.2:x", "[1]", "10.0.0.2:x"},
      {"[fd00::1]", "[0]", "[fd00::1]"},
      {"[10.0.0.1]:80", "[0]", "[10.0.0.1]:80"},
      {"[fd00::1:80", "[0]", "[fd00::1:80"},
      {"a,,b", "[1]", ""},
      {"a,", "[1]", ""},
      {"bad_host", "[0]", "bad_host"},
      {"10.0.0.1:80:90", "[0]", "10.0.0.1:80:90"},
  };
  for (auto& c : cases) {
    auto r = gossip_peers(c.text);
    auto hit = std::any_of(r.errors.begin(), r.errors.end(), [&](const problem& p) {
      return p.key == c.suffix && p.value == c.item &&
             p.expected.find("host:port") != std::string::npos;
    });
    EXPECT_TRUE(hit) << c.text << ": expected " << c.suffix << "=" << c.item;
  }
}
