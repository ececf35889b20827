// The resource table of the embedded API server: which kinds exist, their URL
// names, scope, subresources and the per-kind write rules the real server's
// registry strategies apply (reference k8s-api-subset.md §1.3, §3).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kvip::sim {

/// One served resource (group/version/plural) and the rules that differ per kind.
struct resource_info {
  std::string group;    ///< "" for core
  std::string version;  ///< "v1"
  std::string plural;   ///< "services"
  std::string singular; ///< "service"
  std::string kind;     ///< "Service"
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool has_status = false;            ///< a /status subresource splitting spec from status
  bool create_on_update = false;      ///< PUT of a missing object creates it (201)
  bool unconditional_update = true;   ///< PUT without resourceVersion allowed (Lease: no, 422)
  bool delete_returns_object = false; ///< DELETE answers the object instead of a Status
  bool has_generation = false;        ///< metadata.generation maintained by the server
  bool delete_collection = true;      ///< DELETE on the collection (not Services, Namespaces)
  std::vector<std::string> fields;    ///< field-selector labels beyond metadata.name/namespace

  /// "v1" or "<group>/<version>".
  std::string api_version() const;
  /// "services" for core, "leases.coordination.k8s.io" otherwise (used in messages).
  std::string qualified() const;
  /// The verbs discovery lists for the resource itself (deletecollection only where served).
  std::vector<std::string> verbs() const;
  /// True if `field` may be used in a field selector for this kind.
  bool field_supported(std::string_view field) const;
};

/// Every served resource, in discovery order. Stable addresses for the program's lifetime.
const std::vector<resource_info>& resources();
/// The resource for (group, version, plural), or nullptr.
const resource_info* find_resource(std::string_view group, std::string_view version,
                                   std::string_view plural);
/// The resource whose kind is `kind` in `api_version` ("v1", "coordination.k8s.io/v1"), or
/// nullptr.
const resource_info* find_kind(std::string_view api_version, std::string_view kind);
/// The group/versions served, core ("v1") first, then named groups in table order.
std::vector<std::string> group_versions();

} // namespace kvip::sim
