#include "simulation/defaults.hpp"

#include "simulation/object_util.hpp"

namespace kvip::sim {

namespace json = boost::json;

std::string allocator::cluster_ip() {
  std::uint32_t n = next_ip++;
  if (next_ip >= (1u << 20) - 1) next_ip = 10;
  std::uint32_t addr = (10u << 24) | (96u << 16) | n;
  return std::to_string(addr >> 24) + "." + std::to_string((addr >> 16) & 255) + "." +
         std::to_string((addr >> 8) & 255) + "." + std::to_string(addr & 255);
}

std::int64_t allocator::node_port() {
  auto p = next_node_port++;
  if (next_node_port > 32767) next_node_port = 30000;
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

/// Defaults and checks spec.ports: protocol, targetPort and (for NodePort and
/// LoadBalancer) a nodePort, kept from `old_spec` on update.
std::optional<api_error> default_ports(const resource_info& res, const std::string& name,
                                       json::object& spec, const json::object* old_spec,
                                       bool node_ports, allocator& alloc) {
  auto* ports = spec.if_contains("ports");
  if (ports == nullptr || !ports->is_array()) return std::nullopt;
  std::size_t i = 0;
  for (auto& pv : ports->as_array()) {
    auto field = "spec.ports[" + std::to_string(i++) + "]";
    if (!pv.is_object()) return invalid(res, name, field, "must be an object");
    auto& p = pv.as_object();
    auto* port = p.if_contains("port");
    if (port == nullptr || !port->is_int64() || port->as_int64() < 1 || port->as_int64() > 65535) {
      std::string shown = port == nullptr ? "0" : json::serialize(*port);
      return invalid(res, name, field + ".port",
                     "Invalid value: " + shown + ": must be between 1 and 65535, inclusive");
    }
    if (!p.contains("protocol")) p["protocol"] = "TCP";
    if (!p.contains("targetPort")) p["targetPort"] = *port;
    if (node_ports && !p.contains("nodePort")) {
      auto np = kept_node_port(old_spec, *port);
      p["nodePort"] = np != 0 ? np : alloc.node_port();
    }
  }
  return std::nullopt;
}

/// Cluster IPs and the IP-family fields, kept from `old_spec` on update.
void default_cluster_ip(json::object& obj, json::object& spec, const json::object* old_spec,
                        allocator& alloc) {
  auto ip = jsonpath::str(obj, {"spec", "clusterIP"});
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
  if (res.kind == "EndpointSlice") {
    auto at = jsonpath::str(obj, {"addressType"});
    if (at != "IPv4" && at != "IPv6" && at != "FQDN") {
      return invalid(res, name, "addressType",
                     at.empty() ? "Required value" : "Unsupported value: \"" + at + "\"",
                     at.empty() ? "FieldValueRequired" : "FieldValueNotSupported");
    }
  }
  if (res.kind == "Lease") {
    auto* d = jsonpath::find(obj, {"spec", "leaseDurationSeconds"});
    if (d != nullptr && !d->is_null() && (!d->is_int64() || d->as_int64() <= 0)) {
      return invalid(res, name, "spec.leaseDurationSeconds",
                     "Invalid value: " + json::serialize(*d) + ": must be greater than 0");
    }
  }
  if (res.kind == "Secret") secret_defaults(obj);
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
