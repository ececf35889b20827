#include "simulation/defaults.hpp"

#include <algorithm>

#include "simulation/object_util.hpp"

namespace kvip::sim {

namespace json = boost::json;

std::string allocator::cluster_ip() {
  std::string ip;
  for (std::uint32_t tries = 0; tries < (1u << 20); ++tries) {
    std::uint32_t n = next_ip++;
    if (next_ip >= (1u << 20) - 1) next_ip = 10;
    std::uint32_t addr = (10u << 24) | (96u << 16) | n;
    ip = std::to_string(addr >> 24) + "." + std::to_string((addr >> 16) & 255) + "." +
         std::to_string((addr >> 8) & 255) + "." + std::to_string(addr & 255);
    if (taken_cluster_ips.insert(ip).second) break;
  }
  return ip;
}

std::int64_t allocator::node_port() {
  std::int64_t p = 0;
  for (int tries = 0; tries <= 32767 - 30000; ++tries) {
    p = next_node_port++;
    if (next_node_port > 32767) next_node_port = 30000;
    if (taken_node_ports.insert(p).second) break;
  }
  return p;
}

namespace {

/// The nodePort an update keeps for `port` (0 when the old spec had none).
std::int64_t kept_node_port(const json::object* old_spec, const json::value& port) {
  if (old_spec == nullptr) return 0;
  auto* ops = old_spec->if_contains("ports");
  if (ops == nullptr || !ops->is_array()) return 0;
  std::int64_t np = 0;
  for (auto& op : ops->as_array()) {
    if (!op.is_object()) continue;
    auto* opp = op.as_object().if_contains("port");
    auto* onp = op.as_object().if_contains("nodePort");
    if (opp != nullptr && *opp == port && onp != nullptr && onp->is_int64()) np = onp->as_int64();
  }
  return np;
}

/// Defaults spec.ports: protocol, targetPort and (for NodePort and LoadBalancer) a
/// nodePort, kept from `old_spec` on update. Values are checked later (validation.cpp).
std::optional<api_error> default_ports(const resource_info& res, const std::string& name,
                                       json::object& spec, const json::object* old_spec,
                                       bool node_ports, allocator& alloc) {
  auto* ports = spec.if_contains("ports");
  if (ports == nullptr || !ports->is_array()) return std::nullopt;
  for (std::size_t i = 0; i < ports->as_array().size(); ++i) {
    auto& pv = ports->as_array()[i];
    if (!pv.is_object())
      return invalid(res, name, "spec.ports[" + std::to_string(i) + "]", "must be an object");
    auto* np = pv.as_object().if_contains("nodePort"); // never hand out a port asked for
    if (np != nullptr && np->is_int64()) alloc.taken_node_ports.insert(np->as_int64());
    if (auto* port = pv.as_object().if_contains("port"); node_ports && port != nullptr)
      alloc.taken_node_ports.insert(kept_node_port(old_spec, *port));
  }
  for (auto& pv : ports->as_array()) {
    auto& p = pv.as_object();
    auto* port = p.if_contains("port");
    if (port == nullptr) continue;
    if (!p.contains("protocol")) p["protocol"] = "TCP";
    auto* tp = p.if_contains("targetPort");
    if (tp == nullptr || *tp == json::value(0) || *tp == json::value("")) p["targetPort"] = *port;
    if (node_ports && !p.contains("nodePort")) {
      auto np = kept_node_port(old_spec, *port);
      p["nodePort"] = np != 0 ? np : alloc.node_port();
    }
  }
  return std::nullopt;
}

/// True when `spec` and `old_spec` hold the same value (or both none) at `field`.
bool same_field(const json::object& spec, const json::object& old_spec, std::string_view field) {
  auto* a = spec.if_contains(field);
  auto* b = old_spec.if_contains(field);
  return (a == nullptr && b == nullptr) || (a != nullptr && b != nullptr && *a == *b);
}

/// The nodePorts set in `spec.ports`.
std::set<std::int64_t> node_ports_of(const json::object& spec) {
  std::set<std::int64_t> out;
  auto* ports = spec.if_contains("ports");
  if (ports == nullptr || !ports->is_array()) return out;
  for (const auto& p : ports->as_array()) {
    auto* np = p.is_object() ? p.as_object().if_contains("nodePort") : nullptr;
    if (np != nullptr && np->is_int64() && np->as_int64() != 0) out.insert(np->as_int64());
  }
  return out;
}

std::string type_of(const json::object& spec) {
  auto* t = spec.if_contains("type");
  return t != nullptr && t->is_string() && !t->as_string().empty() ? std::string(t->as_string())
                                                                   : std::string("ClusterIP");
}

/// kube-apiserver's dropTypeDependentFields: what the old type needed and the new one does
/// not is dropped when the client left it unchanged (a changed value stays and is refused).
void drop_type_dependent_fields(json::object& obj, json::object& spec,
                                const json::object& old_spec) {
  auto was = type_of(old_spec);
  auto now = type_of(spec);
  if (was != "ExternalName" && now == "ExternalName") {
    if (same_field(spec, old_spec, "clusterIP") &&
        (!spec.contains("clusterIPs") || same_field(spec, old_spec, "clusterIPs"))) {
      spec.erase("clusterIP");
      spec.erase("clusterIPs");
    }
    for (auto f : {"ipFamilies", "ipFamilyPolicy"})
      if (same_field(spec, old_spec, f)) spec.erase(f);
  }
  auto needs_node_ports = [](const std::string& t) {
    return t == "NodePort" || t == "LoadBalancer";
  };
  auto new_ports = node_ports_of(spec);
  auto old_ports = node_ports_of(old_spec);
  if (needs_node_ports(was) && !needs_node_ports(now) &&
      std::includes(old_ports.begin(), old_ports.end(), new_ports.begin(), new_ports.end())) {
    if (auto* ports = spec.if_contains("ports"); ports != nullptr && ports->is_array())
      for (auto& p : ports->as_array())
        if (p.is_object()) p.as_object().erase("nodePort");
  }
  bool hc_was =
      was == "LoadBalancer" && jsonpath::str(old_spec, {"externalTrafficPolicy"}) == "Local";
  bool hc_now = now == "LoadBalancer" && jsonpath::str(spec, {"externalTrafficPolicy"}) == "Local";
  if (hc_was && !hc_now && same_field(spec, old_spec, "healthCheckNodePort"))
    spec.erase("healthCheckNodePort");
  if (was == "LoadBalancer" && now != "LoadBalancer") {
    for (auto f : {"allocateLoadBalancerNodePorts", "loadBalancerClass"})
      if (same_field(spec, old_spec, f)) spec.erase(f);
    obj["status"] = json::object{{"loadBalancer", json::object{}}};
  }
  if (needs_node_ports(was) && !needs_node_ports(now) &&
      same_field(spec, old_spec, "externalTrafficPolicy"))
    spec.erase("externalTrafficPolicy");
}

/// Cluster IPs and the IP-family fields, kept from `old_spec` on update.
void default_cluster_ip(json::object& obj, json::object& spec, const json::object* old_spec,
                        allocator& alloc) {
  auto ip = jsonpath::str(obj, {"spec", "clusterIP"});
  if (!ip.empty() && old_spec != nullptr && !same_field(spec, *old_spec, "clusterIP") &&
      same_field(spec, *old_spec, "clusterIPs")) {
    spec["clusterIPs"] = json::array{spec["clusterIP"]}; // a changed clusterIP leads
  }
  if (ip.empty() && old_spec != nullptr) {
    if (auto* v = old_spec->if_contains("clusterIP")) spec["clusterIP"] = *v;
    if (auto* v = old_spec->if_contains("clusterIPs")) spec["clusterIPs"] = *v;
  }
  if (jsonpath::str(obj, {"spec", "clusterIP"}).empty()) spec["clusterIP"] = alloc.cluster_ip();
  if (!spec.contains("clusterIPs")) spec["clusterIPs"] = json::array{spec["clusterIP"]};
  if (!spec.contains("ipFamilies")) spec["ipFamilies"] = json::array{"IPv4"};
  if (!spec.contains("ipFamilyPolicy")) spec["ipFamilyPolicy"] = "SingleStack";
  if (!spec.contains("internalTrafficPolicy")) spec["internalTrafficPolicy"] = "Cluster";
}

/// Defaults a Service; `old` (may be null) supplies immutable allocations on update.
std::optional<api_error> service_defaults(const resource_info& res, json::object& obj,
                                          const json::object* old, allocator& alloc) {
  auto name = jsonpath::str(obj, {"metadata", "name"});
  auto& spec = jsonpath::ensure(obj, {"spec"});
  const json::object* old_spec = old != nullptr ? jsonpath::object_at(*old, {"spec"}) : nullptr;
  if (old_spec != nullptr) drop_type_dependent_fields(obj, spec, *old_spec);
  auto type = jsonpath::str(obj, {"spec", "type"});
  if (type.empty()) spec["type"] = type = "ClusterIP";
  if (type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer" &&
      type != "ExternalName") {
    return invalid(res, name, "spec.type", "Unsupported value: \"" + type + "\"",
                   "FieldValueNotSupported");
  }
  if (!spec.contains("sessionAffinity")) spec["sessionAffinity"] = "None";
  if (type != "ExternalName") default_cluster_ip(obj, spec, old_spec, alloc);
  bool node_ports = type == "NodePort" || type == "LoadBalancer";
  if (type == "LoadBalancer" && !spec.contains("allocateLoadBalancerNodePorts")) {
    spec["allocateLoadBalancerNodePorts"] = true;
  }
  if (node_ports && !spec.contains("externalTrafficPolicy")) {
    spec["externalTrafficPolicy"] = "Cluster";
  }
  if (auto bad = default_ports(res, name, spec, old_spec, node_ports, alloc)) return bad;
  if (type == "LoadBalancer" && jsonpath::str(obj, {"spec", "externalTrafficPolicy"}) == "Local" &&
      !spec.contains("healthCheckNodePort")) {
    auto* keep = old_spec != nullptr ? old_spec->if_contains("healthCheckNodePort") : nullptr;
    spec["healthCheckNodePort"] = keep != nullptr ? *keep : json::value(alloc.node_port());
  }
  // status.loadBalancer.ingress[].ipMode defaults to VIP when an ip is given.
  if (auto* lb = jsonpath::object_at(obj, {"status", "loadBalancer"})) {
    if (auto* ing = lb->if_contains("ingress"); ing != nullptr && ing->is_array()) {
      for (auto& e : ing->as_array()) {
        if (e.is_object() && e.as_object().contains("ip") && !e.as_object().contains("ipMode"))
          e.as_object()["ipMode"] = "VIP";
      }
    }
  }
  return std::nullopt;
}

/// EndpointSlice ports[]: protocol TCP and name "" when absent (SetDefaults_EndpointPort).
void endpoint_slice_defaults(json::object& obj) {
  auto* ports = obj.if_contains("ports");
  if (ports == nullptr || !ports->is_array()) return;
  for (auto& p : ports->as_array()) {
    if (!p.is_object()) continue;
    if (!p.as_object().contains("protocol")) p.as_object()["protocol"] = "TCP";
    if (!p.as_object().contains("name")) p.as_object()["name"] = "";
  }
}

void secret_defaults(json::object& obj) {
  if (!obj.contains("type")) obj["type"] = "Opaque";
  auto* sd = obj.if_contains("stringData");
  if (sd == nullptr) return;
  if (sd->is_object()) {
    auto& data = jsonpath::ensure(obj, {"data"});
    for (auto& [k, v] : sd->as_object()) {
      if (v.is_string()) data[k] = k8s::base64_encode(v.as_string());
    }
  }
  obj.erase("stringData");
}

std::optional<api_error> common_checks(const resource_info& res, json::object& obj) {
  auto name = jsonpath::str(obj, {"metadata", "name"});
  if (res.kind == "Secret") secret_defaults(obj);
  if (res.kind == "EndpointSlice") endpoint_slice_defaults(obj);
  if (res.kind == "Namespace") {
    jsonpath::ensure(obj, {"metadata", "labels"})["kubernetes.io/metadata.name"] = name;
    auto& spec = jsonpath::ensure(obj, {"spec"});
    if (!spec.contains("finalizers")) spec["finalizers"] = json::array{"kubernetes"};
    auto& st = jsonpath::ensure(obj, {"status"});
    if (!st.contains("phase")) st["phase"] = "Active";
  }
  return std::nullopt;
}

} // namespace

std::optional<api_error> prepare_create(const resource_info& res, json::object& obj,
                                        allocator& alloc) {
  if (res.kind == "Service") {
    obj["status"] = json::object{{"loadBalancer", json::object{}}};
    if (auto e = service_defaults(res, obj, nullptr, alloc)) return e;
  }
  return common_checks(res, obj);
}

std::optional<api_error> prepare_update(const resource_info& res, const json::object& old,
                                        json::object& obj, allocator& alloc) {
  if (res.kind == "Service") {
    if (auto e = service_defaults(res, obj, &old, alloc)) return e;
  }
  if (res.kind == "ConfigMap" || res.kind == "Secret") {
    auto* imm = old.if_contains("immutable");
    if (imm != nullptr && imm->is_bool() && imm->as_bool()) {
      for (auto key : {"data", "binaryData"}) {
        auto* a = old.if_contains(key);
        auto* b = obj.if_contains(key);
        bool same = (a == nullptr && b == nullptr) || (a != nullptr && b != nullptr && *a == *b);
        if (!same) {
          return invalid(res, jsonpath::str(obj, {"metadata", "name"}), key,
                         "Forbidden: field is immutable when `immutable` is set",
                         "FieldValueForbidden");
        }
      }
    }
  }
  return common_checks(res, obj);
}

} // namespace kvip::sim
