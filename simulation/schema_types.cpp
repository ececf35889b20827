// The Go types behind the served kinds (k8s.io/api core/v1, discovery/v1,
// coordination/v1 and apimachinery meta/v1), as field tables: what
// schema.cpp decodes request bodies against. Deep types kvip never reads
// (PodSpec, container statuses, node config) are "any": accepted as sent.
#include <map>

#include "simulation/schema.hpp"

namespace kvip::sim {

namespace {

using table = std::map<std::string_view, std::vector<field_def>, std::less<>>;

void add_meta(table& t) {
  t["v1.ObjectMeta"] = {{"name", "string"},
                        {"generateName", "string"},
                        {"namespace", "string"},
                        {"selfLink", "string"},
                        {"uid", "string"},
                        {"resourceVersion", "string"},
                        {"generation", "int64"},
                        {"creationTimestamp", "v1.Time"},
                        {"deletionTimestamp", "*v1.Time"},
                        {"deletionGracePeriodSeconds", "*int64"},
                        {"labels", "map[string]string"},
                        {"annotations", "map[string]string"},
                        {"ownerReferences", "[]v1.OwnerReference"},
                        {"finalizers", "[]string"},
                        {"managedFields", "[]v1.ManagedFieldsEntry"}};
  t["v1.OwnerReference"] = {{"apiVersion", "string"}, {"kind", "string"},
                            {"name", "string"},       {"uid", "string"},
                            {"controller", "*bool"},  {"blockOwnerDeletion", "*bool"}};
  t["v1.ManagedFieldsEntry"] = {{"manager", "string"},    {"operation", "string"},
                                {"apiVersion", "string"}, {"time", "*v1.Time"},
                                {"fieldsType", "string"}, {"fieldsV1", "*v1.FieldsV1"},
                                {"subresource", "string"}};
  t["v1.ObjectReference"] = {{"kind", "string"},       {"namespace", "string"},
                             {"name", "string"},       {"uid", "string"},
                             {"apiVersion", "string"}, {"resourceVersion", "string"},
                             {"fieldPath", "string"}};
  t["v1.Condition"] = {{"type", "string"},
                       {"status", "string"},
                       {"observedGeneration", "int64"},
                       {"lastTransitionTime", "v1.Time"},
                       {"reason", "string"},
                       {"message", "string"}};
}

void add_service(table& t) {
  t["v1.Service"] = {{"apiVersion", "string"},
                     {"kind", "string"},
                     {"metadata", "v1.ObjectMeta"},
                     {"spec", "v1.ServiceSpec"},
                     {"status", "v1.ServiceStatus"}};
  t["v1.ServiceSpec"] = {{"ports", "[]v1.ServicePort"},
                         {"selector", "map[string]string"},
                         {"clusterIP", "string"},
                         {"clusterIPs", "[]string"},
                         {"type", "string"},
                         {"externalIPs", "[]string"},
                         {"sessionAffinity", "string"},
                         {"loadBalancerIP", "string"},
                         {"loadBalancerSourceRanges", "[]string"},
                         {"externalName", "string"},
                         {"externalTrafficPolicy", "string"},
                         {"healthCheckNodePort", "int32"},
                         {"publishNotReadyAddresses", "bool"},
                         {"sessionAffinityConfig", "*v1.SessionAffinityConfig"},
                         {"ipFamilies", "[]string"},
                         {"ipFamilyPolicy", "*string"},
                         {"allocateLoadBalancerNodePorts", "*bool"},
                         {"loadBalancerClass", "*string"},
                         {"internalTrafficPolicy", "*string"},
                         {"trafficDistribution", "*string"}};
  t["v1.ServicePort"] = {{"name", "string"},
                         {"protocol", "string"},
                         {"appProtocol", "*string"},
                         {"port", "int32"},
                         {"targetPort", "intstr.IntOrString"},
                         {"nodePort", "int32"}};
  t["v1.SessionAffinityConfig"] = {{"clientIP", "*v1.ClientIPConfig"}};
  t["v1.ClientIPConfig"] = {{"timeoutSeconds", "*int32"}};
  t["v1.ServiceStatus"] = {{"loadBalancer", "v1.LoadBalancerStatus"},
                           {"conditions", "[]v1.Condition"}};
  t["v1.LoadBalancerStatus"] = {{"ingress", "[]v1.LoadBalancerIngress"}};
  t["v1.LoadBalancerIngress"] = {{"ip", "string"},
                                 {"hostname", "string"},
                                 {"ipMode", "*string"},
                                 {"ports", "[]v1.PortStatus"}};
  t["v1.PortStatus"] = {{"port", "int32"}, {"protocol", "string"}, {"error", "*string"}};
}

void add_endpoints(table& t) {
  t["v1.Endpoints"] = {{"apiVersion", "string"},
                       {"kind", "string"},
                       {"metadata", "v1.ObjectMeta"},
                       {"subsets", "[]v1.EndpointSubset"}};
  t["v1.EndpointSubset"] = {{"addresses", "[]v1.EndpointAddress"},
                            {"notReadyAddresses", "[]v1.EndpointAddress"},
                            {"ports", "[]v1.EndpointPort"}};
  t["v1.EndpointAddress"] = {{"ip", "string"},
                             {"hostname", "string"},
                             {"nodeName", "*string"},
                             {"targetRef", "*v1.ObjectReference"}};
  t["v1.EndpointPort"] = {
      {"name", "string"}, {"port", "int32"}, {"protocol", "string"}, {"appProtocol", "*string"}};
  t["v1.EndpointSlice"] = {{"apiVersion", "string"},       {"kind", "string"},
                           {"metadata", "v1.ObjectMeta"},  {"addressType", "string"},
                           {"endpoints", "[]v1.Endpoint"}, {"ports", "[]v1.EndpointSlicePort"}};
  t["v1.Endpoint"] = {{"addresses", "[]string"},
                      {"conditions", "v1.EndpointConditions"},
                      {"hostname", "*string"},
                      {"targetRef", "*v1.ObjectReference"},
                      {"deprecatedTopology", "map[string]string"},
                      {"nodeName", "*string"},
                      {"zone", "*string"},
                      {"hints", "*v1.EndpointHints"}};
  t["v1.EndpointConditions"] = {{"ready", "*bool"}, {"serving", "*bool"}, {"terminating", "*bool"}};
  t["v1.EndpointHints"] = {{"forZones", "[]v1.ForZone"}, {"forNodes", "[]v1.ForNode"}};
  t["v1.ForZone"] = {{"name", "string"}};
  t["v1.ForNode"] = {{"name", "string"}};
  // discovery/v1 EndpointPort: every field a pointer.
  t["v1.EndpointSlicePort"] = {
      {"name", "*string"}, {"protocol", "*string"}, {"port", "*int32"}, {"appProtocol", "*string"}};
}

void add_node(table& t) {
  t["v1.Node"] = {{"apiVersion", "string"},
                  {"kind", "string"},
                  {"metadata", "v1.ObjectMeta"},
                  {"spec", "v1.NodeSpec"},
                  {"status", "v1.NodeStatus"}};
  t["v1.NodeSpec"] = {{"podCIDR", "string"},     {"podCIDRs", "[]string"}, {"providerID", "string"},
                      {"unschedulable", "bool"}, {"taints", "[]v1.Taint"}, {"configSource", "any"},
                      {"externalID", "string"}};
  t["v1.Taint"] = {
      {"key", "string"}, {"value", "string"}, {"effect", "string"}, {"timeAdded", "*v1.Time"}};
  t["v1.NodeStatus"] = {{"capacity", "map[string]resource.Quantity"},
                        {"allocatable", "map[string]resource.Quantity"},
                        {"phase", "string"},
                        {"conditions", "[]v1.NodeCondition"},
                        {"addresses", "[]v1.NodeAddress"},
                        {"daemonEndpoints", "v1.NodeDaemonEndpoints"},
                        {"nodeInfo", "v1.NodeSystemInfo"},
                        {"images", "[]v1.ContainerImage"},
                        {"volumesInUse", "[]string"},
                        {"volumesAttached", "[]v1.AttachedVolume"},
                        {"config", "any"},
                        {"runtimeHandlers", "any"},
                        {"features", "any"}};
  t["v1.NodeCondition"] = {{"type", "string"},
                           {"status", "string"},
                           {"lastHeartbeatTime", "v1.Time"},
                           {"lastTransitionTime", "v1.Time"},
                           {"reason", "string"},
                           {"message", "string"}};
  t["v1.NodeAddress"] = {{"type", "string"}, {"address", "string"}};
  t["v1.NodeDaemonEndpoints"] = {{"kubeletEndpoint", "v1.DaemonEndpoint"}};
  t["v1.DaemonEndpoint"] = {{"Port", "int32"}};
  t["v1.NodeSystemInfo"] = {{"machineID", "string"},
                            {"systemUUID", "string"},
                            {"bootID", "string"},
                            {"kernelVersion", "string"},
                            {"osImage", "string"},
                            {"containerRuntimeVersion", "string"},
                            {"kubeletVersion", "string"},
                            {"kubeProxyVersion", "string"},
                            {"operatingSystem", "string"},
                            {"architecture", "string"},
                            {"swap", "any"}};
  t["v1.ContainerImage"] = {{"names", "[]string"}, {"sizeBytes", "int64"}};
  t["v1.AttachedVolume"] = {{"name", "string"}, {"devicePath", "string"}};
}

void add_small_kinds(table& t) {
  t["v1.Namespace"] = {{"apiVersion", "string"},
                       {"kind", "string"},
                       {"metadata", "v1.ObjectMeta"},
                       {"spec", "v1.NamespaceSpec"},
                       {"status", "v1.NamespaceStatus"}};
  t["v1.NamespaceSpec"] = {{"finalizers", "[]string"}};
  t["v1.NamespaceStatus"] = {{"phase", "string"}, {"conditions", "[]v1.NamespaceCondition"}};
  t["v1.NamespaceCondition"] = {{"type", "string"},
                                {"status", "string"},
                                {"lastTransitionTime", "v1.Time"},
                                {"reason", "string"},
                                {"message", "string"}};
  t["v1.ConfigMap"] = {{"apiVersion", "string"},      {"kind", "string"},
                       {"metadata", "v1.ObjectMeta"}, {"immutable", "*bool"},
                       {"data", "map[string]string"}, {"binaryData", "map[string][]uint8"}};
  t["v1.Secret"] = {{"apiVersion", "string"},
                    {"kind", "string"},
                    {"metadata", "v1.ObjectMeta"},
                    {"immutable", "*bool"},
                    {"data", "map[string][]uint8"},
                    {"stringData", "map[string]string"},
                    {"type", "string"}};
  t["v1.Lease"] = {{"apiVersion", "string"},
                   {"kind", "string"},
                   {"metadata", "v1.ObjectMeta"},
                   {"spec", "v1.LeaseSpec"}};
  t["v1.LeaseSpec"] = {{"holderIdentity", "*string"},    {"leaseDurationSeconds", "*int32"},
                       {"acquireTime", "*v1.MicroTime"}, {"renewTime", "*v1.MicroTime"},
                       {"leaseTransitions", "*int32"},   {"strategy", "*string"},
                       {"preferredHolder", "*string"}};
}

void add_event_pod(table& t) {
  t["v1.Event"] = {{"apiVersion", "string"},
                   {"kind", "string"},
                   {"metadata", "v1.ObjectMeta"},
                   {"involvedObject", "v1.ObjectReference"},
                   {"reason", "string"},
                   {"message", "string"},
                   {"source", "v1.EventSource"},
                   {"firstTimestamp", "v1.Time"},
                   {"lastTimestamp", "v1.Time"},
                   {"count", "int32"},
                   {"type", "string"},
                   {"eventTime", "v1.MicroTime"},
                   {"series", "*v1.EventSeries"},
                   {"action", "string"},
                   {"related", "*v1.ObjectReference"},
                   {"reportingComponent", "string"},
                   {"reportingInstance", "string"}};
  t["v1.EventSource"] = {{"component", "string"}, {"host", "string"}};
  t["v1.EventSeries"] = {{"count", "int32"}, {"lastObservedTime", "v1.MicroTime"}};
  t["v1.Pod"] = {{"apiVersion", "string"},
                 {"kind", "string"},
                 {"metadata", "v1.ObjectMeta"},
                 {"spec", "any"},
                 {"status", "v1.PodStatus"}};
  t["v1.PodStatus"] = {{"observedGeneration", "int64"},
                       {"phase", "string"},
                       {"conditions", "any"},
                       {"message", "string"},
                       {"reason", "string"},
                       {"nominatedNodeName", "string"},
                       {"hostIP", "string"},
                       {"hostIPs", "[]v1.HostIP"},
                       {"podIP", "string"},
                       {"podIPs", "[]v1.PodIP"},
                       {"startTime", "*v1.Time"},
                       {"initContainerStatuses", "any"},
                       {"containerStatuses", "any"},
                       {"qosClass", "string"},
                       {"ephemeralContainerStatuses", "any"},
                       {"resize", "string"},
                       {"resourceClaimStatuses", "any"}};
  t["v1.HostIP"] = {{"ip", "string"}};
  t["v1.PodIP"] = {{"ip", "string"}};
}

const table& types() {
  static const table t = [] {
    table out;
    add_meta(out);
    add_service(out);
    add_endpoints(out);
    add_node(out);
    add_small_kinds(out);
    add_event_pod(out);
    return out;
  }();
  return t;
}

} // namespace

const std::vector<field_def>* struct_fields(std::string_view type_name) {
  auto it = types().find(type_name);
  return it == types().end() ? nullptr : &it->second;
}

std::vector<std::string_view> struct_type_names() {
  std::vector<std::string_view> out;
  for (const auto& [name, fields] : types())
    out.push_back(name);
  return out;
}

std::string_view root_type(const resource_info& res) {
  auto it = types().find("v1." + res.kind);
  return it == types().end() ? std::string_view{} : it->first;
}

} // namespace kvip::sim
