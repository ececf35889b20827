// The namespace lifecycle in the store: a deleted Namespace turns Terminating,
// its contents are deleted (what kube-apiserver's namespace controller does, here
// in-server and at once), and it goes when nothing is left in it.
#include "simulation/lifecycle.hpp"
#include "simulation/object_util.hpp"
#include "simulation/store.hpp"

namespace kvip::sim {

namespace json = boost::json;

namespace {

const resource_info& namespaces() {
  return *find_resource("", "v1", "namespaces");
}

} // namespace

write_result store::terminate_namespace_locked(const std::string& k, const object_ptr& old,
                                               bool dry_run) {
  write_result r;
  if (dry_run) {
    r.obj = make_stored(mark_terminating(old->obj), old->rv);
    return r;
  }
  auto name = jsonpath::str(old->obj, {"metadata", "name"});
  r.obj = old;
  if (!namespace_terminating(old->obj) ||
      !old->obj.at("metadata").as_object().contains("deletionTimestamp"))
    r.obj = commit(namespaces(), k, mark_terminating(old->obj), event_type::modified, old);
  auto prefix = name + "/";
  for (const auto& other : resources()) {
    if (!other.namespaced) continue;
    std::vector<std::pair<std::string, object_ptr>> victims;
    const auto* b = find_bucket(other);
    if (b == nullptr) continue;
    for (auto it = b->lower_bound(prefix);
         it != b->end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
      victims.emplace_back(it->first, it->second);
    for (const auto& [vk, vold] : victims)
      remove_locked(other, vk, vold, false); // finalizers hold an object, and so the namespace
  }
  finish_namespace_locked(name);
  return r;
}

void store::finish_namespace_locked(const std::string& ns) {
  auto k = key("", ns);
  auto cur = find_locked(namespaces(), k);
  if (!cur || !namespace_terminating(cur->obj) || has_finalizers(cur->obj)) return;
  auto prefix = ns + "/";
  for (const auto& other : resources()) {
    if (!other.namespaced) continue;
    const auto* b = find_bucket(other);
    if (b == nullptr) continue;
    auto it = b->lower_bound(prefix);
    if (it != b->end() && it->first.compare(0, prefix.size(), prefix) == 0) return;
  }
  auto last = cur->obj; // the namespace controller's /finalize empties spec.finalizers
  jsonpath::ensure(last, {"spec"})["finalizers"] = json::array{};
  commit(namespaces(), k, std::move(last), event_type::deleted, cur);
}

} // namespace kvip::sim
