// The store as it was at an earlier resourceVersion, for lists that must see one
// version: pages after the first (a snapshot at the first page's version, as etcd
// serves them) and resourceVersionMatch=Exact. Rebuilt from the live objects by
// undoing the retained history newer than that version.
#include "simulation/store.hpp"

#include <boost/json.hpp>

namespace kvip::sim {

namespace {

std::string meta_field(const object_ptr& o, const char* field) {
  const auto* md = o->obj.if_contains("metadata");
  const auto* v = md != nullptr && md->is_object() ? md->as_object().if_contains(field) : nullptr;
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string{};
}

} // namespace

store::bucket store::bucket_at_locked(const resource_info& res, std::uint64_t rv) const {
  bucket b;
  if (const auto* live = find_bucket(res)) b = *live;
  for (auto it = history_.rbegin(); it != history_.rend() && it->rv > rv; ++it) {
    if (it->res != &res) continue;
    const auto& before = it->old;
    const auto& any = before ? before : it->obj;
    auto k = key(meta_field(any, "namespace"), meta_field(any, "name"));
    if (it->type == event_type::added) {
      b.erase(k);
    } else {
      b[k] = any;
    }
  }
  return b;
}

} // namespace kvip::sim
