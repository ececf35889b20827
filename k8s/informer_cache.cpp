#include "k8s/informer_cache.hpp"

#include "k8s/object_view.hpp"

namespace kvip::k8s {

namespace json = boost::json;

std::vector<watch_event> relist_diff(const std::map<std::string, json::object>& known,
                                     const std::vector<json::object>& fresh) {
  std::vector<watch_event> out;
  std::map<std::string, bool> seen;
  for (const auto& obj : fresh) {
    std::string key = object_key(obj);
    seen[key] = true;
    auto it = known.find(key);
    if (it == known.end()) {
      out.push_back({event_type::added, obj});
      continue;
    }
    std::string old_rv = jsonpath::str(it->second, {"metadata", "resourceVersion"});
    std::string new_rv = jsonpath::str(obj, {"metadata", "resourceVersion"});
    bool changed = (old_rv.empty() && new_rv.empty()) ? it->second != obj : old_rv != new_rv;
    if (changed) out.push_back({event_type::modified, obj});
  }
  for (const auto& [key, obj] : known)
    if (!seen.count(key)) out.push_back({event_type::deleted, obj});
  return out;
}

void informer_cache::apply(const watch_event& e) {
  std::lock_guard lock(mutex_);
  switch (e.type) {
  case event_type::added:
  case event_type::modified:
    items_[object_key(e.object)] = e.object;
    break;
  case event_type::deleted:
    items_.erase(object_key(e.object));
    break;
  default:
    break;
  }
}

std::vector<watch_event> informer_cache::replace(const std::vector<json::object>& items) {
  std::lock_guard lock(mutex_);
  auto events = relist_diff(items_, items);
  items_.clear();
  for (const auto& obj : items)
    items_[object_key(obj)] = obj;
  return events;
}

std::optional<json::object> informer_cache::find(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = items_.find(key);
  if (it == items_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, json::object> informer_cache::snapshot() const {
  std::lock_guard lock(mutex_);
  return items_;
}

std::vector<std::string> informer_cache::keys() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& kv : items_)
    out.push_back(kv.first);
  return out;
}

std::size_t informer_cache::size() const {
  std::lock_guard lock(mutex_);
  return items_.size();
}

} // namespace kvip::k8s
