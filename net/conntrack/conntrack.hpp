// The kernel's connection tracking table, for kube-vip.io/flush-conntrack:
// when a Service's VIP is placed on or removed from a node, the entries whose
// original destination is the VIP are deleted, so clients do not stick to
// NAT state made before the change. Over ctnetlink (libnetfilter_conntrack),
// in the calling thread's network namespace. Blocking (a dump of the table):
// call it from an I/O thread, never from a scheduled actor.
#pragma once

#include <cstddef>

#include "net/ip.hpp"
#include "net/result.hpp"

namespace kvip::net::conntrack {

/// Entries whose original-direction destination is `a`.
result<std::size_t> count_destination(const ip_address& a);

/// Deletes every entry whose original-direction destination is `a`; how many
/// it deleted (an entry that ended meanwhile is not an error).
result<std::size_t> flush_destination(const ip_address& a);

} // namespace kvip::net::conntrack
