#include "net/gossip/ranking.hpp"

#include <algorithm>

namespace kvip::net::gossip {

namespace {

constexpr std::uint64_t fnv_prime = 0x100000001b3ULL;

} // namespace

std::uint64_t fnv1a(std::uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= fnv_prime;
  }
  return h;
}

// FNV-1a alone mixes its last bytes poorly into the high bits, and the
// ranking compares whole 64-bit values: the finaliser spreads every input bit.
std::uint64_t fmix64(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

std::uint64_t rendezvous_weight(std::string_view vip, std::string_view node) {
  std::uint64_t h = fnv1a(fnv1a_offset, vip);
  h ^= 0xffU;
  h *= fnv_prime;
  return fmix64(fnv1a(h, node));
}

std::vector<std::string> rank(std::string_view vip, const std::vector<std::string>& eligible) {
  std::vector<std::pair<std::uint64_t, std::string>> weighted;
  weighted.reserve(eligible.size());
  for (const auto& node : eligible)
    weighted.emplace_back(rendezvous_weight(vip, node), node);
  std::sort(weighted.begin(), weighted.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> out;
  out.reserve(weighted.size());
  for (auto& w : weighted)
    if (out.empty() || out.back() != w.second) out.push_back(std::move(w.second));
  return out;
}

std::optional<std::string> choose_owner(std::string_view vip,
                                        const std::vector<std::string>& eligible,
                                        const std::optional<std::string>& current_owner) {
  if (current_owner &&
      std::find(eligible.begin(), eligible.end(), *current_owner) != eligible.end())
    return current_owner;
  auto ranked = rank(vip, eligible);
  if (ranked.empty()) return std::nullopt;
  return ranked.front();
}

const std::string* choose_owner_in(std::string_view vip, const std::vector<std::string>& eligible,
                                   const std::string* current_owner) {
  if (current_owner &&
      std::find(eligible.begin(), eligible.end(), *current_owner) != eligible.end())
    return current_owner;
  const std::string* best = nullptr;
  std::uint64_t best_weight = 0;
  for (const auto& node : eligible) {
    auto w = rendezvous_weight(vip, node);
    if (!best || w > best_weight || (w == best_weight && node < *best)) {
      best = &node;
      best_weight = w;
    }
  }
  return best;
}

std::optional<std::string> successor(std::string_view vip, const std::vector<std::string>& eligible,
                                     std::string_view owner) {
  for (auto& node : rank(vip, eligible))
    if (node != owner) return node;
  return std::nullopt;
}

} // namespace kvip::net::gossip
