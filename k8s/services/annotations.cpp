// Parsing and validation of every Service annotation (annotations.hpp).
#include "k8s/services/annotations.hpp"
#include "net/file.hpp"

#include <algorithm>
#include <cctype>
#include <functional>

#include "net/config/detail.hpp"

namespace kvip::k8s::services {

namespace cfg = net::config::detail;

namespace {

using net::trim; // net/file.hpp

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

/// Collects the findings of one annotation.
class sink {
public:
  sink(const std::string& key, const std::string& value) : key_(key), value_(value) {}
  /// The value cannot be used: "<key>: <value> <problem>".
  void error(const std::string& problem) { add(severity::error, problem); }
  /// The value is used as kube-vip reads it, or is one kvip overwrites.
  void warning(const std::string& problem) { add(severity::warning, problem); }
  const std::vector<annotation_issue>& issues() const { return issues_; }

private:
  void add(severity s, const std::string& problem) {
    issues_.push_back({key_, s, key_ + ": " + quote(value_) + " " + problem});
  }
  const std::string& key_;
  const std::string& value_;
  std::vector<annotation_issue> issues_;
};

using handler = std::function<void(service_annotations&, const std::string&, sink&)>;

// -- value parsers -------------------------------------------------------------------

/// kube-vip compares with "true" (case-sensitive, except where `any_case`): anything else
/// reads as false. kvip does the same and warns unless the value is "false".
bool read_bool(const std::string& v, sink& s, bool any_case = false) {
  auto cmp = any_case ? lower(v) : v;
  if (cmp == "true") return true;
  if (cmp != "false") s.warning("is not \"true\" or \"false\"; read as false, as kube-vip does");
  return false;
}

handler boolean(bool service_annotations::*field, bool any_case = false) {
  return [field, any_case](service_annotations& a, const std::string& v, sink& s) {
    a.*field = read_bool(v, s, any_case);
  };
}

handler egress_bool(bool egress_settings::*field) {
  return [field](service_annotations& a, const std::string& v, sink& s) {
    a.egress.*field = read_bool(v, s);
  };
}

std::vector<std::string_view> split_trimmed(std::string_view v) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto comma = v.find(',', start);
    out.push_back(trim(v.substr(start, comma == std::string_view::npos ? v.npos : comma - start)));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

std::optional<lease_ref> parse_lease(const std::string& v) {
  if (!cfg::is_lease_name(v)) return std::nullopt;
  auto slash = v.find('/');
  if (slash == std::string::npos) return lease_ref{"", v};
  return lease_ref{v.substr(0, slash), v.substr(slash + 1)};
}

void parse_requested(service_annotations& a, const std::string& v, sink& s) {
  std::vector<net::ip_address> ips;
  for (auto item : split_trimmed(v)) {
    auto ip = net::ip_address::parse(item);
    if (!ip) return s.error("has " + quote(item) + ", not an IP address");
    for (auto& other : ips)
      if (other.family == ip->family)
        return s.error("lists more than one " + std::string(to_string(ip->family)) + " address");
    ips.push_back(*ip);
  }
  a.requested_ips = std::move(ips);
}

handler endpoint_ip(std::optional<net::ip_address> service_annotations::*field, ip_family want) {
  return [field, want](service_annotations& a, const std::string& v, sink& s) {
    auto ip = net::ip_address::parse(trim(v));
    if (!ip || ip->family != want)
      return s.warning("is not an " + std::string(to_string(want)) +
                       " address; kvip overwrites it when it picks an endpoint");
    a.*field = *ip;
  };
}

void parse_vlan(service_annotations& a, const std::string& v, sink& s) {
  auto dot = v.rfind('.');
  auto id = dot == std::string::npos ? std::nullopt : cfg::parse_int(v.substr(dot + 1), 1, 4094);
  if (!id || dot == 0 || !cfg::is_ifname(v))
    return s.error("is not a VLAN interface parent.id (eth0.200; id 1-4094, at most 15 bytes)");
  a.service_vlan = vlan_ref{v.substr(0, dot), static_cast<int>(*id)};
}

result<std::vector<port_key>> parse_ports(std::string_view v) {
  std::vector<port_key> out;
  for (auto item : split_trimmed(v)) {
    auto colon = item.find(':');
    auto proto = colon == std::string_view::npos ? std::optional<protocol>(protocol::tcp)
                                                 : parse_protocol(item.substr(0, colon), true);
    auto num =
        cfg::parse_int(colon == std::string_view::npos ? item : item.substr(colon + 1), 1, 65535);
    if (!proto || !num)
      return make_error(error_kind::invalid,
                        "has " + quote(item) + ", not [tcp|udp|sctp:]port (port 1-65535)");
    out.push_back({*proto, static_cast<std::uint16_t>(*num)});
  }
  return out;
}

handler egress_ports(std::vector<port_key> egress_settings::*field) {
  return [field](service_annotations& a, const std::string& v, sink& s) {
    auto r = parse_ports(v);
    if (!r) return s.error(r.err().message);
    a.egress.*field = std::move(*r);
  };
}

handler egress_networks(std::vector<net::ip_prefix> egress_settings::*field) {
  return [field](service_annotations& a, const std::string& v, sink& s) {
    std::vector<net::ip_prefix> out;
    for (auto item : split_trimmed(v)) {
      auto p = net::ip_prefix::parse(item);
      if (!p) return s.error("has " + quote(item) + ", not a CIDR (10.0.0.0/8)");
      out.push_back(*p);
    }
    a.egress.*field = std::move(out);
  };
}

// -- the dispatch table -----------------------------------------------------------------

void parse_lb_ips(service_annotations& a, const std::string& v, sink& s) {
  if (trim(v).empty())
    return s.warning("is empty; ignored (status or spec.loadBalancerIP give the address)");
  auto r = parse_address_list(v);
  if (!r) return s.error(r.err().message);
  a.loadbalancer_ips = std::move(*r);
}

void parse_lease_name(service_annotations& a, const std::string& v, sink& s) {
  if (v.empty()) return; // kube-vip: empty means the default kubevip-<service>
  auto l = parse_lease(v);
  if (!l) return s.error("is not a Lease name (name or namespace/name, DNS-1123, lower case)");
  a.lease_name = std::move(*l);
}

void parse_interface(service_annotations& a, const std::string& v, sink& s) {
  if (v == "auto") {
    a.service_interface = interface_choice{true, ""};
  } else if (cfg::is_ifname(v)) {
    a.service_interface = interface_choice{false, v};
  } else {
    s.error("is not an interface name (1-15 bytes, no '/', ':' or spaces) or \"auto\"");
  }
}

void parse_vip_host(service_annotations& a, const std::string& v, sink& s) {
  if (!cfg::is_dns_subdomain(v)) return s.warning("is not a node name; kvip overwrites it");
  a.vip_host = v;
}

void parse_hwaddr(service_annotations& a, const std::string& v, sink& s) {
  auto m = net::parse_mac(trim(v));
  if (!m) return s.error("is not a MAC address (aa:bb:cc:dd:ee:ff)");
  a.hwaddr = *m;
}

void parse_rp_filter(service_annotations& a, const std::string& v, sink& s) {
  auto n = cfg::parse_int(trim(v), 0, 2);
  if (!n) return s.warning("is not 0, 1 or 2; 0 is used, as kube-vip does");
  a.rp_filter = static_cast<int>(*n);
}

void parse_hostname(service_annotations& a, const std::string& v, sink& s) {
  if (!cfg::is_dns_name(v)) return s.error("is not a host name (RFC 1123)");
  a.loadbalancer_hostname = v;
}

void parse_macvlan(service_annotations& a, const std::string& v, sink& s) {
  if (!cfg::is_ifname(v)) return s.error("is not an interface name (1-15 bytes)");
  a.macvlan_name = v;
}

void parse_upnp_lease(service_annotations& a, const std::string& v, sink& s) {
  auto d = cfg::parse_duration(trim(v), std::chrono::seconds(1));
  if (!d) return s.error("is not a Go duration (30s, 1h)");
  a.upnp_lease_duration = *d;
}

void parse_nft_table(service_annotations& a, const std::string& v, sink& s) {
  bool ok = !v.empty() && v.size() <= 256 && std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  if (!ok) return s.error("is not an nftables table name");
  a.egress.nftables_table = v;
}

using SA = service_annotations;
using EG = egress_settings;

const std::map<std::string_view, handler>& handlers() {
  static const std::map<std::string_view, handler> h = {
      {"kube-vip.io/loadbalancerIPs", parse_lb_ips},
      {"kube-vip.io/ignore", boolean(&SA::ignore)},
      {"kube-vip.io/serviceInterface", parse_interface},
      {"kube-vip.io/serviceVLAN", parse_vlan},
      {"kube-vip.io/leaseName", parse_lease_name},
      {"kube-vip.io/forcePerServiceElection", boolean(&SA::force_per_service_election)},
      // kube-vip compares this one case-insensitively.
      {"kube-vip.io/allow-reconcile-without-endpoints",
       boolean(&SA::allow_reconcile_without_endpoints, true)},
      {"kube-vip.io/ignore-service-security", boolean(&SA::ignore_service_security)},
      {"kube-vip.io/ddns", boolean(&SA::ddns)},
      {"kube-vip.io/loadbalancerHostname", parse_hostname},
      {"kube-vip.io/macvlanName", parse_macvlan},
      {"kube-vip.io/dhcp-broadcast", boolean(&SA::dhcp_broadcast)},
      {"kube-vip.io/rp_filter", parse_rp_filter},
      {"kube-vip.io/hwaddr", parse_hwaddr},
      {"kube-vip.io/requestedIP", parse_requested},
      {"kube-vip.io/vipHost", parse_vip_host},
      {"kube-vip.io/forwardUPNP", boolean(&SA::forward_upnp)},
      {"kube-vip.io/upnp-lease-duration", parse_upnp_lease},
      {"kube-vip.io/flush-conntrack", boolean(&SA::flush_conntrack)},
      {"kube-vip.io/egress", egress_bool(&EG::enabled)},
      {"kube-vip.io/egress-internal", egress_bool(&EG::internal)},
      {"kube-vip.io/egress-ipv6", egress_bool(&EG::ipv6)},
      {"kube-vip.io/egress-destination-ports", egress_ports(&EG::destination_ports)},
      {"kube-vip.io/egress-source-ports", egress_ports(&EG::source_ports)},
      {"kube-vip.io/egress-allowed-networks", egress_networks(&EG::allowed_networks)},
      {"kube-vip.io/egress-denied-networks", egress_networks(&EG::denied_networks)},
      {"kube-vip.io/egress-no-internal-traffic", egress_bool(&EG::no_internal_traffic)},
      {"kube-vip.io/egress-detect-api-server", egress_bool(&EG::detect_api_server)},
      {"kube-vip.io/active-endpoint", endpoint_ip(&SA::active_endpoint, ip_family::v4)},
      {"kube-vip.io/active-endpoint-ipv6", endpoint_ip(&SA::active_endpoint_v6, ip_family::v6)},
      {"kube-vip.io/egress-nftables-table", parse_nft_table},
      {"development.kube-vip.io/synthetic-api-server-error-on-update",
       boolean(&SA::synthetic_update_error)},
  };
  return h;
}

bool kube_vip_prefixed(std::string_view key) {
  return key.starts_with("kube-vip.io/") || key.starts_with("development.kube-vip.io/");
}

/// A warning for an unknown kube-vip.io/ key, naming a known key that differs only in case.
annotation_issue unknown_key(const std::string& key) {
  std::string msg = key + ": not an annotation kube-vip or kvip reads; ignored";
  for (const auto& [known, fn] : handlers())
    if (lower(known) == lower(key)) msg += " (did you mean " + std::string(known) + "?)";
  return {key, severity::warning, msg};
}

/// Findings of a `later` annotation become warnings saying it is not acted on yet.
void mark_later(std::vector<annotation_issue>& found, const key_info& row, const std::string& key) {
  std::string note = "not acted on yet (" + std::string(row.later_issue) + " issue)";
  if (found.empty())
    found.push_back({key, severity::warning, key + ": parsed but " + note});
  else
    for (auto& i : found) {
      i.message += "; " + note;
      i.level = severity::warning;
    }
}

} // namespace

result<address_list> parse_address_list(std::string_view value) {
  address_list out;
  for (auto item : split_trimmed(value)) {
    if (item.empty()) return make_error(error_kind::invalid, "has an empty entry");
    auto ip = net::ip_address::parse(item);
    if (ip && is_unspecified(*ip)) {
      bool& dhcp = ip->is_v4() ? out.dhcp_v4 : out.dhcp_v6;
      if (dhcp) return make_error(error_kind::invalid, "lists " + quote(item) + " twice");
      dhcp = true;
    } else if (ip) {
      if (std::find(out.ips.begin(), out.ips.end(), *ip) == out.ips.end()) out.ips.push_back(*ip);
    } else if (cfg::is_dns_name(item)) {
      std::string name(item);
      if (std::find(out.hostnames.begin(), out.hostnames.end(), name) == out.hostnames.end())
        out.hostnames.push_back(std::move(name));
    } else {
      return make_error(error_kind::invalid,
                        "has " + quote(item) + ", neither an IP address nor a DNS name");
    }
  }
  return out;
}

std::vector<std::string_view> parsed_annotation_keys() {
  std::vector<std::string_view> out;
  for (const auto& [key, fn] : handlers())
    out.push_back(key);
  return out;
}

service_annotations parse_annotations(const std::map<std::string, std::string>& annotations) {
  service_annotations out;
  for (const auto& [key, value] : annotations) {
    auto h = handlers().find(key);
    if (h == handlers().end()) {
      if (kube_vip_prefixed(key)) out.issues.push_back(unknown_key(key));
      continue;
    }
    sink s(key, value);
    h->second(out, value, s);
    auto found = s.issues();
    const auto* row = find_key(key);
    if (row && row->status == key_status::later) mark_later(found, *row, key);
    out.issues.insert(out.issues.end(), found.begin(), found.end());
  }
  return out;
}

bool service_annotations::has_errors() const {
  return std::any_of(issues.begin(), issues.end(),
                     [](const annotation_issue& i) { return i.level == severity::error; });
}

std::string service_annotations::error_text() const {
  std::string out;
  for (const auto& i : issues) {
    if (i.level != severity::error) continue;
    if (!out.empty()) out += "; ";
    out += i.message;
  }
  return out;
}

} // namespace kvip::k8s::services
