// The endpoints of one Service and the nodes that may announce its addresses.
//
// Sources: discovery.k8s.io/v1 EndpointSlices (default) aggregated over EVERY
// slice of the Service and both address families (kube-vip keeps only the last
// slice per family, reference §9 W8), or the one core/v1 Endpoints object
// (enable_endpoints). FQDN slices carry no addresses to route to and are left
// out, as kube-proxy does.
//
// Conditions, and the rule kvip implements (reference §3.4, §3.8; not W8):
// - ready: conditions.ready; absent means "unknown", read as ready (API docs).
// - serving: conditions.serving; absent reads as the ready value.
// - terminating: conditions.terminating; absent reads as false.
// - Endpoints (v1): `addresses` are ready and serving, `notReadyAddresses` neither.
// A Service's usable endpoints are its ready ones; when it has none, its serving
// ones (terminating pods still draining), so a Service that is being rolled or
// scaled down keeps its VIP where traffic can still be served, like kube-proxy's
// terminating-endpoint fallback. kube-vip instead counts every address for
// Cluster policy (readiness ignored) and `serving` only for Local (a terminating
// but serving pod counts even when ready ones exist elsewhere; absent serving
// counts as not serving).
// A usable endpoint is local to `nodeName`, or when that is absent to
// `hostname` (kube-vip's fallback).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "k8s/services/service.hpp"

namespace kvip::k8s::services {

/// EndpointSlice addressType.
enum class address_type { ipv4, ipv6, fqdn };

/// One endpoint (a slice entry, or one address of a v1 Endpoints subset).
struct endpoint {
  std::vector<net::ip_address> addresses; ///< empty in FQDN slices
  bool ready = true;
  bool serving = true;
  bool terminating = false;
  std::string node; ///< nodeName, else hostname, else ""
  bool operator==(const endpoint&) const = default;
};

/// A parsed EndpointSlice.
struct endpoint_slice_info {
  std::string name;
  std::string service_name; ///< label kubernetes.io/service-name ("" when absent)
  address_type type = address_type::ipv4;
  std::vector<endpoint> endpoints;
};

/// Parses an EndpointSlice; errors name the field ("endpoints[1].addresses[0]") and value.
result<endpoint_slice_info> parse_endpoint_slice(const boost::json::object& obj);

/// Parses a core/v1 Endpoints object into its endpoints (one per address).
result<std::vector<endpoint>> parse_endpoints(const boost::json::object& obj);

/// What a Service's endpoints give.
struct endpoint_summary {
  std::size_t total = 0;         ///< endpoints (a dual-stack pod counts once per family)
  std::size_t ready = 0;         ///< ready endpoints
  std::size_t serving = 0;       ///< serving endpoints (ready or terminating-but-serving)
  bool serving_fallback = false; ///< no ready endpoint: the serving ones are used
  std::set<std::string> nodes;   ///< nodes with a usable local endpoint
  std::map<std::string, std::vector<net::ip_address>> addresses; ///< usable addresses per node
  /// True when the Service has a usable endpoint anywhere.
  bool any_usable() const { return ready > 0 || serving_fallback; }
  bool operator==(const endpoint_summary&) const = default;
};

/// The summary of a set of endpoints (the rule in the header comment).
endpoint_summary summarize(const std::vector<endpoint>& eps);

/// Every endpoint of one Service, kept from its watch events.
class service_endpoints {
public:
  /// ADDED / MODIFIED of an EndpointSlice (replaces the slice of that name; an FQDN
  /// slice removes it).
  void upsert_slice(const endpoint_slice_info& slice);
  /// DELETED of an EndpointSlice.
  void remove_slice(const std::string& name);
  /// The v1 Endpoints object (enable_endpoints) replaces everything.
  void set_endpoints(std::vector<endpoint> eps);
  /// Forget everything (the Endpoints object was deleted, or a relist starts).
  void clear() { slices_.clear(); }
  /// The slices held, by name ("" = the v1 Endpoints object).
  std::size_t slice_count() const { return slices_.size(); }
  /// Every endpoint of every slice.
  std::vector<endpoint> all() const;
  endpoint_summary summary() const { return summarize(all()); }

private:
  std::map<std::string, std::vector<endpoint>> slices_;
};

/// The nodes that may announce a Service, and why not more.
struct eligibility {
  std::vector<std::string> nodes; ///< sorted, each once
  std::string reason;             ///< "" when every healthy node is eligible
  bool operator==(const eligibility&) const = default;
};

/// Cluster policy: every healthy node when the Service has a usable endpoint (or
/// kube-vip.io/allow-reconcile-without-endpoints), else none. Local policy: the healthy
/// nodes with a usable local endpoint (allow-reconcile-without-endpoints has no effect,
/// as in kube-vip).
eligibility eligible_nodes(const service& s, const endpoint_summary& eps,
                           const std::vector<std::string>& healthy_nodes);

} // namespace kvip::k8s::services
