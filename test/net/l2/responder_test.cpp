#include "net/l2/responder.hpp"

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using namespace kvip::net;
using namespace kvip::net::l2;

const mac_address ours{0x02, 0, 0, 0, 0, 0x01};
const mac_address client{0x02, 0, 0, 0, 0, 0x03};
const auto t0 = answer_table::time_point{} + 1000s;
const auto vip4 = *ip_address::parse("10.0.0.100");
const auto vip6 = *ip_address::parse("fd00::100");
const auto other4 = *ip_address::parse("10.0.0.101");
const auto other6 = *ip_address::parse("fd00::101");
const auto client4 = *ip_address::parse("10.0.0.3");
const auto client6 = *ip_address::parse("fd00::3");
const auto unspecified6 = *ip_address::parse("::");

/// A table answering both VIPs until t0 + 1 s.
answer_table& table() {
  static answer_table t;
  static const bool filled = [] {
    t.set(vip4, t0 + 1s);
    t.set(vip6, t0 + 1s);
    return true;
  }();
  (void)filled;
  return t;
}

/// Re-checksums an ICMPv6 frame after a test edited it.
void fix_checksum(frame& f) {
  std::uint8_t* ip = f.data() + 14;
  std::size_t len = static_cast<std::size_t>((ip[4] << 8) | ip[5]);
  std::uint8_t* m = ip + 40;
  m[2] = m[3] = 0;
  std::uint32_t s = 0;
  auto add = [&s](const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i + 1 < n; i += 2)
      s += static_cast<std::uint32_t>((p[i] << 8) | p[i + 1]);
    if (n & 1) s += static_cast<std::uint32_t>(p[n - 1] << 8);
  };
  add(ip + 8, 32);
  s += static_cast<std::uint32_t>(len) + 58;
  add(m, len);
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  auto c = static_cast<std::uint16_t>(~s);
  m[2] = static_cast<std::uint8_t>(c >> 8);
  m[3] = static_cast<std::uint8_t>(c & 0xff);
}

/// A DAD solicitation as Linux sends it: source ::, no link-layer option.
frame dad_solicitation(const ip_address& target) {
  auto f = build_neighbor_solicitation(client, unspecified6, target);
  f.resize(f.size() - 8);
  f[14 + 5] = 24; // payload: NS header + target
  fix_checksum(f);
  return f;
}

struct row {
  const char* name;
  frame in;
  answer_table::time_point now;
  response_reason want;
};

TEST(Responder, DecidesEveryCase) {
  auto garp = build_garp(client, vip4, garp_form::request);
  auto own_request = build_arp_request(ours, client4, vip4);
  auto unicast_ns_elsewhere = build_neighbor_solicitation(client, client6, vip6);
  unicast_ns_elsewhere[14 + 24 + 15] = 0x99; // destination neither group nor target
  fix_checksum(unicast_ns_elsewhere);
  auto dad_with_option = build_neighbor_solicitation(client, unspecified6, vip6);
  auto bad_checksum = build_neighbor_solicitation(client, client6, vip6);
  bad_checksum.back() ^= 1;
  std::vector<row> rows = {
      {"ARP request for the VIP", build_arp_request(client, client4, vip4), t0,
       response_reason::answered},
      {"ARP probe (sender 0.0.0.0)", build_arp_request(client, *ip_address::parse("0.0.0.0"), vip4),
       t0, response_reason::answered},
      {"ARP request, deadline passed", build_arp_request(client, client4, vip4), t0 + 1s,
       response_reason::not_answering},
      {"ARP request for another address", build_arp_request(client, client4, other4), t0,
       response_reason::not_answering},
      {"ARP reply", build_arp_reply(client, vip4, ours, client4), t0,
       response_reason::not_a_request},
      {"gratuitous ARP", garp, t0, response_reason::not_a_request},
      {"our own request", own_request, t0, response_reason::not_ours},
      {"NS for the VIP", build_neighbor_solicitation(client, client6, vip6), t0,
       response_reason::answered},
      {"DAD NS for the VIP", dad_solicitation(vip6), t0, response_reason::answered},
      {"NS, deadline passed", build_neighbor_solicitation(client, client6, vip6), t0 + 2s,
       response_reason::not_answering},
      {"NS for another address", build_neighbor_solicitation(client, client6, other6), t0,
       response_reason::not_answering},
      {"NA", build_unsolicited_na(client, vip6), t0, response_reason::not_a_request},
      {"NS to another group", unicast_ns_elsewhere, t0, response_reason::not_ours},
      {"NS from us", build_neighbor_solicitation(ours, client6, vip6), t0,
       response_reason::not_ours},
      {"DAD NS with a link-layer option", dad_with_option, t0, response_reason::malformed},
      {"NS with a bad checksum", bad_checksum, t0, response_reason::malformed},
      {"empty frame", frame{}, t0, response_reason::malformed},
      {"truncated ARP", frame(20, 0), t0, response_reason::malformed},
  };
  for (const auto& r : rows) {
    auto got = respond(r.in, ours, table(), r.now);
    EXPECT_EQ(to_string(got.reason), to_string(r.want)) << r.name;
    EXPECT_EQ(got.reply.has_value(), r.want == response_reason::answered) << r.name;
  }
}

