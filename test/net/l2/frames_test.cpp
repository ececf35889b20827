// Unit tests for net/l2/frames (ARP and neighbour-discovery frames) and net/ip.
#include "net/l2/frames.hpp"

#include <gtest/gtest.h>

namespace {

using namespace kvip::net;
using namespace kvip::net::l2;

const mac_address our_mac{0x02, 0, 0, 0, 0, 0x04};
const mac_address other_mac{0x02, 0, 0, 0, 0, 0x09};

ip_address ip(const char* s) {
  return *ip_address::parse(s);
}

TEST(NetIp, ParsesPrintsAndContains) {
  EXPECT_EQ(ip("10.0.0.1").to_string(), "10.0.0.1");
  EXPECT_EQ(ip("FD00:0::1").to_string(), "fd00::1");
  EXPECT_FALSE(ip_address::parse("10.0.0.300"));
  EXPECT_FALSE(ip_address::parse(""));
  EXPECT_FALSE(ip_address::parse("fd00::1/64"));
  auto p = ip_prefix::parse("10.9.0.0/23");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->contains(ip("10.9.1.255")));
  EXPECT_FALSE(p->contains(ip("10.9.2.0")));
  EXPECT_FALSE(p->contains(ip("fd00::1")));
  EXPECT_TRUE(ip_prefix::parse("fd09::/64")->contains(ip("fd09::100")));
  EXPECT_EQ(ip_prefix::parse("10.0.0.5")->length, 32);
  EXPECT_FALSE(ip_prefix::parse("10.0.0.5/33"));
  EXPECT_FALSE(ip_prefix::parse("10.0.0.5/"));
  EXPECT_FALSE(ip_prefix::parse("10.0.0.5/3x"));
  EXPECT_TRUE(ip_prefix::parse("0.0.0.0/0")->contains(ip("1.2.3.4")));
  EXPECT_EQ(to_string(our_mac), "02:00:00:00:00:04");
  EXPECT_EQ(parse_mac("02:00:00:00:00:0A"), (mac_address{2, 0, 0, 0, 0, 10}));
  EXPECT_FALSE(parse_mac("02:00:00:00:00"));
  EXPECT_FALSE(parse_mac("02-00-00-00-00-0a"));
}

TEST(NetL2Frames, GratuitousArpRequestGoldenBytes) {
  auto f = build_garp(our_mac, ip("10.9.0.100"), garp_form::request);
  const frame expected = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0,    0, 0,
                          0,    0x04, 0x08, 0x06,                                  // Ethernet
                          0x00, 0x01, 0x08, 0x00, 6,    4,    0x00, 0x01,          // ARP request
                          0x02, 0,    0,    0,    0,    0x04, 10,   9,    0, 100,  // sha, spa
                          0,    0,    0,    0,    0,    0,    10,   9,    0, 100}; // tha 0, tpa
  EXPECT_EQ(f, expected);
}

TEST(NetL2Frames, GratuitousArpReplyHasTargetHardwareEqualSender) {
  // Linux only bypasses its locktime for a reply GARP with tha == sha.
  auto f = build_garp(our_mac, ip("10.9.0.100"), garp_form::reply);
  auto p = parse_frame(f);
  ASSERT_TRUE(p.arp);
  EXPECT_EQ(p.arp->op, 2);
  EXPECT_EQ(p.arp->tha, our_mac);
  EXPECT_EQ(p.arp->sha, our_mac);
  EXPECT_TRUE(p.arp->gratuitous());
}

