// The watched set, keyed by "namespace/name": what a relist is compared with,
// so that objects that vanished while the watch was down come out as DELETED
// (kube-vip weak spot 2). Thread-safe; readers get copies.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "k8s/watch_event.hpp"

namespace kvip::k8s {

/// Events that turn `known` into `fresh`: ADDED for new keys, MODIFIED for changed ones
/// (different resourceVersion, or different content when RVs are absent), DELETED with
/// the last known state for keys missing from `fresh`. Order: fresh order, then deletions.
std::vector<watch_event> relist_diff(const std::map<std::string, boost::json::object>& known,
                                     const std::vector<boost::json::object>& fresh);

/// The current set of watched objects.
class informer_cache {
public:
  /// Applies ADDED/MODIFIED (store) and DELETED (erase); other types are ignored.
  void apply(const watch_event& e);
  /// Replaces the content with a fresh list; returns the difference as events.
  std::vector<watch_event> replace(const std::vector<boost::json::object>& items);
  /// The object under `key` ("ns/name" or "name"), if present.
  std::optional<boost::json::object> find(const std::string& key) const;
  /// All objects, keyed.
  std::map<std::string, boost::json::object> snapshot() const;
  /// All keys, sorted.
  std::vector<std::string> keys() const;
  std::size_t size() const;

private:
  mutable std::mutex mutex_;
  std::map<std::string, boost::json::object> items_;
};

} // namespace kvip::k8s
