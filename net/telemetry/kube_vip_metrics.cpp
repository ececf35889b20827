#include "net/telemetry/kube_vip_metrics.hpp"

#include <array>
#include <stdexcept>

namespace kvip::net::telemetry {

namespace {

/// Positions in kube_vip_family_specs() (and kube_vip_metrics::families_).
namespace idx {
enum : std::size_t {
  active_services,
  reconcile_errors,
  reconcile_duration,
  all_services_events,
  leader_transitions,
  is_leader_gauge,
  election_loops,
  election_attempts,
  election_errors,
  bgp_session_info,
  build_info_gauge,
  announce_seconds,
  service_owners,
  services_skipped,
  status_writes,
  family_count,
};
} // namespace idx

/// prometheus client_golang's default buckets, which kube-vip's histogram uses:
/// kept so that dashboards reading le="0.1" and the like still work.
const std::vector<double> kube_vip_default_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                   0.5,   1,    2.5,   5,    10};

/// Service change → first announcement: 1 ms to 10 s, denser around the 200 ms p99 target.
const std::vector<double> announce_buckets{0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15,
                                           0.2,   0.3,   0.5,   1,    2.5,   5,    10};

using k = metric_kind;
using w = set_when;

/// kube-vip's Service families.
void service_specs(std::vector<family_spec>& s) {
  s[idx::active_services] = {"kube_vip_active_services",
                             k::gauge,
                             "LoadBalancer Services this kvip manages, by namespace.",
                             {"namespace"},
                             {},
                             true,
                             w::service_pipeline,
                             "Series of a namespace disappear at 0 (as in kube-vip)."};
  s[idx::reconcile_errors] = {
      "kube_vip_service_reconcile_errors_total",
      k::counter,
      "Service reconciles that failed, by Service and reason.",
      {"namespace", "name", "reason"},
      {},
      true,
      w::service_pipeline,
      "reason: invalid_config, service_context, delete_service, new_instance. Removed with "
      "the Service (kube-vip keeps them)."};
  s[idx::reconcile_duration] = {
      "kube_vip_service_reconcile_duration_seconds",
      k::histogram,
      "Time to reconcile one Service change, by namespace.",
      {"namespace"},
      kube_vip_default_buckets,
      true,
      w::service_pipeline,
      "kube-vip's buckets (5 ms to 10 s). Removed with the namespace's last Service."};
  s[idx::all_services_events] = {
      "kube_vip_manager_all_services_events",
      k::counter,
      "Watch events the Service watcher received, by event type.",
      {"type"},
      {},
      true,
      w::service_pipeline,
      "No _total suffix: kube-vip's name, reported by promtool. type: ADDED, MODIFIED, DELETED, "
      "BOOKMARK, ERROR, UNKNOWN."};
}

/// kube-vip's election, BGP and build families.
void election_specs(std::vector<family_spec>& s) {
  s[idx::leader_transitions] = {"kube_vip_leader_election_transitions_total",
                                k::counter,
                                "Times this node became leader of a Lease.",
                                {"lease_name"},
                                {},
                                true,
                                w::now,
                                "Control-plane Lease now (Lease elector); Service Leases with the "
                                "Service pipeline. Removed with a deleted Lease."};
  s[idx::is_leader_gauge] = {"kube_vip_is_leader",
                             k::gauge,
                             "1 while this node holds the Lease, else 0.",
                             {"node", "lease_name"},
                             {},
                             true,
                             w::now,
                             "Also for the control-plane Lease (kube-vip: Service Leases only). "
                             "Removed with a deleted Lease."};
  s[idx::election_loops] = {"kube_vip_service_election_loops",
                            k::gauge,
                            "Per-Service elections this node runs for the Service (at most 1).",
                            {"namespace", "name"},
                            {},
                            true,
                            w::service_pipeline,
                            "1 while kvip runs the election, absent otherwise; never above 1."};
  s[idx::election_attempts] = {"kube_vip_service_election_attempts_total",
                               k::counter,
                               "Attempts to win a Service's Lease.",
                               {"namespace", "name"},
                               {},
                               true,
                               w::service_pipeline,
                               "Removed with the Service."};
  s[idx::election_errors] = {
      "kube_vip_service_election_errors_total",
      k::counter,
      "Failed per-Service elections, by reason.",
      {"namespace", "name", "reason"},
      {},
      true,
      w::service_pipeline,
      "reason: no_lease (kube-vip), api_error (kvip). Removed with the Service."};
  s[idx::bgp_session_info] = {"kube_vip_manager_bgp_session_info",
                              k::gauge,
                              "1 for the current session state of a BGP peer, 0 for the others.",
                              {"state", "peer"},
                              {},
                              true,
                              w::bgp,
                              "peer is address:port with the real port (kube-vip: always 179)."};
  s[idx::build_info_gauge] = {"kube_vip_build_info",
                              k::gauge,
                              "Always 1: the version of this kvip.",
                              {"version", "build", "node"},
                              {},
                              true,
                              w::now,
                              "Set at start (kvip manager)."};
}

/// kvip's own families.
void kvip_specs(std::vector<family_spec>& s) {
  s[idx::announce_seconds] = {"kvip_service_announce_seconds",
                              k::histogram,
                              "Time from a Service change to its address's first announcement.",
                              {},
                              announce_buckets,
                              false,
                              w::service_pipeline,
                              "Service change seen by the watcher → this node announces the "
                              "address, once per change (gossip and Lease mode; "
                              "`k8s/services/announce_clock`). Buckets 1 ms to 10 s."};
  s[idx::service_owners] = {"kvip_service_owners",
                            k::gauge,
                            "Service IPs this node owns and announces.",
                            {"node"},
                            {},
                            false,
                            w::service_pipeline,
                            "Sum over nodes = Service IPs announced."};
  s[idx::services_skipped] = {
      "kvip_services_skipped",
      k::gauge,
      "LoadBalancer Services not announced, by reason.",
      {"reason"},
      {},
      false,
      w::service_pipeline,
      "reason: ignored, other_class, no_address, unsupported_address, ip_conflict, "
      "no_endpoints, invalid."};
  s[idx::status_writes] = {
      "kvip_service_status_writes_total",
      k::counter,
      "Writes of a Service's status.loadBalancer.ingress and kube-vip.io/vipHost "
      "by outcome: written, unchanged (it already said so), gone, recreated "
      "(another uid), failed (retried after a backoff).",
      {"node", "outcome"},
      {},
      false,
      w::now,
      "Set by the status writer (actors/status_writer), one series per outcome."};
}

std::vector<family_spec> make_specs() {
  std::vector<family_spec> s(idx::family_count);
  service_specs(s);
  election_specs(s);
  kvip_specs(s);
  return s;
}

constexpr std::array watch_event_types{"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};

constexpr std::array all_reconcile_reasons{
    reconcile_reason::invalid_config, reconcile_reason::service_context,
    reconcile_reason::delete_service, reconcile_reason::new_instance};
constexpr std::array all_election_error_reasons{election_error_reason::no_lease,
                                                election_error_reason::api_error};
constexpr std::array all_bgp_states{
    bgp_state::unknown,  bgp_state::idle,        bgp_state::connect,    bgp_state::active,
    bgp_state::opensent, bgp_state::openconfirm, bgp_state::established};

std::string_view kind_name(metric_kind k) {
  switch (k) {
  case metric_kind::counter:
    return "counter";
  case metric_kind::gauge:
    return "gauge";
  case metric_kind::histogram:
    return "histogram";
  }
  return "?";
}

std::string_view when_text(set_when w) {
  switch (w) {
  case set_when::now:
    return "now";
  case set_when::service_pipeline:
    return "with the Service pipeline";
  case set_when::bgp:
    return "with BGP mode";
  }
  return "?";
}

std::string str(std::string_view v) {
  return std::string{v};
}

} // namespace

const std::vector<family_spec>& kube_vip_family_specs() {
  static const std::vector<family_spec> specs = make_specs();
  return specs;
}

std::string metrics_table_markdown() {
  std::string out = "| Metric | Type | Labels | From | kvip sets it | Notes |\n"
                    "|---|---|---|---|---|---|\n";
  for (const auto& s : kube_vip_family_specs()) {
    std::string labels;
    for (const auto& l : s.labels)
      labels += (labels.empty() ? "`" : ", `") + l + "`";
    out += "| `" + str(s.name) + "` | " + str(kind_name(s.kind)) + " | " +
           (labels.empty() ? "—" : labels) + " | " + (s.from_kube_vip ? "kube-vip" : "kvip") +
           " | " + str(when_text(s.when)) + " | " + str(s.note) + " |\n";
  }
  return out;
}

const std::vector<std::string>& promtool_accepted_complaints() {
  static const std::vector<std::string> complaints{
      "kube_vip_manager_all_services_events counter metrics should have \"_total\" suffix"};
  return complaints;
}

std::string_view to_string(reconcile_reason r) {
  switch (r) {
  case reconcile_reason::invalid_config:
    return "invalid_config";
  case reconcile_reason::service_context:
    return "service_context";
  case reconcile_reason::delete_service:
    return "delete_service";
  case reconcile_reason::new_instance:
    return "new_instance";
  }
  return "unknown";
}

std::string_view to_string(election_error_reason r) {
  return r == election_error_reason::no_lease ? "no_lease" : "api_error";
}

std::string_view to_string(bgp_state s) {
  constexpr std::array names{"UNKNOWN",  "IDLE",        "CONNECT",    "ACTIVE",
                             "OPENSENT", "OPENCONFIRM", "ESTABLISHED"};
  return names.at(static_cast<std::size_t>(s));
}

std::string_view to_string(skip_reason r) {
  constexpr std::array names{"ignored",     "other_class",  "no_address", "unsupported_address",
                             "ip_conflict", "no_endpoints", "invalid"};
  return names.at(static_cast<std::size_t>(r));
}

kube_vip_metrics::kube_vip_metrics(registry& reg, std::string node) : node_(std::move(node)) {
  for (const auto& s : kube_vip_family_specs()) {
    auto help = str(s.help);
    auto name = str(s.name);
    switch (s.kind) {
    case metric_kind::counter: // the spec's name is exact: never append "_total"
      families_.emplace_back(&reg.counter_family(name, help, s.labels, counter_name::as_given));
      break;
    case metric_kind::gauge:
      families_.emplace_back(&reg.gauge_family(name, help, s.labels));
      break;
    case metric_kind::histogram:
      families_.emplace_back(&reg.histogram_family(name, help, s.labels, s.buckets));
      break;
    }
  }
}

counter_family_t& kube_vip_metrics::counter_at(std::size_t i) const {
  return *std::get<counter_family_t*>(families_.at(i));
}
gauge_family_t& kube_vip_metrics::gauge_at(std::size_t i) const {
  return *std::get<gauge_family_t*>(families_.at(i));
}
histogram_family_t& kube_vip_metrics::histogram_at(std::size_t i) const {
  return *std::get<histogram_family_t*>(families_.at(i));
}

void kube_vip_metrics::seen(std::string_view ns, std::string_view name) {
  auto it = services_.find(ns);
  if (it == services_.end())
    it = services_.emplace(str(ns), std::set<std::string, std::less<>>{}).first;
  if (!it->second.contains(name)) it->second.emplace(name);
}

void kube_vip_metrics::build_info(std::string_view version, std::string_view build) {
  std::lock_guard guard{mutex_};
  label_values values{str(version), str(build), node_};
  if (!build_info_.empty() && build_info_ != values)
    gauge_at(idx::build_info_gauge).remove(build_info_);
  gauge_at(idx::build_info_gauge).with(values).Set(1);
  build_info_ = std::move(values);
}

void kube_vip_metrics::service_event(std::string_view type) {
  std::string_view label = "UNKNOWN";
  for (std::string_view known : watch_event_types)
    if (type == known) label = known;
  std::lock_guard guard{mutex_};
  counter_at(idx::all_services_events).with({str(label)}).Increment();
}

void kube_vip_metrics::active_services(std::string_view ns, std::size_t n) {
  std::lock_guard guard{mutex_};
  if (n == 0) {
    gauge_at(idx::active_services).remove({str(ns)});
  } else {
    gauge_at(idx::active_services).with({str(ns)}).Set(static_cast<double>(n));
  }
}

void kube_vip_metrics::reconcile_error(std::string_view ns, std::string_view name,
                                       reconcile_reason reason) {
  std::lock_guard guard{mutex_};
  seen(ns, name);
  counter_at(idx::reconcile_errors).with({str(ns), str(name), str(to_string(reason))}).Increment();
}

void kube_vip_metrics::reconcile_duration(std::string_view ns, std::string_view name,
                                          double seconds) {
  std::lock_guard guard{mutex_};
  seen(ns, name);
  histogram_at(idx::reconcile_duration).with({str(ns)}).Observe(seconds);
}

void kube_vip_metrics::election_running(std::string_view ns, std::string_view name, bool running) {
  std::lock_guard guard{mutex_};
  if (running) {
    seen(ns, name);
    gauge_at(idx::election_loops).with({str(ns), str(name)}).Set(1);
  } else {
    gauge_at(idx::election_loops).remove({str(ns), str(name)});
  }
}

void kube_vip_metrics::election_attempt(std::string_view ns, std::string_view name) {
  std::lock_guard guard{mutex_};
  seen(ns, name);
  counter_at(idx::election_attempts).with({str(ns), str(name)}).Increment();
}

void kube_vip_metrics::election_error(std::string_view ns, std::string_view name,
                                      election_error_reason reason) {
  std::lock_guard guard{mutex_};
  seen(ns, name);
  counter_at(idx::election_errors).with({str(ns), str(name), str(to_string(reason))}).Increment();
}

void kube_vip_metrics::forget_service(std::string_view ns, std::string_view name) {
  std::lock_guard guard{mutex_};
  const label_values service{str(ns), str(name)};
  for (auto r : all_reconcile_reasons)
    counter_at(idx::reconcile_errors).remove({service[0], service[1], str(to_string(r))});
  for (auto r : all_election_error_reasons)
    counter_at(idx::election_errors).remove({service[0], service[1], str(to_string(r))});
  gauge_at(idx::election_loops).remove(service);
  counter_at(idx::election_attempts).remove(service);
  auto it = services_.find(ns);
  if (it == services_.end()) return;
  if (auto n = it->second.find(name); n != it->second.end()) it->second.erase(n);
  if (!it->second.empty()) return;
  services_.erase(it);
  histogram_at(idx::reconcile_duration).remove({service[0]});
}

void kube_vip_metrics::is_leader(std::string_view lease, bool leading) {
  std::lock_guard guard{mutex_};
  gauge_at(idx::is_leader_gauge).with({node_, str(lease)}).Set(leading ? 1 : 0);
}

void kube_vip_metrics::leader_transition(std::string_view lease) {
  std::lock_guard guard{mutex_};
  counter_at(idx::leader_transitions).with({str(lease)}).Increment();
}

void kube_vip_metrics::forget_lease(std::string_view lease) {
  std::lock_guard guard{mutex_};
  gauge_at(idx::is_leader_gauge).remove({node_, str(lease)});
  counter_at(idx::leader_transitions).remove({str(lease)});
}

void kube_vip_metrics::bgp_session(std::string_view peer, bgp_state state) {
  std::lock_guard guard{mutex_};
  for (auto s : all_bgp_states)
    gauge_at(idx::bgp_session_info).with({str(to_string(s)), str(peer)}).Set(s == state ? 1 : 0);
}

void kube_vip_metrics::forget_bgp_peer(std::string_view peer) {
  std::lock_guard guard{mutex_};
  for (auto s : all_bgp_states)
    gauge_at(idx::bgp_session_info).remove({str(to_string(s)), str(peer)});
}

void kube_vip_metrics::service_announced(double seconds) {
  std::lock_guard guard{mutex_};
  histogram_at(idx::announce_seconds).with().Observe(seconds);
}

void kube_vip_metrics::owned_service_ips(std::size_t n) {
  std::lock_guard guard{mutex_};
  gauge_at(idx::service_owners).with({node_}).Set(static_cast<double>(n));
}

void kube_vip_metrics::skipped_services(skip_reason reason, std::size_t n) {
  std::lock_guard guard{mutex_};
  gauge_at(idx::services_skipped).with({str(to_string(reason))}).Set(static_cast<double>(n));
}

} // namespace kvip::net::telemetry
