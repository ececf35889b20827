// Patch engines of the embedded API server: pure functions over Boost.JSON values.
//
// The server picks one from the request Content-Type (reference/k8s-api-subset.md §4):
//
// * `application/merge-patch+json` -> apply_merge_patch (RFC 7386): objects merge recursively,
//   `null` deletes a key, everything else (arrays included) replaces. Follows the RFC at every
//   level, so a non-object patch replaces the whole target; the server checks that the result
//   is still an object.
// * `application/strategic-merge-patch+json` -> apply_strategic_merge_patch: merge patch plus
//   per-kind list strategies (merge by key, merge as set, replace) and the directives kubectl
//   emits (`$patch`, `$setElementOrder/<f>`, `$deleteFromPrimitiveList/<f>`, `$retainKeys`).
//   Implemented in strategic_merge.cpp, which documents the exact semantics and the table.
// * `application/json-patch+json` -> apply_json_patch (RFC 6902, pointers per RFC 6901).
//
// Every function returns ok or a human-readable error (the server answers 422 for JSON patch
// and 400/422 for the others). None of them throws. Strategic merge and JSON patch
// are atomic: on error `target` is left unchanged. Patches nested deeper than `max_patch_depth`
// are refused (never a stack overflow).
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

#include "net/result.hpp"

namespace kvip::sim {

/// Deepest nesting a patch document may have.
inline constexpr int max_patch_depth = 256;

/// Deep JSON equality; numbers compare by value across int64/uint64/double (1 == 1.0).
bool json_equal(const boost::json::value& a, const boost::json::value& b);

/// True when `v` nests deeper than `limit` levels (scalars have depth 0).
bool json_deeper_than(const boost::json::value& v, int limit);

/// RFC 7386 JSON merge patch applied to `target` in place.
net::result<void> apply_merge_patch(boost::json::value& target, const boost::json::value& patch);

/// Kubernetes strategic merge patch (subset kubectl's client-side apply and kubectl patch use) for
/// the object kind `kind` ("Service", "ConfigMap", "Lease", "EndpointSlice", "Node", "Endpoints",
/// "Pod", "Secret", "Namespace", "Event"). Atomic.
net::result<void> apply_strategic_merge_patch(boost::json::value& target,
                                              const boost::json::value& patch,
                                              std::string_view kind);

/// RFC 6902 JSON patch (add, remove, replace, move, copy, test; RFC 6901 pointers with ~0 ~1);
/// atomic: on error `target` is unchanged.
net::result<void> apply_json_patch(boost::json::value& target, const boost::json::value& patch);

} // namespace kvip::sim
