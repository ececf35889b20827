#pragma once
// The node supervisor's decisions (OTP style), as a pure state machine: no
// CAF, no clock of its own, no I/O. actors/node.cpp performs the effects
// (spawn, timers, shutdown requests, metrics) and feeds the outcomes back.
//
//   event                      -> effects
//   start                      -> start every child, in table order
//   started(i)                 -> publish_status
//   down(i, abnormal)          -> publish_status, then by the child's policy:
//                                 nothing; schedule_restart after a backoff
//                                 (initial, doubling per recent restart of
//                                 this child, capped); or, past the intensity
//                                 limit, the orderly shutdown below
//   restart_due(i)             -> start_child (unless stopping or running)
//   stop                       -> ask_shutdown of each running child, one at
//                                 a time, in reverse start order; then
//                                 kill_remaining and quit
//   shutdown_answered(i)       -> the next ask_shutdown, or the end
//
// States: idle -> running -> stopping -> stopped. Every change goes through
// one set_state that logs old -> new and why.

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <vector>

namespace kvip {

/// When a child that stopped is started again (OTP restart types).
enum class restart_policy {
  permanent, ///< always restarted
  transient, ///< restarted only after an abnormal exit
  temporary, ///< never restarted
};

/// Restart intensity and timing.
struct supervisor_limits {
  int max_restarts = 5; ///< more restarts than this within `period` ...
  std::chrono::nanoseconds period = std::chrono::seconds{30}; ///< ... stop the node
  std::chrono::nanoseconds backoff_initial = std::chrono::milliseconds{100};
  std::chrono::nanoseconds backoff_max = std::chrono::seconds{5};
  std::chrono::nanoseconds shutdown_timeout = std::chrono::seconds{5}; ///< per child
  std::chrono::nanoseconds dump_timeout = std::chrono::seconds{2};
};

/// Text for logs and dumps.
const char* to_string(restart_policy p);

namespace supervision {

using steady_time = std::chrono::steady_clock::time_point;

/// What the supervisor as a whole is doing.
enum class state {
  idle,     ///< constructed, no child started yet
  running,  ///< children run; crashed ones are restarted by policy
  stopping, ///< orderly shutdown in reverse start order
  stopped,  ///< every child asked or gone; the node quits
};

/// What the driver must do. `child` indexes the child table.
struct effect {
  enum class kind {
    start_child,      ///< spawn child `child` (report started() if it runs)
    schedule_restart, ///< count a restart of `child`; restart_due(child) after `delay`
    publish_status,   ///< tell the telemetry role how many children are up
    ask_shutdown,     ///< ask child `child` to undo its work; answer shutdown_answered
    kill_remaining,   ///< send an exit to every child still running
    quit,             ///< the node exits: normally, or (`failed`) with intensity_exceeded
  };
  kind what;
  std::size_t child = 0;
  std::chrono::nanoseconds delay{0};
  bool failed = false;

  friend bool operator==(const effect&, const effect&) = default;
};

/// One row of the child table, as far as decisions go.
struct child_info {
  std::string name;
  restart_policy policy = restart_policy::permanent;
};

/// The restart policy of one supervisor.
class machine {
public:
  machine(std::vector<child_info> children, supervisor_limits limits);

  /// Starts every child in table order.
  std::vector<effect> start();
  /// Child `i` is running (its start returned an actor).
  std::vector<effect> started(std::size_t i);
  /// Child `i` went down; `abnormal` = crashed or exited with an error.
  std::vector<effect> down(std::size_t i, bool abnormal, const std::string& reason,
                           steady_time now);
  /// The backoff of child `i` has elapsed.
  std::vector<effect> restart_due(std::size_t i);
  /// Begins the orderly shutdown; `why` is logged.
  std::vector<effect> stop(const std::string& why);
  /// The shutdown request to child `i` was answered (or failed, or timed out).
  std::vector<effect> shutdown_answered(std::size_t i);

  state current() const { return state_; }
  std::size_t size() const { return children_.size(); }
  const child_info& child(std::size_t i) const { return children_[i]; }
  bool up(std::size_t i) const { return up_[i]; }
  std::size_t up_count() const;
  /// Restarts of child `i` within the last period (as of its last restart).
  std::size_t recent_restarts(std::size_t i) const { return restarts_[i].size(); }
  /// Restarts of all children in the intensity window (as of the last one).
  std::size_t restarts_in_window() const { return window_.size(); }
  /// The index of the child named `name`, or size() if there is none.
  std::size_t index_of(const std::string& name) const;

private:
  void set_state(state next, const std::string& why);
  void begin_shutdown(bool failed, const std::string& why, std::vector<effect>& out);
  void next_shutdown(std::vector<effect>& out);
  static void prune(std::deque<steady_time>& q, steady_time now, std::chrono::nanoseconds period);

  std::vector<child_info> children_;
  supervisor_limits limits_;
  state state_ = state::idle;
  std::vector<bool> up_;
  std::vector<std::deque<steady_time>> restarts_; ///< per child, for the backoff
  std::deque<steady_time> window_;                ///< all children, for the intensity
  std::vector<std::size_t> stop_order_;           ///< remaining, during shutdown
  bool failed_ = false;
};

const char* to_string(state s);
const char* to_string(effect::kind k);

} // namespace supervision

} // namespace kvip
