#pragma once
// ARP (RFC 826, gratuitous ARP per RFC 5227 §3) and IPv6 Neighbor Discovery
// (RFC 4861 §4.3/§4.4) Ethernet frames: building announcements and replies,
// and parsing what arrives, with a named reason for every frame dropped.
// Pure byte work, no sockets (net/l2/packet_socket.hpp sends and receives).
//
// Announcement forms (platform.md §3, tested against Linux clients):
//  - IPv4 gratuitous ARP *request*: broadcast, op 1, spa = tpa = VIP, tha = 0.
//    Linux updates an existing neighbour entry at once (bypasses locktime).
//  - IPv4 gratuitous ARP *reply*: op 2, spa = tpa = VIP and tha = sha; a reply
//    with a broadcast tha is ignored during locktime, so it is never sent.
//  - IPv6 unsolicited Neighbor Advertisement: to ff02::1, hop limit 255,
//    Override set, Solicited clear, target link-layer address option.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "net/ip.hpp"

namespace kvip::net::l2 {

/// Ethernet frame bytes.
using frame = std::vector<std::uint8_t>;

inline constexpr std::uint16_t ethertype_arp = 0x0806;
inline constexpr std::uint16_t ethertype_ipv6 = 0x86dd;

/// Which gratuitous ARP to build.
enum class garp_form {
  request, ///< op 1, tha zero (what `arping -U` sends)
  reply,   ///< op 2, tha = sha
};

/// Gratuitous ARP announcing that `vip` (IPv4) is at `mac`.
frame build_garp(const mac_address& mac, const ip_address& vip, garp_form form);

/// Unsolicited Neighbor Advertisement announcing that `vip` (IPv6) is at `mac`.
frame build_unsolicited_na(const mac_address& mac, const ip_address& vip);

/// ARP reply telling `asker` (mac, ip) that `vip` is at `mac`.
frame build_arp_reply(const mac_address& mac, const ip_address& vip, const mac_address& asker_mac,
                      const ip_address& asker_ip);

/// Solicited Neighbor Advertisement (S and O set) answering a solicitation for
/// `vip` from `asker` (mac, ip; an unspecified asker ip answers to ff02::1).
frame build_solicited_na(const mac_address& mac, const ip_address& vip,
                         const mac_address& asker_mac, const ip_address& asker_ip);

/// ARP request from (`mac`, `sender`) asking who has `target` (what a client
/// sends; used by the lab's prober).
frame build_arp_request(const mac_address& mac, const ip_address& sender, const ip_address& target);

/// Neighbor Solicitation from (`mac`, `sender`) for `target`, sent to the
/// target's solicited-node multicast group (RFC 4861 §7.2.2).
frame build_neighbor_solicitation(const mac_address& mac, const ip_address& sender,
                                  const ip_address& target);

/// Why a received frame was not understood (every "no" has a name).
enum class drop_reason {
  none,            ///< parsed
  too_short,       ///< shorter than its headers say
  wrong_ethertype, ///< neither ARP nor IPv6
  bad_arp_header,  ///< not Ethernet/IPv4 ARP (htype, ptype, hlen, plen)
  bad_arp_op,      ///< neither request nor reply
  not_icmpv6,      ///< IPv6 without an ICMPv6 next header
  not_nd,          ///< ICMPv6 but not a neighbour solicitation/advertisement
  bad_hop_limit,   ///< ND must arrive with hop limit 255
  bad_checksum,    ///< ICMPv6 checksum mismatch
  bad_nd_option,   ///< option with zero length or running past the end
};

/// Text for logs, metrics and test messages.
std::string_view to_string(drop_reason r);

/// A parsed ARP packet.
struct arp_packet {
  mac_address eth_src{};
  std::uint16_t op = 0; ///< 1 request, 2 reply
  mac_address sha{};
  ip_address spa;
  mac_address tha{};
  ip_address tpa;
  /// A gratuitous ARP: sender and target protocol addresses equal.
  bool gratuitous() const { return spa == tpa; }
};

/// A parsed neighbour solicitation or advertisement.
struct nd_packet {
  mac_address eth_src{};
  bool advertisement = false; ///< NA (136) or NS (135)
  ip_address src;
  ip_address dst;
  ip_address target;
  bool router = false, solicited = false, override_flag = false; ///< NA flags
  std::optional<mac_address> link_addr; ///< source (NS) or target (NA) link-layer option
};

/// What arrived: an ARP packet, a neighbour-discovery packet, or nothing.
struct parsed_frame {
  drop_reason reason = drop_reason::none;
  std::optional<arp_packet> arp;
  std::optional<nd_packet> nd;
};

/// Parses an Ethernet frame carrying ARP or ICMPv6 neighbour discovery.
parsed_frame parse_frame(std::span<const std::uint8_t> bytes);

/// If the frame claims `vip` for a MAC other than `ours`, that MAC: another
/// host answering or announcing our VIP (an address conflict).
std::optional<mac_address> conflicting_claim(const parsed_frame& f, const ip_address& vip,
                                             const mac_address& ours);

} // namespace kvip::net::l2
