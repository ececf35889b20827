#pragma once
// conntrack_flusher (kube-vip.io/flush-conntrack): deletes the kernel's
// conntrack entries whose original destination is a Service IP when this node
// starts or stops announcing it (k8s/services/conntrack_flush decides which),
// in this process's network namespace. Detached: the flush dumps the
// conntrack table through ctnetlink and blocks while it does.
//
//   conntrack_flush -> flush, log, count (never answered)
//   dump_request -> dump_reply; shutdown_request -> shutdown_done
//
// Metrics: kvip_conntrack_flushes_total{node,outcome} (ok, failed) and
// kvip_conntrack_entries_flushed_total{node}.

#include <string>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

namespace kvip::net::telemetry {
class registry;
}

namespace kvip {

struct conntrack_flusher_options {
  std::string node_name; ///< the metrics' node label
};

/// Spawns the flusher (detached). The handle speaks msg::conntrack_actor
/// (messages/conntrack.hpp); actor_cast it to that type.
caf::actor spawn_conntrack_flusher(caf::local_actor* parent, conntrack_flusher_options opts,
                                   net::telemetry::registry& reg);

} // namespace kvip
