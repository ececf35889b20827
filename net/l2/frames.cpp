#include "net/l2/frames.hpp"

#include <cstring>

namespace kvip::net::l2 {

namespace {

constexpr std::uint8_t icmpv6_proto = 58;
constexpr std::uint8_t nd_solicit = 135;
constexpr std::uint8_t nd_advert = 136;
constexpr std::uint8_t opt_source_lla = 1;
constexpr std::uint8_t opt_target_lla = 2;
constexpr std::size_t eth_len = 14;
constexpr std::size_t ipv6_len = 40;

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v & 0xff);
}

std::uint16_t get16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

void put_eth(frame& f, const mac_address& dst, const mac_address& src, std::uint16_t type) {
  std::memcpy(f.data(), dst.data(), 6);
  std::memcpy(f.data() + 6, src.data(), 6);
  put16(f.data() + 12, type);
}

std::uint32_t sum16(const std::uint8_t* p, std::size_t len, std::uint32_t s = 0) {
  for (std::size_t i = 0; i + 1 < len; i += 2)
    s += static_cast<std::uint32_t>((p[i] << 8) | p[i + 1]);
  if (len & 1) s += static_cast<std::uint32_t>(p[len - 1] << 8);
  return s;
}

std::uint16_t fold(std::uint32_t s) {
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(~s & 0xffff);
}

// ICMPv6 checksum over the pseudo header (RFC 8200 §8.1) and the message.
std::uint16_t icmpv6_checksum(const std::uint8_t* src, const std::uint8_t* dst,
                              const std::uint8_t* msg, std::size_t len) {
  std::uint32_t s = sum16(src, 16);
  s = sum16(dst, 16, s);
  s += static_cast<std::uint32_t>(len);
  s += icmpv6_proto;
  return fold(sum16(msg, len, s));
}

frame build_arp(const mac_address& eth_dst, const mac_address& sha, const ip_address& spa,
                const mac_address& tha, const ip_address& tpa, std::uint16_t op) {
  frame f(eth_len + 28, 0);
  put_eth(f, eth_dst, sha, ethertype_arp);
  std::uint8_t* a = f.data() + eth_len;
  put16(a, 1);          // htype Ethernet
  put16(a + 2, 0x0800); // ptype IPv4
  a[4] = 6;
  a[5] = 4;
  put16(a + 6, op);
  std::memcpy(a + 8, sha.data(), 6);
  std::memcpy(a + 14, spa.bytes.data(), 4);
  std::memcpy(a + 18, tha.data(), 6);
  std::memcpy(a + 24, tpa.bytes.data(), 4);
  return f;
}

frame build_na(const mac_address& mac, const ip_address& vip, const mac_address& eth_dst,
               const std::uint8_t* ip_dst, bool solicited) {
  constexpr std::size_t icmp_len = 8 + 16 + 8; // NA header, target, TLLA option
  frame f(eth_len + ipv6_len + icmp_len, 0);
  put_eth(f, eth_dst, mac, ethertype_ipv6);
  std::uint8_t* ip = f.data() + eth_len;
  ip[0] = 0x60; // version 6
  put16(ip + 4, icmp_len);
  ip[6] = icmpv6_proto;
  ip[7] = 255; // hop limit: receivers drop ND with anything else
  std::memcpy(ip + 8, vip.bytes.data(), 16);
  std::memcpy(ip + 24, ip_dst, 16);
  std::uint8_t* n = ip + ipv6_len;
  n[0] = nd_advert;
  n[4] = static_cast<std::uint8_t>(0x20 | (solicited ? 0x40 : 0)); // O, and S when solicited
  std::memcpy(n + 8, vip.bytes.data(), 16);
  n[24] = opt_target_lla;
  n[25] = 1; // length in units of 8 bytes
  std::memcpy(n + 26, mac.data(), 6);
  put16(n + 2, icmpv6_checksum(ip + 8, ip + 24, n, icmp_len));
  return f;
}

const mac_address broadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const mac_address zero_mac{};
const std::uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
const mac_address all_nodes_mac{0x33, 0x33, 0, 0, 0, 1};

parsed_frame drop(drop_reason r) {
  parsed_frame p;
  p.reason = r;
  return p;
}

parsed_frame parse_arp(std::span<const std::uint8_t> b) {
  if (b.size() < eth_len + 28) return drop(drop_reason::too_short);
  const std::uint8_t* a = b.data() + eth_len;
  if (get16(a) != 1 || get16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4)
    return drop(drop_reason::bad_arp_header);
  arp_packet p;
  std::memcpy(p.eth_src.data(), b.data() + 6, 6);
  p.op = get16(a + 6);
  if (p.op != 1 && p.op != 2) return drop(drop_reason::bad_arp_op);
  std::memcpy(p.sha.data(), a + 8, 6);
  p.spa = ip_address::v4(a + 14);
  std::memcpy(p.tha.data(), a + 18, 6);
  p.tpa = ip_address::v4(a + 24);
  parsed_frame out;
  out.arp = p;
  return out;
}

