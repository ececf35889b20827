#include "net/l2/responder.hpp"

#include <algorithm>

namespace kvip::net::l2 {

namespace {

bool is_unspecified(const ip_address& a) {
  return std::all_of(a.bytes.begin(), a.bytes.begin() + static_cast<long>(a.size()),
                     [](std::uint8_t b) { return b == 0; });
}

bool is_multicast_mac(const mac_address& m) {
  return (m[0] & 1) != 0;
}

/// ff02::1:ffXX:XXXX for `target`'s last three bytes.
bool is_solicited_node_group(const ip_address& dst, const ip_address& target) {
  static constexpr std::uint8_t prefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  return dst.is_v6() && std::equal(prefix, prefix + 13, dst.bytes.begin()) &&
         std::equal(target.bytes.begin() + 13, target.bytes.begin() + 16, dst.bytes.begin() + 13);
}

/// The Ethernet source is always this node's MAC, also when the reply names
/// the successor's (a handover): a bridge must keep learning the successor's
/// MAC on the successor's port.
void from_ours(frame& f, const mac_address& ours) {
  std::copy(ours.begin(), ours.end(), f.begin() + 6);
}

response no(response_reason r, std::optional<ip_address> target = std::nullopt) {
  response out;
  out.reason = r;
  out.target = std::move(target);
  return out;
}

response answer_arp(const arp_packet& a, const mac_address& ours, const answer_table& table,
                    answer_table::time_point now) {
  if (a.op != 1) return no(response_reason::not_a_request, a.tpa);
  if (a.gratuitous()) return no(response_reason::not_a_request, a.tpa);
  if (a.sha == ours || a.eth_src == ours) return no(response_reason::not_ours, a.tpa);
  if (is_multicast_mac(a.sha)) return no(response_reason::malformed, a.tpa);
  if (!table.may_answer(a.tpa, now)) return no(response_reason::not_answering, a.tpa);
  response out;
  out.reason = response_reason::answered;
  out.target = a.tpa;
  out.reply = build_arp_reply(table.answer_as(a.tpa).value_or(ours), a.tpa, a.sha, a.spa);
  from_ours(*out.reply, ours);
  return out;
}

response answer_ns(const nd_packet& n, const mac_address& ours, const answer_table& table,
                   answer_table::time_point now) {
  if (n.advertisement) return no(response_reason::not_a_request, n.target);
  if (n.eth_src == ours) return no(response_reason::not_ours, n.target);
  if (n.target.bytes[0] == 0xff) return no(response_reason::malformed, n.target);
  bool dad = is_unspecified(n.src);
  // RFC 4861 §7.1.1: a DAD solicitation goes to the solicited-node group
  // and carries no source link-layer option.
  if (dad && (n.link_addr || !is_solicited_node_group(n.dst, n.target)))
    return no(response_reason::malformed, n.target);
  if (n.dst != n.target && !is_solicited_node_group(n.dst, n.target))
    return no(response_reason::not_ours, n.target);
  auto asker = n.link_addr.value_or(n.eth_src);
  if (!dad && is_multicast_mac(asker)) return no(response_reason::malformed, n.target);
  if (!table.may_answer(n.target, now)) return no(response_reason::not_answering, n.target);
  response out;
  out.reason = response_reason::answered;
  out.target = n.target;
  out.reply = build_solicited_na(table.answer_as(n.target).value_or(ours), n.target, asker, n.src);
  from_ours(*out.reply, ours);
  return out;
}

} // namespace

std::string_view to_string(response_reason r) {
  switch (r) {
  case response_reason::answered:
    return "answered";
  case response_reason::malformed:
    return "malformed";
  case response_reason::not_a_request:
    return "not a request";
  case response_reason::not_ours:
    return "not ours";
  case response_reason::not_answering:
    return "not answering";
  }
  return "unknown";
}

std::optional<announcement_seen> announcement_of(std::span<const std::uint8_t> bytes,
                                                 const mac_address& ours) {
  auto p = parse_frame(bytes);
  if (p.reason != drop_reason::none) return std::nullopt;
  if (p.arp) {
    const auto& a = *p.arp;
    bool announces = a.gratuitous() || a.op == 2;
    if (!announces || a.sha == ours || a.eth_src == ours || is_multicast_mac(a.sha))
      return std::nullopt;
    return announcement_seen{a.spa, a.sha};
  }
  if (p.nd && p.nd->advertisement && p.nd->eth_src != ours) {
    auto mac = p.nd->link_addr.value_or(p.nd->eth_src);
    if (mac == ours || is_multicast_mac(mac)) return std::nullopt;
    return announcement_seen{p.nd->target, mac};
  }
  return std::nullopt;
}

response respond(std::span<const std::uint8_t> bytes, const mac_address& ours,
                 const answer_table& table, answer_table::time_point now) {
  auto p = parse_frame(bytes);
  if (p.reason != drop_reason::none) return no(response_reason::malformed);
  if (p.arp) return answer_arp(*p.arp, ours, table, now);
  if (p.nd) return answer_ns(*p.nd, ours, table, now);
  return no(response_reason::malformed);
}

} // namespace kvip::net::l2
