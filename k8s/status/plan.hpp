// What a Service's status must say, and the writes that make it so (issue 10,
// "Status"): status.loadBalancer.ingress (one entry per IP, each with the
// Service's ports) written with a PUT of the status subresource, and the
// kube-vip.io/vipHost annotation (the owner node; removed when there is none)
// written with a PUT of the Service itself. Both are what kube-vip's
// ClusterRole grants (services: update, services/status: update; no patch),
// and both carry the resourceVersion read, so a concurrent writer's change is
// never overwritten (409, read again).
//
// Pure: given the wanted status and the Service as read (a GET, or the answer
// of the previous PUT), next_step says which write comes next and its exact
// body, or that none is needed (a repeated request writes nothing), or that
// the Service was recreated since the request (another uid: write nothing).
// Unlike kube-vip (reference §9 W14), an empty ingress list clears the status
// and an empty vip_host removes the annotation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

namespace kvip::k8s::status {

/// The annotation naming the node that announces the Service's addresses.
inline constexpr std::string_view vip_host_annotation = "kube-vip.io/vipHost";

/// One port of status.loadBalancer.ingress[].ports.
struct port_status {
  std::string protocol; ///< TCP, UDP or SCTP; "" reads as TCP
  std::int32_t port = 0;
  bool operator==(const port_status&) const = default;
};

/// The status one Service should have (msg::service_status without CAF).
struct wanted {
  std::string ns;
  std::string name;
  std::string uid;                      ///< "" = any incarnation of the Service
  std::vector<std::string> ingress_ips; ///< in order; empty clears the ingress
  std::vector<port_status> ports;       ///< the same list on every ingress entry
  std::string vip_host;                 ///< "" removes the annotation
  bool operator==(const wanted&) const = default;

  /// "namespace/name": one slot per Service.
  std::string key() const { return ns + "/" + name; }
};

/// What to do next.
enum class step_kind {
  done,        ///< the Service says what is wanted: no write
  put_status,  ///< PUT `body` to /api/v1/namespaces/{ns}/services/{name}/status
  put_service, ///< PUT `body` to /api/v1/namespaces/{ns}/services/{name}
  recreated,   ///< the Service has another uid than the request: write nothing
};

const char* to_string(step_kind k);

/// The next write and its body (the Service as read, with only the status or
/// only the annotation changed, its resourceVersion kept for the CAS).
struct step {
  step_kind kind = step_kind::done;
  boost::json::object body;
  std::string what; ///< one line for logs: "ingress 192.0.2.1 (TCP/80)", "vipHost n1", ...
};

/// The next write towards `want`, given `service` as read: the status first
/// (what `kubectl get svc` shows as EXTERNAL-IP), then the annotation.
step next_step(const wanted& want, const boost::json::object& service);

/// status.loadBalancer.ingress as `want` asks it.
boost::json::array ingress_of(const wanted& want);

/// Whether the Service's ingress already says what `want` asks: the same IPs
/// in the same order, each with exactly the wanted ports, no hostname, and
/// ipMode absent or "VIP" (what the API server defaults it to).
bool ingress_matches(const wanted& want, const boost::json::object& service);

/// "192.0.2.1 (TCP/80, UDP/53)" or "none": the ingress for logs.
std::string describe_ingress(const wanted& want);

} // namespace kvip::k8s::status
