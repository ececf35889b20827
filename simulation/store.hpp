// The embedded API server's object store: every object of every served kind
// in memory, one global resourceVersion counter, a bounded history window of
// committed events for watch resumption, and the write semantics of the real
// registry (reference k8s-api-subset.md §3): create with generateName/uid/
// creationTimestamp, namespace existence, AlreadyExists, optimistic
// concurrency, status subresource split, no-op detection, finalizers,
// create-on-update. Thread-safe (one mutex); watch delivery happens under it,
// so a watch registered from RV N sees every later change exactly once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "net/result.hpp"
#include "simulation/defaults.hpp"
#include "simulation/resources.hpp"
#include "simulation/status.hpp"
#include "simulation/watch_hub.hpp"

namespace kvip::sim {

/// Outcome of a store operation: an error, or an HTTP code with an object (or a body).
struct write_result {
  std::optional<api_error> error;
  int code = 200;
  object_ptr obj;                          ///< resulting (or deleted) object
  std::optional<boost::json::object> body; ///< replaces obj in the response when set
};

/// What a list selects.
struct list_options {
  std::string ns; ///< empty = all namespaces
  std::optional<label_selector> labels;
  std::optional<field_selector> fields;
  std::size_t limit = 0;      ///< 0 = no limit
  std::string continue_token; ///< from a previous page
  std::uint64_t rv = 0;       ///< resourceVersion=N: not older than N (504 when in the future)
  bool exact = false;         ///< the state at exactly `rv` (410 when compacted)
};

/// One page of a list.
struct list_result {
  std::vector<object_ptr> items;
  std::uint64_t rv = 0;
  std::string continue_token; ///< empty on the last page
  std::int64_t remaining = 0; ///< items after this page
};

/// DELETE preconditions (DeleteOptions.preconditions).
struct delete_preconditions {
  std::optional<std::string> uid;
  std::optional<std::string> resource_version;
};

class store {
public:
  /// A store keeping `history` events; the RV counter starts at `initial_rv`.
  explicit store(std::size_t history = 10000, std::uint64_t initial_rv = 1);

  /// The latest committed resourceVersion.
  std::uint64_t current_rv() const;
  /// The oldest RV a watch may resume from (older ones get 410 Expired).
  std::uint64_t oldest_rv() const;
  /// Number of committed writes since construction (for snapshot scheduling).
  std::uint64_t changes() const;
  /// Number of stored objects.
  std::size_t size() const;

  /// Creates the default namespaces and the `kubernetes` Service if absent.
  void bootstrap();

  /// GET one object.
  write_result get(const resource_info& res, const std::string& ns, const std::string& name) const;
  /// LIST objects; error for a bad continue token.
  std::optional<api_error> list(const resource_info& res, const list_options& opts,
                                list_result& out) const;
  /// POST: creates from `body` in namespace `ns` (201).
  write_result create(const resource_info& res, const std::string& ns, boost::json::object body,
                      bool dry_run = false);
  /// PUT on the object (or its /status when `status`).
  write_result update(const resource_info& res, const std::string& ns, const std::string& name,
                      boost::json::object body, bool status = false, bool dry_run = false);
  /// PATCH: `apply` mutates a copy of the current object; its error is answered with
  /// `error_code` (400 or 422).
  write_result patch(const resource_info& res, const std::string& ns, const std::string& name,
                     const std::function<net::result<void>(boost::json::value&)>& apply,
                     int error_code, bool status = false, bool dry_run = false);
  /// DELETE one object (finalizers honoured; namespaces cascade to their contents).
  write_result remove(const resource_info& res, const std::string& ns, const std::string& name,
                      const delete_preconditions& pre = {}, bool dry_run = false);
  /// DELETE a collection: every object the options select; returns the deleted objects.
  std::vector<object_ptr> remove_collection(const resource_info& res, const list_options& opts,
                                            bool dry_run = false);

  /// Registers `w` and queues its start: initial ADDED events (rv "" or "0") or the history
  /// after `rv`. Errors: 400 bad RV, 410 Expired (too old), 504 (RV in the future).
  std::optional<api_error> watch(const std::shared_ptr<watcher>& w, const std::string& rv);
  /// Periodic bookkeeping: bookmarks and watch timeouts.
  void tick(std::chrono::milliseconds bookmark_every);
  /// Forgets the history so that resuming from any earlier RV gets 410.
  void compact();
  /// The watch hub (for dropping all watches).
  watch_hub& hub() { return hub_; }

  /// Everything needed to restart: RV counter, allocator state and all objects.
  boost::json::object snapshot() const;
  /// Replaces the contents with a snapshot.
  net::result<void> load(const boost::json::object& snap);

private:
  using bucket = std::map<std::string, object_ptr>; // key "ns/name"
  static std::string key(const std::string& ns, const std::string& name);
  const bucket* find_bucket(const resource_info& res) const;
  /// The stored object under key `k`, or nullptr.
  object_ptr find_locked(const resource_info& res, const std::string& k) const;
  bool namespace_exists(const std::string& ns) const;
  object_ptr commit(const resource_info& res, const std::string& k, boost::json::object obj,
                    event_type type, const object_ptr& old);
  /// Defaults `obj` (create when `old` is null, else update) and validates the result against
  /// the rest of the store (node ports, cluster IPs): store_validate.cpp.
  std::optional<api_error> prepare_locked(const resource_info& res, const std::string& k,
                                          const boost::json::object* old, boost::json::object& obj);
  write_result create_locked(const resource_info& res, const std::string& ns,
                             boost::json::object body, bool dry_run);
  write_result update_locked(const resource_info& res, const std::string& k, const object_ptr& old,
                             boost::json::object obj, bool status, bool dry_run);
  write_result remove_locked(const resource_info& res, const std::string& k, const object_ptr& old,
                             bool dry_run);
  /// The objects of `res` as they were at `rv` (>= oldest_rv_): the live ones with the
  /// retained history after `rv` undone (store_snapshot.cpp).
  bucket bucket_at_locked(const resource_info& res, std::uint64_t rv) const;
  // Namespace lifecycle (store_lifecycle.cpp).
  write_result terminate_namespace_locked(const std::string& k, const object_ptr& old,
                                          bool dry_run);
  /// Removes the Terminating namespace `ns` once nothing is left in it.
  void finish_namespace_locked(const std::string& ns);
  std::optional<api_error> list_locked(const resource_info& res, const list_options& opts,
                                       list_result& out) const;

  mutable std::mutex m_;
  std::map<const resource_info*, bucket> objects_;
  std::deque<store_event> history_;
  std::size_t history_limit_;
  std::uint64_t rv_;
  std::uint64_t oldest_rv_;
  std::uint64_t changes_ = 0;
  allocator alloc_;
  watch_hub hub_;
};

/// Checks apiVersion/kind of a request body against `res` (absent = defaulted). Error or none.
std::optional<api_error> check_kind(const resource_info& res, boost::json::object& body);

} // namespace kvip::sim
