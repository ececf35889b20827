#include "actors/ipam_model.hpp"

#include <algorithm>
#include <utility>

#include "k8s/objects.hpp"

namespace kvip {

namespace ipam = k8s::ipam;
namespace json = boost::json;

namespace {

/// kube-vip.io/ignore, the type and the load-balancer class rules.
bool eligible(const k8s::service& svc, const k8s::services::filter_config& filter) {
  if (svc.type() != "LoadBalancer") return false;
  auto ignore = svc.annotation("kube-vip.io/ignore");
  if (ignore && ipam::parse_bool(*ignore).value_or(false)) return false;
  k8s::services::service s; // the class rule reads only the class
  if (auto cls = k8s::jsonpath::find(svc.raw(), {"spec", "loadBalancerClass"});
      cls && cls->is_string())
    s.load_balancer_class = std::string(cls->get_string());
  return k8s::services::class_mismatch(s, filter).empty();
}

const char* reason_of(ipam::alloc_error_kind k) {
  return k == ipam::alloc_error_kind::exhausted ? "AddressPoolExhausted" : "NoAddressPool";
}

} // namespace

ipam_outcome outcome_of(k8s::error_kind k) {
  switch (k) {
  case k8s::error_kind::conflict:
  case k8s::error_kind::already_exists:
    return ipam_outcome::conflict;
  case k8s::error_kind::not_found:
    return ipam_outcome::gone;
  case k8s::error_kind::invalid:
  case k8s::error_kind::unauthorized:
    return ipam_outcome::rejected;
  default:
    return ipam_outcome::failed;
  }
}

const char* to_string(ipam_outcome o) {
  switch (o) {
  case ipam_outcome::written:
    return "written";
  case ipam_outcome::conflict:
    return "conflict";
  case ipam_outcome::gone:
    return "gone";
  case ipam_outcome::rejected:
    return "rejected";
  case ipam_outcome::failed:
    return "failed";
  }
  return "?";
}

ipam_model::ipam_model(k8s::services::filter_config filter, k8s::backoff_policy retry)
    : filter_(std::move(filter)), retry_(retry) {}

void ipam_model::service_seen(const json::object& obj) {
  k8s::service svc{obj};
  auto reading = ipam::read_service(svc);
  auto id = reading.held.service;
  auto it = entries_.find(id);
  if (it != entries_.end() && it->second.uid != svc.uid()) { // recreated under the same name
    forget(id);
    it = entries_.end();
  }
  if (it == entries_.end()) {
    it = entries_.try_emplace(id, retry_).first;
  }
  auto& e = it->second;
  e.uid = svc.uid();
  e.rv = svc.resource_version();
  alloc_.observe(reading.held);
  if (!reading.held.addresses.empty()) e.maybe_landed = false; // the reservation ended
  e.reading = std::move(reading);
  e.eligible = eligible(svc, filter_);
  if (wants_write(e)) {
    enqueue(id, e);
  } else if (!e.writing && !e.maybe_landed) {
    alloc_.cancel(id); // no longer wants one (ignored, another class, an address of its own)
  }
}

void ipam_model::service_deleted(const json::object& obj) {
  k8s::service svc{obj};
  forget({svc.namespace_name(), svc.name()});
  requeue_blocked(); // its addresses are free again
}

void ipam_model::config_seen(const json::object* config_map) {
  ipam::pool_config cfg;
  std::string ns, name;
  if (config_map != nullptr) {
    k8s::config_map cm{*config_map};
    ns = cm.namespace_name();
    name = cm.name();
    auto* data = config_map->if_contains("data");
    cfg = ipam::parse_pool_config(data != nullptr && data->is_object() ? data->get_object()
                                                                       : json::object{});
  }
  std::string problems;
  for (const auto& p : cfg.problems)
    problems += (problems.empty() ? "" : "; ") + p.message;
  if (!problems.empty() && problems != config_problems_) {
    warnings_.push_back(
        {"ConfigMap", ns, name, "", "InvalidAddressPool", "malformed keys left out: " + problems});
    results_.push_back("invalid_config");
  }
  config_problems_ = std::move(problems);
  alloc_.set_config(std::move(cfg));
  requeue_blocked();
}

bool ipam_model::wants_write(const entry& e) const {
  return e.eligible && e.reading.need != ipam::service_need::nothing;
}

void ipam_model::enqueue(const ipam::service_id& s, entry& e) {
  if (e.queued) return;
  e.queued = true;
  queue_.push_back(s);
}

void ipam_model::requeue_blocked() {
  for (auto& [id, e] : entries_)
    if (!e.blocked.empty() && wants_write(e)) enqueue(id, e);
}

void ipam_model::forget(const ipam::service_id& s) {
  alloc_.forget(s);
  entries_.erase(s); // a queued id of it is skipped by take()
}

void ipam_model::block(const ipam::service_id& s, entry& e, const ipam::alloc_error& err) {
  auto message = err.message;
  if (!config_problems_.empty())
    message += " (the ConfigMap has malformed keys: " + config_problems_ + ")";
  if (message == e.blocked) return;
  e.blocked = message;
  warnings_.push_back({"Service", s.ns, s.name, e.uid, reason_of(err.kind), message});
  results_.push_back(ipam::to_string(err.kind));
}

std::optional<ipam_write_order> ipam_model::order_for(const ipam::service_id& s, entry& e) {
  ipam_write_order o;
  o.service = s;
  ipam::writeback w;
  if (e.reading.need == ipam::service_need::adopt_legacy) {
    w = e.reading.legacy;
    o.adopt = true;
  } else {
    auto got = alloc_.allocate(e.reading.want);
    if (!got) {
      block(s, e, got.err());
      return std::nullopt;
    }
    w = ipam::writeback_for(*got);
  }
  e.blocked.clear();
  o.addresses = w.load_balancer_ips;
  o.patch = ipam::service_patch(w, e.rv);
  return o;
}

std::vector<ipam_write_order> ipam_model::take(time_point now, std::size_t room) {
  std::vector<ipam_write_order> out;
  if (!synced()) return out;
  std::vector<ipam::service_id> later;
  while (!queue_.empty() && out.size() < room) {
    auto id = queue_.front();
    queue_.pop_front();
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;
    auto& e = it->second;
    if (e.due && *e.due > now && wants_write(e) && !e.writing) {
      later.push_back(id);
      continue;
    }
    e.queued = false;
    if (!wants_write(e) || e.writing) continue; // finished() decides what follows a write
    auto o = order_for(id, e);
    if (!o) continue;
    e.due.reset();
    e.writing = true;
    e.adopting = o->adopt;
    ++writing_;
    out.push_back(std::move(*o));
  }
  for (auto it = later.rbegin(); it != later.rend(); ++it)
    queue_.push_front(*it);
  return out;
}

void ipam_model::finished(const ipam::service_id& s, ipam_outcome o, const std::string& detail,
                          time_point now) {
  if (writing_ > 0) --writing_;
  auto it = entries_.find(s);
  if (it == entries_.end() || !it->second.writing) return; // forgotten or recreated meanwhile
  auto& e = it->second;
  e.writing = false;
  if (o == ipam_outcome::written) {
    results_.push_back(e.adopting ? "adopted" : "allocated");
    e.retry.reset();
    e.maybe_landed = true; // the reservation holds the address until the watch shows it
    return;
  }
  results_.push_back(to_string(o));
  if (o == ipam_outcome::gone) {
    forget(s);
    return;
  }
  if (o == ipam_outcome::failed) {
    e.maybe_landed = true; // no answer does not mean not written
  } else if (!e.maybe_landed) {
    alloc_.cancel(s); // refused: this write did not land, nor did an earlier one
  }
  if (o == ipam_outcome::rejected)
    warnings_.push_back({"Service", s.ns, s.name, e.uid, "LoadBalancerIPWriteRefused",
                         "writing kube-vip.io/loadbalancerIPs was refused: " + detail});
  e.due = now + e.retry.next();
  enqueue(s, e);
}

std::optional<ipam_model::time_point> ipam_model::next_due() const {
  std::optional<time_point> best;
  for (const auto& id : queue_) {
    auto it = entries_.find(id);
    if (it == entries_.end() || !it->second.due) continue;
    if (!best || *it->second.due < *best) best = it->second.due;
  }
  return best;
}

std::vector<ipam_warning> ipam_model::take_warnings() {
  return std::exchange(warnings_, {});
}

std::vector<std::string> ipam_model::take_results() {
  return std::exchange(results_, {});
}

std::vector<std::string> ipam_model::blocked() const {
  std::vector<std::string> out;
  for (const auto& [id, e] : entries_)
    if (!e.blocked.empty()) out.push_back(id.to_string() + ": " + e.blocked);
  return out;
}

} // namespace kvip
