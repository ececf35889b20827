#include "net/ip.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace kvip::net {

std::optional<ip_address> ip_address::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  ip_address a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
    a.family = family_t::v4;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
    a.family = family_t::v6;
    return a;
  }
  return std::nullopt;
}

ip_address ip_address::v4(const std::uint8_t* b) {
  ip_address a;
  a.family = family_t::v4;
  std::memcpy(a.bytes.data(), b, 4);
  return a;
}

ip_address ip_address::v6(const std::uint8_t* b) {
  ip_address a;
  a.family = family_t::v6;
  std::memcpy(a.bytes.data(), b, 16);
  return a;
}

std::string ip_address::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<ip_prefix> ip_prefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addr = ip_address::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  ip_prefix p{*addr, addr->max_prefix()};
  if (slash == std::string_view::npos) return p;
  auto len = text.substr(slash + 1);
  int n = -1;
  auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
  if (len.empty() || ec != std::errc{} || ptr != len.data() + len.size() || n < 0 ||
      n > addr->max_prefix())
    return std::nullopt;
  p.length = n;
  return p;
}

bool ip_prefix::contains(const ip_address& a) const {
  if (a.family != address.family) return false;
  int full = length / 8;
  if (std::memcmp(a.bytes.data(), address.bytes.data(), static_cast<std::size_t>(full)) != 0)
    return false;
  int rest = length % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.bytes[static_cast<std::size_t>(full)] & mask) ==
         (address.bytes[static_cast<std::size_t>(full)] & mask);
}

std::string ip_prefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

std::string to_string(const mac_address& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                m[5]);
  return buf;
}

std::optional<mac_address> parse_mac(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  mac_address m{};
  for (std::size_t i = 0; i < 6; ++i) {
    auto part = text.substr(i * 3, 2);
    if (i < 5 && text[i * 3 + 2] != ':') return std::nullopt;
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + 2, v, 16);
    if (ec != std::errc{} || ptr != part.data() + 2) return std::nullopt;
    m[i] = static_cast<std::uint8_t>(v);
  }
  return m;
}

} // namespace kvip::net
