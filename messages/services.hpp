#pragma once
// Services of type LoadBalancer (issue 10): what the service watcher reports,
// and the status a Service IP's owner has written.
//
// Producers → consumers:
//   service_watcher → subscriber       : service_ips (the whole desired set of
//                                        Service IPs, after the first list of
//                                        Services and endpoints and on every
//                                        change of it; the elector role: the
//                                        gossip actor; or, gossip off, the
//                                        service_elector role)
//   service_watcher → service_watcher  : service_ips (its watch threads' report)
//   an IP's owner   → status_writer    : service_status (one per Service on
//                                        an IP whose owner changed)
//
// Ownership is per IP, never per Service (DESIGN.md §3): Services sharing an
// address travel in one service_ip and share one owner.

#include <cstdint>
#include <string>
#include <vector>

#include "caf/meta/type_name.hpp"
#include "caf/typed_actor.hpp"
#include "messages/supervision.hpp"
#include "messages/traced.hpp"

namespace kvip::msg {

/// One port of a Service ("TCP", 80).
struct service_port {
  std::string protocol; ///< TCP, UDP or SCTP
  std::int32_t port = 0;
  bool operator==(const service_port&) const = default;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, service_port& x) {
  return f(caf::meta::type_name("service_port"), x.protocol, x.port);
}

/// A Service on an address.
struct service_ref {
  std::string ns;
  std::string name;
  std::string uid;
  std::vector<service_port> ports;
  /// Every address of the Service (a dual-stack one has two, each its own
  /// service_ip, perhaps owned by different nodes): what its status lists.
  std::vector<std::string> addresses;
  bool operator==(const service_ref&) const = default;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, service_ref& x) {
  return f(caf::meta::type_name("service_ref"), x.ns, x.name, x.uid, x.ports, x.addresses);
}

/// One address to announce, and which nodes may announce it.
struct service_ip {
  std::string address;               ///< canonical IPv4 or IPv6 text
  std::vector<service_ref> services; ///< the Services on it, sorted by namespace/name
  /// externalTrafficPolicy Cluster (every Service on the IP): any healthy
  /// node may announce it. Local: only `nodes`.
  bool any_node = true;
  std::vector<std::string> nodes; ///< !any_node: nodes with a ready local endpoint, sorted
  std::string interface;          ///< kube-vip.io/serviceInterface; "" = vip_interface
  /// Lease mode (gossip off): the per-Service Lease kube-vip would use
  /// (kubevip-<service>, or kube-vip.io/leaseName) and its namespace.
  std::string lease_name;
  std::string lease_namespace;
  /// Lease mode with svc_election=false: elected on that Lease of its own, not
  /// the global one (forcePerServiceElection under per_service_election_on_demand).
  bool own_lease = false;
  /// kube-vip.io/flush-conntrack on a Service on it: the owner deletes the
  /// conntrack entries toward it when it starts or stops announcing it.
  bool flush_conntrack = false;
  bool operator==(const service_ip&) const = default;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, service_ip& x) {
  return f(caf::meta::type_name("service_ip"), x.address, x.services, x.any_node, x.nodes,
           x.interface, x.lease_name, x.lease_namespace, x.own_lease, x.flush_conntrack);
}

/// Every Service IP kvip should announce now, sorted by address.
struct service_ips : traced {
  static constexpr const char* name = "service_ips";
  std::vector<service_ip> ips;
  /// When the watcher saw the first change this set reflects (steady clock,
  /// ns since its epoch; 0 = unknown): the start of kvip_service_announce_seconds.
  std::int64_t changed_at_ns = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, service_ips& x) {
  return f(caf::meta::type_name(service_ips::name), x.ips, x.changed_at_ns);
}

/// What the status of one Service should say: written by the status writer
/// with a PUT of the status subresource (what kube-vip's ClusterRole grants)
/// plus the kube-vip.io/vipHost annotation, coalesced per Service (the latest
/// request wins) and retried without blocking anyone.
struct service_status : traced {
  static constexpr const char* name = "service_status";
  std::string ns;
  std::string service;                  ///< the Service's name
  std::string uid;                      ///< written only while the Service has this uid
  std::vector<std::string> ingress_ips; ///< status.loadBalancer.ingress[].ip
  std::vector<service_port> ports;      ///< status.loadBalancer.ingress[].ports
  std::string vip_host;                 ///< the owner node ("" = remove the annotation)
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, service_status& x) {
  return f(caf::meta::type_name(service_status::name), x.ns, x.service, x.uid, x.ingress_ips,
           x.ports, x.vip_host);
}

/// The service watcher (actors/service_watcher): a child that forwards its
/// watch threads' reports.
using service_watcher_actor = child_actor::extend<caf::reacts_to<service_ips>>;

/// Lease mode: the control-plane Lease elector tells the service elector its
/// VIPs and whether this node holds the control-plane Lease (on every change,
/// and again to a restarted service elector). A Service IP equal to a
/// control-plane VIP belongs to the control-plane Lease and its announcer:
/// one owner (kube-vip elects it on two Leases, weak spot 4c).
struct control_plane_held : traced {
  static constexpr const char* name = "control_plane_held";
  std::vector<std::string> vips;
  bool leading = false;
  bool operator==(const control_plane_held& o) const {
    return vips == o.vips && leading == o.leading;
  }
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, control_plane_held& x) {
  return f(caf::meta::type_name(control_plane_held::name), x.vips, x.leading);
}

/// The Service elector without gossip (actors/service_elector): takes the
/// service watcher's sets and the control-plane Lease elector's news.
using service_elector_actor =
    child_actor::extend<caf::reacts_to<service_ips>, caf::reacts_to<control_plane_held>>;

/// The status writer (actors/status_writer).
using status_writer_actor = child_actor::extend<caf::reacts_to<service_status>>;

} // namespace kvip::msg
