#include "simulation/status.hpp"

namespace kvip::sim {

namespace json = boost::json;

namespace {

api_error make(int code, std::string reason, std::string message) {
  api_error e;
  e.code = code;
  e.reason = std::move(reason);
  e.message = std::move(message);
  return e;
}

json::object object_details(const resource_info& res, std::string_view name) {
  json::object d;
  d["name"] = name;
  if (!res.group.empty()) d["group"] = res.group;
  d["kind"] = res.plural;
  return d;
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

/// A metav1.Status with `status` ("Success" or "Failure") and nothing else yet.
json::object status_object(const char* status) {
  return json::object{
      {"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object{}}, {"status", status}};
}

} // namespace

json::object api_error::to_status() const {
  auto s = status_object("Failure");
  s["message"] = message;
  if (!reason.empty()) s["reason"] = reason;
  if (!details.empty()) s["details"] = details;
  s["code"] = code;
  return s;
}

api_error bad_request(std::string message) {
  return make(400, "BadRequest", std::move(message));
}

api_error not_found(const resource_info& res, std::string_view name) {
  auto e = make(404, "NotFound", res.qualified() + " " + quoted(name) + " not found");
  e.details = object_details(res, name);
  return e;
}

api_error path_not_found() {
  auto e = make(404, "NotFound", "the server could not find the requested resource");
  e.details["causes"] = json::array{
      json::object{{"reason", "UnexpectedServerResponse"}, {"message", "404 page not found"}}};
  return e;
}

api_error method_not_allowed() {
  return make(405, "MethodNotAllowed",
              "the server does not allow this method on the requested resource");
}

api_error already_exists(const resource_info& res, std::string_view name) {
  auto e = make(409, "AlreadyExists", res.qualified() + " " + quoted(name) + " already exists");
  e.details = object_details(res, name);
  return e;
}

api_error conflict(const resource_info& res, std::string_view name, std::string_view why) {
  std::string reason_text =
      why.empty() ? "the object has been modified; please apply your changes to the latest "
                    "version and try again"
                  : std::string(why);
  auto e = make(409, "Conflict",
                "Operation cannot be fulfilled on " + res.qualified() + " " + quoted(name) + ": " +
                    reason_text);
  e.details = object_details(res, name);
  return e;
}

api_error expired(std::uint64_t rv, std::uint64_t oldest) {
  return make(410, "Expired",
              "too old resource version: " + std::to_string(rv) + " (" + std::to_string(oldest) +
                  ")");
}

api_error unsupported_media_type() {
  return make(415, "UnsupportedMediaType",
              "the body of the request was in an unknown format - accepted media types include: "
              "application/json-patch+json, application/merge-patch+json, "
              "application/strategic-merge-patch+json");
}

api_error invalid(const resource_info& res, std::string_view name, std::string_view field,
                  std::string_view detail, std::string_view cause_type) {
  return invalid(res, name,
                 {field_cause{std::string(field), std::string(detail), std::string(cause_type)}});
}

api_error invalid(const resource_info& res, std::string_view name,
                  const std::vector<field_cause>& causes) {
  std::string list;
  json::array out;
  for (const auto& c : causes) {
    if (!list.empty()) list += ", ";
    list += c.field + ": " + c.detail;
    out.push_back(json::object{{"reason", c.reason}, {"message", c.detail}, {"field", c.field}});
  }
  if (causes.size() > 1) list = "[" + list + "]";
  // kube-apiserver's NewInvalid names the GroupKind: "Service", "Lease.coordination.k8s.io".
  auto kind = res.group.empty() ? res.kind : res.kind + "." + res.group;
  auto e = make(422, "Invalid", kind + " " + quoted(name) + " is invalid: " + list);
  e.details["name"] = name;
  if (!res.group.empty()) e.details["group"] = res.group;
  e.details["kind"] = res.kind;
  e.details["causes"] = std::move(out);
  return e;
}

api_error internal_error(std::string message) {
  return make(500, "InternalError", std::move(message));
}

api_error unauthorized() {
  return make(401, "Unauthorized", "Unauthorized");
}

api_error unavailable(std::string message) {
  return make(503, "ServiceUnavailable", std::move(message));
}

api_error error_with_code(int code, std::string message) {
  std::string reason;
  switch (code) {
  case 400:
    reason = "BadRequest";
    break;
  case 401:
    reason = "Unauthorized";
    break;
  case 403:
    reason = "Forbidden";
    break;
  case 404:
    reason = "NotFound";
    break;
  case 405:
    reason = "MethodNotAllowed";
    break;
  case 409:
    reason = "Conflict";
    break;
  case 410:
    reason = "Expired";
    break;
  case 413:
    reason = "RequestEntityTooLarge";
    break;
  case 415:
    reason = "UnsupportedMediaType";
    break;
  case 422:
    reason = "Invalid";
    break;
  case 429:
    reason = "TooManyRequests";
    break;
  case 503:
    reason = "ServiceUnavailable";
    break;
  case 504:
    reason = "Timeout";
    break;
  default:
    reason = "InternalError";
    break;
  }
  return make(code, std::move(reason), std::move(message));
}

json::object delete_success(const resource_info& res, std::string_view name, std::string_view uid) {
  auto s = status_object("Success");
  auto d = object_details(res, name);
  d["uid"] = uid;
  s["details"] = std::move(d);
  return s;
}

} // namespace kvip::sim
