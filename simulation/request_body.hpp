// Request bodies of create, update and patch as kube-apiserver reads them:
// JSON or YAML by Content-Type, decoded into the kind's Go type (schema.hpp)
// under the fieldValidation directive (Strict refuses unknown fields, Warn
// prunes them with a Warning header, Ignore prunes them silently).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "net/http/server.hpp"
#include "net/result.hpp"
#include "simulation/resources.hpp"
#include "simulation/status.hpp"

namespace kvip::sim {

enum class field_validation { ignore, warn, strict };

/// The fieldValidation query parameter ("" or absent: Warn, the server default). Anything
/// else is 422 Invalid on `options_kind` ("CreateOptions", "UpdateOptions", "PatchOptions").
/// The media type of a Content-Type value, without parameters, lower-cased.
std::string media_type(std::string content_type);

net::result<field_validation, api_error> field_validation_of(const net::http::request& req,
                                                             std::string_view options_kind);

/// Paths of the keys a JSON text repeats within one object ("spec.a", "items[1].b"), in
/// document order: kube-apiserver's strict decoding refuses them, Warn keeps the last value.
std::vector<std::string> duplicate_fields(std::string_view text);

/// A decoded create/update body and the Warning header values to send with the answer.
struct typed_body {
  boost::json::object object;
  std::vector<std::string> warnings;
};

/// Reads a POST/PUT body: 415 for media types other than JSON and YAML, 400 for bodies that do
/// not parse or do not decode as `res`'s kind ("<Kind> in version \"v1\" cannot be handled as a
/// <Kind>: ..."), 400 for unknown fields under Strict.
net::result<typed_body, api_error> read_typed_body(const net::http::request& req,
                                                   const resource_info& res,
                                                   std::string_view options_kind);

/// Checks the object a patch produced: wrong types are 422 Invalid on field "patch", unknown
/// fields under Strict 400; they are pruned otherwise. Remembers the failure and warnings.
class patch_result_check {
public:
  /// `patch_body`: a merge or strategic merge patch's text, whose duplicate fields count as
  /// strict decoding errors too ("" for JSON patches).
  patch_result_check(const resource_info& res, field_validation fv, std::string_view patch_body)
      : res_(res), fv_(fv), patch_duplicates_(duplicate_fields(patch_body)) {}
  /// Decodes `target` in place; an error also stays in failure().
  net::result<void> operator()(boost::json::value& target);
  const std::optional<api_error>& failure() const { return failure_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

private:
  const resource_info& res_;
  field_validation fv_;
  std::vector<std::string> patch_duplicates_;
  std::optional<api_error> failure_;
  std::vector<std::string> warnings_;
};

/// Adds one `Warning: 299 - "<text>"` header per warning to `resp`.
void add_warnings(net::http::response& resp, const std::vector<std::string>& warnings);

/// Converts a YAML document to JSON as sigs.k8s.io/yaml does (plain scalars resolve to null,
/// booleans, integers and floats; quoted ones stay strings). Error: the YAML parser's message.
net::result<boost::json::value> yaml_to_json(std::string_view yaml);

} // namespace kvip::sim
