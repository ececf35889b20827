// Watch streams of the embedded API server: one `watcher` per open watch
// request (a filter plus a queue of event lines the HTTP layer drains), and
// the `watch_hub` that turns committed store events into per-watcher events
// with the selector transition rules of the real watch cache (reference
// k8s-api-subset.md §2): start matching -> ADDED, stop matching -> DELETED
// (previous content, the event's resourceVersion), bookmarks on request,
// timeoutSeconds. Thread-safe; the store calls dispatch() under its own lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "simulation/resources.hpp"
#include "simulation/selector.hpp"
#include "simulation/status.hpp"

namespace kvip::sim {

/// A committed object version: the JSON (with kind/apiVersion) and its serialized text.
struct stored_object {
  boost::json::object obj;
  std::uint64_t rv = 0;
  std::shared_ptr<const std::string> text; ///< serialize(obj), shared by every watcher
};
using object_ptr = std::shared_ptr<const stored_object>;

/// Builds a stored_object from `obj` (serializing it once).
object_ptr make_stored(boost::json::object obj, std::uint64_t rv);

enum class event_type { added, modified, deleted };

/// One committed change, as kept in the history window.
struct store_event {
  std::uint64_t rv = 0;
  const resource_info* res = nullptr;
  event_type type = event_type::added;
  object_ptr obj; ///< new state; for deleted: last state carrying the deletion RV
  object_ptr old; ///< previous state (null for added)
};

/// What a watch selects: resource, namespace (empty = all) and selectors.
struct watch_filter {
  const resource_info* res = nullptr;
  std::string ns;
  std::optional<label_selector> labels;
  std::optional<field_selector> fields;

  /// True if `obj` passes namespace, label and field selection.
  bool matches(const boost::json::object& obj) const;
};

/// One open watch stream: queued event lines, drained by the HTTP layer.
class watcher {
public:
  using clock = std::chrono::steady_clock;

  /// A watch with `filter`, bookmarks if `bookmarks`, ending at `deadline`.
  watcher(watch_filter filter, bool bookmarks, clock::time_point deadline);

  const watch_filter& filter() const { return filter_; }

  /// Queues `{"type":type,"object":text}\n`; wakes a parked reader.
  void push(const char* type, std::shared_ptr<const std::string> text);
  /// Queues an ERROR event carrying `err`'s Status and ends the stream.
  void fail(const api_error& err);
  /// Ends the stream once the queued events are read.
  void close();
  /// True once closed (by close(), fail(), detach() or overflow).
  bool closed() const;
  /// Number of queued, unread events.
  std::size_t queued() const;

  /// Copies stream bytes into `buf`. Returns the count, 0 after calling `park` (under the
  /// watcher's lock) when nothing is queued yet, or -1 at the end of the stream.
  long read(char* buf, std::size_t max, const std::function<void()>& park);
  /// Sets the function that wakes a parked reader (called under the watcher's lock, once per
  /// park).
  void set_waker(std::function<void()> wake);
  /// The reader is gone: drop the queue, never wake again.
  void detach();

  /// Bookmark and timeout bookkeeping for the hub's tick.
  bool bookmarks() const { return bookmarks_; }
  clock::time_point deadline() const { return deadline_; }
  clock::time_point last_bookmark = clock::now();

  /// Rewrites ADDED/MODIFIED/DELETED objects before queueing (server-side printing: a
  /// Table or PartialObjectMetadata per event); unset = the stored text.
  std::function<std::shared_ptr<const std::string>(const std::string&)> transform;

  /// Queued events beyond which a slow reader is disconnected.
  static constexpr std::size_t max_queue = 500000;

private:
  struct line {
    const char* type = nullptr;
    std::shared_ptr<const std::string> text;
  };
  void wake_locked();

  watch_filter filter_;
  bool bookmarks_ = false;
  clock::time_point deadline_;
  mutable std::mutex m_;
  std::deque<line> queue_;
  std::string current_; ///< the line being written
  std::size_t offset_ = 0;
  bool closing_ = false; ///< no more pushes; end after the queue drains
  bool detached_ = false;
  bool parked_ = false;
  std::function<void()> wake_;
};

/// All open watches, fed with committed events.
class watch_hub {
public:
  /// Registers `w` for live events.
  void add(std::shared_ptr<watcher> w);
  /// Delivers `ev` to every matching watcher (selector transitions applied).
  void dispatch(const store_event& ev);
  /// Delivers `ev` to one watcher (used for history replay).
  static void deliver(watcher& w, const store_event& ev);
  /// Sends due bookmarks (RV `current_rv`) every `bookmark_every`, ends expired watches
  /// (with a final bookmark where allowed), forgets closed ones.
  void tick(watcher::clock::time_point now, std::uint64_t current_rv,
            std::chrono::milliseconds bookmark_every);
  /// Ends every open watch stream (fault injection, shutdown).
  void close_all();
  /// Number of open watches.
  std::size_t size() const;

private:
  mutable std::mutex m_;
  std::vector<std::shared_ptr<watcher>> watchers_;
};

/// The BOOKMARK object text for `res` at `rv`.
std::shared_ptr<const std::string> bookmark_text(const resource_info& res, std::uint64_t rv);

} // namespace kvip::sim
