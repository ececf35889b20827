// The column definitions of kube-apiserver's printers for the kinds the embedded
// API server prints: the same names, types, formats and priorities, so kubectl
// shows the columns a user expects; the descriptions are kvip's own short text.
#include "simulation/table.hpp"

namespace kvip::sim {

namespace json = boost::json;

namespace {

// Column descriptions, in kvip's own words (clients show them in help text only).
constexpr const char* name_doc =
    "The object's name, unique within its namespace (or the cluster for cluster-scoped kinds).";
constexpr const char* age_doc =
    "Time since the server created the object (metadata.creationTimestamp).";
constexpr const char* svc_type_doc =
    "How the Service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.";
constexpr const char* svc_cluster_ip_doc =
    "The Service's cluster-internal virtual IP (spec.clusterIP), or None for a headless Service.";
constexpr const char* svc_external_ips_doc =
    "Addresses outside the cluster that reach the Service: load-balancer ingress IPs, then "
    "spec.externalIPs.";
constexpr const char* svc_ports_doc = "The Service's ports as port[:nodePort]/protocol.";
constexpr const char* svc_selector_doc =
    "The pod label selector that feeds the Service's endpoints.";
constexpr const char* lease_holder_doc = "Who holds the Lease now (spec.holderIdentity).";
constexpr const char* node_kubelet_doc = "The kubelet version the node reports.";
constexpr const char* node_addresses_doc = "An address the node reports in status.addresses.";
constexpr const char* node_os_doc = "The operating system image the node reports.";
constexpr const char* node_kernel_doc = "The kernel version the node reports.";
constexpr const char* node_runtime_doc = "The container runtime and version the node reports.";
constexpr const char* slice_address_type_doc =
    "The kind of address the slice holds: IPv4, IPv6 or FQDN.";
constexpr const char* slice_ports_doc = "The ports every endpoint in the slice serves.";
constexpr const char* slice_endpoints_doc = "The first addresses of the slice's endpoints.";
constexpr const char* cm_data_doc = "How many keys the ConfigMap holds (data and binaryData).";
constexpr const char* secret_type_doc = "The Secret's type, which says what its data is for.";
constexpr const char* secret_data_doc = "How many keys the Secret holds.";
constexpr const char* ep_subsets_doc = "The first address:port pairs of the Endpoints.";
constexpr const char* ev_last_doc = "How long ago the event was last seen.";
constexpr const char* ev_type_doc = "Normal or Warning.";
constexpr const char* ev_reason_doc = "A short machine-readable reason for the event.";
constexpr const char* ev_object_doc = "The object the event is about.";
constexpr const char* ev_subobject_doc =
    "The part of the object the event is about (involvedObject.fieldPath).";
constexpr const char* ev_source_doc = "The component (and host) that reported the event.";
constexpr const char* ev_message_doc = "What happened, for a person to read.";
constexpr const char* ev_first_doc = "How long ago the event was first seen.";
constexpr const char* ev_count_doc = "How many times the event has happened.";

json::object column(std::string_view name, std::string_view type, std::string_view description,
                    int priority = 0, std::string_view format = "") {
  return {{"name", name},
          {"type", type},
          {"format", format},
          {"description", description},
          {"priority", priority}};
}

json::array event_columns() {
  return {column("Last Seen", "string", ev_last_doc),
          column("Type", "string", ev_type_doc),
          column("Reason", "string", ev_reason_doc),
          column("Object", "string", ev_object_doc),
          column("Subobject", "string", ev_subobject_doc, 1),
          column("Source", "string", ev_source_doc, 1),
          column("Message", "string", ev_message_doc),
          column("First Seen", "string", ev_first_doc, 1),
          column("Count", "string", ev_count_doc, 1),
          column("Name", "string", name_doc, 1, "name")};
}

/// The columns after Name (and before Age where the kind has one).
json::array kind_columns(std::string_view k) {
  if (k == "Service") {
    return {column("Type", "string", svc_type_doc),
            column("Cluster-IP", "string", svc_cluster_ip_doc),
            column("External-IP", "string", svc_external_ips_doc),
            column("Port(s)", "string", svc_ports_doc),
            column("Age", "string", age_doc),
            column("Selector", "string", svc_selector_doc, 1)};
  }
  if (k == "Lease")
    return {column("Holder", "string", lease_holder_doc), column("Age", "string", age_doc)};
  if (k == "Node") {
    return {column("Status", "string", "The status of the node"),
            column("Roles", "string", "The roles of the node"),
            column("Age", "string", age_doc),
            column("Version", "string", node_kubelet_doc),
            column("Internal-IP", "string", node_addresses_doc, 1),
            column("External-IP", "string", node_addresses_doc, 1),
            column("OS-Image", "string", node_os_doc, 1),
            column("Kernel-Version", "string", node_kernel_doc, 1),
            column("Container-Runtime", "string", node_runtime_doc, 1)};
  }
  if (k == "EndpointSlice") {
    return {column("AddressType", "string", slice_address_type_doc),
            column("Ports", "string", slice_ports_doc),
            column("Endpoints", "string", slice_endpoints_doc), column("Age", "string", age_doc)};
  }
  if (k == "Endpoints")
    return {column("Endpoints", "string", ep_subsets_doc), column("Age", "string", age_doc)};
  if (k == "Namespace") {
    return {column("Status", "string", "The status of the namespace"),
            column("Age", "string", age_doc)};
  }
  if (k == "ConfigMap")
    return {column("Data", "string", cm_data_doc), column("Age", "string", age_doc)};
  if (k == "Secret") {
    return {column("Type", "string", secret_type_doc), column("Data", "string", secret_data_doc),
            column("Age", "string", age_doc)};
  }
  return {column("Age", "string", age_doc)};
}

} // namespace

json::array table_columns(const resource_info& res) {
  if (res.group.empty() && res.kind == "Event") return event_columns();
  json::array c{column("Name", "string", name_doc, 0, "name")};
  for (auto& col : kind_columns(res.kind))
    c.push_back(std::move(col));
  return c;
}

} // namespace kvip::sim
