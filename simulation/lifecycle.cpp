#include "simulation/lifecycle.hpp"

#include <algorithm>
#include <chrono>
#include <set>

#include "simulation/object_util.hpp"

namespace kvip::sim {

namespace json = boost::json;

namespace {

std::set<std::string> finalizers(const json::object& obj) {
  std::set<std::string> out;
  auto* f = jsonpath::find(obj, {"metadata", "finalizers"});
  if (f == nullptr || !f->is_array()) return out;
  for (const auto& v : f->as_array())
    if (v.is_string()) out.emplace(v.as_string());
  return out;
}

} // namespace

bool has_finalizers(const json::object& obj) {
  auto* f = jsonpath::find(obj, {"metadata", "finalizers"});
  return f != nullptr && f->is_array() && !f->as_array().empty();
}

void reset_status_on_create(const resource_info& res, json::object& obj) {
  if (res.group.empty() && res.kind == "Namespace") {
    obj["status"] = json::object{{"phase", "Active"}};
    // The namespace strategy requires the "kubernetes" finalizer on create.
    auto& spec = jsonpath::ensure(obj, {"spec"});
    auto* f = spec.if_contains("finalizers");
    if (f == nullptr || !f->is_array()) {
      spec["finalizers"] = json::array{"kubernetes"};
    } else if (std::find(f->as_array().begin(), f->as_array().end(), json::value("kubernetes")) ==
               f->as_array().end()) {
      f->as_array().emplace_back("kubernetes");
    }
  } else if (res.group.empty() && res.kind == "Pod")
    obj["status"] = json::object{{"phase", "Pending"}};
}

std::optional<api_error> check_no_new_finalizers(const resource_info& res, const json::object& old,
                                                 const json::object& obj) {
  if (jsonpath::str(old, {"metadata", "deletionTimestamp"}).empty()) return std::nullopt;
  auto before = finalizers(old);
  std::string extra; // Go's %#v of the sorted []string
  for (const auto& f : finalizers(obj)) {
    if (before.count(f) != 0) continue;
    extra += (extra.empty() ? "\"" : ", \"") + f + "\"";
  }
  if (extra.empty()) return std::nullopt;
  return invalid(res, jsonpath::str(old, {"metadata", "name"}), "metadata.finalizers",
                 "Forbidden: no new finalizers can be added if the object is being deleted, "
                 "found new finalizers []string{" +
                     extra + "}",
                 "FieldValueForbidden");
}

bool namespace_terminating(const json::object& ns) {
  return jsonpath::str(ns, {"status", "phase"}) == "Terminating";
}

api_error namespace_terminating_error(const resource_info& res, const std::string& name,
                                      const std::string& ns) {
  auto why = "unable to create new content in namespace " + ns + " because it is being terminated";
  auto e = error_with_code(403, res.qualified() + (name.empty() ? "" : " \"" + name + "\"") +
                                    " is forbidden: " + why);
  e.details = {{"name", name}, {"kind", res.plural}};
  if (!res.group.empty()) e.details["group"] = res.group;
  e.details["causes"] =
      json::array{json::object{{"reason", "NamespaceTerminating"},
                               {"message", "namespace " + ns + " is being terminated"},
                               {"field", "metadata.namespace"}}};
  return e;
}

json::object mark_terminating(json::object ns) {
  auto& m = jsonpath::ensure(ns, {"metadata"});
  if (!m.contains("deletionTimestamp")) {
    m["deletionTimestamp"] = k8s::format_time(std::chrono::system_clock::now());
    m["deletionGracePeriodSeconds"] = 0;
  }
  jsonpath::ensure(ns, {"status"})["phase"] = "Terminating";
  return ns;
}

} // namespace kvip::sim
