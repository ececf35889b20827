#include "simulation/object_util.hpp"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <random>

namespace kvip::sim {

namespace {

std::mt19937_64& rng() {
  static std::mt19937_64 gen{std::random_device{}()};
  return gen;
}
std::mutex rng_mutex;

} // namespace

std::string new_uid() {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  {
    std::lock_guard g{rng_mutex};
    a = rng()();
    b = rng()();
  }
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL; // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; // variant 10
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string random_suffix(std::size_t n) {
  static constexpr std::string_view alphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  std::lock_guard g{rng_mutex};
  for (std::size_t i = 0; i < n; ++i)
    out += alphabet[rng()() % alphabet.size()];
  return out;
}

namespace {

bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool is_label(std::string_view s) {
  return !s.empty() && lower_alnum(s.front()) && lower_alnum(s.back()) &&
         std::all_of(s.begin(), s.end(), [](char c) { return lower_alnum(c) || c == '-'; });
}

net::result<void> check_subdomain(std::string_view name) {
  if (name.size() > 253) return net::make_error("must be no more than 253 characters");
  std::size_t start = 0;
  while (true) {
    auto dot = name.find('.', start);
    auto label = name.substr(start, dot == std::string_view::npos ? name.npos : dot - start);
    if (!is_label(label)) {
      return net::make_error(
          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
          "'-' or '.', and must start and end with an alphanumeric character");
    }
    if (dot == std::string_view::npos) return net::ok();
    start = dot + 1;
  }
}

} // namespace

name_rule object_name_rule(std::string_view kind) {
  if (kind == "Service") return name_rule::dns1035_label;
  if (kind == "Namespace") return name_rule::dns1123_label;
  return name_rule::dns1123_subdomain;
}

net::result<void> check_object_name(std::string_view name, name_rule rule) {
  if (name.empty()) return net::make_error("name or generateName is required");
  if (rule == name_rule::dns1123_subdomain) return check_subdomain(name);
  if (name.size() > 63) return net::make_error("must be no more than 63 characters");
  if (rule == name_rule::dns1123_label && !is_label(name)) {
    return net::make_error("a lowercase RFC 1123 label must consist of lower case alphanumeric "
                           "characters or '-', and must start and end with an alphanumeric "
                           "character");
  }
  if (rule == name_rule::dns1035_label &&
      (!is_label(name) || !(name[0] >= 'a' && name[0] <= 'z'))) {
    return net::make_error("a DNS-1035 label must consist of lower case alphanumeric characters "
                           "or '-', start with an alphabetic character, and end with an "
                           "alphanumeric character");
  }
  return net::ok();
}

} // namespace kvip::sim
