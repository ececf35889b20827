#include "k8s/objects.hpp"

#include <cstdio>

#include "k8s/base64.hpp"

namespace kvip::k8s {

namespace json = boost::json;

namespace {

// Each object element of the array at `path` (null/absent/non-array = none).
template <class F>
void each_object(const json::object& o, std::initializer_list<std::string_view> path, F f) {
  const auto* v = jsonpath::find(o, path);
  if (!v || !v->is_array()) return;
  for (const auto& item : v->get_array())
    if (item.is_object()) f(item.get_object());
}

std::vector<std::string> strings(const json::object& o,
                                 std::initializer_list<std::string_view> path) {
  std::vector<std::string> out;
  const auto* v = jsonpath::find(o, path);
  if (v && v->is_array())
    for (const auto& s : v->get_array())
      if (s.is_string()) out.emplace_back(s.get_string());
  return out;
}

int int_or0(const json::object& o, std::string_view key) {
  return static_cast<int>(jsonpath::integer(o, {key}).value_or(0));
}

endpoint_port port_of(const json::object& p) {
  endpoint_port ep;
  ep.name = jsonpath::str(p, {"name"});
  if (auto proto = jsonpath::str(p, {"protocol"}); !proto.empty()) ep.protocol = proto;
  ep.port = int_or0(p, "port");
  return ep;
}

std::vector<endpoint_address> addresses_of(const json::object& subset, std::string_view key) {
  std::vector<endpoint_address> out;
  each_object(subset, {key}, [&](const json::object& a) {
    out.push_back({jsonpath::str(a, {"ip"}), jsonpath::str(a, {"nodeName"})});
  });
  return out;
}

json::array ingress_array(const std::vector<load_balancer_ingress>& ingress) {
  json::array arr;
  for (const auto& i : ingress) {
    json::object o;
    if (!i.ip.empty()) o["ip"] = i.ip;
    if (!i.hostname.empty()) o["hostname"] = i.hostname;
    if (!i.ip_mode.empty()) o["ipMode"] = i.ip_mode;
    arr.push_back(std::move(o));
  }
  return arr;
}

} // namespace

// -- Service --------------------------------------------------------------------

std::vector<std::string> service::cluster_ips() const {
  auto ips = strings(raw_, {"spec", "clusterIPs"});
  if (ips.empty())
    if (auto ip = jsonpath::str(raw_, {"spec", "clusterIP"}); !ip.empty()) ips.push_back(ip);
  return ips;
}

std::vector<service_port> service::ports() const {
  std::vector<service_port> out;
  each_object(raw_, {"spec", "ports"}, [&](const json::object& p) {
    service_port sp;
    sp.name = jsonpath::str(p, {"name"});
    if (auto proto = jsonpath::str(p, {"protocol"}); !proto.empty()) sp.protocol = proto;
    sp.port = int_or0(p, "port");
    sp.node_port = int_or0(p, "nodePort");
    if (auto t = jsonpath::integer(p, {"targetPort"}))
      sp.target_port = std::to_string(*t);
    else
      sp.target_port = jsonpath::str(p, {"targetPort"});
    out.push_back(std::move(sp));
  });
  return out;
}

std::vector<load_balancer_ingress> service::ingress() const {
  std::vector<load_balancer_ingress> out;
  each_object(raw_, {"status", "loadBalancer", "ingress"}, [&](const json::object& i) {
    out.push_back(
        {jsonpath::str(i, {"ip"}), jsonpath::str(i, {"hostname"}), jsonpath::str(i, {"ipMode"})});
  });
  return out;
}

void service::set_ingress(const std::vector<load_balancer_ingress>& ingress) {
  jsonpath::ensure(raw_, {"status", "loadBalancer"})["ingress"] = ingress_array(ingress);
}

json::object ingress_status_patch(const std::vector<load_balancer_ingress>& ingress) {
  json::value list = ingress.empty() ? json::value(nullptr) : json::value(ingress_array(ingress));
  return json::object{{"status", json::object{{"loadBalancer", json::object{{"ingress", list}}}}}};
}

// -- EndpointSlice / Endpoints --------------------------------------------------

std::vector<slice_endpoint> endpoint_slice::endpoints() const {
  std::vector<slice_endpoint> out;
  each_object(raw_, {"endpoints"}, [&](const json::object& e) {
    slice_endpoint se;
    se.addresses = strings(e, {"addresses"});
    se.ready = jsonpath::boolean(e, {"conditions", "ready"});
    se.serving = jsonpath::boolean(e, {"conditions", "serving"});
    se.terminating = jsonpath::boolean(e, {"conditions", "terminating"});
    se.node_name = jsonpath::str(e, {"nodeName"});
    se.zone = jsonpath::str(e, {"zone"});
    out.push_back(std::move(se));
  });
  return out;
}

std::vector<endpoint_port> endpoint_slice::ports() const {
  std::vector<endpoint_port> out;
  each_object(raw_, {"ports"}, [&](const json::object& p) { out.push_back(port_of(p)); });
  return out;
}

std::vector<endpoint_subset> endpoints::subsets() const {
  std::vector<endpoint_subset> out;
  each_object(raw_, {"subsets"}, [&](const json::object& s) {
    endpoint_subset sub;
    sub.addresses = addresses_of(s, "addresses");
    sub.not_ready_addresses = addresses_of(s, "notReadyAddresses");
    each_object(s, {"ports"}, [&](const json::object& p) { sub.ports.push_back(port_of(p)); });
    out.push_back(std::move(sub));
  });
  return out;
}

// -- Node -----------------------------------------------------------------------

std::vector<node_address> node::addresses() const {
  std::vector<node_address> out;
  each_object(raw_, {"status", "addresses"}, [&](const json::object& a) {
    out.push_back({jsonpath::str(a, {"type"}), jsonpath::str(a, {"address"})});
  });
  return out;
}

std::string node::address_of(std::string_view type) const {
  for (const auto& a : addresses())
    if (a.type == type) return a.address;
  return {};
}

std::optional<bool> node::ready() const {
  std::optional<bool> out;
  each_object(raw_, {"status", "conditions"}, [&](const json::object& c) {
    if (jsonpath::str(c, {"type"}) != "Ready") return;
    auto s = jsonpath::str(c, {"status"});
    if (s == "True") out = true;
    if (s == "False") out = false;
  });
  return out;
}

// -- Lease ------------------------------------------------------------------------

lease lease::make(std::string_view ns, std::string_view name) {
  lease l(json::object{{"apiVersion", "coordination.k8s.io/v1"}, {"kind", "Lease"}});
  l.set_name(name);
  l.set_namespace(ns);
  l.raw()["spec"] = json::object{};
  return l;
}

std::optional<std::string> lease::holder_identity() const {
  return jsonpath::optional_str(raw_, {"spec", "holderIdentity"});
}

std::optional<sys_micros> lease::acquire_time() const {
  return parse_micro_time(jsonpath::str(raw_, {"spec", "acquireTime"}));
}

std::optional<sys_micros> lease::renew_time() const {
  return parse_micro_time(jsonpath::str(raw_, {"spec", "renewTime"}));
}

void lease::set_holder_identity(std::string_view v) {
  jsonpath::ensure(raw_, {"spec"})["holderIdentity"] = v;
}

void lease::set_lease_duration_seconds(int64_t v) {
  jsonpath::ensure(raw_, {"spec"})["leaseDurationSeconds"] = v;
}

void lease::set_acquire_time(sys_micros t) {
  jsonpath::ensure(raw_, {"spec"})["acquireTime"] = format_micro_time(t);
}

void lease::set_renew_time(sys_micros t) {
  jsonpath::ensure(raw_, {"spec"})["renewTime"] = format_micro_time(t);
}

void lease::set_lease_transitions(int64_t v) {
  jsonpath::ensure(raw_, {"spec"})["leaseTransitions"] = v;
}

// -- ConfigMap / Secret -----------------------------------------------------------

std::optional<std::string> config_map::value(std::string_view key) const {
  return jsonpath::optional_str(raw_, {"data", key});
}

std::map<std::string, std::string> config_map::binary_data() const {
  std::map<std::string, std::string> out;
  for (auto& [k, v] : jsonpath::string_map(raw_, {"binaryData"}))
    if (auto d = base64_decode(v)) out.emplace(k, std::move(*d));
  return out;
}

std::map<std::string, std::string> secret::data() const {
  std::map<std::string, std::string> out;
  for (auto& [k, v] : jsonpath::string_map(raw_, {"data"}))
    if (auto d = base64_decode(v)) out.emplace(k, std::move(*d));
  return out;
}

std::optional<std::string> secret::value(std::string_view key) const {
  auto encoded = jsonpath::optional_str(raw_, {"data", key});
  if (!encoded) return std::nullopt;
  return base64_decode(*encoded);
}

// -- Event ------------------------------------------------------------------------

json::object make_event(const object_view& involved, const event_spec& spec,
                        std::chrono::system_clock::time_point now) {
  auto ns_since_epoch =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  char hex[32];
  std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(ns_since_epoch));
  std::string ns = involved.namespace_name().empty() ? "default" : involved.namespace_name();
  std::string api_version = involved.api_version();
  std::string kind = involved.kind();
  json::object ref{{"kind", kind},
                   {"namespace", involved.namespace_name()},
                   {"name", involved.name()},
                   {"uid", involved.uid()},
                   {"apiVersion", api_version},
                   {"resourceVersion", involved.resource_version()}};
  std::string ts = format_time(now);
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", json::object{{"name", involved.name() + "." + hex}, {"namespace", ns}}},
      {"involvedObject", std::move(ref)},
      {"reason", spec.reason},
      {"message", spec.message},
      {"type", spec.type},
      {"source", json::object{{"component", spec.component}, {"host", spec.host}}},
      {"firstTimestamp", ts},
      {"lastTimestamp", ts},
      {"count", 1},
      {"reportingComponent", spec.component},
      {"reportingInstance", spec.host}};
}

} // namespace kvip::k8s
