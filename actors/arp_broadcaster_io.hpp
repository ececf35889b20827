#pragma once
// The ARP/NDP announcer's I/O actor: the only place the announcer touches the
// host (net::l2::host: rtnetlink links and addresses, packet sends, receive
// threads). It works through its mailbox in order, so removals asked for
// before additions happen before them, and answers each job with what
// happened (messages/announce.hpp: l2_apply -> l2_applied, l2_announce ->
// l2_announced, l2_remove_stale). It makes no decisions: what to add, remove,
// repair and when comes from the announcer and the net/l2 cores.
//
// Why a separate actor: a netlink round trip waits on the kernel (the rtnl
// lock can be held for a long time on a busy host) and even an AF_PACKET send
// can wait for queue space; the kernel host also serialises all calls behind
// one mutex. In a scheduled actor that wait would take one of the few
// scheduler threads away from the elector and the others; here it only
// delays the announcer's own next step.
//
// It remembers where it added each VIP, so at exit (linked to the announcer,
// so also after a crash) it removes whatever is still there.

#include <memory>

#include "caf/actor_addr.hpp"
#include "caf/fwd.hpp"
#include "messages/announce.hpp"

namespace kvip::net::l2 {
class host;
}
namespace kvip::net::netlink {
struct link_info;
}

namespace kvip {

/// Spawns the I/O actor linked to `parent` (the announcer, whose address
/// receives frame_seen from the receive threads). `detached`: on a thread of
/// its own (production); otherwise scheduled like any actor, for the
/// deterministic test coordinator. `listen`: start receive threads.
msg::announcer_io_actor spawn_arp_broadcaster_io(caf::local_actor* parent,
                                                 std::shared_ptr<net::l2::host> host, bool listen,
                                                 bool detached);

/// A link as the announcer's internal messages carry it, and back (the
/// fields the announcer uses: ifindex, name, MAC).
msg::l2_link to_msg(const net::netlink::link_info& l);
net::netlink::link_info from_msg(const msg::l2_link& l);

} // namespace kvip