TEST(NetL2Frames, UnsolicitedNeighborAdvertisementGoldenBytes) {
  auto f = build_unsolicited_na(our_mac, ip("fd09::100"));
  ASSERT_EQ(f.size(), 14u + 40 + 32);
  EXPECT_EQ((frame{f.begin(), f.begin() + 14}),
            (frame{0x33, 0x33, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 0x04, 0x86, 0xdd}));
  EXPECT_EQ(f[14], 0x60);    // IPv6
  EXPECT_EQ(f[14 + 6], 58);  // ICMPv6
  EXPECT_EQ(f[14 + 7], 255); // hop limit
  const std::uint8_t* n = f.data() + 54;
  EXPECT_EQ(n[0], 136);  // NA
  EXPECT_EQ(n[4], 0x20); // Override only
  // Checksum computed by an independent implementation for these inputs.
  EXPECT_EQ(n[2], 0x58);
  EXPECT_EQ(n[3], 0x88);
  EXPECT_EQ(n[24], 2); // target link-layer address option
  EXPECT_EQ(n[25], 1);
  EXPECT_EQ((mac_address{n[26], n[27], n[28], n[29], n[30], n[31]}), our_mac);
}

TEST(NetL2Frames, ParsesWhatItBuilds) {
  auto na = parse_frame(build_unsolicited_na(our_mac, ip("fd09::100")));
  ASSERT_EQ(na.reason, drop_reason::none) << to_string(na.reason);
  ASSERT_TRUE(na.nd);
  EXPECT_TRUE(na.nd->advertisement);
  EXPECT_TRUE(na.nd->override_flag);
  EXPECT_FALSE(na.nd->solicited);
  EXPECT_EQ(na.nd->target, ip("fd09::100"));
  EXPECT_EQ(na.nd->dst, ip("ff02::1"));
  EXPECT_EQ(na.nd->link_addr, our_mac);

  auto reply = parse_frame(build_arp_reply(our_mac, ip("10.9.0.100"), other_mac, ip("10.9.0.3")));
  ASSERT_TRUE(reply.arp);
  EXPECT_EQ(reply.arp->op, 2);
  EXPECT_EQ(reply.arp->tpa, ip("10.9.0.3"));
  EXPECT_EQ(reply.arp->tha, other_mac);

  auto sna = parse_frame(build_solicited_na(our_mac, ip("fd09::100"), other_mac, ip("fd09::3")));
  ASSERT_TRUE(sna.nd);
  EXPECT_TRUE(sna.nd->solicited);
  EXPECT_EQ(sna.nd->dst, ip("fd09::3"));
  auto dad = parse_frame(build_solicited_na(our_mac, ip("fd09::100"), other_mac, ip("::")));
  ASSERT_TRUE(dad.nd);
  EXPECT_FALSE(dad.nd->solicited);
  EXPECT_EQ(dad.nd->dst, ip("ff02::1"));
}

TEST(NetL2Frames, DropsMalformedFramesWithANamedReason) {
  auto garp = build_garp(our_mac, ip("10.9.0.100"), garp_form::request);
  auto na = build_unsolicited_na(our_mac, ip("fd09::100"));
  struct row {
    const char* name;
    frame bytes;
    drop_reason want;
  };
  std::vector<row> rows;
  rows.push_back({"empty", {}, drop_reason::too_short});
  rows.push_back({"truncated arp", frame(garp.begin(), garp.begin() + 30), drop_reason::too_short});
  auto f = garp;
  f[12] = 0x08, f[13] = 0x00;
  rows.push_back({"ipv4 ethertype", f, drop_reason::wrong_ethertype});
  f = garp;
  f[15] = 6; // htype 6 (IEEE 802)
  rows.push_back({"bad htype", f, drop_reason::bad_arp_header});
  f = garp;
  f[21] = 3; // RARP op
  rows.push_back({"bad op", f, drop_reason::bad_arp_op});
  f = na;
  f[14 + 7] = 64;
  rows.push_back({"hop limit 64", f, drop_reason::bad_hop_limit});
  f = na;
  f[54 + 10] ^= 1; // flip a target bit
  rows.push_back({"corrupted", f, drop_reason::bad_checksum});
  f = na;
  f[14 + 6] = 17; // UDP
  rows.push_back({"udp", f, drop_reason::not_icmpv6});
  f = na;
  f[54] = 128; // echo request
  rows.push_back({"echo", f, drop_reason::not_nd});
  f = na;
  f[54 + 25] = 0; // zero-length option (fix checksum so it gets that far)
  f[54 + 2] = f[54 + 3] = 0;
  {
    auto fixed = build_unsolicited_na(our_mac, ip("fd09::100"));
    // recompute: the option length byte went 1 -> 0, so the checksum grows by 1.
    std::uint32_t c = (static_cast<std::uint32_t>(fixed[56]) << 8 | fixed[57]) + 1;
    c = (c & 0xffff) + (c >> 16);
    f[56] = static_cast<std::uint8_t>(c >> 8);
    f[57] = static_cast<std::uint8_t>(c & 0xff);
  }
  rows.push_back({"zero option length", f, drop_reason::bad_nd_option});
  f = na;
  f.resize(60);
  rows.push_back({"truncated na", f, drop_reason::too_short});
  for (const auto& r : rows)
    EXPECT_EQ(parse_frame(r.bytes).reason, r.want)
        << r.name << ": got " << to_string(parse_frame(r.bytes).reason);
}

