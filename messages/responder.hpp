#pragma once
// The userspace ARP/NDP responder (gossip mode, issue 9).
//
// Producers -> consumers:
//   gossip actor -> arp_responder : responder_hold (request), responder_announce
//   arp_responder -> requester    : responder_held (reply)
//
// In gossip mode every node holds every VIP on `lo`, where the kernel accepts
// traffic for it but never answers ARP/NDP for it on the announcing interface
// (arp_ignore/arp_announce on that interface; an address on lo is not a
// neighbour-discovery target of another link). Only the live kvip process
// answers, from its receive thread, for the VIPs the shared answer table
// (net/l2/answer_table.hpp) says it owns right now. So a killed or frozen
// process stops answering at the same instant it stops gossiping.

#include <string>
#include <vector>

#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "messages/announce.hpp"
#include "messages/supervision.hpp"
#include "messages/traced.hpp"

namespace kvip::msg {

/// Desired state: hold exactly these VIPs on lo and listen for requests for
/// them on their interfaces (idempotent, the whole set every time).
struct responder_hold : traced {
  static constexpr const char* name = "responder_hold";
  std::vector<vip_spec> vips;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, responder_hold& x) {
  return f(caf::meta::type_name(responder_hold::name), x.vips);
}

/// Reply to responder_hold.
struct responder_held : traced {
  static constexpr const char* name = "responder_held";
  std::vector<std::string> active; ///< addresses held on lo and listened for
  std::string error;               ///< "" or every failure, naming VIP and interface
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, responder_held& x) {
  return f(caf::meta::type_name(responder_held::name), x.active, x.error);
}

/// Send gratuitous ARP / unsolicited NA for `address` now (this node just
/// started answering for it), then the usual refresh schedule while the
/// answer table still says so.
struct responder_announce : traced {
  static constexpr const char* name = "responder_announce";
  std::string address;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, responder_announce& x) {
  return f(caf::meta::type_name(responder_announce::name), x.address);
}

/// The responder (actors/arp_responder): holds VIPs on lo, answers requests
/// from its receive threads, announces on request. On exit it removes the
/// addresses and restores every host setting it changed.
using responder_actor = child_actor::extend<caf::replies_to<responder_hold>::with<responder_held>,
                                            caf::reacts_to<responder_announce>>;

} // namespace kvip::msg
