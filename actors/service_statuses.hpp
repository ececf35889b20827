#pragma once
// What the owner of Service IPs tells the status writer, for both owner
// deciders (the gossip actor, the Lease-mode service elector): pure, so both
// say the same thing.

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "messages/services.hpp"

namespace kvip {

/// `node` now answers for `address`: one status per Service on it (every
/// address of the Service in the ingress, its ports, vipHost = node).
std::vector<msg::service_status> owner_statuses(const std::vector<msg::service_ip>& ips,
                                                const std::string& address,
                                                const std::string& node);

/// Services on addresses this node answered for (`answered`) in `before` that
/// are on no address of `next` a node may announce (deleted, ignored, no
/// endpoints, another class): one clearing status each (no ingress, no
/// vipHost; kube-vip never withdraws them, W14). A Service that moved to
/// another address keeps its status: that address's owner writes it.
std::vector<msg::service_status>
withdrawn_statuses(const std::vector<msg::service_ip>& before,
                   const std::vector<msg::service_ip>& next,
                   const std::function<bool(const std::string&)>& answered);

/// The addresses of `next`, and those new in `next` or whose Service IP
/// differs from `before`'s (both owner deciders time announcements with them:
/// k8s/services/announce_clock).
struct address_changes {
  std::set<std::string> all;
  std::set<std::string> changed;
};
address_changes changed_addresses(const std::vector<msg::service_ip>& before,
                                  const std::vector<msg::service_ip>& next);

} // namespace kvip
