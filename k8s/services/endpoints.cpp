#include "k8s/services/endpoints.hpp"

#include <algorithm>

#include "k8s/services/fields.hpp"

namespace kvip::k8s::services {

namespace json = boost::json;

namespace {

result<std::string> metadata_name(const json::object& obj) {
  auto meta = fields::opt_object(obj, "metadata", "");
  if (!meta) return meta.err();
  if (!*meta) return invalid("metadata", "missing");
  auto name = fields::opt_string(**meta, "name", "metadata");
  if (!name) return name.err();
  if (!*name || (*name)->empty()) return invalid("metadata.name", "missing");
  return **name;
}

/// nodeName, else hostname (kube-vip's fallback), of an endpoint or address object.
result<std::string> node_of(const json::object& o, const std::string& path) {
  auto node = fields::opt_string(o, "nodeName", path);
  if (!node) return node.err();
  if (*node && !(*node)->empty()) return **node;
  auto host = fields::opt_string(o, "hostname", path);
  if (!host) return host.err();
  return host->value_or("");
}

result<void> read_conditions(const json::object& e, const std::string& path, endpoint& out) {
  auto cond = fields::opt_object(e, "conditions", path);
  if (!cond) return cond.err();
  if (!*cond) return {};
  const auto cpath = path + ".conditions";
  auto ready = fields::opt_bool(**cond, "ready", cpath);
  if (!ready) return ready.err();
  auto serving = fields::opt_bool(**cond, "serving", cpath);
  if (!serving) return serving.err();
  auto terminating = fields::opt_bool(**cond, "terminating", cpath);
  if (!terminating) return terminating.err();
  out.ready = ready->value_or(true);
  out.serving = serving->value_or(out.ready);
  out.terminating = terminating->value_or(false);
  return {};
}

result<endpoint> slice_endpoint(const json::object& e, const std::string& path, address_type t) {
  endpoint out;
  auto addrs = fields::opt_array(e, "addresses", path);
  if (!addrs) return addrs.err();
  if (!*addrs) return invalid(path + ".addresses", "missing");
  const auto apath = path + ".addresses";
  for (std::size_t i = 0; i < (*addrs)->size(); ++i) {
    auto text = fields::element_string(**addrs, i, apath);
    if (!text) return text.err();
    if (t == address_type::fqdn) continue;
    auto want = t == address_type::ipv4 ? ip_family::v4 : ip_family::v6;
    auto ip = net::ip_address::parse(*text);
    if (!ip || ip->family != want)
      return invalid(fields::index(apath, i),
                     quote(*text) + " is not an " + to_string(want) + " address");
    out.addresses.push_back(*ip);
  }
  if (auto r = read_conditions(e, path, out); !r) return r.err();
  auto node = node_of(e, path);
  if (!node) return node.err();
  out.node = std::move(*node);
  return out;
}

result<address_type> read_address_type(const json::object& obj) {
  auto t = fields::opt_string(obj, "addressType", "");
  if (!t) return t.err();
  if (!*t) return invalid("addressType", "missing");
  if (**t == "IPv4") return address_type::ipv4;
  if (**t == "IPv6") return address_type::ipv6;
  if (**t == "FQDN") return address_type::fqdn;
  return invalid("addressType", quote(**t) + " is not IPv4, IPv6 or FQDN");
}

} // namespace

result<endpoint_slice_info> parse_endpoint_slice(const json::object& obj) {
  endpoint_slice_info out;
  auto name = metadata_name(obj);
  if (!name) return name.err();
  out.name = std::move(*name);
  auto labels = fields::string_map(obj.at("metadata").get_object(), "labels", "metadata");
  if (!labels) return labels.err();
  if (auto it = labels->find("kubernetes.io/service-name"); it != labels->end())
    out.service_name = it->second;
  auto type = read_address_type(obj);
  if (!type) return type.err();
  out.type = *type;
  auto eps = fields::opt_array(obj, "endpoints", "");
  if (!eps) return eps.err();
  for (std::size_t i = 0; *eps && i < (*eps)->size(); ++i) {
    auto e = fields::element_object(**eps, i, "endpoints");
    if (!e) return e.err();
    auto ep = slice_endpoint(**e, fields::index("endpoints", i), out.type);
    if (!ep) return ep.err();
    out.endpoints.push_back(std::move(*ep));
  }
  return out;
}

namespace {

result<void> subset_addresses(const json::object& subset, std::string_view key,
                              const std::string& path, bool ready, std::vector<endpoint>& out) {
  auto arr = fields::opt_array(subset, key, path);
  if (!arr) return arr.err();
  const auto apath = fields::join(path, key);
  for (std::size_t i = 0; *arr && i < (*arr)->size(); ++i) {
    auto a = fields::element_object(**arr, i, apath);
    if (!a) return a.err();
    const auto epath = fields::index(apath, i);
    auto ip_text = fields::opt_string(**a, "ip", epath);
    if (!ip_text) return ip_text.err();
    if (!*ip_text) return invalid(epath + ".ip", "missing");
    auto ip = net::ip_address::parse(**ip_text);
    if (!ip) return invalid(epath + ".ip", quote(**ip_text) + " is not an IP address");
    auto node = node_of(**a, epath);
    if (!node) return node.err();
    out.push_back(endpoint{{*ip}, ready, ready, false, std::move(*node)});
  }
  return {};
}

} // namespace

result<std::vector<endpoint>> parse_endpoints(const json::object& obj) {
  auto name = metadata_name(obj);
  if (!name) return name.err();
  std::vector<endpoint> out;
  auto subsets = fields::opt_array(obj, "subsets", "");
  if (!subsets) return subsets.err();
  for (std::size_t i = 0; *subsets && i < (*subsets)->size(); ++i) {
    auto sub = fields::element_object(**subsets, i, "subsets");
    if (!sub) return sub.err();
    const auto path = fields::index("subsets", i);
    if (auto r = subset_addresses(**sub, "addresses", path, true, out); !r) return r.err();
    if (auto r = subset_addresses(**sub, "notReadyAddresses", path, false, out); !r) return r.err();
  }
  return out;
}

endpoint_summary summarize(const std::vector<endpoint>& eps) {
  endpoint_summary out;
  for (const auto& e : eps) {
    ++out.total;
    if (e.ready) ++out.ready;
    if (e.serving) ++out.serving;
  }
  out.serving_fallback = out.ready == 0 && out.serving > 0;
  for (const auto& e : eps) {
    bool usable = out.serving_fallback ? e.serving : e.ready;
    if (!usable || e.node.empty()) continue;
    out.nodes.insert(e.node);
    auto& list = out.addresses[e.node];
    for (const auto& a : e.addresses)
      if (std::find(list.begin(), list.end(), a) == list.end()) list.push_back(a);
  }
  return out;
}

void service_endpoints::upsert_slice(const endpoint_slice_info& slice) {
  if (slice.type == address_type::fqdn) {
    slices_.erase(slice.name);
    return;
  }
  slices_[slice.name] = slice.endpoints;
}

void service_endpoints::remove_slice(const std::string& name) {
  slices_.erase(name);
}

void service_endpoints::set_endpoints(std::vector<endpoint> eps) {
  slices_.clear();
  slices_[""] = std::move(eps);
}

std::vector<endpoint> service_endpoints::all() const {
  std::vector<endpoint> out;
  for (const auto& [name, eps] : slices_)
    out.insert(out.end(), eps.begin(), eps.end());
  return out;
}

eligibility eligible_nodes(const service& s, const endpoint_summary& eps,
                           const std::vector<std::string>& healthy_nodes) {
  std::set<std::string> healthy(healthy_nodes.begin(), healthy_nodes.end());
  eligibility out;
  if (s.external_traffic_policy == traffic_policy::cluster) {
    if (eps.any_usable() || s.kv.allow_reconcile_without_endpoints) {
      out.nodes.assign(healthy.begin(), healthy.end());
    } else {
      out.reason = "no ready or serving endpoint (externalTrafficPolicy Cluster)";
    }
    return out;
  }
  for (const auto& n : eps.nodes)
    if (healthy.count(n)) out.nodes.push_back(n);
  const char* kind = eps.serving_fallback ? "serving" : "ready";
  if (!eps.any_usable()) {
    out.reason = "no ready or serving endpoint (externalTrafficPolicy Local)";
  } else if (out.nodes.empty()) {
    out.reason = std::string("no healthy node has a ") + kind +
                 " local endpoint (externalTrafficPolicy Local)";
  } else if (out.nodes.size() < healthy.size()) {
    out.reason =
        std::string("externalTrafficPolicy Local: only nodes with a ") + kind + " local endpoint";
  }
  return out;
}

} // namespace kvip::k8s::services
