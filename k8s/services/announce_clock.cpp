#include "k8s/services/announce_clock.hpp"

namespace kvip::k8s::services {

void announce_clock::update(const std::set<std::string>& all, const std::set<std::string>& changed,
                            time_point changed_at, time_point now) {
  std::erase_if(pending_,
                [&](const auto& p) { return now - p.second > horizon || !all.count(p.first); });
  if (changed_at == time_point{}) return;
  for (const auto& a : changed)
    if (all.count(a)) pending_.emplace(a, changed_at);
}

std::optional<std::chrono::duration<double>> announce_clock::announced(const std::string& address,
                                                                       time_point now) {
  auto it = pending_.find(address);
  if (it == pending_.end()) return std::nullopt;
  std::chrono::duration<double> took = now - it->second;
  pending_.erase(it);
  return took;
}

} // namespace kvip::k8s::services
