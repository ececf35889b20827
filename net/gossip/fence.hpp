#pragma once
// The owner side of one VIP, as a pure state machine: when this node may
// answer ARP/NDP for the VIP, and when it must stop (fencing).
//
// An owner holds the VIP under a local monotonic deadline. Only evidence that
// the rest of the cluster still sees it extends the deadline: a gossip
// majority acknowledging a message it sent at `sent_at`, or its node Lease
// renewed by a request sent at `sent_at`. The deadline is sent_at +
// fence_timeout, counted from the send (not the receipt), so it never runs
// ahead of what the peers saw. Peers take over only after hearing nothing for
// takeover_wait > fence_timeout + check_interval (validate() asserts it), so
// the old owner has stopped before anyone else may start.
//
// Every event carries `now` and is checked against the deadline FIRST: a
// process that was frozen and resumes finds its deadline passed and stops
// before it acts on anything else, then answers nothing until a fresh
// ownership decision and a majority acknowledgement of a message sent after
// the re-claim confirm it (a node-Lease renewal extends a hold but never
// confirms a claim: a decision queued during a freeze may be stale). The
// responder also asks may_answer(now) per request, so a stale `owning` state
// never answers between a resume and the next event.
//
//   state      event                         -> state      effects
//   idle       decided(self)                 -> claiming   write_lease_claim
//   claiming   majority ack, sent >= claim    -> owning     start_answering
//   owning     deadline passed (any event)   -> fenced     stop_answering
//   owning     decided(other)                -> idle       stop_answering, release
//   owning     Lease holder other            -> idle       stop_answering
//   owning     stop_requested                -> releasing  release
//   releasing  successor_answering           -> stopped    stop_answering
//   releasing  deadline | handover timeout   -> stopped    stop_answering
//   fenced     decided(self)                 -> claiming   write_lease_claim
//   claiming   holder other | decided other  -> idle       -
//   any        stop_requested (not owning)   -> stopped    release when claiming
//
// `releasing` is the make-before-break window: the successor claims and
// starts answering while this node still answers; it stops when told the
// successor answers (or its deadline / the handover timeout passes). While
// releasing only majority acks extend the deadline, so once the majority has
// handed the VIP on the window lasts at most fence_timeout even if the
// successor's notice is lost.

#include <chrono>
#include <string>
#include <vector>

#include "net/result.hpp"

namespace kvip::net::gossip {

/// Injected monotonic time (steady clock values supplied by the caller).
using time_point = std::chrono::steady_clock::time_point;
using duration = std::chrono::milliseconds;

/// Timing of fencing and takeover, shared by every node of a cluster.
struct fence_config {
  /// How long an ack or node-Lease renewal keeps this owner answering.
  duration fence_timeout{60};
  /// How long the others hear nothing from an owner before one takes over.
  duration takeover_wait{80};
  /// The longest gap between two deadline checks of a running owner (its
  /// tick period); the responder's per-request may_answer() is exact, this
  /// bounds how late gratuitous announcements can stop.
  duration check_interval{10};
  /// How long a graceful stop waits for the successor to answer before it
  /// stops anyway (break without make: the successor is slow or gone).
  duration handover_timeout{1000};
};

/// Ok when fence_timeout + check_interval < takeover_wait (the old owner stops
/// strictly before anyone may take over) and every value is positive.
result<void> validate(const fence_config& c);

/// True when the others may take over from an owner last heard at
/// `last_heard`: the latest of the send time of its latest message a majority
/// received and the local time its latest node-Lease renewal was observed
/// (both no earlier than the `sent_at` the owner extended its deadline with).
/// `owner_process_gone`: the owner's kernel closed its gossip connection (the
/// ZeroMQ disconnect after SIGKILL or exit), confirmed by a failed probe. A
/// process that is gone answers nothing (answering is done in userspace), so
/// no wait is needed: this is what makes a crash fail over in milliseconds.
/// The thin actor must stop answering before it closes its own connections.
/// A frozen process closes nothing, so a freeze always waits takeover_wait.
bool takeover_allowed(const fence_config& c, time_point last_heard, time_point now,
                      bool owner_process_gone = false);

/// The closed set of effects the thin actor carries out.
enum class fence_effect {
  start_answering,   ///< answer ARP/NDP for the VIP, announce it
  stop_answering,    ///< answer nothing for the VIP any more
  write_lease_claim, ///< compare-and-swap the VIP's Lease to this node
  release,           ///< give the VIP up: hand the Lease to the successor
};

class fence {
public:
  enum class state { idle, claiming, owning, releasing, fenced, stopped };

  /// `self` is this node's name; `vip` names the VIP in logs. The config
  /// must have passed validate().
  fence(std::string self, std::string vip, fence_config config);

  std::vector<fence_effect> tick(time_point now);
  /// A gossip majority acknowledged this node, as the VIP's owner, in reply
  /// to a message it sent at `sent_at` (members acknowledge an ownership
  /// claim only when their view agrees; a disagreeing reply is delivered as
  /// ownership_decided(other) instead). Confirms a claim, extends a hold.
  std::vector<fence_effect> majority_ack(time_point now, time_point sent_at);
  /// This node's node Lease renewal, sent at `sent_at`, succeeded. Extends
  /// a hold; never confirms a claim (the API server knows nothing of the
  /// gossip decision).
  std::vector<fence_effect> node_lease_renewed(time_point now, time_point sent_at);
  /// The VIP's Lease shows `holder` (empty: no holder).
  std::vector<fence_effect> lease_holder_observed(time_point now, const std::string& holder);
  /// The majority's ranking decided `owner` owns the VIP.
  std::vector<fence_effect> ownership_decided(time_point now, const std::string& owner);
  /// Graceful stop or drain of this node.
  std::vector<fence_effect> stop_requested(time_point now);
  /// The successor reported that it answers for the VIP.
  std::vector<fence_effect> successor_answering(time_point now);

  state current() const { return state_; }
  /// This node's responder is on (owning, or releasing during a handover).
  bool answering() const { return state_ == state::owning || state_ == state::releasing; }
  /// What the responder asks per request: answering and within the deadline.
  bool may_answer(time_point now) const { return answering() && now < deadline_; }
  time_point deadline() const { return deadline_; }

private:
  void set_state(state next, const std::string& why);
  void expire(time_point now, std::vector<fence_effect>& out);
  std::vector<fence_effect> extended(time_point now, time_point sent_at, bool confirms);

  std::string self_;
  std::string vip_;
  fence_config config_;
  state state_ = state::idle;
  time_point deadline_{};   ///< answering allowed strictly before this
  time_point claimed_at_{}; ///< when the current claim began
  time_point release_at_{}; ///< when a graceful stop began
  bool reclaiming_ = false; ///< claiming since a lapse (fenced -> claiming)
};

const char* to_string(fence::state s);
const char* to_string(fence_effect e);

} // namespace kvip::net::gossip
