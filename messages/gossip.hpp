#pragma once
// The gossip actor's messages (gossip mode, issue 9).
//
// Producers -> consumers:
//   gossip I/O thread -> gossip : gossip_io_batch (frames received, peers
//                                 disconnected or connected, carrier changes)
//   gossip            -> gossip : gossip_tick (its one timer), lease_tick
//   health_checker    -> gossip : health_status (as to the elector: the
//                                 gossip actor plays the elector role)
//   node_watcher      -> gossip : gossip_peers (the Nodes' InternalIPs)
// The gossip actor reaches k8s_io (VIP and node Leases) and the responder
// (answer/announce) through the sibling directory.

#include <cstdint>
#include <string>
#include <vector>

#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "messages/election.hpp"
#include "messages/supervision.hpp"
#include "messages/traced.hpp"

namespace kvip::msg {

/// One thing the gossip I/O thread saw.
struct gossip_io_event {
  enum kind_t : std::uint8_t {
    frame = 0,
    disconnected = 1,
    connected = 2,
    carrier = 3,
    neighbour = 4, ///< address: an IP; bytes: its MAC (the kernel's neighbour table)
  };
  std::uint8_t kind = frame;
  std::string peer;                ///< frame: sender's routing id (node name)
  std::string address;             ///< frame: source IP; disconnected/connected: peer address
  std::vector<std::uint8_t> bytes; ///< frame
  bool up = false;                 ///< carrier
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gossip_io_event& x) {
  return f(caf::meta::type_name("gossip_io_event"), x.kind, x.peer, x.address, x.bytes, x.up);
}

/// What the I/O thread saw in one poll, in order.
struct gossip_io_batch : traced {
  static constexpr const char* name = "gossip_io_batch";
  std::vector<gossip_io_event> events;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gossip_io_batch& x) {
  return f(caf::meta::type_name(gossip_io_batch::name), x.events);
}

/// The gossip actor's timer (membership and ownership deadlines).
struct gossip_tick : traced {
  static constexpr const char* name = "gossip_tick";
  std::uint64_t generation = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gossip_tick& x) {
  return f(caf::meta::type_name(gossip_tick::name), x.generation);
}

/// Timer: renew the node Lease, retry VIP Lease writes, check held VIPs' Leases.
struct lease_tick : traced {
  static constexpr const char* name = "lease_tick";
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_tick&) {
  return f(caf::meta::type_name(lease_tick::name));
}

} // namespace kvip::msg
