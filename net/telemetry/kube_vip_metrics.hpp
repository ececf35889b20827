// Every metric family kvip shares with kube-vip (reference §6.1), and kvip's
// own families for Services, defined in one place (kube_vip_family_specs())
// and updated through one small typed API (kube_vip_metrics).
//
// Names, types and label names are kube-vip's, exactly; help texts are kvip's.
// Where kvip differs from kube-vip, and why:
//
// * kube_vip_manager_all_services_events keeps kube-vip's name although it is a
//   counter without "_total". Over the text format kube-vip serves (client_golang
//   without OpenMetrics), that is the series name dashboards query, so kvip
//   registers it with counter_name::as_given. promtool reports it (the only
//   complaint: promtool_accepted_complaints()) and exits with status 3.
// * No label set differs from kube-vip's. What differs is how long series live
//   (kube-vip leaks them, reference §9) and which values a label may take:
//   - every series naming a Service (reconcile errors, election loops, attempts
//     and errors) is removed by forget_service(); kube-vip keeps all but the
//     loops gauge after a Service is deleted, so a cluster that churns Services
//     grows its series without bound;
//   - a namespace's kube_vip_service_reconcile_duration_seconds histogram is
//     removed with the namespace's last Service (kube-vip keeps it forever);
//     kube_vip_active_services{namespace} disappears at 0, as in kube-vip;
//   - a Lease's kube_vip_is_leader and transitions series are removed by
//     forget_lease() (kube-vip keeps those of deleted per-Service Leases);
//   - label values come from closed sets: watch event types (anything else is
//     counted as UNKNOWN), reconcile and election error reasons, BGP states.
//     kvip adds one election error reason, api_error (a Lease request failed);
//   - kube_vip_service_election_loops is 1 while kvip runs the Service's
//     election and absent otherwise: one actor per election cannot leak loops;
//   - kube_vip_is_leader is also set for the control-plane Lease (kube-vip sets
//     it only for the Services, per-Service and WireGuard Leases). lease_name is
//     the Lease's name without its namespace, as in kube-vip, so per-Service
//     Leases with one name in two namespaces share a series there too;
//   - kube_vip_manager_bgp_session_info's peer is address:port with the peer's
//     real port (kube-vip always writes :179).
//
// Thread-safe. Create one kube_vip_metrics per registry and share it: a series
// that one caller removes must not be updated by another at the same moment
// (family::remove invalidates the series), so every update and removal runs
// under this object's lock. No actors here (DESIGN.md §2).
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "net/telemetry/metrics.hpp"

namespace kvip::net::telemetry {

enum class metric_kind { counter, gauge, histogram };

/// When kvip sets a family.
enum class set_when {
  now,              ///< already, by the actor named in the family's note
  service_pipeline, ///< once the Service pipeline (issue 10) calls this API
  bgp,              ///< once kvip has a BGP mode (not issue 10)
};

/// One family: what /metrics shows and where it comes from.
struct family_spec {
  std::string_view name; ///< exactly as exposed (counters included)
  metric_kind kind;
  std::string_view help;
  std::vector<std::string> labels;
  std::vector<double> buckets; ///< histograms only (+Inf implicit)
  bool from_kube_vip;          ///< kube-vip's family; else kvip's own
  set_when when;
  std::string_view note; ///< what kvip counts, and where it differs from kube-vip
};

/// Every family, kube-vip's (reference §6.1 order) first, then kvip's.
const std::vector<family_spec>& kube_vip_family_specs();

/// The family table as README-ready markdown.
std::string metrics_table_markdown();

/// promtool check metrics complaints kvip accepts to keep kube-vip's names,
/// exactly as promtool prints them (one line each).
const std::vector<std::string>& promtool_accepted_complaints();

/// kube_vip_service_reconcile_errors_total{reason}: kube-vip's four reasons.
enum class reconcile_reason {
  invalid_config,  ///< the Service's annotations or spec cannot be acted on
  service_context, ///< kube-vip: its per-Service context; kvip: per-Service state
  delete_service,  ///< removing the Service's VIP failed
  new_instance,    ///< bringing the Service's VIP up failed
};

/// kube_vip_service_election_errors_total{reason}.
enum class election_error_reason {
  no_lease,  ///< kube-vip's: no Lease to elect on
  api_error, ///< kvip's: a Lease request to the API server failed
};

/// kube_vip_manager_bgp_session_info{state}: GoBGP's session states, as kube-vip names them.
enum class bgp_state { unknown, idle, connect, active, opensent, openconfirm, established };

/// kvip_services_skipped{reason}: why a LoadBalancer Service is not announced.
enum class skip_reason {
  ignored,             ///< kube-vip.io/ignore=true
  other_class,         ///< loadBalancerClass names another controller
  no_address,          ///< no address yet (none requested, pool empty or exhausted)
  unsupported_address, ///< 0.0.0.0 / :: (DHCP, a later issue)
  ip_conflict,         ///< shares an address with overlapping ports and no allow-share
  no_endpoints,        ///< no eligible endpoint (and no allow-reconcile-without-endpoints)
  invalid,             ///< an annotation or field kvip cannot parse
};

std::string_view to_string(reconcile_reason r);
std::string_view to_string(election_error_reason r);
std::string_view to_string(bgp_state s);
std::string_view to_string(skip_reason r);

/// The typed API over every family of kube_vip_family_specs().
class kube_vip_metrics {
public:
  /// Registers every family in `reg` (idempotent: another registration of the
  /// same names with the same labels, e.g. the Lease elector's, is the same
  /// family). `node` is this node's name (the node labels). Labelled families
  /// show once a series is set; kvip_service_announce_seconds has no labels and
  /// shows (empty) from here on.
  kube_vip_metrics(registry& reg, std::string node);
  kube_vip_metrics(const kube_vip_metrics&) = delete;
  kube_vip_metrics& operator=(const kube_vip_metrics&) = delete;

