#include "k8s/ipam/address_set.hpp"

#include <algorithm>

namespace kvip::k8s::ipam {

u128 to_number(const net::ip_address& a) {
  u128 n = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    n = (n << 8) | a.bytes[i];
  return n;
}

net::ip_address from_number(ip_family family, u128 n) {
  net::ip_address a;
  a.family = family;
  for (std::size_t i = a.size(); i-- > 0;) {
    a.bytes[i] = static_cast<std::uint8_t>(n & 0xff);
    n >>= 8;
  }
  return a;
}

std::string to_decimal(u128 n) {
  std::string s;
  do {
    s.push_back(static_cast<char>('0' + static_cast<int>(n % 10)));
    n /= 10;
  } while (n != 0);
  std::reverse(s.begin(), s.end());
  return s;
}

const char* to_string(ip_family f) {
  return f == ip_family::v4 ? "IPv4" : "IPv6";
}

void address_set::add(u128 first, u128 last) {
  intervals_.push_back({first, last});
  std::sort(intervals_.begin(), intervals_.end(),
            [](const interval& a, const interval& b) { return a.first < b.first; });
  std::vector<interval> merged;
  for (auto& i : intervals_) {
    // Overlapping or adjacent (last + 1 == first, without overflowing at the top).
    if (!merged.empty() && (i.first <= merged.back().last || i.first - 1 == merged.back().last)) {
      merged.back().last = std::max(merged.back().last, i.last);
    } else {
      merged.push_back(i);
    }
  }
  intervals_ = std::move(merged);
}

void address_set::remove(u128 n) {
  for (std::size_t k = 0; k < intervals_.size(); ++k) {
    auto i = intervals_[k];
    if (n < i.first || n > i.last) continue;
    intervals_.erase(intervals_.begin() + static_cast<std::ptrdiff_t>(k));
    std::vector<interval> parts;
    if (n > i.first) parts.push_back({i.first, n - 1});
    if (n < i.last) parts.push_back({n + 1, i.last});
    intervals_.insert(intervals_.begin() + static_cast<std::ptrdiff_t>(k), parts.begin(),
                      parts.end());
    return;
  }
}

bool address_set::contains(const net::ip_address& a) const {
  if (a.family != family_) return false;
  auto n = to_number(a);
  return std::any_of(intervals_.begin(), intervals_.end(),
                     [n](const interval& i) { return i.first <= n && n <= i.last; });
}

u128 address_set::size() const {
  const u128 max = ~u128{0};
  u128 total = 0;
  for (auto& i : intervals_) {
    u128 span = i.last - i.first; // the count minus one: never overflows
    if (span == max || total > max - span - 1) return max;
    total += span + 1;
  }
  return total;
}

} // namespace kvip::k8s::ipam
