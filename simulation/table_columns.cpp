// The column definitions of kube-apiserver's printers (pkg/printers/internalversion)
// for the kinds the embedded API server prints: names, types, priorities, and as
// descriptions the API types' field documentation (SwaggerDoc), as it sends them.
#include "simulation/table.hpp"

namespace kvip::sim {

namespace json = boost::json;

namespace {

// Field documentation of the Kubernetes API types (metav1.ObjectMeta, core/v1,
// coordination/v1, discovery/v1beta1 — the one the EndpointSlice printer names).
constexpr const char* name_doc =
    "Name must be unique within a namespace. Is required when creating resources, although so"
    "me resources may allow a client to request the generation of an appropriate name automat"
    "ically. Name is primarily intended for creation idempotence and configuration definition"
    ". Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-wit"
    "h-objects/names#names";
constexpr const char* age_doc =
    "CreationTimestamp is a timestamp representing the server time when this object was creat"
    "ed. It is not guaranteed to be set in happens-before order across separate operations. C"
    "lients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopul"
    "ated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/c"
    "ontributors/devel/sig-architecture/api-conventions.md#metadata";
constexpr const char* svc_type_doc =
    "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are Ext"
    "ernalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-inte"
    "rnal IP address for load-balancing to endpoints. Endpoints are determined by the selecto"
    "r or if that is not specified, by manual construction of an Endpoints object or Endpoint"
    "Slice objects. If clusterIP is \"None\", no virtual IP is allocated and the endpoints ar"
    "e published as a set of endpoints rather than a virtual IP. \"NodePort\" builds on Clust"
    "erIP and allocates a port on every node which routes to the same endpoints as the cluste"
    "rIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer (if suppo"
    "rted in the current cloud) which routes to the same endpoints as the clusterIP. \"Extern"
    "alName\" aliases this service to the specified externalName. Several other fields do not"
    " apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services"
    "-networking/service/#publishing-services-service-types";
constexpr const char* svc_cluster_ip_doc =
    "clusterIP is the IP address of the service and is usually assigned randomly. If an addre"
    "ss is specified manually, is in-range (as per system configuration), and is not in use, "
    "it will be allocated to the service; otherwise creation of the service will fail. This f"
    "ield may not be changed through updates unless the type field is also being changed to E"
    "xternalName (which requires this field to be blank) or the type field is being changed f"
    "rom ExternalName (in which case this field may optionally be specified, as describe abov"
    "e).  Valid values are \"None\", empty string (\"\"), or a valid IP address. Setting this"
    " to \"None\" makes a \"headless service\" (no virtual IP), which is useful when direct e"
    "ndpoint connections are preferred and proxying is not required.  Only applies to types C"
    "lusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service"
    " of type ExternalName, creation will fail. This field will be wiped when updating a Serv"
    "ice to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networ"
    "king/service/#virtual-ips-and-service-proxies";
constexpr const char* svc_external_ips_doc =
    "externalIPs is a list of IP addresses for which nodes in the cluster will also accept tr"
    "affic for this service.  These IPs are not managed by Kubernetes.  The user is responsib"
    "le for ensuring that traffic arrives at a node with this IP.  A common example is extern"
    "al load-balancers that are not part of the Kubernetes system.";
constexpr const char* svc_ports_doc =
    "The list of ports that are exposed by this service. More info: https://kubernetes.io/doc"
    "s/concepts/services-networking/service/#virtual-ips-and-service-proxies";
constexpr const char* svc_selector_doc =
    "Route service traffic to pods with label keys and values matching this selector. If empt"
    "y or not present, the service is assumed to have an external process managing its endpoi"
    "nts, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and Lo"
    "adBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/conce"
    "pts/services-networking/service/";
constexpr const char* lease_holder_doc =
    "holderIdentity contains the identity of the holder of a current lease. If Coordinated Le"
    "ader Election is used, the holder identity must be equal to the elected LeaseCandidate.m"
    "etadata.name field.";
constexpr const char* node_kubelet_doc = "Kubelet Version reported by the node.";
constexpr const char* node_addresses_doc =
    "List of addresses reachable to the node. Queried from cloud provider, if available. More"
    " info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field"
    " is declared as mergeable, but the merge key is not sufficiently unique, which can cause"
    " data corruption when it is merged. Callers should instead use a full-replacement patch."
    " See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can "
    "change during the lifetime of a Node. However, there are some exceptions where this may "
    "not be possible, such as Pods that inherit a Node's address in its own status or consume"
    "rs of the downward API (status.hostIP).";
constexpr const char* node_os_doc =
    "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).";
constexpr const char* node_kernel_doc =
    "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).";
constexpr const char* node_runtime_doc =
    "ContainerRuntime Version reported by the node through runtime remote API (e.g. container"
    "d://1.4.2).";
constexpr const char* slice_address_type_doc =
    "addressType specifies the type of address carried by this EndpointSlice. All addresses i"
    "n this slice must be the same type. This field is immutable after creation. The followin"
    "g address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Rep"
    "resents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.";
constexpr const char* slice_ports_doc =
    "ports specifies the list of network ports exposed by each endpoint in this slice. Each p"
    "ort must have a unique name. When ports is empty, it indicates that there are no defined"
    " ports. When a port is defined with a nil port value, it indicates \"all ports\". Each s"
    "lice may include a maximum of 100 ports.";
constexpr const char* slice_endpoints_doc =
    "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum "
    "of 1000 endpoints.";
constexpr const char* cm_data_doc =
    "Data contains the configuration data. Each key must consist of alphanumeric characters, "
    "'-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The"
    " keys stored in Data must not overlap with the keys in the BinaryData field, this is enf"
    "orced during validation process.";
constexpr const char* secret_type_doc =
    "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.i"
    "o/docs/concepts/configuration/secret/#secret-types";
constexpr const char* secret_data_doc =
    "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_"
    "' or '.'. The serialized form of the secret data is a base64 encoded string, representin"
    "g the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.o"
    "rg/html/rfc4648#section-4";
constexpr const char* ep_subsets_doc =
    "The set of all endpoints is the union of all subsets. Addresses are placed into subsets "
    "according to the IPs they share. A single address with multiple ports, some of which are"
    " ready and some of which are not (because they come from different containers) will resu"
    "lt in the address being displayed in different subsets for the different ports. No addre"
    "ss will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addre"
    "sses and ports that comprise a service.";
constexpr const char* ev_last_doc =
    "The time at which the most recent occurrence of this event was recorded.";
constexpr const char* ev_type_doc =
    "Type of this event (Normal, Warning), new types could be added in the future";
constexpr const char* ev_reason_doc =
    "This should be a short, machine understandable string that gives the reason for the tran"
    "sition into the object's current status.";
constexpr const char* ev_object_doc = "The object that this event is about.";
constexpr const char* ev_subobject_doc =
    "If referring to a piece of an object instead of an entire object, this string should con"
    "tain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]"
    ". For example, if the object reference is to a container within a pod, this would take o"
    "n a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the cont"
    "ainer that triggered the event) or if no container name is specified \"spec.containers[2"
    "]\" (container with index 2 in this pod). This syntax is chosen only to have some well-d"
    "efined way of referencing a part of an object.";
constexpr const char* ev_source_doc =
    "The component reporting this event. Should be a short machine understandable string.";
constexpr const char* ev_message_doc =
    "A human-readable description of the status of this operation.";
constexpr const char* ev_first_doc =
    "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)";
constexpr const char* ev_count_doc = "The number of times this event has occurred.";

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