TEST(Responder, ArpReplyGoesToTheAskerWithOurMac) {
  auto got = respond(build_arp_request(client, client4, vip4), ours, table(), t0);
  ASSERT_TRUE(got.reply);
  EXPECT_EQ(got.target, vip4);
  auto p = parse_frame(*got.reply);
  ASSERT_TRUE(p.arp);
  EXPECT_EQ(p.arp->op, 2);
  EXPECT_EQ(p.arp->sha, ours);
  EXPECT_EQ(p.arp->spa, vip4);
  EXPECT_EQ(p.arp->tha, client);
  EXPECT_EQ(p.arp->tpa, client4);
  EXPECT_TRUE(std::equal(client.begin(), client.end(), got.reply->begin())) << "unicast";
}

TEST(Responder, SolicitedNaGoesToTheAsker) {
  auto got = respond(build_neighbor_solicitation(client, client6, vip6), ours, table(), t0);
  ASSERT_TRUE(got.reply);
  auto p = parse_frame(*got.reply);
  ASSERT_EQ(p.reason, drop_reason::none);
  ASSERT_TRUE(p.nd);
  EXPECT_TRUE(p.nd->advertisement);
  EXPECT_TRUE(p.nd->solicited);
  EXPECT_TRUE(p.nd->override_flag);
  EXPECT_EQ(p.nd->target, vip6);
  EXPECT_EQ(p.nd->src, vip6);
  EXPECT_EQ(p.nd->dst, client6);
  EXPECT_EQ(p.nd->link_addr, ours);
  EXPECT_EQ(p.nd->eth_src, ours);
}

TEST(Responder, DadSolicitationIsAnsweredToAllNodes) {
  auto got = respond(dad_solicitation(vip6), ours, table(), t0);
  ASSERT_TRUE(got.reply) << to_string(got.reason);
  auto p = parse_frame(*got.reply);
  ASSERT_TRUE(p.nd);
  EXPECT_FALSE(p.nd->solicited) << "RFC 4861 7.2.4: S clear for a DAD answer";
  EXPECT_EQ(p.nd->dst, *ip_address::parse("ff02::1"));
  EXPECT_EQ(p.nd->link_addr, ours);
}

TEST(Responder, ReadsTheTableAtTheMomentGiven) {
  answer_table t;
  auto req = build_arp_request(client, client4, vip4);
  EXPECT_EQ(respond(req, ours, t, t0).reason, response_reason::not_answering);
  t.set(vip4, t0 + 10ms);
  EXPECT_EQ(respond(req, ours, t, t0).reason, response_reason::answered);
  // Frozen, then resumed past the deadline: the same request is not answered.
  EXPECT_EQ(respond(req, ours, t, t0 + 10ms).reason, response_reason::not_answering);
}

} // namespace
