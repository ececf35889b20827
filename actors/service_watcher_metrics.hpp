#pragma once
// The service watcher's share of kube-vip's metric families
// (net/telemetry/kube_vip_metrics.hpp): active Services per namespace,
// skipped Services per reason, reconcile errors, watch events, and the
// removal of every series of a Service that is gone. Pure: called by the
// watcher's publisher thread with each computed set.

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "actors/service_watcher_model.hpp"
#include "net/telemetry/kube_vip_metrics.hpp"

namespace kvip {

/// What the last publish reported (to zero or forget what left).
struct kube_vip_view {
  std::map<std::string, std::size_t> active; ///< namespace -> announced Services
  std::set<std::string> services;            ///< "ns/name" with series
};

/// The skip_reason of a report reason (service_report::reason); nullopt for "".
std::optional<net::telemetry::skip_reason> skip_reason_of(std::string_view reason);

/// Publishes `set` and forgets the Services that left since `prev`.
/// `reconciled`: "ns/name" of each Service whose change this set is the first
/// to include, with the seconds from the change reaching the watcher to this
/// set (kube_vip_service_reconcile_duration_seconds{namespace}); a Service the
/// set no longer names (deleted, or no longer of type LoadBalancer) is not
/// observed, so no series outlives its namespace's last Service.
void publish_kube_vip(net::telemetry::kube_vip_metrics& m, const service_set& set,
                      kube_vip_view& prev, const std::map<std::string, double>& reconciled = {});

/// A Service entered `reason`: a reconcile error when the reason is one.
void count_reconcile_error(net::telemetry::kube_vip_metrics& m, const std::string& key,
                           std::string_view reason);

} // namespace kvip
