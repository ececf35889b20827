#pragma once
// Gossip mode's durable record of who holds a VIP: the VIP's Lease, written
// by an owner once its claim is confirmed (actors/gossip_leases.cpp). What
// the owner does with the Lease as it reads it, as a pure rule.

#include <cstdint>
#include <string>

namespace kvip::k8s {

enum class vip_lease_action {
  recorded, ///< the Lease already names this holder: nothing to write
  write,    ///< write this holder and term (compare-and-swap)
  yield,    ///< another holder in a higher term: that one is the owner, stop
};

/// The Lease names `recorded_holder` in `recorded_term`; this node holds the
/// VIP as `holder` in `term`. Only a change of holder is written: the same
/// holder in a newer term (it claimed its own VIP again after its hold
/// lapsed) is already recorded, and rewriting it cost up to 170 writes/s at
/// 1000 Service IPs under load while saying nothing new.
vip_lease_action vip_lease_decision(const std::string& recorded_holder, std::uint64_t recorded_term,
                                    const std::string& holder, std::uint64_t term);

const char* to_string(vip_lease_action a);

} // namespace kvip::k8s
