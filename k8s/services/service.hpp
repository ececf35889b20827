// A core/v1 Service as kvip reads it, and which addresses it asks for.
//
// parse_service is strict: every field kvip uses is type-checked and validated,
// and a bad one is an error naming the field and the value (the Service then
// gets an Event and a counted reason instead of a guess). Annotations are parsed
// by parse_annotations (annotations.hpp); an error there fails the parse, its
// warnings stay in `service::kv.issues`.
//
// select_addresses implements reference §3.2 (see its comment).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "k8s/services/annotations.hpp"
#include "k8s/services/types.hpp"
#include "net/rfc3339.hpp"

namespace kvip::k8s::services {

/// spec.externalTrafficPolicy ("" and absent read as Cluster, the API default).
enum class traffic_policy { cluster, local };
/// spec.ipFamilyPolicy.
enum class family_policy { unset, single_stack, prefer_dual_stack, require_dual_stack };

const char* to_string(traffic_policy p);
const char* to_string(family_policy p);

/// One entry of spec.ports.
struct service_port {
  std::string name;
  protocol proto = protocol::tcp;
  std::uint16_t port = 0;
  port_key key() const { return {proto, port}; }
  bool operator==(const service_port&) const = default;
};

/// One entry of status.loadBalancer.ingress.
struct ingress_entry {
  std::optional<net::ip_address> ip;
  std::string hostname;
  bool operator==(const ingress_entry&) const = default;
};

/// A parsed Service.
struct service {
  std::string ns;
  std::string name;
  std::string uid;
  std::string resource_version;
  std::optional<net::sys_micros> created; ///< metadata.creationTimestamp
  std::string type = "ClusterIP";         ///< spec.type (API default ClusterIP)
  std::optional<std::string> load_balancer_class;
  traffic_policy external_traffic_policy = traffic_policy::cluster;
  std::vector<ip_family> ip_families; ///< spec.ipFamilies, in order, each once
  family_policy ip_family_policy = family_policy::unset;
  std::vector<service_port> ports;
  std::optional<net::ip_address> load_balancer_ip; ///< spec.loadBalancerIP ("" = none)
  std::vector<ingress_entry> ingress;              ///< status.loadBalancer.ingress
  std::map<std::string, std::string> annotations;  ///< raw
  std::map<std::string, std::string> labels;       ///< raw
  service_annotations kv;                          ///< annotations, typed

  /// "namespace/name".
  std::string key() const { return ns + "/" + name; }
  bool is_load_balancer() const { return type == "LoadBalancer"; }
};

/// Parses a core/v1 Service object (see the header comment).
result<service> parse_service(const boost::json::object& obj);

/// The Lease of per-Service election as kube-vip names it: kube-vip.io/leaseName
/// ("name" in the Service's namespace, or "ns/name"), else "kubevip-<service>".
lease_ref service_lease(const service& s);

/// The addresses a Service asks for.
struct address_selection {
  /// Where they came from.
  enum class source { none, annotation, status, spec, status_and_spec };
  source from = source::none;
  std::vector<net::ip_address> addresses; ///< to announce: in order, each once, no 0.0.0.0 / ::
  std::vector<std::string> hostnames;     ///< DNS names (need resolution; not announced as is)
  bool dhcp_v4 = false;              ///< 0.0.0.0 asked for: DHCP, not acted on yet (DHCP issue)
  bool dhcp_v6 = false;              ///< :: asked for: likewise
  std::vector<ip_family> families;   ///< the families the Service wants, in order
  std::vector<std::string> excluded; ///< addresses dropped by spec.ipFamilies, with the reason
  std::vector<std::string> notes;    ///< e.g. RequireDualStack with one family only

  /// True when there is nothing to announce, resolve or obtain.
  bool empty() const { return addresses.empty() && hostnames.empty() && !dhcp_v4 && !dhcp_v6; }
  bool operator==(const address_selection&) const = default;
};

/// "none", "annotation", "status", "spec", "status+spec".
const char* to_string(address_selection::source s);

/// Reference §3.2, in order:
/// 1. kube-vip.io/loadbalancerIPs (IPs, DNS names, 0.0.0.0 / ::) wins outright;
/// 2. else status.loadBalancer.ingress (ip and hostname entries), except that when
///    spec.loadBalancerIP is set and a status IP of its family differs from it, the status
///    IPs of that family are replaced by spec.loadBalancerIP (per family: kube-vip drops the
///    other family's status IPs too, which loses the second address of a dual-stack
///    Service whose spec names one family);
/// 3. else spec.loadBalancerIP.
/// Then the families: with spec.ipFamilies set, addresses of a family the Service does not
/// have (SingleStack: only the first) are moved to `excluded`; 0.0.0.0 / :: become dhcp_v4 /
/// dhcp_v6 (reported, not announced).
address_selection select_addresses(const service& s);

} // namespace kvip::k8s::services
