#pragma once
// IP addresses and prefixes as values (IPv4 and IPv6), parsed and printed with
// inet_pton/inet_ntop. Used by the VIP address manager and the ARP/NDP codec.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kvip::net {

/// An IPv4 or IPv6 address; IPv4 uses the first 4 bytes.
struct ip_address {
  enum class family_t : std::uint8_t { v4 = 4, v6 = 6 };
  family_t family = family_t::v4;
  std::array<std::uint8_t, 16> bytes{};

  /// Parses a literal ("10.0.0.1", "fd00::1"); nullopt if it is neither.
  static std::optional<ip_address> parse(std::string_view text);
  /// Builds an IPv4 address from 4 network-order bytes.
  static ip_address v4(const std::uint8_t* b);
  /// Builds an IPv6 address from 16 network-order bytes.
  static ip_address v6(const std::uint8_t* b);

  bool is_v4() const { return family == family_t::v4; }
  bool is_v6() const { return family == family_t::v6; }
  /// Number of significant bytes (4 or 16).
  std::size_t size() const { return is_v4() ? 4 : 16; }
  /// Longest prefix length of the family (32 or 128).
  int max_prefix() const { return is_v4() ? 32 : 128; }
  /// Canonical text form.
  std::string to_string() const;

  friend bool operator==(const ip_address& a, const ip_address& b) {
    return a.family == b.family && a.bytes == b.bytes;
  }
  friend bool operator<(const ip_address& a, const ip_address& b) {
    return a.family != b.family ? a.family < b.family : a.bytes < b.bytes;
  }
};

/// An address with a prefix length ("10.0.0.5/24").
struct ip_prefix {
  ip_address address;
  int length = 32;

  /// Parses "addr/len" (or a bare address, taking the family's full length).
  static std::optional<ip_prefix> parse(std::string_view text);
  /// True when `a` lies inside this prefix (same family, leading bits equal).
  bool contains(const ip_address& a) const;
  std::string to_string() const;

  friend bool operator==(const ip_prefix& a, const ip_prefix& b) {
    return a.address == b.address && a.length == b.length;
  }
};

/// A link-layer (Ethernet) address.
using mac_address = std::array<std::uint8_t, 6>;

/// "02:00:00:00:00:01".
std::string to_string(const mac_address& m);
/// Parses "aa:bb:cc:dd:ee:ff" (case-insensitive).
std::optional<mac_address> parse_mac(std::string_view text);

} // namespace kvip::net
