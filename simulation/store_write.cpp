// The store's write verbs: create, update (PUT), patch, delete, deletecollection.
#include "simulation/patch.hpp"
#include "simulation/store.hpp"

#include "simulation/lifecycle.hpp"
#include "simulation/object_util.hpp"

namespace kvip::sim {

namespace json = boost::json;

namespace {

write_result fail(api_error e) {
  write_result r;
  r.error = std::move(e);
  return r;
}

/// obj without metadata and status: what a generation bump looks at.
json::object spec_part(const json::object& obj) {
  json::object out = obj;
  out.erase("metadata");
  out.erase("status");
  return out;
}

const resource_info& namespaces() {
  return *find_resource("", "v1", "namespaces");
}

} // namespace

std::optional<api_error> check_kind(const resource_info& res, json::object& body) {
  auto api_version = jsonpath::str(body, {"apiVersion"});
  auto kind = jsonpath::str(body, {"kind"});
  if (!api_version.empty() && api_version != res.api_version()) {
    return bad_request("the API version in the data (" + api_version +
                       ") does not match the expected API version (" + res.api_version() + ")");
  }
  if (!kind.empty() && kind != res.kind) {
    return bad_request("the kind in the data (" + kind + ") does not match the expected kind (" +
                       res.kind + ")");
  }
  body["apiVersion"] = res.api_version();
  body["kind"] = res.kind;
  return std::nullopt;
}

write_result store::create(const resource_info& res, const std::string& ns, json::object body,
                           bool dry_run) {
  std::lock_guard g{m_};
  return create_locked(res, ns, std::move(body), dry_run);
}

write_result store::create_locked(const resource_info& res, const std::string& ns,
                                  json::object body, bool dry_run) {
  if (auto e = check_kind(res, body)) return fail(*e);
  auto& m = jsonpath::ensure(body, {"metadata"});
  auto body_ns = jsonpath::str(body, {"metadata", "namespace"});
  if (res.namespaced) {
    if (!body_ns.empty() && body_ns != ns) {
      return fail(bad_request("the namespace of the provided object does not match the "
                              "namespace sent on the request"));
    }
    m["namespace"] = ns;
  } else {
    m.erase("namespace");
  }
  if (!jsonpath::str(body, {"metadata", "resourceVersion"}).empty()) {
    return fail(internal_error("resourceVersion should not be set on objects to be created"));
  }
  auto name = jsonpath::str(body, {"metadata", "name"});
  auto generate = jsonpath::str(body, {"metadata", "generateName"});
  if (name.empty() && generate.empty()) {
    return fail(invalid(res, "", "metadata.name",
                        "Required value: name or generateName is required", "FieldValueRequired"));
  }
  if (auto nso = res.namespaced ? find_locked(namespaces(), key("", ns)) : nullptr;
      nso && namespace_terminating(nso->obj))
    return fail(namespace_terminating_error(res, name, ns));
  auto& b = objects_[&res];
  if (name.empty()) {
    for (int attempt = 0; attempt < 8; ++attempt) {
      name = generate + random_suffix();
      if (b.count(key(ns, name)) == 0) break;
    }
    m["name"] = name;
  }
  if (auto valid = check_object_name(name, object_name_rule(res.kind)); !valid) {
    return fail(invalid(res, name, "metadata.name",
                        "Invalid value: \"" + name + "\": " + valid.err().message));
  }
  if (res.namespaced && !namespace_exists(ns)) return fail(not_found(namespaces(), ns));
  auto k = key(res.namespaced ? ns : "", name);
  if (b.count(k) != 0) return fail(already_exists(res, name));
  for (auto f : {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                 "generation", "selfLink", "managedFields"})
    m.erase(f);
  m["uid"] = new_uid();
  m["creationTimestamp"] = k8s::format_time(std::chrono::system_clock::now());
  if (res.has_generation) m["generation"] = 1;
  reset_status_on_create(res, body);
  if (auto e = prepare_locked(res, k, nullptr, body)) return fail(*e);
  write_result r;
  r.code = 201;
  r.obj = dry_run ? make_stored(std::move(body), rv_)
                  : commit(res, k, std::move(body), event_type::added, nullptr);
  return r;
}

write_result store::update(const resource_info& res, const std::string& ns, const std::string& name,
                           json::object body, bool status, bool dry_run) {
  std::lock_guard g{m_};
  if (auto e = check_kind(res, body)) return fail(*e);
  auto body_name = jsonpath::str(body, {"metadata", "name"});
  if (body_name != name) {
    return fail(bad_request("the name of the object (" + body_name +
                            ") does not match the name on the URL (" + name + ")"));
  }
  auto body_ns = jsonpath::str(body, {"metadata", "namespace"});
  if (res.namespaced && !body_ns.empty() && body_ns != ns) {
    return fail(bad_request("the namespace of the provided object does not match the "
                            "namespace sent on the request"));
  }
  auto k = key(res.namespaced ? ns : "", name);
  auto old = find_locked(res, k);
  auto body_rv = jsonpath::str(body, {"metadata", "resourceVersion"});
  if (!old) {
    if (!res.create_on_update || status) return fail(not_found(res, name));
    if (!body_rv.empty()) return fail(conflict(res, name, "object not found"));
    return create_locked(res, ns, std::move(body), dry_run);
  }
  if (body_rv.empty()) {
    if (!res.unconditional_update) {
      return fail(invalid(res, name, "metadata.resourceVersion",
                          "Invalid value: 0x0: must be specified for an update"));
    }
  } else if (body_rv != std::to_string(old->rv)) {
    return fail(conflict(res, name));
  }
  return update_locked(res, k, old, std::move(body), status, dry_run);
}

write_result store::update_locked(const resource_info& res, const std::string& k,
                                  const object_ptr& old, json::object obj, bool status,
                                  bool dry_run) {
  const auto& before = old->obj;
  auto& m = jsonpath::ensure(obj, {"metadata"});
  auto* old_meta = before.if_contains("metadata");
  for (auto f : {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                 "generation", "name", "namespace"}) {
    m.erase(f);
    if (auto* v = old_meta->as_object().if_contains(f)) m[f] = *v;
  }
  obj["apiVersion"] = res.api_version();
  obj["kind"] = res.kind;
  if (res.has_status) {
    // The main resource never changes status; /status never changes spec.
    const char* keep = status ? "spec" : "status";
    obj.erase(keep);
    if (auto* v = before.if_contains(keep)) obj[keep] = *v;
  }
  if (auto e = check_no_new_finalizers(res, before, obj)) return fail(*e);
  if (auto e = prepare_locked(res, k, &before, obj)) return fail(*e);
  if (res.has_generation && !json_equal(spec_part(obj), spec_part(before))) {
    auto* gen = before.at("metadata").as_object().if_contains("generation");
    m["generation"] = (gen != nullptr && gen->is_int64() ? gen->as_int64() : 0) + 1;
  }
  m["resourceVersion"] = std::to_string(old->rv);
  write_result r;
  if (json_equal(json::value(obj), json::value(before))) { // no-op: no RV bump, no event
    r.obj = old;
    return r;
  }
  if (dry_run) {
    r.obj = make_stored(std::move(obj), old->rv);
    return r;
  }
  if (m.contains("deletionTimestamp") && !has_finalizers(obj)) {
    auto ns = res.namespaced ? jsonpath::str(obj, {"metadata", "namespace"}) : "";
    bool is_ns = &res == &namespaces(); // a namespace goes once it is empty
    r.obj = commit(res, k, std::move(obj), is_ns ? event_type::modified : event_type::deleted, old);
    if (is_ns || res.namespaced)
      finish_namespace_locked(is_ns ? jsonpath::str(r.obj->obj, {"metadata", "name"}) : ns);
    return r;
  }
  r.obj = commit(res, k, std::move(obj), event_type::modified, old);
  return r;
}

write_result store::patch(const resource_info& res, const std::string& ns, const std::string& name,
                          const std::function<net::result<void>(json::value&)>& apply,
                          int error_code, bool status, bool dry_run) {
  std::lock_guard g{m_};
  auto k = key(res.namespaced ? ns : "", name);
  auto old = find_locked(res, k);
  if (!old) return fail(not_found(res, name));
  json::value target = old->obj;
  if (auto applied = apply(target); !applied)
    return fail(error_with_code(error_code, applied.err().message));
  if (!target.is_object()) return fail(bad_request("the patch result is not a JSON object"));
  auto& obj = target.as_object();
  auto patched_rv = jsonpath::str(obj, {"metadata", "resourceVersion"});
  if (!patched_rv.empty() && patched_rv != std::to_string(old->rv)) {
    return fail(conflict(res, name));
  }
  if (jsonpath::str(obj, {"metadata", "name"}) != name) {
    return fail(invalid(res, name, "metadata.name",
                        "Invalid value: \"" + jsonpath::str(obj, {"metadata", "name"}) +
                            "\": field is immutable"));
  }
  if (auto e = check_kind(res, obj)) return fail(*e);
  return update_locked(res, k, old, std::move(obj), status, dry_run);
}

write_result store::remove(const resource_info& res, const std::string& ns, const std::string& name,
                           const delete_preconditions& pre, bool dry_run) {
  std::lock_guard g{m_};
  auto k = key(res.namespaced ? ns : "", name);
  auto old = find_locked(res, k);
  if (!old) return fail(not_found(res, name));
  auto uid = jsonpath::str(old->obj, {"metadata", "uid"});
  if (pre.uid && *pre.uid != uid) {
    return fail(conflict(res, name,
                         "Precondition failed: UID in precondition: " + *pre.uid +
                             ", UID in object meta: " + uid));
  }
  if (pre.resource_version && *pre.resource_version != std::to_string(old->rv)) {
    return fail(
        conflict(res, name,
                 "Precondition failed: ResourceVersion in precondition: " + *pre.resource_version +
                     ", ResourceVersion in object meta: " + std::to_string(old->rv)));
  }
  if (&res == &namespaces() &&
      (name == "default" || name == "kube-system" || name == "kube-public")) {
    auto e = error_with_code(403, "namespaces \"" + name +
                                      "\" is forbidden: this namespace "
                                      "may not be deleted");
    return fail(e);
  }
  return remove_locked(res, k, old, dry_run);
}

write_result store::remove_locked(const resource_info& res, const std::string& k,
                                  const object_ptr& old, bool dry_run) {
  if (&res == &namespaces()) return terminate_namespace_locked(k, old, dry_run);
  write_result r;
  auto name = jsonpath::str(old->obj, {"metadata", "name"});
  if (has_finalizers(old->obj)) { // mark for deletion, keep until the finalizers are gone
    if (jsonpath::str(old->obj, {"metadata", "deletionTimestamp"}).empty() && !dry_run) {
      auto obj = old->obj;
      jsonpath::ensure(obj, {"metadata"})["deletionTimestamp"] =
          k8s::format_time(std::chrono::system_clock::now());
      jsonpath::ensure(obj, {"metadata"})["deletionGracePeriodSeconds"] = 0;
      r.obj = commit(res, k, std::move(obj), event_type::modified, old);
    } else {
      r.obj = old;
    }
    return r;
  }
  r.obj = dry_run ? old : commit(res, k, old->obj, event_type::deleted, old);
  if (res.namespaced && !dry_run)
    finish_namespace_locked(jsonpath::str(old->obj, {"metadata", "namespace"}));
  if (!res.delete_returns_object) {
    r.body = delete_success(res, name, jsonpath::str(old->obj, {"metadata", "uid"}));
  }
  return r;
}

std::vector<object_ptr> store::remove_collection(const resource_info& res, const list_options& opts,
                                                 bool dry_run) {
  std::lock_guard g{m_};
  list_result page;
  auto all = opts;
  all.limit = 0;
  all.continue_token.clear();
  list_locked(res, all, page);
  std::vector<object_ptr> out;
  for (const auto& obj : page.items) {
    auto k = key(res.namespaced ? jsonpath::str(obj->obj, {"metadata", "namespace"}) : "",
                 jsonpath::str(obj->obj, {"metadata", "name"}));
    auto r = remove_locked(res, k, obj, dry_run);
    if (r.obj) out.push_back(r.obj);
  }
  return out;
}

} // namespace kvip::sim
