#pragma once
// What the owners of VIPs tell the node labeler (enable_node_labeling): the
// control-plane VIPs and the Services this node holds, each part sent when it
// changes and again when the labeler is a new incarnation (a restarted
// labeler starts empty). Used by the gossip actor and, in Lease mode, by the
// lease elector (control plane) and the service elector (Services).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "actors/directory.hpp"
#include "actors/tracing.hpp"
#include "messages/node_labels.hpp"
#include "messages/services.hpp"

namespace kvip {

/// What was last sent to which labeler, per part.
struct owned_reports {
  caf::actor_addr control_plane_to;
  std::optional<std::vector<std::string>> control_plane;
  caf::actor_addr services_to;
  std::optional<std::vector<msg::owned_service>> services;
};

/// The Services on the addresses `held` says this node holds, each with those
/// of its addresses (in the Service's order), sorted by namespace and name.
std::vector<msg::owned_service>
owned_services_of(const std::vector<msg::service_ip>& ips,
                  const std::function<bool(const std::string&)>& held);

/// True when the directory's labeler is not the one `r`'s services part went
/// to (a cheap check before building that part).
inline bool services_report_due(const directory& dir, const owned_reports& r) {
  return dir.node_labeler().address() != r.services_to;
}
inline bool control_plane_report_due(const directory& dir, const owned_reports& r) {
  return dir.node_labeler().address() != r.control_plane_to;
}

/// Sends the control-plane part unless this labeler already has it.
template <class Self>
void report_control_plane(Self* self, const directory& dir, owned_reports& r,
                          std::vector<std::string> addresses) {
  auto l = dir.node_labeler();
  if (!l || (l.address() == r.control_plane_to && r.control_plane == addresses)) return;
  r.control_plane_to = l.address();
  r.control_plane = addresses;
  msg::owned_control_plane m;
  m.addresses = std::move(addresses);
  tell(self, l, std::move(m));
}

/// Sends the services part unless this labeler already has it.
template <class Self>
void report_services(Self* self, const directory& dir, owned_reports& r,
                     std::vector<msg::owned_service> services) {
  auto l = dir.node_labeler();
  if (!l || (l.address() == r.services_to && r.services == services)) return;
  r.services_to = l.address();
  r.services = services;
  msg::owned_services m;
  m.services = std::move(services);
  tell(self, l, std::move(m));
}

} // namespace kvip
