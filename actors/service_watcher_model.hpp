#pragma once
// The state behind the service watcher (actors/service_watcher): every Service
// and every endpoint the watch threads saw, and the desired set of Service IPs
// computed from them with the pure Service model (k8s/services). No actors, no
// threads, no I/O: the watcher guards one instance with its mutex.
//
// What the set holds (msg::service_ips), per IP:
// - the Services that may hold it (sharing_table: oldest claimant first; a later
//   Service with a port in common is left out with reason ip_conflict), minus
//   those that may not be announced yet for want of endpoints (reason
//   no_endpoints): externalTrafficPolicy Cluster needs a usable endpoint
//   anywhere (or kube-vip.io/allow-reconcile-without-endpoints), Local a usable
//   endpoint on some node. An IP none of whose Services may be announced is not
//   in the set.
// - any_node: every remaining Service is Cluster. Otherwise `nodes` are the
//   nodes where the most Local Services on the IP have a usable local endpoint
//   (Cluster Services on the IP are served from any node, so they constrain
//   nothing): the intersection of the Local Services' node sets when it is not
//   empty; when it is, the nodes that serve the most of them, and each Local
//   Service without a local endpoint there gets reason local_endpoints_elsewhere
//   (still announced: a node with no local endpoint would drop its traffic
//   anyway, but the others on the IP are served).
// - lease_name / lease_namespace: service_lease of the oldest Service on the IP
//   (one Lease per IP, since ownership is per IP); interface: the
//   kube-vip.io/serviceInterface of the oldest Service on the IP that has one
//   ("auto" for auto).
// Endpoint nodes are not intersected with healthy nodes here: the watcher does
// not know node health; the elector does.

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "k8s/services/endpoints.hpp"
#include "k8s/services/filter.hpp"
#include "k8s/services/service.hpp"
#include "k8s/services/sharing.hpp"
#include "k8s/watch_event.hpp"
#include "messages/services.hpp"

namespace kvip {

/// Why a Service is not (fully) announced, or what it asks for that kvip does not do.
struct service_report {
  /// The counted reason (a metric label; "" = announced, `notes` only):
  /// invalid_service, invalid_config, ignored, load_balancer_class, no_address,
  ///   unsupported_address (DHCP 0.0.0.0 / ::, DNS names only),
  /// ip_conflict, no_endpoints, local_endpoints_elsewhere.
  std::string reason;
  std::string message;            ///< the reason in words (names the field, value or Service)
  std::vector<std::string> notes; ///< announced anyway: annotations not acted on, ...
  bool warning = false;           ///< a mistake or an unsupported request: warn, record an Event
  bool operator==(const service_report&) const = default;
};

/// What compute() gives.
struct service_set {
  std::vector<msg::service_ip> ips;              ///< sorted by address
  std::map<std::string, service_report> reports; ///< by "namespace/name"
  std::size_t served = 0;                        ///< Services past parse, filter and address
};

/// Every Service and endpoint seen, and the set computed from them.
class service_watch_model {
public:
  explicit service_watch_model(k8s::services::filter_config cfg) : cfg_(std::move(cfg)) {}

  /// A Service event. False when it cannot change the set or the reports (a
  /// ClusterIP Service, say).
  bool on_service(const k8s::watch_event& e);
  /// An EndpointSlice event; `problem` gets a parse error ("" otherwise). False
  /// when no Service kvip follows is concerned.
  bool on_endpoint_slice(const k8s::watch_event& e, std::string& problem);
  /// A core/v1 Endpoints event (enable_endpoints), likewise.
  bool on_endpoints(const k8s::watch_event& e, std::string& problem);

  /// The set and the reports now.
  service_set compute() const;

private:
  /// A Service that passed parse, filter and address selection.
  struct entry {
    k8s::services::service svc;
    k8s::services::address_selection sel;
  };
  /// A Service on an IP that may be announced, and where.
  struct active {
    const entry* e = nullptr;
    bool local = false;
    std::set<std::string> nodes; ///< local: nodes with a usable local endpoint
  };

  void forget(const std::string& key);
  bool accept(const std::string& key, k8s::services::service svc);
  k8s::services::endpoint_summary summary_of(const std::string& key) const;
  std::vector<active> actives(const std::vector<std::string>& holders,
                              std::map<std::string, service_report>& reports) const;
  msg::service_ip build_ip(const net::ip_address& ip, const std::vector<active>& act,
                           std::map<std::string, service_report>& reports) const;
  bool concerns(const std::string& service_key) const { return served_.count(service_key) > 0; }

  k8s::services::filter_config cfg_;
  std::map<std::string, entry> served_;           ///< "ns/name" -> announced candidates
  std::map<std::string, service_report> reports_; ///< from parse, filter, address
  k8s::services::sharing_table sharing_;
  std::map<std::string, k8s::services::service_endpoints> endpoints_; ///< by Service key
  std::map<std::string, std::string> slice_owner_; ///< slice "ns/name" -> Service key
};

} // namespace kvip
