#pragma once
// status_writer: writes what an IP's owner asks a Service's status to say
// (msg::service_status): status.loadBalancer.ingress with a PUT of the status
// subresource and the kube-vip.io/vipHost annotation with a PUT of the
// Service, each with the resourceVersion just read (k8s/status/plan.hpp).
//
// Nobody waits for it and nothing waits in it:
//  - coalescing: one slot per Service holds the latest request; a newer one
//    replaces a waiting one, and one that arrives while its Service is being
//    written is written right after (k8s/status/queue.hpp);
//  - a window of at most `max_in_flight` writes, each on a detached worker
//    with its own API connection (spawned when first needed), so the actor
//    itself never blocks and one slow Service holds one worker only;
//  - a write = GET, then the PUTs still needed (none when the Service already
//    says so); 409 reads again (k8s/status/write.hpp); a Service that is gone
//    (404) or was recreated (another uid) drops its request; any other failure
//    is retried after that Service's own backoff.
// One log line per write with its outcome (debug when nothing was written); metrics
// kvip_service_status_writes_total{node,outcome},
// kvip_service_status_conflicts_total{node} and
// kvip_service_status_pending{node}.
//
// Its state is requests not yet written: after a restart the owners' next
// requests rebuild it (nothing on the host to undo at shutdown).

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "k8s/backoff.hpp"
#include "k8s/client.hpp"

namespace kvip::net::telemetry {
class registry;
}

namespace kvip {

struct status_writer_options {
  /// Where the API server is. Each worker opens its own connection with
  /// `client`'s options; all of them take tokens from one rate limiter
  /// (`client.limiter`, or one made from its qps and burst), so the writer as
  /// a whole stays within them.
  k8s::connection_config connection;
  k8s::client_options client;
  std::string node_name;         ///< the metrics' node label
  std::size_t max_in_flight = 8; ///< writes (and workers) at most at once
  int max_reads = 4;             ///< GETs per write (1 + conflicts tolerated)
  /// Waits before retrying a Service whose write failed.
  k8s::backoff_policy retry{std::chrono::milliseconds{500}, std::chrono::milliseconds{30000}, 2.0,
                            0.5};
};

/// Spawns the status writer. The handle speaks msg::status_writer_actor
/// (messages/services.hpp); actor_cast it to that type.
caf::actor spawn_status_writer(caf::local_actor* parent, status_writer_options opts,
                               net::telemetry::registry& reg);

} // namespace kvip
