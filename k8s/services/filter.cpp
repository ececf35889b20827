#include "k8s/services/filter.hpp"

namespace kvip::k8s::services {

const char* to_string(skip_reason r) {
  switch (r) {
  case skip_reason::none:
    return "";
  case skip_reason::other_namespace:
    return "other_namespace";
  case skip_reason::not_load_balancer:
    return "not_load_balancer";
  case skip_reason::ignored:
    return "ignored";
  case skip_reason::load_balancer_class:
    return "load_balancer_class";
  case skip_reason::invalid_config:
    return "invalid_config";
  }
  return "?";
}

std::string class_mismatch(const service& s, const filter_config& c) {
  const auto& cls = s.load_balancer_class;
  const std::string want = quote(c.lb_class_name);
  if (c.lb_class_legacy_handling) {
    // Legacy: class-less Services are served unless lb_class_only; a class must match.
    if (cls && *cls != c.lb_class_name)
      return "spec.loadBalancerClass " + quote(*cls) + " is not lb_class_name " + want;
    if (!cls && c.lb_class_only)
      return "no spec.loadBalancerClass, and lb_class_only serves only class " + want;
    return "";
  }
  // Modern: the class must equal lb_class_name; an empty name means "no class".
  if (!cls && !c.lb_class_name.empty())
    return "no spec.loadBalancerClass, and lb_class_legacy_handling=false serves only class " +
           want;
  if (cls && *cls != c.lb_class_name)
    return c.lb_class_name.empty()
               ? "spec.loadBalancerClass " + quote(*cls) +
                     " is set, and an empty lb_class_name serves only class-less Services"
               : "spec.loadBalancerClass " + quote(*cls) + " is not lb_class_name " + want;
  return "";
}

namespace {

filter_result skip(skip_reason r, std::string message) {
  filter_result out;
  out.reason = r;
  out.message = std::move(message);
  return out;
}

} // namespace

filter_result filter_service(const service& s, const filter_config& c) {
  if (!c.svc_namespace.empty() && s.ns != c.svc_namespace)
    return skip(skip_reason::other_namespace,
                "namespace " + quote(s.ns) + " is not svc_namespace " + quote(c.svc_namespace));
  if (!s.is_load_balancer())
    return skip(skip_reason::not_load_balancer,
                "spec.type " + quote(s.type) + " is not LoadBalancer");
  if (s.kv.ignore) return skip(skip_reason::ignored, "kube-vip.io/ignore is \"true\"");
  if (auto why = class_mismatch(s, c); !why.empty())
    return skip(skip_reason::load_balancer_class, why);
  if (s.kv.lease_name && s.external_traffic_policy != traffic_policy::cluster)
    return skip(skip_reason::invalid_config,
                "kube-vip.io/leaseName needs externalTrafficPolicy Cluster (a shared Lease "
                "cannot follow local endpoints), got " +
                    std::string(to_string(s.external_traffic_policy)));
  filter_result out;
  out.handled = true;
  out.per_service_election =
      c.svc_election || (c.per_service_election_on_demand && s.kv.force_per_service_election);
  if (s.kv.allow_reconcile_without_endpoints && s.external_traffic_policy == traffic_policy::local)
    out.notes.push_back("kube-vip.io/allow-reconcile-without-endpoints has no effect with "
                        "externalTrafficPolicy Local");
  if (s.kv.force_per_service_election && !c.per_service_election_on_demand && !c.svc_election)
    out.notes.push_back("kube-vip.io/forcePerServiceElection has no effect without "
                        "per_service_election_on_demand");
  return out;
}

} // namespace kvip::k8s::services
