#pragma once
// Kubernetes Lease leader election with client-go semantics
// (tools/leaderelection v0.32; reference k8s-api-subset.md §5), as a pure
// state machine: events in, actions out; no I/O, no clocks of its own. The
// lease_elector actor performs the actions (API calls, timers) and feeds the
// results back; tests drive it with virtual time.
//
//   event                      -> actions
//   start                      -> get/update (an attempt), or arm a timer
//   response(outcome, lease)   -> the attempt's next request, or its end:
//                                 started/stopped leading, new leader, timer
//   timer                      -> the next attempt (retry period, with jitter
//                                 while following), or step down when the
//                                 renew deadline has passed — a leader arms
//                                 the deadline when a renew cycle starts, so
//                                 it steps down on time even when requests
//                                 never return
//   release                    -> an update writing holder "" and duration 1
//                                 (ReleaseOnCancel), then stopped
//
// Its role (idle, candidate, leader, releasing) changes only through one
// set_state that logs old -> new and why (at debug level; the elector's
// policy logs the node-level phases at info).
//
// Expiry is judged on the candidate's own steady clock: a holder's Lease
// expires when the record has not *changed* for leaseDurationSeconds since
// this candidate last saw it change (renewTime is informational).
// Deviation from client-go: records are compared at microsecond precision
// (client-go compares a second-precision copy), so a renewal is never
// mistaken for "no change".

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "k8s/micro_time.hpp"

namespace kvip::k8s::election {

using steady_time = std::chrono::steady_clock::time_point;
using ms = std::chrono::milliseconds;

/// The election-relevant part of a Lease's spec.
struct record {
  std::string holder;       ///< holderIdentity ("" = released)
  int lease_duration_s = 0; ///< leaseDurationSeconds
  std::optional<sys_micros> acquire_time;
  std::optional<sys_micros> renew_time;
  int transitions = 0; ///< leaseTransitions
  friend bool operator==(const record&, const record&) = default;
};

/// Election parameters (kube-vip: vip_leaseduration/renewdeadline/retryperiod).
struct config {
  std::string identity;
  ms lease_duration{15000};
  ms renew_deadline{10000};
  ms retry_period{2000};
  double jitter_factor = 1.2; ///< followers retry after retry × (1 + rand × jitter)
};

/// What the driver must do.
struct action {
  enum class kind {
    get,             ///< GET the Lease
    create,          ///< POST a Lease with `rec`
    update,          ///< PUT the Lease with `rec` and resourceVersion `rv` (CAS)
    arm_timer,       ///< deliver `timer` after `delay` (replaces any armed timer)
    started_leading, ///< we hold the Lease: announce the VIP
    stopped_leading, ///< we no longer hold it: withdraw the VIP
    new_leader,      ///< the observed holder changed to `holder` ("" = none)
    stopped,         ///< release finished (or not needed): the elector is idle
  };
  kind what;
  record rec;
  std::string rv;
  ms delay{0};
  std::string holder;
};

/// Result of a get/create/update the driver performed.
enum class outcome {
  ok,        ///< 200/201
  not_found, ///< 404 (get)
  conflict,  ///< 409: stale resourceVersion, or AlreadyExists on create
  error,     ///< anything else (timeout, 5xx, transport)
};

/// The candidate's role in the election.
enum class role {
  idle,      ///< not campaigning (not started, or released)
  candidate, ///< campaigning without holding the Lease
  leader,    ///< campaigning and holding the Lease (between started/stopped_leading)
  releasing, ///< stopped campaigning; the release is written or waits for an outstanding request
};

/// The election state machine for one Lease and one candidate.
class machine {
public:
  /// `rand01` returns uniform values in [0, 1) for retry jitter.
  machine(config cfg, std::function<double()> rand01);

  /// Begins campaigning.
  std::vector<action> start(steady_time now, sys_micros wall);
  /// The armed timer fired.
  std::vector<action> timer(steady_time now, sys_micros wall);
  /// The outstanding request finished; `lease` and `rv` are the object read
  /// or written (absent unless outcome ok).
  std::vector<action> response(outcome o, const std::optional<record>& lease, const std::string& rv,
                               steady_time now, sys_micros wall);
  /// Stops campaigning: a leader writes the release first; then `stopped`.
  std::vector<action> release(steady_time now, sys_micros wall);

  /// The current role.
  role state() const { return role_; }
  /// True between started_leading and stopped_leading.
  bool leading() const { return role_ == role::leader; }
  /// The last observed holder ("" when none).
  const std::string& observed_holder() const { return observed_.holder; }
  /// True while a request is outstanding.
  bool busy() const { return pending_ != step::idle; }

private:
  enum class step { idle, fast_update, get, create, update, release };
  void set_state(role next, const char* why);
  bool campaigning() const { return role_ == role::candidate || role_ == role::leader; }
  void begin_attempt(std::vector<action>& out, steady_time now, sys_micros wall);
  void end_attempt(bool success, std::vector<action>& out, steady_time now);
  void after_get(outcome o, const std::optional<record>& lease, const std::string& rv,
                 steady_time now, sys_micros wall, std::vector<action>& out);
  void observe(const record& r, steady_time now, std::vector<action>& out);
  record fresh_record(sys_micros wall) const;
  ms follower_delay();

  config cfg_;
  std::function<double()> rand01_;
  role role_ = role::idle;
  step pending_ = step::idle; ///< the request in flight
  record observed_;
  bool have_observed_ = false;
  steady_time observed_time_{};
  std::string observed_rv_;
  record proposed_;           ///< the record of the outstanding write
  steady_time cycle_start_{}; ///< start of the current renew cycle (leader)
  bool cycle_open_ = false;   ///< a renew cycle started and has not succeeded yet
  sys_micros release_wall_{}; ///< wall time of a release deferred behind a request
  bool stale_ = false;        ///< the request in flight was sent before a step-down
};

/// Text for logs and tests.
const char* to_string(action::kind k);
const char* to_string(role r);

} // namespace kvip::k8s::election
