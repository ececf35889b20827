#pragma once
// The userspace ARP/NDP responder's I/O actor (gossip mode): the only place
// the responder touches the host. It holds the VIPs on lo and the settings
// of each announcing interface (net/l2/lo_host), runs one receive thread per
// interface (net/l2/responder_loop, answering from the shared answer table
// with no actor round trip), and sends announcements. Its messages are
// internal to actors/arp_responder*: the responder asks, it answers in
// mailbox order. Linked to the responder, so when either exits (also after a
// crash) its state's destructor stops the receive threads, removes the lo
// addresses and restores every setting.

#include <memory>
#include <string>
#include <vector>

#include "caf/fwd.hpp"
#include "messages/responder.hpp"

namespace kvip::net::l2 {
class answer_table;
struct lo_host_options;
} // namespace kvip::net::l2

namespace kvip::msg {

/// Hold exactly these VIPs on lo and listen on their interfaces.
struct rsp_apply : traced {
  static constexpr const char* name = "rsp_apply";
  std::vector<vip_spec> vips;
  std::vector<std::string> interfaces; ///< prepared and listened on even without a VIP
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rsp_apply& x) {
  return f(caf::meta::type_name(rsp_apply::name), x.vips, x.interfaces);
}

/// Reply to rsp_apply.
struct rsp_applied : traced {
  static constexpr const char* name = "rsp_applied";
  std::vector<std::string> active; ///< addresses held on lo and listened for
  std::string error;               ///< "" or every failure
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rsp_applied& x) {
  return f(caf::meta::type_name(rsp_applied::name), x.active, x.error);
}

/// Send one announcement of `address` on `interface`, if the answer table
/// still answers it.
struct rsp_send : traced {
  static constexpr const char* name = "rsp_send";
  std::string address;
  std::string interface;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rsp_send& x) {
  return f(caf::meta::type_name(rsp_send::name), x.address, x.interface);
}

/// Stop listening, remove the lo addresses and restore the settings.
struct rsp_restore : traced {
  static constexpr const char* name = "rsp_restore";
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rsp_restore&) {
  return f(caf::meta::type_name(rsp_restore::name));
}

/// Reply to rsp_restore.
struct rsp_restored : traced {
  static constexpr const char* name = "rsp_restored";
  std::string error; ///< "" or what could not be restored
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rsp_restored& x) {
  return f(caf::meta::type_name(rsp_restored::name), x.error);
}

/// Timer of the responder: the next announcement step of one VIP.
struct rsp_tick : traced {
  static constexpr const char* name = "rsp_tick";
  std::string address;
  std::uint64_t generation = 0;
  std::uint32_t step = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rsp_tick& x) {
  return f(caf::meta::type_name(rsp_tick::name), x.address, x.generation, x.step);
}

/// The responder's I/O actor.
using responder_io_actor =
    caf::typed_actor<caf::replies_to<rsp_apply>::with<rsp_applied>, caf::reacts_to<rsp_send>,
                     caf::replies_to<rsp_restore>::with<rsp_restored>,
                     caf::replies_to<dump_request>::with<dump_reply>>;

/// The responder's implementation: its interface plus its timer.
using responder_impl_actor = responder_actor::extend<caf::reacts_to<rsp_tick>>;

} // namespace kvip::msg

namespace kvip {

/// Spawns the I/O actor linked to `parent` (the responder). `detached`: on a
/// thread of its own (production); otherwise scheduled, for the test
/// coordinator. `listen`: start receive threads (tests without CAP_NET_RAW
/// pass false).
msg::responder_io_actor spawn_arp_responder_io(caf::local_actor* parent,
                                               std::shared_ptr<net::l2::answer_table> table,
                                               const net::l2::lo_host_options& host, bool listen,
                                               bool detached);

} // namespace kvip
