#pragma once
// The node-level policy of the Lease elector, as a pure state machine around
// the client-go election machine (k8s/leader_election.hpp). It owns every
// decision the lease_elector actor makes; the actor performs the effects it
// returns and feeds the answers back as events.
//
//   event                         -> effects
//   start                         -> withdraw (whatever a crashed predecessor
//                                    announced), then the first Lease request
//   lease_answered / _timed_out   -> the next Lease request, timer, announce,
//                                    withdraw, leading (metrics), shutdown_done
//   announce_answered / _timed_out-> what waited for the announcer
//   timer(generation)             -> re-announce to a restarted announcer,
//                                    then the machine's next attempt
//   health(false) / health(true)  -> pause: withdraw and release; campaign again
//   shutdown                      -> withdraw, release, shutdown_done
//
// Rules it enforces (the reasons are in election_policy.cpp):
//  - one Lease request at a time, one announce/withdraw at a time;
//  - a Lease request waits for an outstanding announce/withdraw, so a release
//    is written only after the VIP is gone (withdraw-before-release);
//  - an announce/withdraw waits only for the previous one, so a leader past
//    its renew deadline withdraws at once even while a Lease request hangs;
//  - a release is skipped when the VIP could not be withdrawn (the Lease is
//    left to expire instead of handing the VIP to a second announcer);
//  - a leader re-announces to an announcer that was restarted.
//
// Effects are returned in the order they must be performed; each can be
// performed at once (the gating already happened here).

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "k8s/leader_election.hpp"
#include "k8s/result.hpp"

namespace kvip::k8s::election {

/// The node's phase in the election.
enum class phase {
  idle,      ///< not started
  following, ///< campaigning, someone else (or nobody) holds the Lease
  leading,   ///< we hold the Lease and the VIPs are announced
  paused,    ///< released, not campaigning (control plane unhealthy, or pause())
  stopping,  ///< shutdown requested: withdrawing and releasing
  stopped,   ///< shutdown finished
};

/// What the driver must do.
struct effect {
  enum class kind {
    get_lease,     ///< GET the Lease
    create_lease,  ///< POST a Lease carrying `rec`
    update_lease,  ///< PUT the Lease (as last read) with `rec` and resourceVersion `rv`
    arm_timer,     ///< deliver timer(`generation`) after `delay`, superseding earlier timers
    announce,      ///< ask the announcer to hold the VIPs
    withdraw,      ///< ask the announcer to hold nothing
    leading,       ///< record leadership `on` in the metrics (`on` = a new transition)
    shutdown_done, ///< answer the shutdown request
  };
  kind what;
  record rec;
  std::string rv;
  ms delay{0};
  std::uint64_t generation = 0;
  bool on = false;
};

/// The answer to a Lease request: the Lease, or the API error.
struct lease_answer {
  std::optional<record> lease;       ///< set on success
  std::string rv;                    ///< its resourceVersion
  std::optional<error_kind> failure; ///< set on failure
  std::string text;                  ///< the error, for the log

  static lease_answer ok(record r, std::string rv);
  static lease_answer failed(error_kind k, std::string text);
};

/// The announcer's answer to announce/withdraw.
struct announce_answer {
  bool holds_any = false; ///< some VIP is still held (after a withdraw: it failed)
  std::string error;      ///< "" or what failed
};

/// The world at the moment of an event.
struct context {
  steady_time now{};
  sys_micros wall{};
  std::uint64_t announcer = 0; ///< id of the current announcer incarnation (0 = none)
};

/// The elector's policy for one Lease and one candidate.
class policy {
public:
  /// `lease` names the Lease in logs ("kube-system/plndr-cp-lock").
  policy(config cfg, std::string lease, std::function<double()> rand01);

  std::vector<effect> start(const context& c);
  std::vector<effect> lease_answered(const context& c, const lease_answer& a);
  /// The Lease request got no answer in time (or could not be delivered).
  std::vector<effect> lease_timed_out(const context& c, const std::string& why);
  std::vector<effect> announce_answered(const context& c, const announce_answer& a);
  /// The announcer got no answer in time (or could not be delivered).
  std::vector<effect> announce_timed_out(const context& c, const std::string& why);
  /// A timer armed with `generation` fired (stale generations are ignored).
  std::vector<effect> timer(const context& c, std::uint64_t generation);
  std::vector<effect> health(const context& c, bool healthy, const std::string& detail);
  /// Stops campaigning for `why` (logged): a leader withdraws, then releases
  /// the Lease; nothing happens unless following or leading. health(false)
  /// is pause() with the control plane as the reason.
  std::vector<effect> pause(const context& c, const std::string& why);
  /// Campaigns again after pause() (nothing happens unless paused).
  std::vector<effect> resume(const context& c, const std::string& why);
  /// True while a Lease request or an announce/withdraw waits for its answer.
  bool busy() const { return lease_busy_ || vips_ != vip_request::none; }
  std::vector<effect> shutdown(const context& c);

  phase state() const { return state_; }
  bool leading() const { return state_ == phase::leading; }
  bool paused() const { return state_ == phase::paused; }
  const std::string& observed_holder() const { return machine_.observed_holder(); }
  std::uint64_t transitions() const { return transitions_; }

private:
  enum class vip_request { none, announce, withdraw };
  void set_state(phase next, const std::string& why);
  void feed(std::vector<action> acts, const context& c, std::vector<effect>& out);
  void pump(const context& c, std::vector<effect>& out);
  bool blocked(action::kind k) const;
  void perform(action a, const context& c, std::vector<effect>& out);
  void change_leadership(bool leading, const context& c, std::vector<effect>& out);
  void request_vips(vip_request r, const context& c, std::vector<effect>& out);
  void answer_lease(outcome o, const lease_answer& a, const context& c);
  void vips_answered(bool withdraw_failed, const context& c, std::vector<effect>& out);

  machine machine_;
  std::string lease_;
  std::string identity_;
  phase state_ = phase::idle;
  std::deque<action> queue_;             ///< machine actions not yet performed, in order
  bool lease_busy_ = false;              ///< a Lease request waits for its answer
  vip_request vips_ = vip_request::none; ///< the announce/withdraw waiting for its answer
  bool withdraw_failed_ = false;         ///< the last withdraw left a VIP behind
  std::uint64_t announced_to_ = 0;       ///< the announcer incarnation holding our VIPs
  std::uint64_t generation_ = 0;         ///< of the armed timer
  std::uint64_t transitions_ = 0;        ///< times we became leader
  std::string error_last_;               ///< last Lease error logged (logged once per change)
};

/// Text for logs and tests.
const char* to_string(phase p);
const char* to_string(effect::kind k);

} // namespace kvip::k8s::election
