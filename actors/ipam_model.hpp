#pragma once
// The IPAM allocator's bookkeeping as a pure state machine (no CAF, no I/O, no
// clock of its own): what the leader's watches showed, which Services need a
// write, the writes' outcomes and their backoff. actors/ipam_allocator drives it.
//
// * Every Service is observed by the allocator (k8s/ipam/allocator.hpp), so an
//   address any Service shows is never handed out; nothing is allocated before
//   both watches (Services, pool ConfigMap) delivered their first list, so a new
//   leader knows every address in use before it hands one out.
// * A Service needs a write when it is of type LoadBalancer without
//   kube-vip.io/loadbalancerIPs, is not kube-vip.io/ignore'd and passes the
//   load-balancer class rules of the service watcher (lb_class_*): the legacy
//   adoption (spec.loadBalancerIP copied into the annotation) or an allocation.
// * A write is the merge patch of k8s/ipam/allocation.hpp with the Service's
//   resourceVersion. Outcomes:
//     written  -> wait for the watch to show the address (the reservation holds it);
//     conflict -> (409) the Service changed: retried after its backoff with what the
//                 watch shows then; the reservation is cancelled only when no write
//                 of it can have landed;
//     gone     -> (404) the Service is gone: forgotten;
//     rejected -> (400/403/422) cancelled like a conflict, a Warning, retried later;
//     failed   -> (no answer, 5xx, 429) it may have landed: the reservation stays,
//                 retried after its backoff.
//   One Service's backoff never delays another's write.
// * An allocation that fails (no pool, no pool of a family, exhausted) gives one
//   warning per distinct message and waits for a change of the Service or the
//   ConfigMap; so does a ConfigMap with malformed keys (one warning per change).

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "k8s/backoff.hpp"
#include "k8s/ipam/allocation.hpp"
#include "k8s/result.hpp"
#include "k8s/services/filter.hpp"

namespace kvip {

/// A write to perform.
struct ipam_write_order {
  k8s::ipam::service_id service;
  boost::json::object patch;
  std::string addresses; ///< what the annotation will say (for logs)
  bool adopt = false;    ///< the legacy adoption, not an allocation
};

/// A Warning Event to record.
struct ipam_warning {
  std::string kind = "Service"; ///< or ConfigMap
  std::string ns;
  std::string name;
  std::string uid;
  std::string reason; ///< CamelCase
  std::string message;
};

/// How a write ended.
enum class ipam_outcome { written, conflict, gone, rejected, failed };

/// The outcome of an API error.
ipam_outcome outcome_of(k8s::error_kind k);

/// "written", "conflict", "gone", "rejected", "failed".
const char* to_string(ipam_outcome o);

class ipam_model {
public:
  using time_point = std::chrono::steady_clock::time_point;

  ipam_model(k8s::services::filter_config filter, k8s::backoff_policy retry);

  /// A Service was added or modified (the object as the watch shows it).
  void service_seen(const boost::json::object& obj);
  /// A Service was deleted.
  void service_deleted(const boost::json::object& obj);
  /// The pool ConfigMap as the watch shows it (nullptr: deleted or absent).
  void config_seen(const boost::json::object* config_map);
  /// The Service watch / the ConfigMap watch delivered its first list.
  void services_synced() { services_synced_ = true; }
  void config_synced() { config_synced_ = true; }
  bool synced() const { return services_synced_ && config_synced_; }

  /// Up to `room` writes due at `now` (each Service at most once in flight).
  std::vector<ipam_write_order> take(time_point now, std::size_t room);
  /// The write of `s` ended (`detail`: the API's error, for a refused write's warning).
  void finished(const k8s::ipam::service_id& s, ipam_outcome o, const std::string& detail,
                time_point now);
  /// The earliest time a waiting Service becomes due, if any waits on a backoff.
  std::optional<time_point> next_due() const;
  /// Warnings produced since the last call.
  std::vector<ipam_warning> take_warnings();
  /// Results counted since the last call ("allocated", "exhausted", ...).
  std::vector<std::string> take_results();

  /// Services waiting for a write (due or not) and in flight.
  std::size_t pending() const { return queue_.size(); }
  std::size_t in_flight() const { return writing_; }
  std::size_t services() const { return entries_.size(); }
  const k8s::ipam::allocator& allocator() const { return alloc_; }
  /// Services whose allocation failed, with the message ("ns/name: ...").
  std::vector<std::string> blocked() const;

private:
  struct entry {
    explicit entry(const k8s::backoff_policy& p) : retry(p) {}
    std::string uid;
    std::string rv;
    k8s::ipam::service_reading reading;
    bool eligible = false;
    bool writing = false;
    bool adopting = false; ///< the write in flight is the legacy adoption
    bool queued = false;
    bool maybe_landed = false; ///< a write of its reservation may have landed
    std::optional<time_point> due;
    k8s::backoff retry;
    std::string blocked; ///< the last allocation failure ("" = none)
  };

  bool wants_write(const entry& e) const;
  void enqueue(const k8s::ipam::service_id& s, entry& e);
  std::optional<ipam_write_order> order_for(const k8s::ipam::service_id& s, entry& e);
  void block(const k8s::ipam::service_id& s, entry& e, const k8s::ipam::alloc_error& err);
  void forget(const k8s::ipam::service_id& s);
  void requeue_blocked();

  k8s::services::filter_config filter_;
  k8s::backoff_policy retry_;
  k8s::ipam::allocator alloc_;
  std::string config_problems_; ///< the ConfigMap's malformed keys, joined ("" = none)
  std::map<k8s::ipam::service_id, entry> entries_;
  std::deque<k8s::ipam::service_id> queue_;
  std::size_t writing_ = 0;
  bool services_synced_ = false;
  bool config_synced_ = false;
  std::vector<ipam_warning> warnings_;
  std::vector<std::string> results_;
};

} // namespace kvip
