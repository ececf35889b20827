#pragma once
// The userspace ARP/NDP responder (gossip mode, issue 9; protocol in
// messages/responder.hpp). Every node holds every VIP on lo, where the kernel
// accepts its traffic but does not answer ARP/NDP for it (net/l2/lo_host.hpp
// lists the settings and why); a receive thread per announcing interface
// answers requests for the VIPs the shared answer table says this node owns
// right now (net/l2/responder_loop.hpp), reading the table at the moment of
// the request: a killed or frozen process answers nothing.
//
//   responder_hold      desired set, idempotent: interfaces prepared, receive
//                       threads started, lo addresses added/removed; replies
//                       responder_held (active addresses, every error)
//   responder_announce  gratuitous ARP / unsolicited NA for one held VIP at
//                       the burst offsets, then every `refresh`, for as long
//                       as the answer table answers it (checked at each step,
//                       and again by the I/O actor just before sending)
//   dump_request        -> dump_reply (its own state and the I/O actor's)
//   shutdown_request    stops the threads, removes the lo addresses, restores
//                       the settings -> shutdown_done
//
// Every blocking call (rtnetlink, sysctl files, sends, thread joins) runs in
// its linked I/O actor (actors/arp_responder_io.hpp), which also undoes
// everything at exit, after a crash too. The answer table is written by
// whoever decides ownership (the gossip actor); this actor only reads it.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "caf/fwd.hpp"
#include "messages/responder.hpp"
#include "net/l2/lo_host.hpp"

namespace kvip::net::l2 {
class answer_table;
}

namespace kvip {

struct responder_options {
  /// Announcing interfaces prepared and listened on from the first hold,
  /// even before a VIP names them (each VIP's own interface is added too).
  std::vector<std::string> interfaces;
  std::chrono::milliseconds refresh{3000}; ///< vip_arpRate: period after the burst
  std::vector<std::chrono::milliseconds> burst{
      std::chrono::milliseconds{0}, std::chrono::milliseconds{100}, std::chrono::milliseconds{500}};
  std::string node_name;
  net::l2::lo_host_options host; ///< restore file, /proc/sys root
  bool listen = true;            ///< start receive threads (tests without CAP_NET_RAW: false)
  /// Run the I/O actor on a thread of its own (production); false schedules
  /// it like any actor, for the deterministic test coordinator.
  bool io_detached = true;
};

/// Spawns the responder as a child of `parent` (its supervisor), answering
/// from `table`; returns its typed handle. For the node table:
///   [=](caf::local_actor* p, auto) { return caf::actor_cast<msg::child_actor>(
///       spawn_arp_responder(p, opts, table)); }
msg::responder_actor spawn_arp_responder(caf::local_actor* parent, responder_options opts,
                                         std::shared_ptr<net::l2::answer_table> table);

} // namespace kvip
