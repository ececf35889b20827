#pragma once
// An owner's hold refresh, as a pure state machine: whom to ping, and when,
// so that acks echoing a fresh send time reach a majority before the earliest
// deadline of what it answers for passes (fence.hpp: only a majority's
// echoes, or a node-Lease renewal, extend a hold).
//
// The membership probes alone echo this node only every few probe periods
// per member (every 2-4 periods in a 5-node cluster), which would let a hold
// lapse now and then; an owner therefore pings members itself once the
// earliest deadline is less than `fence_timeout / 3` away, at most once per
// probe period (a "round"), a majority less itself per round (one more
// while a member is suspect or dead), round robin.
// Members whose latest echo matches what this node owns come first: a member
// that just came back knows nothing of it yet, and its echo extends nothing.
//
// A third of a period after a round it counts the round's targets that have
// echoed a frame sent since the round began. Fewer than it pinged means one
// of them died or was cut off just then (a frozen or killed node among the
// targets): it pings every other candidate at once, or the hold lapses while
// it waits for echoes that will not come. Candidates are the alive members;
// suspects too when the alive ones are fewer than a majority less itself (a
// suspect is often the node that just died).
//
//   state        event (decide)                       -> state        pings
//   any          holds nothing                        -> idle         -
//   idle         deadline > margin away               -> idle         -
//   idle         deadline within margin               -> round_sent   `want` targets
//   round_sent   period/3 passed, all targets echoed  -> round_echoed -
//   round_sent   period/3 passed, an echo missing     -> escalated    the other candidates
//   round_*      period passed, deadline near         -> round_sent   `want` targets
//   round_*      period passed, deadline far          -> idle         -
//   escalated    period passed, ...                   (as round_*)

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "net/gossip/fence.hpp"
#include "net/gossip/membership.hpp"

namespace kvip::net::gossip {

struct hold_refresh_config {
  std::string self; ///< for the log
  duration fence_timeout{60};
  duration probe_period{30};
};

/// One member as the refresh sees it.
struct refresh_member {
  std::string name;
  member_state state = member_state::alive;
  /// The send time its latest echo acknowledged, when that echo matches what
  /// this node owns (ownership::echoing_members); nullopt otherwise.
  std::optional<time_point> echoed;
};

struct refresh_view {
  /// The earliest deadline of what this node answers for (nullopt: nothing).
  std::optional<time_point> earliest_hold;
  std::vector<refresh_member> members; ///< every other member, any state
  std::size_t cluster_size = 1;        ///< this node, its members and unnamed peers
};

struct refresh_decision {
  std::vector<std::string> ping; ///< members to ping now
  /// When to decide again at the latest (epoch: only when a deadline changes).
  time_point next_check{};
};

class hold_refresh {
public:
  enum class state { idle, round_sent, round_echoed, escalated };

  explicit hold_refresh(hold_refresh_config cfg);

  /// Called on every tick and whenever a deadline changed; idempotent at one
  /// `now` (a second call in the same instant pings nobody).
  refresh_decision decide(time_point now, const refresh_view& view);

  state current() const { return state_; }
  /// The targets of the latest round (and of its escalation).
  const std::vector<std::string>& round_targets() const { return targets_; }

private:
  void set_state(state next, const std::string& why);
  std::vector<std::string> candidates(const refresh_view& v) const;
  refresh_decision new_round(time_point now, const refresh_view& v);
  refresh_decision check_round(time_point now, const refresh_view& v);

  hold_refresh_config cfg_;
  state state_ = state::idle;
  time_point round_at_{};            ///< when the latest round was sent
  std::vector<std::string> targets_; ///< whom it pinged
  std::size_t next_ = 0;             ///< round-robin position
};

const char* to_string(hold_refresh::state s);

} // namespace kvip::net::gossip
