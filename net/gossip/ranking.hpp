#pragma once
// Who should own a VIP: rendezvous (highest-random-weight) ranking of the
// eligible nodes for one VIP address, with a sticky choice on top.
//
// Every node computes weight(vip, node) for each eligible node and ranks them
// by weight, highest first. The result needs no coordination (every node with
// the same membership view computes the same order), spreads VIPs evenly, and
// moves only the VIPs of a node that leaves (each VIP's order among the
// remaining nodes is unchanged) or, when a node joins, only the VIPs it now
// tops. Ownership is per address, so a control-plane VIP and Services sharing
// an IP rank together and can never be split.
//
// Sticky: a healthy current owner keeps the VIP even when a better-ranked node
// (re)joins, so a node coming back causes no failback churn; the top-ranked
// eligible node is chosen only when the owner is gone or ineligible.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvip::net::gossip {

/// A stable 64-bit hash of (vip, node): FNV-1a over the VIP bytes, a 0xff
/// separator (so "10.0.0.1"+"2x" never equals "10.0.0.12"+"x"; 0xff never
/// occurs in UTF-8 text), the node bytes, then the 64-bit finaliser of
/// MurmurHash3 (fmix64) so that nearby inputs differ in every output bit.
/// Fixed across builds, platforms and runs: unlike std::hash, all nodes of a
/// mixed-version cluster agree on it. Never change it without a migration.
std::uint64_t rendezvous_weight(std::string_view vip, std::string_view node);

/// The two hash steps rendezvous_weight is built from, shared with the
/// ownership digest (ownership.hpp) so the project has one hash for the job:
/// FNV-1a 64 over `bytes` starting from `h`, and the fmix64 finaliser.
inline constexpr std::uint64_t fnv1a_offset = 0xcbf29ce484222325ULL;
std::uint64_t fnv1a(std::uint64_t h, std::string_view bytes);
std::uint64_t fmix64(std::uint64_t k);

/// The eligible nodes ordered best first for `vip` (weight descending, ties
/// broken by the smaller node name so the order is total). Duplicates are
/// kept once.
std::vector<std::string> rank(std::string_view vip, const std::vector<std::string>& eligible);

/// The node that should own `vip`: `current_owner` when it is still among
/// `eligible` (stickiness), otherwise the top-ranked eligible node (the
/// successor); nullopt when no node is eligible.
std::optional<std::string> choose_owner(std::string_view vip,
                                        const std::vector<std::string>& eligible,
                                        const std::optional<std::string>& current_owner);

/// choose_owner without copies, for the per-event decision over every VIP:
/// a pointer to `current_owner` or into `eligible` (nullptr: none eligible).
/// `eligible` must be free of duplicates (ties by weight break by name).
const std::string* choose_owner_in(std::string_view vip, const std::vector<std::string>& eligible,
                                   const std::string* current_owner);

/// The node that takes over from `owner` if it is lost: the best-ranked
/// eligible node other than `owner` (the make-before-break successor on a
/// graceful stop); nullopt when there is none.
std::optional<std::string> successor(std::string_view vip, const std::vector<std::string>& eligible,
                                     std::string_view owner);

} // namespace kvip::net::gossip
