#include "simulation/query.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include "net/number.hpp"

namespace kvip::sim {

namespace json = boost::json;

namespace {

/// One field.Error of apimachinery: field path, body ("Forbidden: …") and cause reason.
struct field_error {
  std::string field;
  std::string body;
  std::string reason;
};

field_error forbidden(std::string field, const std::string& detail) {
  return {std::move(field), "Forbidden: " + detail, "FieldValueForbidden"};
}

/// field.NotSupported: `shown` is the bad value as Go's %q/%#v prints it.
field_error not_supported(std::string field, const std::string& shown,
                          const std::vector<std::string>& allowed) {
  std::string body = "Unsupported value: " + shown + ": supported values: ";
  for (std::size_t i = 0; i < allowed.size(); ++i)
    body += (i == 0 ? "\"" : ", \"") + allowed[i] + "\"";
  return {std::move(field), std::move(body), "FieldValueNotSupported"};
}

std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

/// errors.NewInvalid(meta.k8s.io/<kind>, "", errs): 422 with one cause per error.
api_error options_invalid(const std::string& kind, const std::vector<field_error>& errs) {
  api_error e;
  e.code = 422;
  e.reason = "Invalid";
  std::string list;
  json::array causes;
  for (const auto& fe : errs) {
    list += (list.empty() ? "" : ", ") + fe.field + ": " + fe.body;
    causes.push_back(
        json::object{{"reason", fe.reason}, {"message", fe.body}, {"field", fe.field}});
  }
  e.message =
      kind + ".meta.k8s.io \"\" is invalid: " + (errs.size() == 1 ? list : "[" + list + "]");
  e.details = json::object{{"group", "meta.k8s.io"}, {"kind", kind}, {"causes", std::move(causes)}};
  return e;
}

std::string get(const query_map& q, const std::string& k) {
  auto it = q.find(k);
  return it == q.end() ? std::string{} : it->second;
}

/// An int64 parameter; the error text of Go's strconv.ParseInt on failure.
net::result<std::optional<long>, api_error> int_param(const query_map& q, const std::string& k) {
  auto it = q.find(k);
  if (it == q.end()) return std::optional<long>{};
  auto n = net::parse_integer<long>(it->second);
  if (!n)
    return bad_request("strconv.ParseInt: parsing " + go_quote(it->second) + ": invalid syntax");
  return std::optional<long>{*n};
}

/// ValidateListOptions / validateWatchOptions of apimachinery (WatchList off).
std::vector<field_error> list_option_errors(const query_map& q, const list_query& o) {
  std::vector<field_error> errs;
  auto match = get(q, "resourceVersionMatch");
  bool initial = q.count("sendInitialEvents") != 0;
  const std::string f = "resourceVersionMatch";
  if (o.watch) {
    if (initial) {
      if (match != "NotOlderThan")
        errs.push_back(forbidden(f, "sendInitialEvents requires setting resourceVersionMatch to "
                                    "NotOlderThan"));
      errs.push_back(forbidden("sendInitialEvents",
                               "sendInitialEvents is forbidden for watch "
                               "unless the WatchList feature gate is enabled"));
    }
    if (!match.empty()) {
      if (!initial)
        errs.push_back(forbidden(f, "resourceVersionMatch is forbidden for watch unless "
                                    "sendInitialEvents is provided"));
      if (match != "NotOlderThan")
        errs.push_back(not_supported(f, go_quote(match), {"NotOlderThan"}));
      if (!o.continue_token.empty())
        errs.push_back(forbidden(f, "resourceVersionMatch is forbidden when continue is provided"));
    }
    return errs;
  }
  if (!match.empty()) {
    if (o.resource_version.empty())
      errs.push_back(forbidden(f, "resourceVersionMatch is forbidden unless resourceVersion is "
                                  "provided"));
    if (!o.continue_token.empty())
      errs.push_back(forbidden(f, "resourceVersionMatch is forbidden when continue is provided"));
    if (match != "Exact" && match != "NotOlderThan")
      errs.push_back(not_supported(f, go_quote(match), {"Exact", "NotOlderThan", ""}));
    if (match == "Exact" && o.resource_version == "0")
      errs.push_back(forbidden(f, "resourceVersionMatch \"exact\" is forbidden for resourceVersion "
                                  "\"0\""));
  }
  if (initial)
    errs.push_back(forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"));
  return errs;
}

/// How a list reads resourceVersion/resourceVersionMatch (storage's GetList rules).
std::optional<api_error> pick_rv(const query_map& q, list_query& o) {
  const auto& rv = o.resource_version;
  if (!o.continue_token.empty()) {
    if (!rv.empty() && rv != "0")
      return bad_request("specifying resource version is not allowed when using continue");
    return std::nullopt; // the token carries the version
  }
  if (rv.empty() || rv == "0") return std::nullopt;
  auto n = net::parse_integer<std::uint64_t>(rv);
  if (!n) return bad_request("invalid resource version " + go_quote(rv));
  o.rv = *n;
  auto match = get(q, "resourceVersionMatch");
  // An explicit Exact, or the legacy form: a paginated list at resourceVersion=N.
  bool exact = match == "Exact" || (match.empty() && o.limit > 0);
  o.match = exact ? rv_match::exact : rv_match::not_older_than;
  return std::nullopt;
}

} // namespace

bool query_flag(const query_map& q, const std::string& name) {
  auto it = q.find(name);
  if (it == q.end()) return false;
  std::string v = it->second;
  std::transform(v.begin(), v.end(), v.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return v != "0" && v != "false";
}

net::result<list_query, api_error> parse_list_query(const query_map& q, bool watch_path) {
  list_query o;
  o.watch = watch_path || query_flag(q, "watch");
  o.bookmarks = query_flag(q, "allowWatchBookmarks");
  o.resource_version = get(q, "resourceVersion");
  o.continue_token = get(q, "continue");
  auto limit = int_param(q, "limit");
  if (!limit) return limit.err();
  if (*limit && **limit > 0) o.limit = static_cast<std::size_t>(**limit);
  auto timeout = int_param(q, "timeoutSeconds");
  if (!timeout) return timeout.err();
  o.timeout_seconds = *timeout;
  if (auto errs = list_option_errors(q, o); !errs.empty())
    return options_invalid("ListOptions", errs);
  if (!o.watch) {
    if (auto e = pick_rv(q, o)) return *e;
  }
  return o;
}

std::optional<api_error> validate_write_query(const query_map& q, std::string_view method,
                                              bool delete_body) {
  if (method == "DELETE" && delete_body) return std::nullopt;
  std::string kind = method == "POST"    ? "CreateOptions"
                     : method == "PUT"   ? "UpdateOptions"
                     : method == "PATCH" ? "PatchOptions"
                                         : "DeleteOptions";
  std::vector<field_error> errs;
  if (kind == "DeleteOptions") {
    if (auto it = q.find("propagationPolicy"); it != q.end()) {
      const auto& v = it->second;
      if (v != "Foreground" && v != "Background" && v != "Orphan")
        errs.push_back(not_supported("propagationPolicy", go_quote(v),
                                     {"Foreground", "Background", "Orphan", "nil"}));
    }
  }
  if (auto it = q.find("dryRun"); it != q.end() && it->second != "All")
    errs.push_back(not_supported("dryRun", "[]string{" + go_quote(it->second) + "}", {"All"}));
  if (errs.empty()) return std::nullopt;
  return options_invalid(kind, errs);
}

std::optional<api_error> validate_delete_body(const json::object& body) {
  std::vector<field_error> errs;
  const auto* pp = body.if_contains("propagationPolicy");
  if (pp != nullptr && pp->is_string()) {
    std::string v(pp->as_string());
    if (v != "Foreground" && v != "Background" && v != "Orphan")
      errs.push_back(not_supported("propagationPolicy", go_quote(v),
                                   {"Foreground", "Background", "Orphan", "nil"}));
  }
  const auto* dr = body.if_contains("dryRun");
  if (dr != nullptr && dr->is_array()) {
    std::string shown;
    bool bad = false;
    for (const auto& v : dr->as_array()) {
      std::string s = v.is_string() ? std::string(v.as_string()) : json::serialize(v);
      bad |= s != "All";
      shown += (shown.empty() ? "" : ", ") + go_quote(s);
    }
    if (bad) errs.push_back(not_supported("dryRun", "[]string{" + shown + "}", {"All"}));
  }
  if (errs.empty()) return std::nullopt;
  return options_invalid("DeleteOptions", errs);
}

api_error too_large_resource_version(std::uint64_t rv, std::uint64_t current) {
  auto e = error_with_code(504, "Too large resource version: " + std::to_string(rv) +
                                    ", current: " + std::to_string(current));
  e.details["causes"] = json::array{json::object{{"reason", "ResourceVersionTooLarge"},
                                                 {"message", "Too large resource version"}}};
  e.details["retryAfterSeconds"] = 1;
  return e;
}

api_error list_rv_expired() {
  api_error e;
  e.code = 410;
  e.reason = "Expired";
  e.message = "The resourceVersion for the provided list is too old.";
  return e;
}

} // namespace kvip::sim
