#pragma once
// Layer-2 announcement messages (ARP/NDP mode).
//
// Producers → consumers:
//   lease_elector (any VIP owner)  → arp_broadcaster : announce_set (request)
//   arp_broadcaster                → requester       : announce_result (reply)
//   receive thread (l2_listener)   → arp_broadcaster : frame_seen
//   arp_broadcaster                → arp_broadcaster : announce_tick, retry_tick (timers)
//   arp_broadcaster                → event sink      : vip_conflict
//   arp_broadcaster                → its I/O actor   : l2_apply, l2_announce, l2_remove_stale
//   its I/O actor                  → arp_broadcaster : l2_applied, l2_announced (replies)
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

// --- the announcer's host work (internal: arp_broadcaster and its I/O actor) ---
//
// Every call that can block (rtnetlink, packet sends, opening a listener)
// runs in the announcer's I/O actor, which works through its mailbox in order
// and answers with what happened; the announcer itself never waits.

/// One VIP as the I/O actor sees it.
struct l2_vip {
  std::string key;       ///< "10.0.0.100/32%eth0"
  std::string prefix;    ///< "10.0.0.100/32"
  std::string interface; ///< "eth0"
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, l2_vip& x) {
  return f(caf::meta::type_name("l2_vip"), x.key, x.prefix, x.interface);
}

/// The interface a VIP is held on.
struct l2_link {
  int ifindex = 0;
  std::string name; ///< "eth0"
  std::string mac;  ///< "02:00:00:00:00:01"
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, l2_link& x) {
  return f(caf::meta::type_name("l2_link"), x.ifindex, x.name, x.mac);
}

/// What one addition or removal did.
struct l2_outcome {
  std::string key;
  std::string error;        ///< "" = done; else naming VIP and interface
  l2_link link;             ///< where it was added
  std::uint32_t frames = 0; ///< announcement frames sent right after the addition
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, l2_outcome& x) {
  return f(caf::meta::type_name("l2_outcome"), x.key, x.error, x.link, x.frames);
}

/// What the I/O actor holds besides the VIPs (for the dump and the retry timer).
struct l2_status {
  std::vector<std::string> leftovers; ///< "10.0.0.100/32 from ifindex 2": removals that failed
  std::vector<int> listening;         ///< ifindexes with a receive thread
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, l2_status& x) {
  return f(caf::meta::type_name("l2_status"), x.leftovers, x.listening);
}

/// Host work for a desired set, a retry or the shutdown, done in this order:
/// failed removals retried (with retry_leftovers), `remove`, then `add`.
struct l2_apply : traced {
  static constexpr const char* name = "l2_apply";
  std::uint64_t id = 0;            ///< echoed in l2_applied
  std::vector<std::string> remove; ///< keys; the I/O actor knows where it added them
  std::vector<l2_vip> add;         ///< add, start listening, announce once if announce_now
  bool announce_now = true;        ///< the burst starts at 0 ms
  bool retry_leftovers = false;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, l2_apply& x) {
  return f(caf::meta::type_name(l2_apply::name), x.id, x.remove, x.add, x.announce_now,
           x.retry_leftovers);
}

/// Reply to l2_apply.
struct l2_applied : traced {
  static constexpr const char* name = "l2_applied";
  std::uint64_t id = 0;
  std::vector<l2_outcome> removed;
  std::vector<l2_outcome> added;
  l2_status status;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, l2_applied& x) {
  return f(caf::meta::type_name(l2_applied::name), x.id, x.removed, x.added, x.status);
}

/// One announcement of a held VIP; a refresh first follows its interface by
/// name, then every announcement checks the address is still there.
struct l2_announce : traced {
  static constexpr const char* name = "l2_announce";
  l2_vip vip;
  l2_link link;                 ///< where it is held
  std::uint64_t generation = 0; ///< echoed
  std::uint32_t step = 0;       ///< echoed
  bool refresh = false;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, l2_announce& x) {
  return f(caf::meta::type_name(l2_announce::name), x.vip, x.link, x.generation, x.step, x.refresh);
}

/// Reply to l2_announce.
struct l2_announced : traced {
  static constexpr const char* name = "l2_announced";
  std::string key;
  std::uint64_t generation = 0;
  std::uint32_t step = 0;
  l2_link link;             ///< where it is now (changed if the interface was recreated)
  bool link_gone = false;   ///< the interface is gone; nothing was sent
  bool readded = false;     ///< the address had vanished and was put back
  std::uint32_t frames = 0; ///< frames sent
  l2_status status;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, l2_announced& x) {
  return f(caf::meta::type_name(l2_announced::name), x.key, x.generation, x.step, x.link,
           x.link_gone, x.readded, x.frames, x.status);
}

/// At start: remove these addresses (a previous incarnation's VIPs) from
/// every interface.
struct l2_remove_stale : traced {
  static constexpr const char* name = "l2_remove_stale";
  std::vector<std::string> addresses; ///< "10.0.0.100"
  /// Also the addresses listed in this file (a previous incarnation's record),
  /// which from now on records what this announcer holds ("" = no record).
  std::string record_file;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, l2_remove_stale& x) {
  return f(caf::meta::type_name(l2_remove_stale::name), x.addresses, x.record_file);
}

// --- typed interfaces -------------------------------------------------------

/// The announcer (actors/arp_broadcaster): takes the desired VIP set and
/// answers what it holds. Its timers and received frames are internal
/// messages of its implementation, not part of this interface.
using announcer_actor = child_actor::extend<caf::replies_to<announce_set>::with<announce_result>>;

/// The announcer's implementation: its interface plus its timers, received
/// frames and the I/O actor's replies. Only actors/arp_broadcaster* use it.
using announcer_impl_actor =
    announcer_actor::extend<caf::reacts_to<announce_tick>, caf::reacts_to<retry_tick>,
                            caf::reacts_to<frame_seen>, caf::reacts_to<l2_applied>,
                            caf::reacts_to<l2_announced>>;

/// The announcer's I/O actor (actors/arp_broadcaster_io): owns the host seam.
using announcer_io_actor = caf::typed_actor<caf::replies_to<l2_apply>::with<l2_applied>,
                                            caf::replies_to<l2_announce>::with<l2_announced>,
                                            caf::reacts_to<l2_remove_stale>>;

} // namespace kvip::msg
