#include "k8s/status/plan.hpp"

#include "k8s/object_view.hpp"

namespace kvip::k8s::status {

namespace json = boost::json;

namespace {

std::string protocol_of(const port_status& p) {
  return p.protocol.empty() ? "TCP" : p.protocol;
}

/// Whether `o` has no member outside `allowed`.
bool only_keys(const json::object& o, std::initializer_list<std::string_view> allowed) {
  for (const auto& kv : o) {
    bool known = false;
    for (auto a : allowed)
      known = known || kv.key() == a;
    if (!known) return false;
  }
  return true;
}

bool port_matches(const json::value& v, const port_status& want) {
  if (!v.is_object()) return false;
  const auto& o = v.as_object();
  if (!only_keys(o, {"port", "protocol"})) return false; // an `error` is rewritten away
  auto p = jsonpath::integer(o, {"port"});
  auto proto = jsonpath::str(o, {"protocol"});
  return p && *p == want.port && (proto.empty() ? "TCP" : proto) == protocol_of(want);
}

bool ports_match(const json::object& entry, const std::vector<port_status>& want) {
  const auto* v = entry.if_contains("ports");
  if (v == nullptr || v->is_null()) return want.empty();
  if (!v->is_array() || v->as_array().size() != want.size()) return false;
  const auto& a = v->as_array();
  for (std::size_t i = 0; i < want.size(); ++i)
    if (!port_matches(a[i], want[i])) return false;
  return true;
}

bool entry_matches(const json::value& v, const std::string& ip,
                   const std::vector<port_status>& ports) {
  if (!v.is_object()) return false;
  const auto& o = v.as_object();
  if (!only_keys(o, {"ip", "ipMode", "ports"})) return false; // a hostname is rewritten away
  auto mode = jsonpath::optional_str(o, {"ipMode"});
  if (mode && *mode != "VIP") return false;
  return jsonpath::str(o, {"ip"}) == ip && ports_match(o, ports);
}

std::string describe_ports(const std::vector<port_status>& ports) {
  std::string out;
  for (const auto& p : ports)
    out += (out.empty() ? "" : ", ") + protocol_of(p) + "/" + std::to_string(p.port);
  return out;
}

} // namespace

const char* to_string(step_kind k) {
  switch (k) {
  case step_kind::done:
    return "done";
  case step_kind::put_status:
    return "put_status";
  case step_kind::put_service:
    return "put_service";
  case step_kind::recreated:
    return "recreated";
  }
  return "?";
}

json::array ingress_of(const wanted& want) {
  json::array ports;
  for (const auto& p : want.ports)
    ports.push_back(json::object{{"port", p.port}, {"protocol", protocol_of(p)}});
  json::array out;
  for (const auto& ip : want.ingress_ips) {
    json::object e{{"ip", ip}, {"ipMode", "VIP"}};
    if (!ports.empty()) e["ports"] = ports;
    out.push_back(std::move(e));
  }
  return out;
}

bool ingress_matches(const wanted& want, const json::object& service) {
  const auto* v = jsonpath::find(service, {"status", "loadBalancer", "ingress"});
  if (v == nullptr || v->is_null()) return want.ingress_ips.empty();
  if (!v->is_array() || v->as_array().size() != want.ingress_ips.size()) return false;
  const auto& a = v->as_array();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!entry_matches(a[i], want.ingress_ips[i], want.ports)) return false;
  return true;
}

std::string describe_ingress(const wanted& want) {
  if (want.ingress_ips.empty()) return "none";
  std::string out;
  for (const auto& ip : want.ingress_ips)
    out += (out.empty() ? "" : ", ") + ip;
  if (!want.ports.empty()) out += " (" + describe_ports(want.ports) + ")";
  return out;
}

step next_step(const wanted& want, const json::object& service) {
  object_view svc{service};
  step s;
  if (!want.uid.empty() && svc.uid() != want.uid) {
    s.kind = step_kind::recreated;
    s.what = "uid " + svc.uid() + " is not the requested " + want.uid;
    return s;
  }
  if (!ingress_matches(want, service)) {
    s.kind = step_kind::put_status;
    s.body = service;
    auto& lb = jsonpath::ensure(s.body, {"status", "loadBalancer"});
    if (want.ingress_ips.empty())
      lb.erase("ingress");
    else
      lb["ingress"] = ingress_of(want);
    s.what = "ingress " + describe_ingress(want);
    return s;
  }
  auto host = svc.annotation(vip_host_annotation);
  bool want_host = !want.vip_host.empty();
  if (want_host ? host != want.vip_host : host.has_value()) {
    s.kind = step_kind::put_service;
    object_view body{service};
    if (want_host)
      body.set_annotation(vip_host_annotation, want.vip_host);
    else
      body.remove_annotation(vip_host_annotation);
    s.body = std::move(body.raw());
    s.what = want_host ? "vipHost " + want.vip_host : "vipHost removed";
    return s;
  }
  return s;
}

} // namespace kvip::k8s::status
