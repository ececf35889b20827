#pragma once
// service_watcher: which Service IPs kvip should announce (issue 10, "Watching").
//
// A detached actor (msg::service_watcher_actor) with three threads of its own:
// - the Service watch: list + watch Services (all namespaces, or svc_namespace)
//   with k8s::watcher (resumes by resourceVersion; after 410 it relists and
//   delivers DELETED for every Service that vanished in the gap, so their IPs
//   leave the set: kube-vip weak spot 2);
// - the endpoints watch: EndpointSlices (discovery.k8s.io/v1, those labelled
//   kubernetes.io/service-name, aggregated per Service across every slice and
//   both families), or core/v1 Endpoints with `use_endpoints` (enable_endpoints);
// - the publisher: computes the set (actors/service_watcher_model.hpp says what
//   is in it) and reports it to the actor when it changed. Recomputes at once
//   when events arrive after a quiet spell, then at most once per `coalesce`
//   while they keep coming, so a burst of 1000 Services gives a few sets; the
//   first set is sent after the first complete list of both kinds (even when
//   empty), later ones only when the set differs (a Service update that changes
//   nothing in it sends nothing).
// The actor keeps the last set and forwards it as msg::service_ips to the
// subscriber, or with `siblings` to the directory's elector role, or its
// service_elector role with `to_service_elector` (whichever
// incarnation runs: when it goes down, the set is sent again to the next one).
//
// A Service that cannot be served as asked (parse error or bad acted-on
// annotation, invalid configuration, address conflict, DHCP/DNS-only address)
// is left out with one log line naming it and the reason, when the reason
// appears or changes; the reason is counted (dump; metric
// kvip_service_watch_skipped_total{reason}), and with `report_events` a
// Warning Event is recorded on the Service through the Event recorder (a
// send; the HTTP call happens there). Nothing about one Service ever holds up
// another: the watch threads only parse and record, the set is computed from
// memory.
//
//   service_ips (from its publisher)  -> forwarded to the subscriber / elector
//   dump_request -> dump_reply        (the set, reports, counters, watch stats)
//   shutdown_request -> shutdown_done
//
// The threads stop and are joined when the actor exits.

#include <chrono>
#include <memory>
#include <string>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "k8s/services/filter.hpp"
#include "k8s/watch.hpp"

namespace kvip::k8s {
class client;
}
namespace kvip::net::config {
struct settings;
}
namespace kvip::net::telemetry {
class registry;
class kube_vip_metrics;
} // namespace kvip::net::telemetry

namespace kvip {

class directory;

/// What the service watcher needs.
struct service_watcher_options {
  /// The Service watch's client; the endpoints watch gets a client of its own with
  /// the same configuration (a client serves one watch stream at a time).
  std::shared_ptr<k8s::client> client;
  /// svc_namespace (also the watches' namespace), the load-balancer class rules,
  /// svc_election / per_service_election_on_demand.
  k8s::services::filter_config filter;
  bool use_endpoints = false;             ///< enable_endpoints: core/v1 Endpoints, not slices
  std::chrono::milliseconds coalesce{10}; ///< at most one recompute per this while busy
  caf::actor subscriber;                  ///< gets msg::service_ips
  /// When set, sets go to the directory's elector role instead of `subscriber`,
  /// and Events (report_events) to its events role unless `events` is set.
  std::shared_ptr<const directory> siblings;
  /// With `siblings`: send the sets to the service_elector role (gossip off:
  /// the Lease-based Service election, actors/service_elector) instead.
  bool to_service_elector = false;
  /// Record a Warning Event on a Service when it gets a warning reason (every node
  /// runs a watcher: turn this on where one node should speak for all).
  bool report_events = false;
  caf::actor events;                           ///< Event recorder (msg::event_recorder_actor)
  net::telemetry::registry* metrics = nullptr; ///< skipped-reason counter, IP gauge
  /// kube-vip's Service families (watch events, active Services, reconcile
  /// errors, skipped Services); series of a Service that is gone are removed.
  std::shared_ptr<net::telemetry::kube_vip_metrics> kube_vip;
  k8s::watch_options watch; ///< timeouts and backoff of both watches
};

/// The options as the configuration asks (svc_namespace, lb_class_*, enable_endpoints,
/// svc_election, per_service_election_on_demand) around `client`.
service_watcher_options service_watcher_settings(const net::config::settings& cfg,
                                                 std::shared_ptr<k8s::client> client);

/// Spawns the detached service watcher. The handle speaks msg::service_watcher_actor
/// (messages/services.hpp); actor_cast it to that type.
caf::actor spawn_service_watcher(caf::local_actor* parent, service_watcher_options opts);

} // namespace kvip
