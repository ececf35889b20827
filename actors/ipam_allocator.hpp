#pragma once
// ipam_allocator: kube-vip-cloud-provider's address pools, in process (issue 10,
// "Address pools"; reference kube-vip-behaviour.md §4). Services of type
// LoadBalancer without an address get one from the `kubevip` ConfigMap's pools,
// written as kube-vip.io/loadbalancerIPs (and spec.loadBalancerIP, the label
// implementation=kube-vip, kube-vip.io/serviceInterface when the pool names an
// interface), never twice the same (k8s/ipam/allocator.hpp).
//
// One allocator in the cluster acts at a time: every node's allocator runs the
// client-go Lease election (k8s/leader_election.hpp) on `lease_name` through a
// private k8s_io (detached: the Lease HTTP calls block there, never here). The
// others watch nothing and write nothing. The leader, for its term:
//  - runs the feed (actors/ipam_feed.hpp): watches of every Service and of the
//    pool ConfigMap on threads of their own; their events come here as messages;
//  - keeps the bookkeeping of actors/ipam_model.hpp (rebuilt from the watches'
//    first lists at every term: an address stays with the Service that shows it,
//    and nothing is handed out before both lists are in);
//  - writes through up to `max_in_flight` detached writers, each Service with its
//    own backoff, so a failing Service never holds up another. A write's client
//    times out within lease_duration - renew_deadline - retry_period, so a write
//    sent while leading ends before another node can take the Lease.
// A failed allocation (no pool, exhausted) and a ConfigMap with malformed keys
// give a Warning Event through the Event recorder (`events`, msg::k8s_event; a
// send, never a wait). Metrics: kvip_ipam_allocations_total{result} (allocated,
// adopted, exhausted, no_pool, no_family_pool, invalid_config, conflict, gone,
// rejected, failed), kvip_ipam_leader{node}, kvip_ipam_pending.
//
//   dump_request -> dump_reply (leadership, Services, pending writes, failures)
//   shutdown_request -> shutdown_done (after stopping the feed and releasing the Lease)

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "k8s/backoff.hpp"
#include "k8s/leader_election.hpp"
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
}

namespace kvip {

class directory;

/// What the IPAM allocator needs.
struct ipam_allocator_options {
  /// Its configuration is used for every connection: the Lease k8s_io, the two
  /// watches and each writer get a client of their own.
  std::shared_ptr<k8s::client> client;
  std::string lease_namespace = "kube-system";
  std::string lease_name = "kvip-ipam";
  k8s::election::config timings; ///< identity (the node name) and durations
  std::string config_map_namespace = "kube-system";
  std::string config_map_name = "kubevip";
  k8s::services::filter_config filter; ///< the load-balancer class rules (lb_class_*)
  std::size_t max_in_flight = 8;       ///< writes (and writers) at most at once
  k8s::backoff_policy retry{std::chrono::milliseconds{500}, std::chrono::milliseconds{30000}, 2.0,
                            0.5}; ///< waits before a Service's failed write is retried
  caf::actor events;              ///< the Event recorder (msg::event_recorder_actor)
  /// Without `events`: the directory's events role, looked up at each send
  /// (so a restarted recorder is found).
  std::shared_ptr<const directory> siblings;
  k8s::watch_options watch;                        ///< timeouts and backoff of the feed's watches
  std::chrono::milliseconds request_timeout{5000}; ///< a Lease request's answer
  /// Wall clock for the Lease's times (null = the system clock).
  std::function<std::chrono::system_clock::time_point()> wall_clock;
  std::optional<std::uint64_t> random_seed; ///< of the election's jitter
};

/// The options as the configuration asks: node name, cp_namespace, kvip_ipam_leasename,
/// kvip_ipam_configmap / kvip_ipam_namespace (KUBEVIP_CONFIG_MAP / KUBEVIP_NAMESPACE),
/// the Lease timings (vip_leaseduration, ...) and lb_class_*.
ipam_allocator_options ipam_allocator_settings(const net::config::settings& cfg,
                                               std::shared_ptr<k8s::client> client);

/// Spawns the allocator. The handle speaks msg::ipam_allocator_actor
/// (messages/ipam.hpp); `reg` must outlive it.
caf::actor spawn_ipam_allocator(caf::local_actor* parent, ipam_allocator_options opts,
                                net::telemetry::registry& reg);

} // namespace kvip
