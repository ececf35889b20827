// The URL grammar of resource paths (reference k8s-api-subset.md §1.2):
//   /api/v1/<plural>[/<name>[/<sub>]]                      cluster-scoped or all namespaces
//   /api/v1/namespaces/<ns>/<plural>[/<name>[/<sub>]]      namespaced
//   /apis/<group>/<version>/...                            same shapes for named groups
// with /api/v1/namespaces/<name>[/status|/finalize] being the Namespace object, and the
// deprecated watch paths /api/v1/watch/... and /apis/<group>/<version>/watch/... (the same
// shapes after "watch/", answered as ?watch=true).
#pragma once

#include <string>
#include <string_view>

#include "simulation/resources.hpp"

namespace kvip::sim {

/// A parsed resource path.
struct resource_path {
  enum class shape {
    not_found,     ///< nothing served here
    group_version, ///< "/api/v1" or "/apis/<g>/<v>": discovery resource list
    group,         ///< "/apis/<g>": APIGroup
    collection,    ///< a collection (list, watch, create, deletecollection)
    object,        ///< one object (get, update, patch, delete)
  };
  shape kind = shape::not_found;
  std::string group;
  std::string version;
  const resource_info* res = nullptr;
  std::string ns;          ///< empty for cluster scope or all namespaces
  std::string name;        ///< object name
  std::string subresource; ///< "status" or empty
  bool watch = false;      ///< a legacy .../watch/... path
};

/// Parses `path` (no query string). Unknown resources and bad shapes give shape::not_found.
resource_path parse_resource_path(std::string_view path);

} // namespace kvip::sim
