#include "k8s/ipam/allocation.hpp"
#include "net/file.hpp"

#include <algorithm>
#include <cctype>

namespace kvip::k8s::ipam {

namespace json = boost::json;

namespace {

using net::trim; // net/file.hpp

void add_unique(std::vector<net::ip_address>& out, const net::ip_address& a) {
  if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
}

/// The IP entries of the annotation's comma list (other entries are DNS names).
void annotation_addresses(std::string_view value, std::vector<net::ip_address>& out) {
  for (std::size_t pos = 0; pos <= value.size();) {
    auto comma = value.find(',', pos);
    if (comma == std::string_view::npos) comma = value.size();
    if (auto a = net::ip_address::parse(trim(value.substr(pos, comma - pos)))) add_unique(out, *a);
    pos = comma + 1;
  }
}

/// spec.ipFamilies and spec.ipFamilyPolicy.
void read_families(const service& svc, request& want, std::vector<std::string>& problems) {
  if (auto* fams = jsonpath::find(svc.raw(), {"spec", "ipFamilies"}); fams && fams->is_array()) {
    for (auto& f : fams->get_array()) {
      auto* s = f.if_string();
      if (s && *s == "IPv4") {
        want.families.push_back(ip_family::v4);
      } else if (s && *s == "IPv6") {
        want.families.push_back(ip_family::v6);
      } else {
        problems.push_back("spec.ipFamilies: " + json::serialize(f) + " is not IPv4 or IPv6");
      }
    }
  }
  auto policy = jsonpath::str(svc.raw(), {"spec", "ipFamilyPolicy"});
  if (policy == "PreferDualStack") {
    want.policy = family_policy::prefer_dual_stack;
  } else if (policy == "RequireDualStack") {
    want.policy = family_policy::require_dual_stack;
  } else if (!policy.empty() && policy != "SingleStack") {
    problems.push_back("spec.ipFamilyPolicy: \"" + policy + "\" is not SingleStack, " +
                       "PreferDualStack or RequireDualStack; using SingleStack");
  }
}

/// What the Service holds: annotation, spec.loadBalancerIP, status ingress IPs.
void read_held(const service& svc, const std::string& annotation, service_reading& out) {
  annotation_addresses(annotation, out.held.addresses);
  auto spec_ip = svc.load_balancer_ip();
  if (auto a = net::ip_address::parse(trim(spec_ip))) {
    add_unique(out.held.addresses, *a);
  } else if (!spec_ip.empty()) {
    out.problems.push_back("spec.loadBalancerIP: \"" + spec_ip + "\" is not an IP address");
  }
  for (auto& i : svc.ingress()) {
    if (auto a = net::ip_address::parse(i.ip)) {
      add_unique(out.held.addresses, *a);
    } else if (!i.ip.empty()) {
      out.problems.push_back("status.loadBalancer.ingress: \"" + i.ip + "\" is not an IP address");
    }
  }
}

} // namespace

const char* to_string(service_need n) {
  switch (n) {
  case service_need::nothing:
    return "nothing";
  case service_need::adopt_legacy:
    return "adopt_legacy";
  case service_need::allocate:
    return "allocate";
  }
  return "?";
}

service_reading read_service(const service& svc) {
  service_reading out;
  out.held.service = {svc.namespace_name(), svc.name()};
  for (auto& p : svc.ports())
    out.held.ports.push_back({p.protocol, p.port});
  out.want.service = out.held.service;
  out.want.ports = out.held.ports;
  read_families(svc, out.want, out.problems);
  auto annotation = std::string(trim(svc.annotation(loadbalancer_ips_annotation).value_or("")));
  read_held(svc, annotation, out);
  if (svc.type() != "LoadBalancer" || !annotation.empty()) return out;
  auto spec_ip = std::string(trim(svc.load_balancer_ip()));
  if (!spec_ip.empty()) {
    out.need = service_need::adopt_legacy;
    out.legacy = {spec_ip, spec_ip, ""};
  } else {
    out.need = service_need::allocate;
  }
  return out;
}

writeback writeback_for(const allocation& a) {
  writeback w;
  for (auto& addr : a.addresses)
    w.load_balancer_ips += (w.load_balancer_ips.empty() ? "" : ",") + addr.to_string();
  if (!a.addresses.empty()) w.load_balancer_ip = a.addresses.front().to_string();
  w.service_interface = a.interface;
  return w;
}

json::object service_patch(const writeback& w, std::string_view resource_version) {
  json::object annotations{{loadbalancer_ips_annotation, w.load_balancer_ips}};
  if (!w.service_interface.empty()) annotations[service_interface_annotation] = w.service_interface;
  json::object labels{{implementation_label, implementation_value}, {legacy_ipam_label, nullptr}};
  json::object metadata{{"annotations", std::move(annotations)}, {"labels", std::move(labels)}};
  if (!resource_version.empty()) metadata["resourceVersion"] = resource_version;
  return json::object{{"metadata", std::move(metadata)},
                      {"spec", json::object{{"loadBalancerIP", w.load_balancer_ip}}}};
}

} // namespace kvip::k8s::ipam
