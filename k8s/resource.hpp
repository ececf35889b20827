// Which REST collection an operation addresses, and the URL grammar of
// k8s-api-subset.md §1.2: /api/v1/... for the core group, /apis/<g>/<v>/... else.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvip::k8s {

/// A resource type: group/version, plural, scope and Kind.
struct resource {
  std::string api_version; ///< "v1", "discovery.k8s.io/v1", …
  std::string plural;      ///< "services"
  bool namespaced = true;
  std::string kind; ///< "Service"
};

/// The resources kvip uses.
namespace resources {
inline const resource services{"v1", "services", true, "Service"};
inline const resource endpoints{"v1", "endpoints", true, "Endpoints"};
inline const resource endpoint_slices{"discovery.k8s.io/v1", "endpointslices", true,
                                      "EndpointSlice"};
inline const resource nodes{"v1", "nodes", false, "Node"};
inline const resource leases{"coordination.k8s.io/v1", "leases", true, "Lease"};
inline const resource config_maps{"v1", "configmaps", true, "ConfigMap"};
inline const resource secrets{"v1", "secrets", true, "Secret"};
inline const resource events{"v1", "events", true, "Event"};
inline const resource namespaces{"v1", "namespaces", false, "Namespace"};
} // namespace resources

/// Percent-encodes a query value or path segment (RFC 3986 unreserved kept).
std::string url_encode(std::string_view s);

/// Collection path; `ns` "" for a namespaced resource means all namespaces.
std::string collection_path(const resource& r, std::string_view ns);

/// Object path, with an optional subresource ("status").
std::string object_path(const resource& r, std::string_view ns, std::string_view name,
                        std::string_view subresource = {});

/// Appends `?k=v&…` (values encoded, empty values skipped) to `path`.
std::string with_query(std::string path,
                       const std::vector<std::pair<std::string, std::string>>& params);

} // namespace kvip::k8s
