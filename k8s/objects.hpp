// Typed views of the kinds kvip reads and writes (k8s-api-subset.md §6):
// Service, EndpointSlice, Endpoints, Node, Lease, ConfigMap, Secret, Event.
// Each view is an object_view (the raw JSON is kept whole); accessors return
// copies and accept null/absent/empty alike; list items without kind/apiVersion
// are fine.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "k8s/micro_time.hpp"
#include "k8s/object_view.hpp"

namespace kvip::k8s {

// -- Service --------------------------------------------------------------------

struct service_port {
  std::string name;
  std::string protocol = "TCP";
  int port = 0;
  int node_port = 0;
  std::string target_port; ///< int or name, as text
};

struct load_balancer_ingress {
  std::string ip;
  std::string hostname;
  std::string ip_mode; ///< "VIP", "Proxy" or ""
  bool operator==(const load_balancer_ingress&) const = default;
};

/// A v1 Service.
class service : public object_view {
public:
  using object_view::object_view;
  std::string type() const { return jsonpath::str(raw_, {"spec", "type"}); }
  std::string load_balancer_class() const {
    return jsonpath::str(raw_, {"spec", "loadBalancerClass"});
  }
  std::string load_balancer_ip() const { return jsonpath::str(raw_, {"spec", "loadBalancerIP"}); }
  std::string external_traffic_policy() const {
    return jsonpath::str(raw_, {"spec", "externalTrafficPolicy"});
  }
  std::vector<std::string> cluster_ips() const;
  std::map<std::string, std::string> selector() const {
    return jsonpath::string_map(raw_, {"spec", "selector"});
  }
  std::vector<service_port> ports() const;
  std::vector<load_balancer_ingress> ingress() const;
  /// Replaces status.loadBalancer.ingress, keeping every other status field.
  void set_ingress(const std::vector<load_balancer_ingress>& ingress);
};

/// The merge patch that sets status.loadBalancer.ingress (null clears it when empty).
boost::json::object ingress_status_patch(const std::vector<load_balancer_ingress>& ingress);

// -- EndpointSlice / Endpoints --------------------------------------------------

struct slice_endpoint {
  std::vector<std::string> addresses;
  std::optional<bool> ready; ///< absent = unknown (treat as ready)
  std::optional<bool> serving;
  std::optional<bool> terminating;
  std::string node_name;
  std::string zone;
};

struct endpoint_port {
  std::string name;
  std::string protocol = "TCP";
  int port = 0;
};

/// A discovery.k8s.io/v1 EndpointSlice.
class endpoint_slice : public object_view {
public:
  using object_view::object_view;
  std::string address_type() const { return jsonpath::str(raw_, {"addressType"}); }
  /// The owning Service (label kubernetes.io/service-name).
  std::string service_name() const { return label("kubernetes.io/service-name").value_or(""); }
  std::vector<slice_endpoint> endpoints() const;
  std::vector<endpoint_port> ports() const;
};

struct endpoint_address {
  std::string ip;
  std::string node_name;
};

struct endpoint_subset {
  std::vector<endpoint_address> addresses;
  std::vector<endpoint_address> not_ready_addresses;
  std::vector<endpoint_port> ports;
};

/// A v1 Endpoints (legacy mode).
class endpoints : public object_view {
public:
  using object_view::object_view;
  std::vector<endpoint_subset> subsets() const;
};

// -- Node -----------------------------------------------------------------------

struct node_address {
  std::string type; ///< InternalIP, ExternalIP, Hostname, …
  std::string address;
};

/// A v1 Node.
class node : public object_view {
public:
  using object_view::object_view;
  std::vector<node_address> addresses() const;
  /// First address of `type`, "" if none.
  std::string address_of(std::string_view type) const;
  /// The Ready condition: true/false, nullopt when unknown or absent.
  std::optional<bool> ready() const;
  bool unschedulable() const {
    return jsonpath::boolean(raw_, {"spec", "unschedulable"}).value_or(false);
  }
};

// -- Lease ------------------------------------------------------------------------

/// A coordination.k8s.io/v1 Lease.
class lease : public object_view {
public:
  using object_view::object_view;
  /// An empty Lease with apiVersion/kind/name/namespace set.
  static lease make(std::string_view ns, std::string_view name);

  std::optional<std::string> holder_identity() const;
  std::optional<int64_t> lease_duration_seconds() const {
    return jsonpath::integer(raw_, {"spec", "leaseDurationSeconds"});
  }
  /// MicroTime fields; nullopt when absent or not exactly six fractional digits.
  std::optional<sys_micros> acquire_time() const;
  std::optional<sys_micros> renew_time() const;
  int64_t lease_transitions() const {
    return jsonpath::integer(raw_, {"spec", "leaseTransitions"}).value_or(0);
  }

  void set_holder_identity(std::string_view v);
  void set_lease_duration_seconds(int64_t v);
  void set_acquire_time(sys_micros t);
  void set_renew_time(sys_micros t);
  void set_lease_transitions(int64_t v);
};

// -- ConfigMap / Secret -----------------------------------------------------------

/// A v1 ConfigMap.
class config_map : public object_view {
public:
  using object_view::object_view;
  std::map<std::string, std::string> data() const { return jsonpath::string_map(raw_, {"data"}); }
  std::optional<std::string> value(std::string_view key) const;
  /// binaryData values, base64-decoded (undecodable entries skipped).
  std::map<std::string, std::string> binary_data() const;
};

/// A v1 Secret; data values are returned decoded.
class secret : public object_view {
public:
  using object_view::object_view;
  std::string type() const { return jsonpath::str(raw_, {"type"}); }
  std::map<std::string, std::string> data() const;
  std::optional<std::string> value(std::string_view key) const;
};

// -- Event ------------------------------------------------------------------------

/// What an Event is about and says.
struct event_spec {
  std::string reason;          ///< "LoadBalancerAssigned"
  std::string message;         ///< human text
  std::string type = "Normal"; ///< Normal | Warning
  std::string component = "kvip";
  std::string host; ///< reporting node
};

/// A core/v1 Event about `involved` (name `<object>.<hex ns>`, count 1, timestamps now).
boost::json::object make_event(const object_view& involved, const event_spec& spec,
                               std::chrono::system_clock::time_point now);

/// A v1 Event.
class event : public object_view {
public:
  using object_view::object_view;
  std::string reason() const { return jsonpath::str(raw_, {"reason"}); }
  std::string message() const { return jsonpath::str(raw_, {"message"}); }
  std::string type() const { return jsonpath::str(raw_, {"type"}); }
  std::string involved_kind() const { return jsonpath::str(raw_, {"involvedObject", "kind"}); }
  std::string involved_name() const { return jsonpath::str(raw_, {"involvedObject", "name"}); }
};

} // namespace kvip::k8s