parsed_frame parse_nd(std::span<const std::uint8_t> b) {
  if (b.size() < eth_len + ipv6_len) return drop(drop_reason::too_short);
  const std::uint8_t* ip = b.data() + eth_len;
  std::size_t payload = get16(ip + 4);
  if (ip[6] != icmpv6_proto) return drop(drop_reason::not_icmpv6);
  if (b.size() < eth_len + ipv6_len + payload || payload < 24) return drop(drop_reason::too_short);
  const std::uint8_t* n = ip + ipv6_len;
  if (n[0] != nd_solicit && n[0] != nd_advert) return drop(drop_reason::not_nd);
  if (ip[7] != 255) return drop(drop_reason::bad_hop_limit);
  if (icmpv6_checksum(ip + 8, ip + 24, n, payload) != 0) return drop(drop_reason::bad_checksum);
  nd_packet p;
  std::memcpy(p.eth_src.data(), b.data() + 6, 6);
  p.advertisement = n[0] == nd_advert;
  p.src = ip_address::v6(ip + 8);
  p.dst = ip_address::v6(ip + 24);
  p.target = ip_address::v6(n + 8);
  if (p.advertisement) {
    p.router = (n[4] & 0x80) != 0;
    p.solicited = (n[4] & 0x40) != 0;
    p.override_flag = (n[4] & 0x20) != 0;
  }
  for (std::size_t off = 24; off < payload;) {
    if (off + 2 > payload) return drop(drop_reason::bad_nd_option);
    std::size_t len = static_cast<std::size_t>(n[off + 1]) * 8;
    if (len == 0 || off + len > payload) return drop(drop_reason::bad_nd_option);
    std::uint8_t type = n[off];
    if (len >= 8 && ((p.advertisement && type == opt_target_lla) ||
                     (!p.advertisement && type == opt_source_lla))) {
      mac_address m;
      std::memcpy(m.data(), n + off + 2, 6);
      p.link_addr = m;
    }
    off += len;
  }
  parsed_frame out;
  out.nd = p;
  return out;
}

} // namespace

frame build_garp(const mac_address& mac, const ip_address& vip, garp_form form) {
  if (form == garp_form::request) return build_arp(broadcast, mac, vip, zero_mac, vip, 1);
  return build_arp(broadcast, mac, vip, mac, vip, 2);
}

frame build_unsolicited_na(const mac_address& mac, const ip_address& vip) {
  return build_na(mac, vip, all_nodes_mac, all_nodes, false);
}

frame build_arp_reply(const mac_address& mac, const ip_address& vip, const mac_address& asker_mac,
                      const ip_address& asker_ip) {
  return build_arp(asker_mac, mac, vip, asker_mac, asker_ip, 2);
}

frame build_solicited_na(const mac_address& mac, const ip_address& vip,
                         const mac_address& asker_mac, const ip_address& asker_ip) {
  static const std::uint8_t unspecified[16] = {};
  if (std::memcmp(asker_ip.bytes.data(), unspecified, 16) == 0)
    return build_na(mac, vip, all_nodes_mac, all_nodes, false); // RFC 4861 §7.2.4
  return build_na(mac, vip, asker_mac, asker_ip.bytes.data(), true);
}

frame build_arp_request(const mac_address& mac, const ip_address& sender,
                        const ip_address& target) {
  return build_arp(broadcast, mac, sender, zero_mac, target, 1);
}

frame build_neighbor_solicitation(const mac_address& mac, const ip_address& sender,
                                  const ip_address& target) {
  constexpr std::size_t icmp_len = 8 + 16 + 8; // NS header, target, SLLA option
  // Solicited-node multicast ff02::1:ffXX:XXXX and its MAC 33:33:ff:XX:XX:XX.
  std::uint8_t group[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  std::memcpy(group + 13, target.bytes.data() + 13, 3);
  mac_address group_mac{0x33, 0x33, 0xff, target.bytes[13], target.bytes[14], target.bytes[15]};
  frame f(eth_len + ipv6_len + icmp_len, 0);
  put_eth(f, group_mac, mac, ethertype_ipv6);
  std::uint8_t* ip = f.data() + eth_len;
  ip[0] = 0x60;
  put16(ip + 4, icmp_len);
  ip[6] = icmpv6_proto;
  ip[7] = 255;
  std::memcpy(ip + 8, sender.bytes.data(), 16);
  std::memcpy(ip + 24, group, 16);
  std::uint8_t* n = ip + ipv6_len;
  n[0] = nd_solicit;
  std::memcpy(n + 8, target.bytes.data(), 16);
  n[24] = opt_source_lla;
  n[25] = 1;
  std::memcpy(n + 26, mac.data(), 6);
  put16(n + 2, icmpv6_checksum(ip + 8, ip + 24, n, icmp_len));
  return f;
}

std::string_view to_string(drop_reason r) {
  switch (r) {
  case drop_reason::none:
    return "none";
  case drop_reason::too_short:
    return "too_short";
  case drop_reason::wrong_ethertype:
    return "wrong_ethertype";
  case drop_reason::bad_arp_header:
    return "bad_arp_header";
  case drop_reason::bad_arp_op:
    return "bad_arp_op";
  case drop_reason::not_icmpv6:
    return "not_icmpv6";
  case drop_reason::not_nd:
    return "not_nd";
  case drop_reason::bad_hop_limit:
    return "bad_hop_limit";
  case drop_reason::bad_checksum:
    return "bad_checksum";
  case drop_reason::bad_nd_option:
    return "bad_nd_option";
  }
  return "unknown";
}

parsed_frame parse_frame(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < eth_len) return drop(drop_reason::too_short);
  switch (get16(bytes.data() + 12)) {
  case ethertype_arp:
    return parse_arp(bytes);
  case ethertype_ipv6:
    return parse_nd(bytes);
  default:
    return drop(drop_reason::wrong_ethertype);
  }
}

std::optional<mac_address> conflicting_claim(const parsed_frame& f, const ip_address& vip,
                                             const mac_address& ours) {
  if (f.arp && vip.is_v4()) {
    // Any ARP whose sender protocol address is our VIP claims it for its sender.
    if (f.arp->spa == vip && f.arp->sha != ours) return f.arp->sha;
    return std::nullopt;
  }
  if (f.nd && vip.is_v6() && f.nd->advertisement && f.nd->target == vip) {
    auto who = f.nd->link_addr.value_or(f.nd->eth_src);
    if (who != ours) return who;
  }
  return std::nullopt;
}

} // namespace kvip::net::l2
