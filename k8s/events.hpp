// Kubernetes Events, decided without I/O: what to write for each Event kvip
// wants to record (the pure core of actors/event_recorder).
//
// Like client-go's EventRecorder and EventCorrelator:
//  - identical requests (same involved object, type, reason and message) seen
//    within `fold_window` of the last one are folded into one Event: the
//    first creates it (POST), each repeat raises its count and lastTimestamp
//    (a merge PATCH of that Event) instead of creating another object;
//  - every involved object has a token bucket (`burst`, one token back per
//    `refill`): a Service that flaps cannot flood the API server, requests
//    beyond it are dropped ("rate_limited");
//  - messages longer than `max_message` bytes (the API's 1 kB note limit) are
//    cut at a UTF-8 boundary and end with truncation_marker;
//  - a request the API would reject (no kind or name, type other than
//    Normal/Warning, reason not CamelCase) is dropped ("invalid").
// Series and buckets are remembered in bounded LRU tables. Time is passed in
// by the caller (an injected clock); nothing here sleeps or blocks.
//
// Event names are client-go's: "<object name>.<hex suffix>", the suffix the
// wall clock in nanoseconds, raised when needed so no two names repeat.
// Events go to the object's namespace, "default" for cluster-scoped objects.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <boost/json.hpp>

namespace kvip::k8s {

using wall_time = std::chrono::system_clock::time_point;

/// The object an Event is about (involvedObject).
struct involved_object {
  std::string api_version; ///< "v1"
  std::string kind;        ///< "Service"
  std::string ns;          ///< "" for cluster-scoped objects (Node)
  std::string name;
  std::string uid; ///< optional; `kubectl describe` matches on it when set
};

/// One Event kvip wants recorded.
struct event_request {
  involved_object object;
  std::string type = "Normal"; ///< Normal | Warning
  std::string reason;          ///< CamelCase: "LoadBalancerIPConflict"
  std::string message;         ///< human text
};

/// Reporting identity, folding, rate limit and bounds.
struct event_policy {
  std::string component = "kvip";        ///< source.component, reportingComponent
  std::string instance;                  ///< source.host, reportingInstance: the node name
  std::chrono::seconds fold_window{600}; ///< repeats within it (of the last) fold
  int burst = 25;                        ///< per-object bucket size (client-go's spam filter)
  std::chrono::seconds refill{300};      ///< one token back per object every `refill`
  std::size_t max_message = 1024;        ///< bytes, marker included
  std::size_t max_series = 4096;         ///< folded Events remembered (LRU)
  std::size_t max_objects = 4096;        ///< rate-limit buckets remembered (LRU)
};

/// Appended to a message that was cut.
inline constexpr std::string_view truncation_marker = "... [truncated]";

/// `message` cut to at most `limit` bytes at a UTF-8 boundary, ending with
/// truncation_marker when anything was cut.
std::string truncate_message(std::string_view message, std::size_t limit);

/// What to do for one request.
struct event_effect {
  enum class kind { create, patch, drop };
  kind what = kind::drop;
  std::string series;       ///< the fold key (object, type, reason, message)
  std::string ns;           ///< the Event's namespace (create, patch)
  std::string name;         ///< the Event's name (create, patch)
  std::int64_t count = 0;   ///< the Event's count after this write
  boost::json::object body; ///< create: the whole Event; patch: a merge patch
  std::string why;          ///< drop: "rate_limited" | "invalid" | "forgotten"
  std::string detail;       ///< drop: for the log
};

/// "create", "patch", "drop".
const char* to_string(event_effect::kind k);

/// Folds `newer` (a later write of the same Event) into `queued`, which has
/// not been sent yet: `queued` then carries the newer count and
/// lastTimestamp. False (nothing changed) when `newer` is not a patch of the
/// Event `queued` writes.
bool fold_into(event_effect& queued, const event_effect& newer);

/// A small least-recently-used map with string keys.
template <class V>
class lru_map {
public:
  explicit lru_map(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  /// The value of `k` (marked most recent), or null.
  V* find(const std::string& k) {
    auto it = index_.find(k);
    if (it == index_.end()) return nullptr;
    items_.splice(items_.begin(), items_, it->second);
    return &it->second->second;
  }
  /// Inserts or replaces `k`, evicting the least recently used beyond capacity.
  V& put(const std::string& k, V v) {
    if (auto* old = find(k)) return *old = std::move(v);
    items_.emplace_front(k, std::move(v));
    index_[k] = items_.begin();
    if (items_.size() > capacity_) {
      index_.erase(items_.back().first);
      items_.pop_back();
    }
    return items_.front().second;
  }
  void erase(const std::string& k) {
    auto it = index_.find(k);
    if (it == index_.end()) return;
    items_.erase(it->second);
    index_.erase(it);
  }
  std::size_t size() const { return items_.size(); }

private:
  using list = std::list<std::pair<std::string, V>>;
  std::size_t capacity_;
  list items_;
  std::unordered_map<std::string, typename list::iterator> index_;
};

/// The correlator: requests in, effects out.
class event_correlator {
public:
  explicit event_correlator(event_policy p);

  /// Decides what `r`, seen at `now`, becomes: create, patch or drop.
  event_effect observe(const event_request& r, wall_time now);

  /// A patch of `series` found its Event gone (404: expired or deleted): the
  /// create that writes it again under a new name with the count so far, or a
  /// drop when the series is no longer remembered.
  event_effect recreate(const std::string& series, wall_time now);

  /// Forgets `series`: the next identical request creates a new Event.
  void forget(const std::string& series) { series_.erase(series); }

  std::size_t series_count() const { return series_.size(); }
  std::size_t object_count() const { return buckets_.size(); }
  const event_policy& policy() const { return policy_; }

private:
  struct record {
    event_request request; ///< message already truncated
    std::string ns, name;
    wall_time first, last;
    std::int64_t count = 0;
  };
  struct bucket {
    double tokens = 0;
    wall_time last;
  };

  bool take_token(const std::string& object, wall_time now);
  std::string next_name(const std::string& object_name, wall_time now);
  event_effect create_effect(const std::string& series, const record& rec) const;

  event_policy policy_;
  lru_map<record> series_;
  lru_map<bucket> buckets_;
  std::uint64_t last_suffix_ = 0;
};

} // namespace kvip::k8s
