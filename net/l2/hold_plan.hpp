#pragma once
// What the userspace responder's I/O actor (actors/arp_responder_io) changes
// when the set of VIPs it holds goes from `held` to `wanted` (address ->
// interface): the addresses to put on lo and to take off lo. Pure.
//
// Only the difference: an address already on lo is not added again. Before,
// every set (a burst of 1000 Services sends one every few watch events) put
// every VIP on lo again, a netlink request each, while the VIPs of the
// newest set waited behind them to be announced and answered.

#include <map>
#include <string>
#include <vector>

#include "net/ip.hpp"

namespace kvip::net::l2 {

struct hold_plan {
  std::vector<ip_address> add;    ///< wanted, not held: put on lo
  std::vector<ip_address> remove; ///< held, not wanted: take off lo (and unplace)
};

hold_plan plan_holds(const std::map<ip_address, std::string>& held,
                     const std::map<ip_address, std::string>& wanted);

} // namespace kvip::net::l2
