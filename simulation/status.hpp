// Kubernetes `Status` objects: the error catalogue of the real API server
// (reference k8s-api-subset.md §1.7) and the Success status of deletes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "simulation/resources.hpp"

namespace kvip::sim {

/// A failed API call: HTTP code, reason and message, rendered as a Status object.
struct api_error {
  int code = 500;
  std::string reason; ///< "NotFound", "Conflict", …
  std::string message;
  boost::json::object details; ///< may be empty

  /// The Status object (kind, apiVersion, metadata, status Failure, message, reason, code).
  boost::json::object to_status() const;
};

/// 400 BadRequest with `message`.
api_error bad_request(std::string message);
/// 404 NotFound for object `name` of `res`.
api_error not_found(const resource_info& res, std::string_view name);
/// 404 NotFound for a path the server does not serve.
api_error path_not_found();
/// 405 MethodNotAllowed.
api_error method_not_allowed();
/// 409 AlreadyExists for `name` of `res`.
api_error already_exists(const resource_info& res, std::string_view name);
/// 409 Conflict (stale resourceVersion) for `name` of `res`; `why` replaces the default text.
api_error conflict(const resource_info& res, std::string_view name, std::string_view why = {});
/// 410 Expired "too old resource version: rv (oldest)".
api_error expired(std::uint64_t rv, std::uint64_t oldest);
/// 415 UnsupportedMediaType for an unknown patch or body type.
api_error unsupported_media_type();
/// One cause of a 422: the field path, the text after it ("Invalid value: 0: must be ...")
/// and the cause reason (FieldValueInvalid, FieldValueRequired, ...).
struct field_cause {
  std::string field;
  std::string detail;
  std::string reason = "FieldValueInvalid";
};

/// 422 Invalid: `kind` "name" is invalid: field: detail (one cause).
api_error invalid(const resource_info& res, std::string_view name, std::string_view field,
                  std::string_view detail, std::string_view cause_type = "FieldValueInvalid");
/// 422 Invalid with every cause: `Kind[.group] "name" is invalid: [f1: d1, f2: d2]` (no
/// brackets for one cause), details {name, group, kind, causes}. `causes` must not be empty.
api_error invalid(const resource_info& res, std::string_view name,
                  const std::vector<field_cause>& causes);
/// 500 InternalError with `message`.
api_error internal_error(std::string message);
/// 401 Unauthorized.
api_error unauthorized();
/// 503 ServiceUnavailable with `message`.
api_error unavailable(std::string message);
/// An error with an arbitrary code; reason picked to match the code as client-go expects.
api_error error_with_code(int code, std::string message);

/// The Success Status of a delete of `name` (details carry name, group, kind=plural, uid).
boost::json::object delete_success(const resource_info& res, std::string_view name,
                                   std::string_view uid);

} // namespace kvip::sim
