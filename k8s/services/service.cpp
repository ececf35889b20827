#include "k8s/services/service.hpp"

#include <algorithm>

#include "k8s/services/fields.hpp"

namespace kvip::k8s::services {

namespace json = boost::json;

const char* to_string(traffic_policy p) {
  return p == traffic_policy::local ? "Local" : "Cluster";
}

const char* to_string(family_policy p) {
  switch (p) {
  case family_policy::unset:
    return "";
  case family_policy::single_stack:
    return "SingleStack";
  case family_policy::prefer_dual_stack:
    return "PreferDualStack";
  case family_policy::require_dual_stack:
    return "RequireDualStack";
  }
  return "?";
}

const char* to_string(address_selection::source s) {
  switch (s) {
  case address_selection::source::none:
    return "none";
  case address_selection::source::annotation:
    return "annotation";
  case address_selection::source::status:
    return "status";
  case address_selection::source::spec:
    return "spec";
  case address_selection::source::status_and_spec:
    return "status+spec";
  }
  return "?";
}

namespace {

// -- parsing ---------------------------------------------------------------------------

result<void> parse_metadata(const json::object& obj, service& s) {
  auto kind = fields::opt_string(obj, "kind", "");
  if (!kind) return kind.err();
  if (*kind && **kind != "Service") return invalid("kind", quote(**kind) + " is not Service");
  auto meta = fields::opt_object(obj, "metadata", "");
  if (!meta) return meta.err();
  if (!*meta) return invalid("metadata", "missing");
  const auto& m = **meta;
  for (auto [key, out] :
       {std::pair{"name", &s.name}, std::pair{"namespace", &s.ns}, std::pair{"uid", &s.uid},
        std::pair{"resourceVersion", &s.resource_version}}) {
    auto v = fields::opt_string(m, key, "metadata");
    if (!v) return v.err();
    *out = v->value_or("");
  }
  if (s.name.empty()) return invalid("metadata.name", "missing");
  if (s.ns.empty()) return invalid("metadata.namespace", "missing");
  auto created = fields::opt_string(m, "creationTimestamp", "metadata");
  if (!created) return created.err();
  if (*created) {
    s.created = net::parse_rfc3339(**created);
    if (!s.created)
      return invalid("metadata.creationTimestamp", quote(**created) + " is not an RFC 3339 time");
  }
  auto annotations = fields::string_map(m, "annotations", "metadata");
  if (!annotations) return annotations.err();
  s.annotations = std::move(*annotations);
  auto labels = fields::string_map(m, "labels", "metadata");
  if (!labels) return labels.err();
  s.labels = std::move(*labels);
  return {};
}

result<void> parse_ports(const json::object& spec, service& s) {
  auto arr = fields::opt_array(spec, "ports", "spec");
  if (!arr) return arr.err();
  if (!*arr) return {};
  for (std::size_t i = 0; i < (*arr)->size(); ++i) {
    auto path = fields::index("spec.ports", i);
    auto p = fields::element_object(**arr, i, "spec.ports");
    if (!p) return p.err();
    service_port out;
    auto name = fields::opt_string(**p, "name", path);
    if (!name) return name.err();
    out.name = name->value_or("");
    auto proto = fields::opt_string(**p, "protocol", path);
    if (!proto) return proto.err();
    if (*proto) {
      auto pr = parse_protocol(**proto);
      if (!pr) return invalid(path + ".protocol", quote(**proto) + " is not TCP, UDP or SCTP");
      out.proto = *pr;
    }
    auto port = fields::opt_int(**p, "port", path);
    if (!port) return port.err();
    if (!*port) return invalid(path + ".port", "missing");
    if (**port < 1 || **port > 65535)
      return invalid(path + ".port", std::to_string(**port) + " is not a port number (1-65535)");
    out.port = static_cast<std::uint16_t>(**port);
    s.ports.push_back(std::move(out));
  }
  return {};
}

result<void> parse_families(const json::object& spec, service& s) {
  auto arr = fields::opt_array(spec, "ipFamilies", "spec");
  if (!arr) return arr.err();
  for (std::size_t i = 0; *arr && i < (*arr)->size(); ++i) {
    auto f = fields::element_string(**arr, i, "spec.ipFamilies");
    if (!f) return f.err();
    auto path = fields::index("spec.ipFamilies", i);
    if (*f != "IPv4" && *f != "IPv6") return invalid(path, quote(*f) + " is not IPv4 or IPv6");
    auto fam = *f == "IPv4" ? ip_family::v4 : ip_family::v6;
    if (std::find(s.ip_families.begin(), s.ip_families.end(), fam) != s.ip_families.end())
      return invalid(path, quote(*f) + " is listed twice");
    s.ip_families.push_back(fam);
  }
  auto pol = fields::opt_string(spec, "ipFamilyPolicy", "spec");
  if (!pol) return pol.err();
  if (!*pol) return {};
  if (**pol == "SingleStack") {
    s.ip_family_policy = family_policy::single_stack;
  } else if (**pol == "PreferDualStack") {
    s.ip_family_policy = family_policy::prefer_dual_stack;
  } else if (**pol == "RequireDualStack") {
    s.ip_family_policy = family_policy::require_dual_stack;
  } else {
    return invalid("spec.ipFamilyPolicy",
                   quote(**pol) + " is not SingleStack, PreferDualStack or RequireDualStack");
  }
  if (s.ip_family_policy == family_policy::single_stack && s.ip_families.size() > 1)
    return invalid("spec.ipFamilyPolicy", "SingleStack with two spec.ipFamilies");
  return {};
}

result<void> parse_spec_scalars(const json::object& spec, service& s) {
  auto type = fields::opt_string(spec, "type", "spec");
  if (!type) return type.err();
  if (*type) s.type = **type;
  if (s.type != "ClusterIP" && s.type != "NodePort" && s.type != "LoadBalancer" &&
      s.type != "ExternalName")
    return invalid("spec.type",
                   quote(s.type) + " is not ClusterIP, NodePort, LoadBalancer or ExternalName");
  auto cls = fields::opt_string(spec, "loadBalancerClass", "spec");
  if (!cls) return cls.err();
  s.load_balancer_class = *cls;
  auto etp = fields::opt_string(spec, "externalTrafficPolicy", "spec");
  if (!etp) return etp.err();
  if (*etp && **etp == "Local") {
    s.external_traffic_policy = traffic_policy::local;
  } else if (*etp && !(*etp)->empty() && **etp != "Cluster") {
    return invalid("spec.externalTrafficPolicy", quote(**etp) + " is not Cluster or Local");
  }
  auto lbip = fields::opt_string(spec, "loadBalancerIP", "spec");
  if (!lbip) return lbip.err();
  if (*lbip && !(*lbip)->empty()) {
    s.load_balancer_ip = net::ip_address::parse(**lbip);
    if (!s.load_balancer_ip)
      return invalid("spec.loadBalancerIP", quote(**lbip) + " is not an IP address");
  }
  return {};
}

result<void> parse_status(const json::object& obj, service& s) {
  const std::string path = "status.loadBalancer.ingress";
  auto status = fields::opt_object(obj, "status", "");
  if (!status || !*status) return status ? result<void>{} : result<void>{status.err()};
  auto lb = fields::opt_object(**status, "loadBalancer", "status");
  if (!lb || !*lb) return lb ? result<void>{} : result<void>{lb.err()};
  auto arr = fields::opt_array(**lb, "ingress", "status.loadBalancer");
  if (!arr || !*arr) return arr ? result<void>{} : result<void>{arr.err()};
  for (std::size_t i = 0; i < (*arr)->size(); ++i) {
    auto e = fields::element_object(**arr, i, path);
    if (!e) return e.err();
    ingress_entry out;
    auto ip = fields::opt_string(**e, "ip", fields::index(path, i));
    if (!ip) return ip.err();
    if (*ip && !(*ip)->empty()) {
      out.ip = net::ip_address::parse(**ip);
      if (!out.ip)
        return invalid(fields::index(path, i) + ".ip", quote(**ip) + " is not an IP address");
    }
    auto host = fields::opt_string(**e, "hostname", fields::index(path, i));
    if (!host) return host.err();
    out.hostname = host->value_or("");
    s.ingress.push_back(std::move(out));
  }
  return {};
}

} // namespace

result<service> parse_service(const json::object& obj) {
  service s;
  if (auto r = parse_metadata(obj, s); !r) return r.err();
  auto spec = fields::opt_object(obj, "spec", "");
  if (!spec) return spec.err();
  static const json::object empty;
  const auto& sp = *spec ? **spec : empty;
  if (auto r = parse_spec_scalars(sp, s); !r) return r.err();
  if (auto r = parse_families(sp, s); !r) return r.err();
  if (auto r = parse_ports(sp, s); !r) return r.err();
  if (auto r = parse_status(obj, s); !r) return r.err();
  s.kv = parse_annotations(s.annotations);
  if (s.kv.has_errors()) return make_error(error_kind::invalid, s.kv.error_text());
  return s;
}

lease_ref service_lease(const service& s) {
  lease_ref out{s.ns, "kubevip-" + s.name};
  if (s.kv.lease_name) {
    out.name = s.kv.lease_name->name;
    if (!s.kv.lease_name->ns.empty()) out.ns = s.kv.lease_name->ns;
  }
  return out;
}

namespace {

// -- address selection ---------------------------------------------------------------------

using source = address_selection::source;

/// The candidates of §3.2 before the family filter; 0.0.0.0 / :: still in `ips`.
struct candidates {
  source from = source::none;
  std::vector<net::ip_address> ips;
  std::vector<std::string> hostnames;
};

net::ip_address unspecified(ip_family f) {
  net::ip_address a;
  a.family = f;
  return a;
}

candidates from_status(const service& s) {
  candidates c;
  for (const auto& e : s.ingress) {
    if (e.ip) c.ips.push_back(*e.ip);
    if (!e.hostname.empty()) c.hostnames.push_back(e.hostname);
  }
  if (c.ips.empty() && c.hostnames.empty()) return c;
  c.from = source::status;
  if (!s.load_balancer_ip) return c;
  const auto& spec = *s.load_balancer_ip;
  bool differs = std::any_of(c.ips.begin(), c.ips.end(), [&](const net::ip_address& a) {
    return a.family == spec.family && !(a == spec);
  });
  if (!differs) return c;
  // spec wins for its family: the status IPs of that family give way to it.
  auto first = std::find_if(c.ips.begin(), c.ips.end(),
                            [&](const net::ip_address& a) { return a.family == spec.family; });
  *first = spec;
  c.ips.erase(std::remove_if(first + 1, c.ips.end(),
                             [&](const net::ip_address& a) { return a.family == spec.family; }),
              c.ips.end());
  c.from = source::status_and_spec;
  return c;
}

candidates pick(const service& s) {
  if (const auto& a = s.kv.loadbalancer_ips) {
    candidates c{source::annotation, a->ips, a->hostnames};
    if (a->dhcp_v4) c.ips.push_back(unspecified(ip_family::v4));
    if (a->dhcp_v6) c.ips.push_back(unspecified(ip_family::v6));
    return c;
  }
  auto c = from_status(s);
  if (c.from == source::none && s.load_balancer_ip) {
    c.from = source::spec;
    c.ips.push_back(*s.load_balancer_ip);
  }
  return c;
}

std::vector<ip_family> wanted_families(const service& s) {
  if (s.ip_families.empty()) return {ip_family::v4, ip_family::v6};
  if (s.ip_family_policy == family_policy::single_stack) return {s.ip_families.front()};
  return s.ip_families;
}

std::string family_list(const std::vector<ip_family>& fs) {
  std::string out;
  for (auto f : fs)
    out += (out.empty() ? "" : " and ") + std::string(to_string(f));
  return out;
}

void note_missing_family(const service& s, address_selection& out) {
  if (s.ip_family_policy != family_policy::require_dual_stack || !out.hostnames.empty()) return;
  for (auto f : out.families) {
    bool has = std::any_of(out.addresses.begin(), out.addresses.end(),
                           [f](const net::ip_address& a) { return a.family == f; }) ||
               (f == ip_family::v4 ? out.dhcp_v4 : out.dhcp_v6);
    if (!has)
      out.notes.push_back("spec.ipFamilyPolicy RequireDualStack but no " +
                          std::string(to_string(f)) + " address");
  }
}

} // namespace

address_selection select_addresses(const service& s) {
  auto c = pick(s);
  address_selection out;
  out.from = c.from;
  out.families = wanted_families(s);
  for (const auto& ip : c.ips) {
    if (std::find(out.families.begin(), out.families.end(), ip.family) == out.families.end()) {
      out.excluded.push_back(ip.to_string() + ": not announced, the Service's families are " +
                             family_list(out.families) + " (spec.ipFamilies, ipFamilyPolicy)");
    } else if (is_unspecified(ip)) {
      (ip.is_v4() ? out.dhcp_v4 : out.dhcp_v6) = true;
    } else if (std::find(out.addresses.begin(), out.addresses.end(), ip) == out.addresses.end()) {
      out.addresses.push_back(ip);
    }
  }
  for (const auto& h : c.hostnames)
    if (std::find(out.hostnames.begin(), out.hostnames.end(), h) == out.hostnames.end())
      out.hostnames.push_back(h);
  note_missing_family(s, out);
  return out;
}

} // namespace kvip::k8s::services
