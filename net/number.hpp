#pragma once
// Whole-string decimal integers: the one parser behind resourceVersions,
// ports, query parameters, Retry-After and the knob table's numbers.

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>

namespace kvip::net {

/// `s` as a decimal integer of type T: digits only (a leading '-' for signed T), nothing
/// before or after, no overflow; nullopt otherwise.
template <class T>
std::optional<T> parse_integer(std::string_view s) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

} // namespace kvip::net
