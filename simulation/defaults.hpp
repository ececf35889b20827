// Per-kind defaulting, as the real registry strategies do it (reference
// k8s-api-subset.md §3): Service IP/port allocation and defaults, the Service
// fields dropped when its type changes, Secret stringData, Namespace labels,
// immutable ConfigMaps/Secrets. Field validation follows in validation.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include <boost/json.hpp>

#include "simulation/resources.hpp"
#include "simulation/status.hpp"

namespace kvip::sim {

/// Hands out ClusterIPs (10.96.0.0/12 from .10) and node ports (30000-32767), skipping
/// those taken (the store fills the taken sets from the other Services before each write).
struct allocator {
  std::uint32_t next_ip = 10;
  std::uint32_t next_node_port = 30000;
  std::set<std::int64_t> taken_node_ports;
  std::set<std::string> taken_cluster_ips;

  /// The next free ClusterIP as dotted text (then taken).
  std::string cluster_ip();
  /// The next free node port (then taken).
  std::int64_t node_port();
};

/// Defaults and validates `obj` (already carrying name/namespace) for a create of `res`.
std::optional<api_error> prepare_create(const resource_info& res, boost::json::object& obj,
                                        allocator& alloc);
/// Defaults and validates `obj` replacing `old` for an update of `res` (immutable fields kept).
std::optional<api_error> prepare_update(const resource_info& res, const boost::json::object& old,
                                        boost::json::object& obj, allocator& alloc);

} // namespace kvip::sim
