#pragma once
// Layer-2 announcement messages (ARP/NDP mode).
//
// Producers → consumers:
//   lease_elector (any VIP owner)  → arp_broadcaster : announce_set (request)
//   arp_broadcaster                → requester       : announce_result (reply)
//   receive thread (l2_listener)   → arp_broadcaster : frame_seen
//   arp_broadcaster                → arp_broadcaster : announce_tick, retry_tick (timers)
//   arp_broadcaster                → event sink      : vip_conflict
//
// announce_set carries the whole desired state, not a delta: the broadcaster
// applies it idempotently, so sending the same set again changes nothing and
// a restarted broadcaster converges on the next set it receives.

#include <cstdint>
#include <string>
#include <vector>

#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "messages/supervision.hpp"
#include "messages/traced.hpp"

namespace kvip::msg {

/// One VIP to hold and announce.
struct vip_spec {
  std::string address;   ///< "10.0.0.100" or "fd00::100"
  int prefix_length = 0; ///< 0 = the family's full length (32 / 128)
  std::string interface; ///< where the address goes and is announced

  friend bool operator==(const vip_spec& a, const vip_spec& b) {
    return a.address == b.address && a.prefix_length == b.prefix_length &&
           a.interface == b.interface;
  }
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, vip_spec& x) {
  return f(caf::meta::type_name("vip_spec"), x.address, x.prefix_length, x.interface);
}

/// Desired state: hold and announce exactly these VIPs (empty = withdraw all).
struct announce_set : traced {
  static constexpr const char* name = "announce_set";
  std::vector<vip_spec> vips;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, announce_set& x) {
  return f(caf::meta::type_name(announce_set::name), x.vips);
}

/// Reply to announce_set, once the addresses are in place and the first
/// announcement is out (or they are all removed, for an empty set).
struct announce_result : traced {
  static constexpr const char* name = "announce_result";
  std::vector<std::string> active; ///< addresses held and announced now
  std::string error;               ///< "" or every failure, each naming VIP and interface
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, announce_result& x) {
  return f(caf::meta::type_name(announce_result::name), x.active, x.error);
}

/// A frame that arrived on an interface (from the receive thread).
struct frame_seen : traced {
  static constexpr const char* name = "frame_seen";
  int ifindex = 0;
  std::vector<std::uint8_t> bytes; ///< the Ethernet frame
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, frame_seen& x) {
  return f(caf::meta::type_name(frame_seen::name), x.ifindex, x.bytes);
}

/// Timer: the next announcement (burst step or refresh) of one VIP is due.
struct announce_tick : traced {
  static constexpr const char* name = "announce_tick";
  std::string vip;              ///< "10.0.0.100/32%eth0"
  std::uint64_t generation = 0; ///< which announcement of it (stale timers are ignored)
  std::uint32_t step = 0;       ///< index in the burst schedule; beyond it = refresh
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, announce_tick& x) {
  return f(caf::meta::type_name(announce_tick::name), x.vip, x.generation, x.step);
}

/// Timer: try again the VIPs of the desired set that could not be applied.
struct retry_tick : traced {
  static constexpr const char* name = "retry_tick";
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retry_tick&) {
  return f(caf::meta::type_name(retry_tick::name));
}

/// Another MAC claims a VIP this node announces (rate-limited per VIP).
struct vip_conflict : traced {
  static constexpr const char* name = "vip_conflict";
  std::string vip;       ///< "10.0.0.100"
  std::string other_mac; ///< "02:00:00:00:00:09"
  std::string interface; ///< where the claim was seen
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, vip_conflict& x) {
  return f(caf::meta::type_name(vip_conflict::name), x.vip, x.other_mac, x.interface);
}

// --- typed interfaces -------------------------------------------------------

/// The announcer (actors/arp_broadcaster): takes the desired VIP set and
/// answers what it holds. Its timers and received frames are internal
/// messages of its implementation, not part of this interface.
using announcer_actor = child_actor::extend<caf::replies_to<announce_set>::with<announce_result>>;

} // namespace kvip::msg
