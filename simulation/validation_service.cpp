// Service validation as kube-apiserver's ValidateService/ValidateServiceUpdate
// and its port and IP allocators answer: ports, node ports, cluster IPs, the
// type-dependent fields, traffic policies and status.loadBalancer.
#include "simulation/validation.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "simulation/object_util.hpp"
#include "simulation/selector.hpp"

namespace kvip::sim {

namespace json = boost::json;

namespace {

constexpr std::int64_t node_port_min = 30000;
constexpr std::int64_t node_port_max = 32767;
constexpr std::string_view ip_example =
    "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

/// The strings of spec.clusterIPs (non-strings skipped).
std::vector<std::string> cluster_ips(const json::object& svc) {
  std::vector<std::string> out;
  auto* list = jsonpath::find(svc, {"spec", "clusterIPs"});
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& v : list->as_array())
    if (v.is_string()) out.emplace_back(v.as_string());
  return out;
}

/// Go's %#v of a []string: []string{"a", "b"}.
std::string go_strings(const std::vector<std::string>& v) {
  std::string out = "[]string{";
  for (std::size_t i = 0; i < v.size(); ++i)
    out += (i == 0 ? "" : ", ") + quote(v[i]);
  return out + "}";
}

const json::array* ports_of(const json::object& svc) {
  auto* p = jsonpath::find(svc, {"spec", "ports"});
  return p != nullptr && p->is_array() ? &p->as_array() : nullptr;
}

/// kube-apiserver's IsValidPortName (a named targetPort).
std::optional<std::string> port_name_problem(std::string_view name) {
  if (name.size() > 15) return "must be no more than 15 characters";
  bool charset = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
  if (!charset) return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
  if (std::none_of(name.begin(), name.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
    return "must contain at least one letter (a-z)";
  if (name.find("--") != std::string_view::npos) return "must not contain consecutive hyphens (-)";
  if (name.front() == '-' || name.back() == '-') return "must not begin or end with a hyphen (-)";
  return std::nullopt;
}

bool valid_port_number(const json::value* v) {
  return v != nullptr && v->is_int64() && v->as_int64() >= 1 && v->as_int64() <= 65535;
}

void check_target_port(const json::value* tp, const std::string& field, field_errors& errs) {
  if (tp == nullptr) return;
  if (tp->is_string()) {
    if (auto bad = port_name_problem(tp->as_string())) errs.invalid(field, shown(*tp), *bad);
  } else if (!valid_port_number(tp)) {
    errs.invalid(field, shown(*tp), "must be between 1 and 65535, inclusive");
  }
}

/// One entry of spec.ports: name, port, protocol, targetPort.
void check_port(const json::object& p, const std::string& path, bool name_required,
                field_errors& errs) {
  auto name = jsonpath::str(p, {"name"});
  if (name.empty() && name_required) {
    errs.required(path + ".name");
  } else if (!name.empty()) {
    if (auto ok = check_object_name(name, name_rule::dns1123_label); !ok)
      errs.invalid(path + ".name", quote(name), ok.err().message);
  }
  auto* port = p.if_contains("port");
  if (!valid_port_number(port)) {
    errs.invalid(path + ".port", port == nullptr ? "0" : shown(*port),
                 "must be between 1 and 65535, inclusive");
  }
  auto protocol = jsonpath::str(p, {"protocol"});
  if (protocol.empty()) {
    errs.required(path + ".protocol");
  } else if (protocol != "TCP" && protocol != "UDP" && protocol != "SCTP") {
    errs.not_supported(path + ".protocol", protocol, {"SCTP", "TCP", "UDP"});
  }
  check_target_port(p.if_contains("targetPort"), path + ".targetPort", errs);
}

/// A node port (spec.ports[i].nodePort or spec.healthCheckNodePort): range, other Services.
void check_node_port(std::int64_t np, const std::string& field, const validation_context& ctx,
                     field_errors& errs) {
  if (np < node_port_min || np > node_port_max) {
    errs.invalid(field, std::to_string(np),
                 "provided port is not in the valid range. The range of valid ports is " +
                     std::to_string(node_port_min) + "-" + std::to_string(node_port_max));
  } else if (ctx.node_ports.count(np) != 0) {
    errs.invalid(field, std::to_string(np), "provided port is already allocated");
  }
}

void check_ports(const json::object& svc, const std::string& type, const validation_context& ctx,
                 field_errors& errs) {
  const auto* ports = ports_of(svc);
  bool headless = jsonpath::str(svc, {"spec", "clusterIP"}) == "None";
  if ((ports == nullptr || ports->empty()) && type != "ExternalName" && !headless) {
    errs.required("spec.ports");
  }
  if (ports == nullptr) return;
  std::set<std::string> names;
  std::set<std::pair<std::string, std::int64_t>> seen_ports;
  std::set<std::pair<std::string, std::int64_t>> seen_node_ports;
  for (std::size_t i = 0; i < ports->size(); ++i) {
    auto path = "spec.ports[" + std::to_string(i) + "]";
    if (!(*ports)[i].is_object()) continue;
    const auto& p = (*ports)[i].as_object();
    check_port(p, path, ports->size() > 1, errs);
    auto name = jsonpath::str(p, {"name"});
    if (!name.empty() && !names.insert(name).second) errs.duplicate(path + ".name", quote(name));
    auto protocol = jsonpath::str(p, {"protocol"});
    auto port = jsonpath::integer(p, {"port"});
    if (port && !seen_ports.insert({protocol, *port}).second) {
      errs.duplicate(path, "{\"port\":" + std::to_string(*port) +
                               ",\"protocol\":" + quote(protocol) + "}");
    }
    auto np = jsonpath::integer(p, {"nodePort"});
    if (!np || *np == 0) continue;
    if (type == "ClusterIP") {
      errs.forbidden(path + ".nodePort", "may not be used when `type` is 'ClusterIP'");
    } else if (!seen_node_ports.insert({protocol, *np}).second) {
      errs.duplicate(path + ".nodePort", std::to_string(*np));
    } else {
      check_node_port(*np, path + ".nodePort", ctx, errs);
    }
  }
}

/// spec.clusterIP(s): addresses, first equals clusterIP, immutable, not another Service's.
void check_cluster_ips(const json::object* old, const json::object& svc, const std::string& type,
                       const validation_context& ctx, field_errors& errs) {
  auto ips = cluster_ips(svc);
  if (type == "ExternalName") {
    if (!jsonpath::str(svc, {"spec", "clusterIP"}).empty() || !ips.empty())
      errs.forbidden("spec.clusterIPs", "may not be set for `type` 'ExternalName'");
    return;
  }
  for (std::size_t i = 0; i < ips.size(); ++i) {
    if (ips[i] != "None" && !is_ip(ips[i]))
      errs.invalid("spec.clusterIPs[" + std::to_string(i) + "]", quote(ips[i]), ip_example);
  }
  if (!ips.empty() && ips[0] != jsonpath::str(svc, {"spec", "clusterIP"}))
    errs.invalid("spec.clusterIPs", go_strings(ips), "first value must match `clusterIP`");
  std::vector<std::string> before;
  if (old != nullptr && jsonpath::str(*old, {"spec", "type"}) != "ExternalName")
    before = cluster_ips(*old);
  for (std::size_t i = 0; i < before.size() && i < ips.size(); ++i) {
    if (before[i] != ips[i])
      errs.invalid("spec.clusterIPs[" + std::to_string(i) + "]", go_strings(ips),
                   "may not change once set");
  }
  for (const auto& ip : ips) {
    bool kept = std::find(before.begin(), before.end(), ip) != before.end();
    if (ip != "None" && !kept && ctx.cluster_ips.count(ip) != 0) {
      errs.invalid("spec.clusterIPs", go_strings(ips),
                   "failed to allocate IP " + ip + ": provided IP is already allocated");
    }
  }
}

/// externalTrafficPolicy, healthCheckNodePort, internalTrafficPolicy, sessionAffinity.
void check_policies(const json::object& svc, const std::string& type, const validation_context& ctx,
                    field_errors& errs) {
  bool node_ports = type == "NodePort" || type == "LoadBalancer";
  auto etp = jsonpath::str(svc, {"spec", "externalTrafficPolicy"});
  if (node_ports && etp != "Cluster" && etp != "Local") {
    if (etp.empty())
      errs.required("spec.externalTrafficPolicy");
    else
      errs.not_supported("spec.externalTrafficPolicy", etp, {"Cluster", "Local"});
  } else if (!node_ports && !etp.empty()) {
    errs.invalid("spec.externalTrafficPolicy", quote(etp),
                 "may only be set when `type` is 'NodePort' or 'LoadBalancer'");
  }
  if (auto hc = jsonpath::integer(svc, {"spec", "healthCheckNodePort"}); hc && *hc != 0) {
    if (type != "LoadBalancer" || etp != "Local") {
      errs.invalid("spec.healthCheckNodePort", std::to_string(*hc),
                   "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` "
                   "is 'Local'");
    } else {
      check_node_port(*hc, "spec.healthCheckNodePort", ctx, errs);
    }
  }
  auto itp = jsonpath::str(svc, {"spec", "internalTrafficPolicy"});
  if (type != "ExternalName" && itp != "Cluster" && itp != "Local") {
    if (itp.empty())
      errs.required("spec.internalTrafficPolicy");
    else
      errs.not_supported("spec.internalTrafficPolicy", itp, {"Cluster", "Local"});
  }
  auto affinity = jsonpath::str(svc, {"spec", "sessionAffinity"});
  if (affinity != "None" && affinity != "ClientIP") {
    if (affinity.empty())
      errs.required("spec.sessionAffinity");
    else
      errs.not_supported("spec.sessionAffinity", affinity, {"ClientIP", "None"});
  }
}

/// Fields only a LoadBalancer may have; loadBalancerClass immutable; loadBalancerIP an address.
void check_load_balancer(const json::object* old, const json::object& svc, const std::string& type,
                         field_errors& errs) {
  const auto* spec = jsonpath::object_at(svc, {"spec"});
  for (const char* f : {"allocateLoadBalancerNodePorts", "loadBalancerClass"}) {
    auto* v = spec != nullptr ? spec->if_contains(f) : nullptr;
    if (type != "LoadBalancer" && v != nullptr && !v->is_null())
      errs.forbidden(std::string("spec.") + f, "may only be used when `type` is 'LoadBalancer'");
  }
  auto cls = jsonpath::optional_str(svc, {"spec", "loadBalancerClass"});
  if (type == "LoadBalancer" && cls) {
    if (auto ok = validate_label_key(*cls); !ok) // a qualified name, as label keys
      errs.invalid("spec.loadBalancerClass", quote(*cls), ok.err().message);
  }
  auto old_cls =
      old != nullptr ? jsonpath::optional_str(*old, {"spec", "loadBalancerClass"}) : std::nullopt;
  if (type == "LoadBalancer" && old != nullptr &&
      jsonpath::str(*old, {"spec", "type"}) == "LoadBalancer" && old_cls != cls) {
    errs.invalid("spec.loadBalancerClass", cls ? quote(*cls) : "null", "may not change once set");
  }
  auto lb_ip = jsonpath::str(svc, {"spec", "loadBalancerIP"});
  if (!lb_ip.empty() && !is_ip(lb_ip))
    errs.invalid("spec.loadBalancerIP", quote(lb_ip), ip_example);
}

/// status.loadBalancer.ingress[]: ip an address, hostname not one, ipMode with ip only.
void check_ingress(const json::object& svc, field_errors& errs) {
  auto* ing = jsonpath::find(svc, {"status", "loadBalancer", "ingress"});
  if (ing == nullptr || !ing->is_array()) return;
  for (std::size_t i = 0; i < ing->as_array().size(); ++i) {
    const auto& e = ing->as_array()[i];
    if (!e.is_object()) continue;
    auto path = "status.loadBalancer.ingress[" + std::to_string(i) + "]";
    auto ip = jsonpath::str(e.as_object(), {"ip"});
    if (!ip.empty() && !is_ip(ip))
      errs.invalid(path + ".ip", quote(ip), "must be a valid IP address");
    auto host = jsonpath::str(e.as_object(), {"hostname"});
    if (auto ok = check_object_name(host); !host.empty() && !ok)
      errs.invalid(path + ".hostname", quote(host), ok.err().message);
    if (!host.empty() && is_ip(host))
      errs.invalid(path + ".hostname", quote(host), "must be a DNS name, not an IP address");
    auto mode = jsonpath::optional_str(e.as_object(), {"ipMode"});
    if (ip.empty() && mode) {
      errs.forbidden(path + ".ipMode", "may not be specified when `ip` is not set");
    } else if (!ip.empty() && mode && *mode != "VIP" && *mode != "Proxy") {
      errs.not_supported(path + ".ipMode", *mode, {"Proxy", "VIP"});
    }
  }
}

} // namespace

void note_service_allocations(const json::object& svc, validation_context& ctx) {
  if (const auto* ports = ports_of(svc)) {
    for (const auto& p : *ports) {
      if (!p.is_object()) continue;
      if (auto np = jsonpath::integer(p.as_object(), {"nodePort"}); np && *np != 0)
        ctx.node_ports.insert(*np);
    }
  }
  if (auto hc = jsonpath::integer(svc, {"spec", "healthCheckNodePort"}); hc && *hc != 0)
    ctx.node_ports.insert(*hc);
  for (auto& ip : cluster_ips(svc))
    if (ip != "None") ctx.cluster_ips.insert(ip);
  auto ip = jsonpath::str(svc, {"spec", "clusterIP"});
  if (!ip.empty() && ip != "None") ctx.cluster_ips.insert(ip);
}

void validate_service(const json::object* old, const json::object& obj,
                      const validation_context& ctx, field_errors& errs) {
  auto type = jsonpath::str(obj, {"spec", "type"});
  check_ports(obj, type, ctx, errs);
  check_cluster_ips(old, obj, type, ctx, errs);
  if (type == "ExternalName" && jsonpath::str(obj, {"spec", "externalName"}).empty())
    errs.required("spec.externalName");
  check_policies(obj, type, ctx, errs);
  check_load_balancer(old, obj, type, errs);
  check_ingress(obj, errs);
}

} // namespace kvip::sim
