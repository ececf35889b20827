// Which Services kvip serves (reference §3.1 AddOrModify, §1.6 class rules).
//
// In kube-vip's order: the watched namespace (svc_namespace), type LoadBalancer,
// kube-vip.io/ignore, the load-balancer class, then kube-vip's rejection of
// kube-vip.io/leaseName with externalTrafficPolicy other than Cluster (reference
// §3.1 and §3.3: a shared Lease is only allowed with Cluster policy; not one of
// the weak spots of §9, so kvip keeps it, as an invalid configuration).
//
// One deliberate difference: kube-vip's watchers skip a Service annotated
// kube-vip.io/forcePerServiceElection=true everywhere except in the on-demand
// watcher (svc_election=false with per_service_election_on_demand), so with any
// other configuration such a Service is silently never served. kvip serves it
// (with per-Service election when svc_election or on-demand is on) and says in
// `notes` that the annotation has no effect otherwise.
#pragma once

#include <string>
#include <vector>

#include "k8s/services/service.hpp"

namespace kvip::k8s::services {

/// The knobs the filter reads (net/config/config.hpp settings of the same names).
struct filter_config {
  std::string svc_namespace; ///< svc_namespace ("" = all)
  bool lb_class_only = false;
  std::string lb_class_name = "kube-vip.io/kube-vip-class";
  bool lb_class_legacy_handling = true;
  bool svc_election = false;                   ///< svc_election
  bool per_service_election_on_demand = false; ///< per_service_election_on_demand
};

/// Why a Service is not served.
enum class skip_reason {
  none,                ///< served
  other_namespace,     ///< outside svc_namespace
  not_load_balancer,   ///< spec.type is not LoadBalancer (tear down if it was served)
  ignored,             ///< kube-vip.io/ignore=true
  load_balancer_class, ///< spec.loadBalancerClass rules (§1.6)
  invalid_config,      ///< leaseName with externalTrafficPolicy Local (kube-vip's reason label)
};

/// "other_namespace", "not_load_balancer", "ignored", "load_balancer_class",
/// "invalid_config" ("" for none): usable as a metric label.
const char* to_string(skip_reason r);

/// The verdict on one Service.
struct filter_result {
  bool handled = false;
  skip_reason reason = skip_reason::none;
  std::string message; ///< why skipped (names the field and the value)
  bool per_service_election =
      false;                      ///< handled: svc_election, or on-demand + forcePerServiceElection
  std::vector<std::string> notes; ///< handled: annotations that have no effect here
};

/// Applies the rules above.
filter_result filter_service(const service& s, const filter_config& c);

/// The class rule alone (§1.6): "" when `s` passes, else why not.
std::string class_mismatch(const service& s, const filter_config& c);

} // namespace kvip::k8s::services
