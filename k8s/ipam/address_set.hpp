// Sets of IP addresses of one family as sorted, disjoint intervals: a /16 or a
// /64 is two numbers, never a list of addresses. The allocator's two searches
// walk the set together with a sorted map of the addresses in use, so each is
// O(addresses in use) whatever the size of the pool:
//   first_free    the first address of the set not in use (ascending or descending)
//   for_each_used the in-use addresses inside the set, in the same order
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "net/ip.hpp"

namespace kvip::k8s::ipam {

using ip_family = net::ip_address::family_t;

/// An address as a number (IPv4 in the low 32 bits).
__extension__ typedef unsigned __int128 u128;

/// The address as a number.
u128 to_number(const net::ip_address& a);
/// The address of `family` whose number is `n` (IPv4 takes the low 32 bits).
net::ip_address from_number(ip_family family, u128 n);
/// `n` in decimal ("340282366920938463463374607431768211455").
std::string to_decimal(u128 n);
/// "IPv4" or "IPv6" (the spellings of spec.ipFamilies).
const char* to_string(ip_family f);

/// In which order a pool hands out addresses (the ConfigMap's `search-order`).
enum class search_order { ascending, descending };

/// Addresses of one family: sorted, disjoint, non-adjacent intervals [first, last].
class address_set {
public:
  struct interval {
    u128 first = 0;
    u128 last = 0;
  };

  explicit address_set(ip_family family = ip_family::v4) : family_(family) {}

  /// Adds [first, last] (numbers of this set's family, first <= last), merging
  /// with the intervals it overlaps or touches.
  void add(u128 first, u128 last);
  /// Removes one address, splitting its interval; nothing when absent.
  void remove(u128 n);

  ip_family family() const { return family_; }
  bool empty() const { return intervals_.empty(); }
  bool contains(const net::ip_address& a) const;
  /// Number of addresses (saturates at the largest u128 for ::/0).
  u128 size() const;
  /// The intervals, ascending.
  const std::vector<interval>& intervals() const { return intervals_; }

private:
  ip_family family_;
  std::vector<interval> intervals_;
};

/// The first address of `s` (lowest for ascending, highest for descending) that is
/// not a key of `used`, a sorted map keyed by net::ip_address; nullopt when every
/// address of `s` is in use. O(entries of `used` inside `s` + intervals).
template <class Used>
std::optional<net::ip_address> first_free(const address_set& s, const Used& used,
                                          search_order order) {
  auto fam = s.family();
  auto& iv = s.intervals();
  for (std::size_t k = 0; k < iv.size(); ++k) {
    auto [lo, hi] = order == search_order::ascending ? iv[k] : iv[iv.size() - 1 - k];
    if (order == search_order::ascending) {
      auto it = used.lower_bound(from_number(fam, lo));
      for (u128 cand = lo;; ++cand, ++it) {
        if (it == used.end() || !(it->first == from_number(fam, cand)))
          return from_number(fam, cand);
        if (cand == hi) break;
      }
    } else {
      auto it = used.upper_bound(from_number(fam, hi));
      for (u128 cand = hi;; --cand, --it) {
        if (it == used.begin() || !(std::prev(it)->first == from_number(fam, cand)))
          return from_number(fam, cand);
        if (cand == lo) break;
      }
    }
  }
  return std::nullopt;
}

/// Calls `fn(entry)` for each entry of `used` whose address lies in `s`, in
/// `order`, until `fn` returns true; returns that entry's address, or nullopt.
template <class Used, class Fn>
std::optional<net::ip_address> for_each_used(const address_set& s, const Used& used,
                                             search_order order, Fn&& fn) {
  auto fam = s.family();
  auto& iv = s.intervals();
  for (std::size_t k = 0; k < iv.size(); ++k) {
    auto [lo, hi] = order == search_order::ascending ? iv[k] : iv[iv.size() - 1 - k];
    auto first = used.lower_bound(from_number(fam, lo));
    auto last = used.upper_bound(from_number(fam, hi));
    if (order == search_order::ascending) {
      for (auto it = first; it != last; ++it)
        if (fn(*it)) return it->first;
    } else {
      for (auto it = last; it != first;)
        if (--it; fn(*it)) return it->first;
    }
  }
  return std::nullopt;
}

/// How many keys of `used` lie in `s`. O(entries of `used` inside `s` + intervals).
template <class Used>
u128 count_used(const address_set& s, const Used& used) {
  u128 n = 0;
  for (auto& i : s.intervals())
    n += static_cast<u128>(std::distance(used.lower_bound(from_number(s.family(), i.first)),
                                         used.upper_bound(from_number(s.family(), i.last))));
  return n;
}

} // namespace kvip::k8s::ipam