  // -- process ----------------------------------------------------------------
  /// kube_vip_build_info{version,build,node} = 1 (a second call replaces the first).
  void build_info(std::string_view version, std::string_view build);

  // -- Services (kube-vip's families) -------------------------------------------
  /// One watch event of the Service watcher: ADDED, MODIFIED, DELETED, BOOKMARK
  /// or ERROR; anything else is counted as UNKNOWN.
  void service_event(std::string_view type);
  /// Managed LoadBalancer Services in `ns`; 0 removes the namespace's series.
  void active_services(std::string_view ns, std::size_t n);
  void reconcile_error(std::string_view ns, std::string_view name, reconcile_reason reason);
  /// One reconcile of Service ns/name took `seconds` (labelled by namespace only).
  void reconcile_duration(std::string_view ns, std::string_view name, double seconds);
  /// kvip runs (true) or stopped (false) the per-Service election of ns/name.
  void election_running(std::string_view ns, std::string_view name, bool running);
  void election_attempt(std::string_view ns, std::string_view name);
  void election_error(std::string_view ns, std::string_view name, election_error_reason reason);
  /// Removes every series naming Service ns/name, and its namespace's reconcile
  /// histogram when it was the namespace's last Service seen here.
  void forget_service(std::string_view ns, std::string_view name);

  // -- Leases -------------------------------------------------------------------
  void is_leader(std::string_view lease, bool leading);
  void leader_transition(std::string_view lease);
  /// Removes the Lease's is_leader and transitions series (a deleted Lease).
  void forget_lease(std::string_view lease);

  // -- BGP ----------------------------------------------------------------------
  /// Peer `peer` ("address:port") is in `state`: 1 for it, 0 for every other state.
  void bgp_session(std::string_view peer, bgp_state state);
  void forget_bgp_peer(std::string_view peer);

  // -- kvip's own ---------------------------------------------------------------
  /// A Service change was first announced (ARP/NDP) `seconds` after it was seen.
  void service_announced(double seconds);
  /// Service IPs this node owns now.
  void owned_service_ips(std::size_t n);
  /// LoadBalancer Services not announced now for `reason`.
  void skipped_services(skip_reason reason, std::size_t n);

private:
  using any_family = std::variant<counter_family_t*, gauge_family_t*, histogram_family_t*>;

  counter_family_t& counter_at(std::size_t i) const;
  gauge_family_t& gauge_at(std::size_t i) const;
  histogram_family_t& histogram_at(std::size_t i) const;
  /// Records that ns/name has series here (for forget_service's namespace check).
  void seen(std::string_view ns, std::string_view name);

  std::string node_;
  std::vector<any_family> families_; ///< in kube_vip_family_specs() order
  mutable std::mutex mutex_;
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> services_; ///< ns → names
  label_values build_info_;
};

} // namespace kvip::net::telemetry
