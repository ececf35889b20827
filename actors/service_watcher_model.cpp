#include "actors/service_watcher_model.hpp"

#include <algorithm>
#include <tuple>

#include "k8s/object_view.hpp"

namespace kvip {

namespace svc = k8s::services;

namespace {

/// Adds `reason` to the report of `key` (the first reason stays the counted one;
/// further ones are appended to the message).
void add_report(std::map<std::string, service_report>& reports, const std::string& key,
                const std::string& reason, const std::string& message, bool warning) {
  auto& r = reports[key];
  r.warning = r.warning || warning;
  if (r.reason.empty()) {
    r.reason = reason;
    r.message = message;
    return;
  }
  if (r.message.find(message) == std::string::npos) r.message += "; " + message;
}

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& i : items)
    out += (out.empty() ? "" : sep) + i;
  return out;
}

/// What a Service asks for that kvip announces without acting on.
std::vector<std::string> notes_of(const svc::service& s, const svc::filter_result& f,
                                  const svc::address_selection& sel) {
  std::vector<std::string> out;
  for (const auto& i : s.kv.issues)
    if (i.level == svc::severity::warning) out.push_back(i.message);
  out.insert(out.end(), f.notes.begin(), f.notes.end());
  out.insert(out.end(), sel.notes.begin(), sel.notes.end());
  out.insert(out.end(), sel.excluded.begin(), sel.excluded.end());
  if (sel.addresses.empty()) return out; // no_address says the rest
  if (sel.dhcp_v4 || sel.dhcp_v6)
    out.push_back(std::string(sel.dhcp_v4 ? "0.0.0.0" : "::") +
                  " asks for an address by DHCP, which kvip does not obtain yet (DHCP issue)");
  if (!sel.hostnames.empty())
    out.push_back("DNS names are not announced until DDNS is supported: " + join(sel.hostnames));
  return out;
}

/// Why a Service has no address to announce; `warning` when it asked for one kvip
/// cannot serve yet.
std::string no_address(const svc::address_selection& sel, bool& warning) {
  warning = sel.dhcp_v4 || sel.dhcp_v6 || !sel.hostnames.empty();
  if (sel.dhcp_v4 || sel.dhcp_v6)
    return "only 0.0.0.0 / :: (an address by DHCP), which kvip does not obtain yet (DHCP issue)";
  if (!sel.hostnames.empty())
    return "only DNS names (" + join(sel.hostnames) + "), which need DDNS (not supported yet)";
  if (!sel.excluded.empty()) return "every address is outside the Service's ipFamilies";
  return "no address yet (kube-vip.io/loadbalancerIPs, status.loadBalancer.ingress and "
         "spec.loadBalancerIP are empty)";
}

/// The Service as its IPs' owners see it: every address it has (what its
/// status lists; a dual-stack one's two may be owned by different nodes).
msg::service_ref ref_of(const svc::service& s, const svc::address_selection& sel) {
  msg::service_ref r{s.ns, s.name, s.uid, {}, {}};
  for (const auto& p : s.ports)
    r.ports.push_back({svc::to_string(p.proto), p.port});
  for (const auto& a : sel.addresses)
    r.addresses.push_back(a.to_string());
  return r;
}

/// spec.type, read before parsing (a ClusterIP Service is never parsed or reported).
bool is_load_balancer(const boost::json::object& o) {
  return k8s::jsonpath::str(o, {"spec", "type"}) == "LoadBalancer";
}

} // namespace

void service_watch_model::forget(const std::string& key) {
  served_.erase(key);
  reports_.erase(key);
  sharing_.remove(key);
}

bool service_watch_model::on_service(const k8s::watch_event& e) {
  auto key = k8s::object_key(e.object);
  bool known = served_.count(key) > 0 || reports_.count(key) > 0;
  bool outside = !cfg_.svc_namespace.empty() &&
                 k8s::jsonpath::str(e.object, {"metadata", "namespace"}) != cfg_.svc_namespace;
  if (e.type == k8s::event_type::deleted || outside || !is_load_balancer(e.object)) {
    forget(key);
    return known;
  }
  auto parsed = svc::parse_service(e.object);
  if (!parsed) {
    forget(key);
    reports_[key] = {"invalid_service", parsed.err().message, {}, true};
    return true;
  }
  return accept(key, std::move(*parsed));
}

bool service_watch_model::accept(const std::string& key, svc::service s) {
  forget(key);
  auto f = svc::filter_service(s, cfg_);
  if (!f.handled) {
    bool info =
        f.reason == svc::skip_reason::ignored || f.reason == svc::skip_reason::load_balancer_class;
    reports_[key] = {svc::to_string(f.reason), f.message, {}, !info};
    return true;
  }
  auto sel = svc::select_addresses(s);
  auto notes = notes_of(s, f, sel);
  if (sel.addresses.empty()) {
    bool warning = false;
    auto why = no_address(sel, warning);
    warning = warning || !notes.empty();
    bool unsupported = sel.dhcp_v4 || sel.dhcp_v6 || !sel.hostnames.empty();
    reports_[key] = {unsupported ? "unsupported_address" : "no_address", std::move(why),
                     std::move(notes), warning};
    return true;
  }
  if (!notes.empty()) reports_[key] = {"", "", std::move(notes), true};
  // Pools with allow-share are the address allocator's (IPAM) knowledge; without it,
  // sharing needs disjoint ports.
  sharing_.upsert(svc::claim_of(s, sel, false));
  served_.insert_or_assign(key, entry{std::move(s), std::move(sel)});
  return true;
}

