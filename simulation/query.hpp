// Query parameters of API requests, read and checked as kube-apiserver does
// (reference k8s-api-subset.md §1.5): booleans (apimachinery's
// Convert_Slice_string_To_bool), the list/watch options and their
// ValidateListOptions rules, and the dryRun/propagationPolicy values of writes.
// Pure functions of the decoded query map; errors are the Status the real
// server answers (400 BadRequest, 422 Invalid on `<Kind>Options.meta.k8s.io`).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "net/result.hpp"
#include "simulation/status.hpp"

namespace kvip::sim {

/// Decoded query parameters (first value of a repeated one).
using query_map = std::map<std::string, std::string>;

/// A boolean parameter as kube-apiserver reads it: absent is false; "0" or "false" in any
/// letter case is false; every other value, even an empty one ("?watch"), is true.
bool query_flag(const query_map& q, const std::string& name);

/// How a list picks its resourceVersion.
enum class rv_match {
  latest,         ///< no resourceVersion (or "0"): the current state
  not_older_than, ///< resourceVersion=N: at least as new as N (504 when N is in the future)
  exact,          ///< the state at exactly N (410 when compacted, 504 when in the future)
};

/// The list/watch options of a GET.
struct list_query {
  bool watch = false;
  bool bookmarks = false;       ///< allowWatchBookmarks
  std::string resource_version; ///< as sent (the watch start point)
  rv_match match = rv_match::latest;
  std::uint64_t rv = 0; ///< N for not_older_than/exact
  std::string continue_token;
  std::size_t limit = 0; ///< 0: no limit
  std::optional<long> timeout_seconds;
};

/// Reads and validates the list/watch parameters (ValidateListOptions, with the WatchList
/// feature of a 1.31 server off): bad numbers 400; resourceVersionMatch without
/// resourceVersion, with continue, an unknown value, Exact with "0", or sendInitialEvents
/// 422 Invalid; continue with a resourceVersion other than "0" 400. `watch_path`: a legacy
/// /watch/ path, a watch whatever the `watch` parameter says.
net::result<list_query, api_error> parse_list_query(const query_map& q, bool watch_path = false);

/// Validates the write options of a `method` request: `dryRun` only "All",
/// `propagationPolicy` (DELETE) only Orphan, Background or Foreground. 422 Invalid on
/// CreateOptions/UpdateOptions/PatchOptions/DeleteOptions like kube-apiserver. A DELETE
/// with a body (`delete_body`) takes its options from the body alone, as kube-apiserver does.
std::optional<api_error> validate_write_query(const query_map& q, std::string_view method,
                                              bool delete_body = false);

/// The same checks of a DeleteOptions body (`propagationPolicy`, `dryRun` list).
std::optional<api_error> validate_delete_body(const boost::json::object& body);

/// 504 Timeout "Too large resource version: N, current: M" (cause ResourceVersionTooLarge).
api_error too_large_resource_version(std::uint64_t rv, std::uint64_t current);

/// 410 Expired for a list at a resourceVersion older than the retained history.
api_error list_rv_expired();

} // namespace kvip::sim
