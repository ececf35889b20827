// Object lifecycle rules of kube-apiserver's registry that are not field
// validation: status a client may not set on create, no new finalizers on an
// object being deleted, and the namespace lifecycle (Terminating, 403 for new
// content) — reference k8s-api-subset.md §3; the store applies them.
#pragma once

#include <optional>
#include <string>

#include <boost/json.hpp>

#include "simulation/resources.hpp"
#include "simulation/status.hpp"

namespace kvip::sim {

/// True if `obj` has metadata.finalizers.
bool has_finalizers(const boost::json::object& obj);

/// Resets client-supplied status on create as the registry strategies do (Namespace:
/// phase Active and the "kubernetes" spec finalizer; Pod: phase Pending; Service's is reset
/// by its defaults).
void reset_status_on_create(const resource_info& res, boost::json::object& obj);

/// 422 when `obj` adds finalizers to `old`, an object already being deleted.
std::optional<api_error> check_no_new_finalizers(const resource_info& res,
                                                 const boost::json::object& old,
                                                 const boost::json::object& obj);

/// True if the Namespace object `ns` is being deleted (status.phase Terminating).
bool namespace_terminating(const boost::json::object& ns);

/// 403 Forbidden for creating `name` of `res` in the Terminating namespace `ns`.
api_error namespace_terminating_error(const resource_info& res, const std::string& name,
                                      const std::string& ns);

/// `ns` marked for deletion: deletionTimestamp, status.phase Terminating.
boost::json::object mark_terminating(boost::json::object ns);

} // namespace kvip::sim
