#include "actors/service_watcher_metrics.hpp"

#include <array>

namespace kvip {

namespace tm = net::telemetry;

namespace {

std::pair<std::string, std::string> split_key(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

} // namespace

std::optional<tm::skip_reason> skip_reason_of(std::string_view reason) {
  if (reason == "ignored") return tm::skip_reason::ignored;
  if (reason == "load_balancer_class") return tm::skip_reason::other_class;
  if (reason == "no_address") return tm::skip_reason::no_address;
  if (reason == "unsupported_address") return tm::skip_reason::unsupported_address;
  if (reason == "ip_conflict") return tm::skip_reason::ip_conflict;
  if (reason == "no_endpoints" || reason == "local_endpoints_elsewhere")
    return tm::skip_reason::no_endpoints;
  if (reason == "invalid_service" || reason == "invalid_config") return tm::skip_reason::invalid;
  return std::nullopt;
}

void publish_kube_vip(tm::kube_vip_metrics& m, const service_set& set, kube_vip_view& prev,
                      const std::map<std::string, double>& reconciled) {
  kube_vip_view now;
  for (const auto& ip : set.ips)
    for (const auto& ref : ip.services)
      if (now.services.insert(ref.ns + "/" + ref.name).second) ++now.active[ref.ns];
  std::map<tm::skip_reason, std::size_t> skipped;
  for (const auto& [key, r] : set.reports) {
    now.services.insert(key);
    if (auto s = skip_reason_of(r.reason)) ++skipped[*s];
  }
  constexpr std::array all{tm::skip_reason::ignored,     tm::skip_reason::other_class,
                           tm::skip_reason::no_address,  tm::skip_reason::unsupported_address,
                           tm::skip_reason::ip_conflict, tm::skip_reason::no_endpoints,
                           tm::skip_reason::invalid};
  for (auto s : all) {
    auto it = skipped.find(s);
    m.skipped_services(s, it == skipped.end() ? 0 : it->second);
  }
  for (const auto& [key, seconds] : reconciled)
    if (now.services.count(key)) {
      auto [ns, name] = split_key(key);
      m.reconcile_duration(ns, name, seconds);
    }
  for (const auto& [ns, n] : now.active)
    m.active_services(ns, n);
  for (const auto& [ns, n] : prev.active)
    if (!now.active.count(ns)) m.active_services(ns, 0);
  for (const auto& key : prev.services)
    if (!now.services.count(key)) {
      auto [ns, name] = split_key(key);
      m.forget_service(ns, name);
    }
  prev = std::move(now);
}

void count_reconcile_error(tm::kube_vip_metrics& m, const std::string& key,
                           std::string_view reason) {
  if (reason != "invalid_service" && reason != "invalid_config") return;
  auto [ns, name] = split_key(key);
  m.reconcile_error(ns, name, tm::reconcile_reason::invalid_config);
}

} // namespace kvip