bool service_watch_model::on_endpoint_slice(const k8s::watch_event& e, std::string& problem) {
  problem.clear();
  auto slice_key = k8s::object_key(e.object);
  std::string old_owner;
  if (auto it = slice_owner_.find(slice_key); it != slice_owner_.end()) old_owner = it->second;
  std::string owner;
  std::optional<svc::endpoint_slice_info> slice;
  if (e.type != k8s::event_type::deleted) {
    auto parsed = svc::parse_endpoint_slice(e.object);
    if (parsed) {
      slice = std::move(*parsed);
      if (!slice->service_name.empty())
        owner = k8s::jsonpath::str(e.object, {"metadata", "namespace"}) + "/" + slice->service_name;
    } else {
      problem = parsed.err().message;
    }
  }
  bool changed = false;
  if (!old_owner.empty() && old_owner != owner) {
    auto& eps = endpoints_[old_owner];
    eps.remove_slice(k8s::jsonpath::str(e.object, {"metadata", "name"}));
    if (eps.slice_count() == 0) endpoints_.erase(old_owner);
    changed = concerns(old_owner);
  }
  if (owner.empty()) {
    slice_owner_.erase(slice_key);
    return changed;
  }
  endpoints_[owner].upsert_slice(*slice);
  slice_owner_[slice_key] = owner;
  return changed || concerns(owner);
}

bool service_watch_model::on_endpoints(const k8s::watch_event& e, std::string& problem) {
  problem.clear();
  auto key = k8s::object_key(e.object);
  if (e.type == k8s::event_type::deleted) {
    endpoints_.erase(key);
    return concerns(key);
  }
  auto parsed = svc::parse_endpoints(e.object);
  if (!parsed) {
    problem = parsed.err().message;
    endpoints_.erase(key);
    return concerns(key);
  }
  endpoints_[key].set_endpoints(std::move(*parsed));
  return concerns(key);
}

svc::endpoint_summary service_watch_model::summary_of(const std::string& key) const {
  auto it = endpoints_.find(key);
  return it == endpoints_.end() ? svc::endpoint_summary{} : it->second.summary();
}

std::vector<service_watch_model::active>
service_watch_model::actives(const std::vector<std::string>& holders,
                             std::map<std::string, service_report>& reports) const {
  std::vector<active> out;
  for (const auto& key : holders) {
    const auto& e = served_.at(key);
    auto sum = summary_of(key);
    // The endpoints' own nodes stand for "healthy": node health is the elector's.
    auto el = svc::eligible_nodes(e.svc, sum, {sum.nodes.begin(), sum.nodes.end()});
    bool local = e.svc.external_traffic_policy == svc::traffic_policy::local;
    bool eligible = local ? !el.nodes.empty() : el.reason.empty();
    if (!eligible) {
      add_report(reports, key, "no_endpoints", el.reason, false);
      continue;
    }
    active a{&e, local, {}};
    if (local) a.nodes.insert(el.nodes.begin(), el.nodes.end());
    out.push_back(std::move(a));
  }
  return out;
}

msg::service_ip
service_watch_model::build_ip(const net::ip_address& ip, const std::vector<active>& act,
                              std::map<std::string, service_report>& reports) const {
  msg::service_ip out;
  out.address = ip.to_string();
  for (const auto& a : act)
    out.services.push_back(ref_of(a.e->svc, a.e->sel));
  std::sort(out.services.begin(), out.services.end(), [](const auto& x, const auto& y) {
    return std::tie(x.ns, x.name) < std::tie(y.ns, y.name);
  });
  auto lease = svc::service_lease(act.front().e->svc); // the oldest Service on the IP
  out.lease_name = lease.name;
  out.lease_namespace = lease.ns;
  out.own_lease =
      cfg_.per_service_election_on_demand && act.front().e->svc.kv.force_per_service_election;
  out.flush_conntrack = std::any_of(act.begin(), act.end(),
                                    [](const auto& a) { return a.e->svc.kv.flush_conntrack; });
  for (const auto& a : act)
    if (const auto& i = a.e->svc.kv.service_interface) {
      out.interface = i->automatic ? "auto" : i->name;
      break;
    }
  std::map<std::string, std::size_t> cover; // node -> Local Services served there
  std::size_t locals = 0, best = 0;
  for (const auto& a : act) {
    if (!a.local) continue;
    ++locals;
    for (const auto& n : a.nodes)
      best = std::max(best, ++cover[n]);
  }
  out.any_node = locals == 0;
  for (const auto& [node, n] : cover)
    if (n == best) out.nodes.push_back(node);
  if (best == locals) return out;
  for (const auto& a : act) {
    std::vector<std::string> missing;
    for (const auto& n : out.nodes)
      if (a.local && !a.nodes.count(n)) missing.push_back(n);
    if (missing.empty()) continue;
    add_report(reports, a.e->svc.key(), "local_endpoints_elsewhere",
               out.address +
                   " is shared with other externalTrafficPolicy Local Services and no "
                   "node has local endpoints of all of them; it may be announced from " +
                   join(out.nodes) + ", where this Service has no local endpoint on " +
                   join(missing),
               false);
  }
  return out;
}

service_set service_watch_model::compute() const {
  service_set out;
  out.reports = reports_;
  out.served = served_.size();
  for (const auto& ip : sharing_.addresses()) {
    auto h = sharing_.holders(ip);
    for (const auto& [key, why] : h.conflicts)
      add_report(out.reports, key, "ip_conflict", why, true);
    auto act = actives(h.holders, out.reports);
    if (!act.empty()) out.ips.push_back(build_ip(ip, act, out.reports));
  }
  return out;
}

} // namespace kvip
