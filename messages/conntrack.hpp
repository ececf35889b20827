#pragma once
// The conntrack flusher's messages (kube-vip.io/flush-conntrack;
// actors/conntrack_flusher).
//
// Producers → consumers:
//   Service IP owner → conntrack_flusher : conntrack_flush (this node started
//                                          or stopped announcing a flagged
//                                          Service IP; gossip: the gossip
//                                          actor, Lease mode: the service
//                                          elector)
// Nobody waits: a flush that fails is logged and counted, never retried (the
// entries it missed end with their own timeouts).

#include <string>

#include "caf/meta/type_name.hpp"
#include "caf/typed_actor.hpp"
#include "messages/supervision.hpp"
#include "messages/traced.hpp"

namespace kvip::msg {

/// Delete the conntrack entries whose original destination is `address`.
struct conntrack_flush : traced {
  static constexpr const char* name = "conntrack_flush";
  std::string address;
  bool placed = true; ///< this node started announcing it (false: stopped); for the log
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, conntrack_flush& x) {
  return f(caf::meta::type_name(conntrack_flush::name), x.address, x.placed);
}

/// The conntrack flusher (actors/conntrack_flusher): a detached actor, as
/// the flush dumps the kernel's table.
using conntrack_actor = child_actor::extend<caf::reacts_to<conntrack_flush>>;

} // namespace kvip::msg
