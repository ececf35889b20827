#include "simulation/resources.hpp"

#include <algorithm>

namespace kvip::sim {

std::string resource_info::api_version() const {
  return group.empty() ? version : group + "/" + version;
}

std::string resource_info::qualified() const {
  return group.empty() ? plural : plural + "." + group;
}

bool resource_info::field_supported(std::string_view field) const {
  if (field == "metadata.name") return true;
  if (field == "metadata.namespace") return namespaced;
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

std::vector<std::string> resource_info::verbs() const {
  if (delete_collection)
    return {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
  return {"create", "delete", "get", "list", "patch", "update", "watch"};
}

namespace {

std::vector<resource_info> build_table() {
  std::vector<resource_info> t;
  auto add = [&](resource_info r) { t.push_back(std::move(r)); };
  resource_info r;

  r = {};
  r.version = "v1", r.plural = "namespaces", r.singular = "namespace", r.kind = "Namespace";
  r.namespaced = false, r.short_names = {"ns"}, r.has_status = true;
  r.delete_returns_object = true, r.fields = {"status.phase"}, r.delete_collection = false;
  add(r);

  r = {};
  r.version = "v1", r.plural = "services", r.singular = "service", r.kind = "Service";
  r.short_names = {"svc"}, r.categories = {"all"}, r.has_status = true;
  r.create_on_update = true, r.delete_returns_object = true, r.delete_collection = false;
  r.fields = {"spec.type", "spec.clusterIP"};
  add(r);

  r = {};
  r.version = "v1", r.plural = "endpoints", r.singular = "endpoints", r.kind = "Endpoints";
  r.short_names = {"ep"}, r.create_on_update = true;
  add(r);

  r = {};
  r.version = "v1", r.plural = "nodes", r.singular = "node", r.kind = "Node";
  r.namespaced = false, r.short_names = {"no"}, r.has_status = true;
  r.fields = {"spec.unschedulable"};
  add(r);

  r = {};
  r.version = "v1", r.plural = "pods", r.singular = "pod", r.kind = "Pod";
  r.short_names = {"po"}, r.categories = {"all"}, r.has_status = true;
  r.delete_returns_object = true;
  r.fields = {
      "spec.nodeName",    "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
      "spec.hostNetwork", "status.phase",       "status.podIP",       "status.nominatedNodeName"};
  add(r);

  r = {};
  r.version = "v1", r.plural = "configmaps", r.singular = "configmap", r.kind = "ConfigMap";
  r.short_names = {"cm"};
  add(r);

  r = {};
  r.version = "v1", r.plural = "secrets", r.singular = "secret", r.kind = "Secret";
  r.fields = {"type"};
  add(r);

  r = {};
  r.version = "v1", r.plural = "events", r.singular = "event", r.kind = "Event";
  r.short_names = {"ev"}, r.create_on_update = true;
  r.fields = {"involvedObject.kind",
              "involvedObject.namespace",
              "involvedObject.name",
              "involvedObject.uid",
              "involvedObject.apiVersion",
              "involvedObject.resourceVersion",
              "involvedObject.fieldPath",
              "reason",
              "reportingComponent",
              "source",
              "type"};
  add(r);

  r = {};
  r.group = "discovery.k8s.io", r.version = "v1", r.plural = "endpointslices";
  r.singular = "endpointslice", r.kind = "EndpointSlice", r.has_generation = true;
  r.fields = {"addressType"};
  add(r);

  r = {};
  r.group = "coordination.k8s.io", r.version = "v1", r.plural = "leases", r.singular = "lease";
  r.kind = "Lease", r.create_on_update = true, r.unconditional_update = false;
  add(r);

  return t;
}

} // namespace

const std::vector<resource_info>& resources() {
  static const std::vector<resource_info> table = build_table();
  return table;
}

const resource_info* find_resource(std::string_view group, std::string_view version,
                                   std::string_view plural) {
  for (const auto& r : resources()) {
    if (r.group == group && r.version == version && r.plural == plural) return &r;
  }
  return nullptr;
}

const resource_info* find_kind(std::string_view api_version, std::string_view kind) {
  for (const auto& r : resources()) {
    if (r.kind == kind && r.api_version() == api_version) return &r;
  }
  return nullptr;
}

std::vector<std::string> group_versions() {
  std::vector<std::string> out;
  for (const auto& r : resources()) {
    auto gv = r.api_version();
    if (std::find(out.begin(), out.end(), gv) == out.end()) out.push_back(gv);
  }
  return out;
}

} // namespace kvip::sim
