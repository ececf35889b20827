#pragma once
// kvip_service_announce_seconds (reference §6.1, kvip's own): the time from
// the Service change that made an address wanted on this node to this node
// announcing it. Both owner deciders (the gossip actor; in Lease mode the
// service elector) keep one of these; pure, time injected.

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace kvip::k8s::services {

class announce_clock {
public:
  using time_point = std::chrono::steady_clock::time_point;
  /// How long a change waits to be announced here before it is forgotten
  /// (another node announced it, or nobody may).
  static constexpr std::chrono::seconds horizon{60};

  /// A new set of Service addresses (`all`); those in `changed` are new or
  /// changed since the previous set, by a Service change at `changed_at`
  /// (epoch: unknown, nothing is timed). Addresses no longer in `all`, and
  /// changes older than the horizon, are forgotten. An address already
  /// pending keeps its earlier change time.
  void update(const std::set<std::string>& all, const std::set<std::string>& changed,
              time_point changed_at, time_point now);
  /// This node announced `address` at `now`: the time since its pending
  /// change (nullopt: none pending), which is then forgotten.
  std::optional<std::chrono::duration<double>> announced(const std::string& address,
                                                         time_point now);
  std::size_t pending() const { return pending_.size(); }

private:
  std::map<std::string, time_point> pending_;
};

} // namespace kvip::k8s::services