TEST(NetL2Frames, ConflictIsAnotherMacClaimingOurVip) {
  auto vip4 = ip("10.9.0.100");
  auto vip6 = ip("fd09::100");
  struct row {
    const char* name;
    frame bytes;
    ip_address vip;
    std::optional<mac_address> want;
  };
  const row rows[] = {
      {"our own garp", build_garp(our_mac, vip4, garp_form::request), vip4, std::nullopt},
      {"other garp request", build_garp(other_mac, vip4, garp_form::request), vip4, other_mac},
      {"other garp reply", build_garp(other_mac, vip4, garp_form::reply), vip4, other_mac},
      {"other answers for our vip", build_arp_reply(other_mac, vip4, our_mac, ip("10.9.0.1")), vip4,
       other_mac},
      {"other vip", build_garp(other_mac, ip("10.9.0.101"), garp_form::request), vip4,
       std::nullopt},
      {"our own na", build_unsolicited_na(our_mac, vip6), vip6, std::nullopt},
      {"other na", build_unsolicited_na(other_mac, vip6), vip6, other_mac},
      {"family mismatch", build_unsolicited_na(other_mac, vip6), vip4, std::nullopt},
  };
  for (const auto& r : rows)
    EXPECT_EQ(conflicting_claim(parse_frame(r.bytes), r.vip, our_mac), r.want) << r.name;
  // A client asking who has our VIP is not a claim.
  auto ask = build_garp(other_mac, ip("10.9.0.7"), garp_form::request);
  ask[14 + 24 + 3] = 100; // tpa = VIP, spa = the asker
  EXPECT_EQ(conflicting_claim(parse_frame(ask), vip4, our_mac), std::nullopt);
}

} // namespace

namespace {

TEST(NetL2Frames, ClientRequestsParseBack) {
  auto req = parse_frame(build_arp_request(other_mac, ip("10.9.0.200"), ip("10.9.0.100")));
  ASSERT_TRUE(req.arp);
  EXPECT_EQ(req.arp->op, 1);
  EXPECT_EQ(req.arp->spa, ip("10.9.0.200"));
  EXPECT_EQ(req.arp->tpa, ip("10.9.0.100"));
  EXPECT_FALSE(req.arp->gratuitous());
  auto ns = build_neighbor_solicitation(other_mac, ip("fd09::c8"), ip("fd09::1:100"));
  // Solicited-node group of fd09::1:100 is ff02::1:ff01:0100.
  EXPECT_EQ((frame{ns.begin(), ns.begin() + 6}), (frame{0x33, 0x33, 0xff, 0x01, 0x01, 0x00}));
  auto p = parse_frame(ns);
  ASSERT_EQ(p.reason, drop_reason::none) << to_string(p.reason);
  ASSERT_TRUE(p.nd);
  EXPECT_FALSE(p.nd->advertisement);
  EXPECT_EQ(p.nd->target, ip("fd09::1:100"));
  EXPECT_EQ(p.nd->dst, ip("ff02::1:ff01:100"));
  EXPECT_EQ(p.nd->link_addr, other_mac);
}

} // namespace
