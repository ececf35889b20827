#pragma once
// SWIM-style membership and failure detection as a pure state machine: no
// sockets, no clock reads, randomness from an injected seed. The gossip actor
// (later) feeds events in and performs the effects it gets back, in order.
//
//   event                          -> effects
//   tick(now)                      -> next probe (send_ping), ping_req after the
//                                     probe timeout, suspect at the end of the
//                                     period, dead after the suspicion timeout
//   received(now, message)         -> send_ack / send_ping (relay) / send_ack
//                                     (relayed back), member_changed
//   peer_disconnected(now, peer)   -> local suspicion + one direct probe; dead
//                                     when that probe is not answered in time
//   local_health(now, bits)        -> incarnation bump, alive disseminated
//   join(now, node)                -> a member learnt later (Node objects, a
//                                     frame from an unknown routing id)
//   leave(now)                     -> graceful departure: incarnation bump,
//                                     `left` for self pinged to every live member
//   forget(now, node)              -> the member is no longer in the cluster
//                                     (its Node was deleted): dropped, not
//                                     dead; member_changed with `removed`
// Every call ends with arm_timer(at) when the next deadline changed.
// A new suspicion or death is also pinged at once to every live member
// (`eager_news`), so every node's suspicion timer starts within a round trip.
//
// Wire mapping (the codec is a separate unit): `message` is one datagram;
// header fields map 1:1 (kind, from, incarnation, health, seq, target), then
// the piggybacked `update`s (node, state, incarnation, health).
//
// Sequence numbers: every ping and ping-req this machine emits carries a seq
// of its own (never reused, so the wire's replay guard can take it as the
// frame's seq); an ack carries the seq of what it answers. The counter starts
// at config::seq_start (the driver gives its wall clock in microseconds, so a
// restarted process continues above what it sent before) and the driver
// numbers its other frames (acks, claims) with next_seq() from the same
// counter, so one sender's frames are strictly increasing.
//
// `left`: a member that said goodbye (leave()). It is never probed again, is
// not eligible, counts as gone (its process is ending) and comes back only
// with a higher incarnation (it restarted).
//
// forget(): the driver says a member is no longer part of the cluster (with
// peers from the Node objects: its Node was deleted, lost its InternalIP, or
// is otherwise no peer any more). Unlike death, which keeps a member (a dead
// member still counts in the ownership majority, so a partition never shrinks
// the majority its minority side needs), forgetting removes it: the majority
// is counted over one node fewer. That is safe because it is an operator's
// decision, not something the network can cause: a deleted Node is trusted
// to be gone for good. What stays safe even when the forgotten node's process
// still runs: this machine ignores it from then on (its messages, gossip
// about it from members that have not forgotten it yet, a ping-req to probe
// it), so it gets no acknowledgement and no vote here; the views of nodes
// that have and have not yet forgotten it differ by that one member, and a
// majority of n and a majority of n - 1 members always intersect. Removing
// several Nodes at once whose processes still run can give disjoint
// majorities during the window the nodes disagree: remove them one at a
// time. A forgotten node comes back only through join() (its Node
// reappears), as a new member: alive at incarnation 0, health unknown.
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace kvip::net::gossip {

using steady_time = std::chrono::steady_clock::time_point;
// (fence.hpp has its own `duration`, in milliseconds: the two headers meet in codec.hpp.)
using membership_duration = std::chrono::microseconds;

/// Node-local health bits gossiped with alive updates.
using health_bits = std::uint32_t;
inline constexpr health_bits health_carrier = 1U << 0U;       ///< the VIP interface has carrier
inline constexpr health_bits health_control_plane = 1U << 1U; ///< the control-plane check passes

enum class member_state : std::uint8_t { alive, suspect, dead, left };

/// One membership fact, as disseminated.
struct update {
  std::string node;
  member_state state = member_state::alive;
  std::uint64_t incarnation = 0;
  health_bits health = 0; ///< meaningful for alive
  bool operator==(const update&) const = default;
};

/// One gossip datagram.
struct message {
  enum class kind : std::uint8_t { ping, ack, ping_req };
  kind what = kind::ping;
  std::string from;              ///< sender's node name
  std::uint64_t incarnation = 0; ///< sender's incarnation (an implicit alive update)
  health_bits health = 0;        ///< sender's health bits
  std::uint64_t seq = 0;         ///< chosen by the pinger; an ack echoes it
  std::string target;            ///< ping_req: whom to probe; ack: whom it vouches for
  std::vector<update> updates;   ///< piggybacked, most important first
};

struct config {
  std::string self;
  // Defaults chosen with the 5-node simulation (membership_sim_test.cpp) at
  // 10% loss: a silent death is seen by every node after ~100 ms median and
  // under 200 ms worst, and no live node is ever declared dead. Cost per
  // node: ~33 pings + ~33 acks per second.
  membership_duration probe_period{std::chrono::milliseconds(30)};
  /// Wait for the direct ack before asking k others (a LAN RTT is < 1 ms).
  membership_duration probe_timeout{std::chrono::milliseconds(10)};
  membership_duration suspicion_timeout{std::chrono::milliseconds(50)};
  /// A suspect is re-pinged this often: each ping carries its suspicion and
  /// each ack its refutation.
  membership_duration suspicion_ping{std::chrono::milliseconds(10)};
  unsigned indirect_k = 3;
  unsigned lambda = 3;                   ///< retransmits ~ lambda * ceil(log2(n + 1))
  unsigned max_piggyback = 8;            ///< updates per message
  unsigned max_queue = 256;              ///< bound of the dissemination queue
  health_bits required = health_carrier; ///< bits a member needs to be eligible
  bool eager_news = true; ///< ping every member at once with a new suspicion or death
  /// Every this many periods the probe goes to a random dead member instead
  /// (0: never), so both sides of a healed partition find each other again.
  unsigned dead_probe_every = 10;
  std::uint64_t seed = 1;
  std::uint64_t seq_start = 0; ///< the first seq is seq_start + 1 (see the header)
};

/// What the driver must do.
struct effect {
  enum class kind { send_ping, send_ack, send_ping_req, member_changed, arm_timer };
  kind what = kind::arm_timer;
  std::string to;        ///< send_*: destination member
  message msg;           ///< send_*: the datagram, updates attached
  update member;         ///< member_changed: the member's new state
  bool eligible = false; ///< member_changed: alive and healthy
  /// member_changed: its process is gone: it left, or it died after a
  /// disconnect that the failed direct probe confirmed (not for a death from
  /// the ordinary suspicion path, nor one learnt by gossip).
  bool gone = false;
  /// member_changed: forget() dropped the member (no longer in members());
  /// `member` is what was known of it last.
  bool removed = false;
  steady_time at{}; ///< arm_timer: call tick(at) then (supersedes earlier timers)
};

/// A member as this node sees it.
struct member_info {
  member_state state = member_state::alive;
  std::uint64_t incarnation = 0;
  health_bits health = 0;
  steady_time suspect_until{}; ///< suspect: when it becomes dead
  steady_time next_suspicion_ping{};
  bool local_suspicion = false; ///< suspect only from a disconnect, not disseminated
  bool gone = false;            ///< left, or dead after a confirmed disconnect
  steady_time heard{};          ///< the latest frame from it (any kind)
};

class membership {
public:
  explicit membership(config cfg);

  /// Seeds (configured peers); each joins as alive at incarnation 0, health unknown.
  std::vector<effect> start(steady_time now, const std::vector<std::string>& peers);
  std::vector<effect> tick(steady_time now);
  std::vector<effect> received(steady_time now, const message& m);
  std::vector<effect> peer_disconnected(steady_time now, const std::string& peer);
  std::vector<effect> local_health(steady_time now, health_bits bits);
  /// A member learnt after start (Node objects, a frame from an unknown
  /// routing id): alive at incarnation 0, health unknown. No-op when known
  /// (a dead or left member comes back only with a higher incarnation). A
  /// forgotten node joins again (and is no longer ignored).
  std::vector<effect> join(steady_time now, const std::string& node);
  /// Graceful departure: a new incarnation, `left` for self disseminated and
  /// pinged at once to every live member. Afterwards tick() probes nobody;
  /// received() still answers, with the news attached.
  std::vector<effect> leave(steady_time now);
  /// The member is no longer in the cluster (see the header): dropped from
  /// members() (not marked dead), its pending probes, suspicion and queued
  /// updates cancelled, and ignored from then on (messages from it, gossip
  /// about it, ping-reqs for it) until join() brings it back. One
  /// member_changed effect with `removed`. No-op for self or an unknown node.
  std::vector<effect> forget(steady_time now, const std::string& node);
  /// Forgotten (forget) and not joined again since.
  bool forgotten(const std::string& node) const { return forgotten_.contains(node); }
  /// A fresh seq for a frame the driver sends on its own (acks, claims).
  std::uint64_t next_seq() { return ++seq_; }

  std::uint64_t incarnation() const { return incarnation_; }
  health_bits health() const { return health_; }
  const std::map<std::string, member_info>& members() const { return members_; }
  member_state state_of(const std::string& node) const;
  bool eligible(const std::string& node) const;
  /// Left, or dead after a confirmed disconnect (effect::gone).
  bool gone(const std::string& node) const;
  bool leaving() const { return leaving_; }
  /// Transmissions left for queued updates, by node (tests).
  std::map<std::string, unsigned> queued() const;
  /// Members neither dead nor self, plus self.
  std::size_t live_count() const;

private:
  struct pending {
    enum class purpose : std::uint8_t { probe, suspicion, disconnect, relay };
    purpose why = purpose::probe;
    std::string target;
    steady_time deadline{};
    std::string requester; ///< relay: who asked
    std::uint64_t requester_seq = 0;
  };
  struct queued_update {
    update u;
    unsigned sent = 0;
  };

  void set_state(const std::string& node, member_info& m, member_state next,
                 std::uint64_t incarnation, const std::string& why, std::vector<effect>& out,
                 bool gone = false);
  bool accepts(const member_info& m, const update& u) const;
  bool apply(steady_time now, const update& u, const std::string& why, std::vector<effect>& out);
  bool apply_self(const update& u);
  void changed(const std::string& node, const member_info& m, std::vector<effect>& out);
  void add_member(const std::string& node, const member_info& m, std::vector<effect>& out);
  void enqueue(const update& u);
  std::vector<update> piggyback(const std::string& to);
  unsigned retransmit_limit() const;
  effect make_send(message::kind k, const std::string& to, std::uint64_t seq,
                   const std::string& target);
  void start_probe(steady_time now, std::vector<effect>& out);
  void close_probe(steady_time now, std::vector<effect>& out);
  void escalate_probe(steady_time now, std::vector<effect>& out);
  void expire(steady_time now, std::vector<effect>& out);
  void answered(steady_time now, const message& m, std::vector<effect>& out);
  std::string next_target();
  void broadcast(const std::string& subject, std::vector<effect>& out);
  void finish(steady_time now, std::vector<effect>& out);
  steady_time next_deadline() const;

  config cfg_;
  std::mt19937_64 rng_;
  std::uint64_t incarnation_ = 0;
  health_bits health_ = 0;
  std::map<std::string, member_info> members_; ///< without self
  std::set<std::string> forgotten_;            ///< forget()ten, not joined again
  std::vector<queued_update> queue_;
  std::map<std::uint64_t, pending> pending_; ///< outstanding pings by seq
  std::uint64_t seq_ = 0;
  // The current protocol period's probe.
  std::string probe_target_;
  std::uint64_t probe_seq_ = 0;
  bool probe_acked_ = true;
  bool probe_escalated_ = false;
  steady_time probe_started_{};
  steady_time next_period_{};
  bool started_ = false;
  bool leaving_ = false;
  std::vector<std::string> order_; ///< shuffled round-robin list
  std::size_t next_index_ = 0;
  std::uint64_t periods_ = 0; ///< probe periods started (dead_probe_every)
  steady_time armed_{};
};

const char* to_string(member_state s);
const char* to_string(effect::kind k);

} // namespace kvip::net::gossip
