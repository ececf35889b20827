#pragma once
// Ownership of every VIP as one node sees it, as a pure state machine over
// the per-VIP fences (fence.hpp) and the rendezvous ranking (ranking.hpp).
// No sockets, no clock reads: the gossip actor feeds membership facts,
// received claims and echoes in, and performs the effects it gets back.
//
// The protocol (checked by test/model/ownership.pml):
//  - view: per VIP, whom this node believes owns it and in which term.
//    Views change only through claims with a higher term (or an equal term
//    naming the same owner).
//  - decision: for each VIP, choose_owner(vip, eligible, view owner when it is
//    eligible and not gone), among the nodes allowed to own it when the VIP
//    says (set_vip_specs: a Service with externalTrafficPolicy Local). When it names this node and
//    this node does not hold or claim the VIP, it claims with term = view term + 1: its view
//    becomes (self, term), the fence goes claiming, and the claim is sent to
//    every live member (send_claims) and resent every check_interval until
//    it is confirmed or superseded.
//  - agreement (claims_received): a member agrees to a claim (vip, c, t) when
//    its view already names c with a term <= t, or when t is higher than its
//    view's term and the viewed owner cannot be answering any more: it is
//    none, gone (its process closed its connections, or it left), or not
//    heard from for takeover_wait (takeover_allowed). A member never agrees
//    while it holds the VIP itself, nor during the first takeover_wait after
//    it started (a restarted member remembers no owner and must not be the
//    swing vote while an owner's deadline still runs). Agreeing sets its view
//    to the claim. Its answer, for every claim received, is its view after
//    the claim was considered: the claim itself when it agreed.
//  - confirmation: a claim is confirmed when a majority of the known members
//    (this node included, dead members included: a partition must not shrink
//    the majority) answered with the claim itself; the fence then goes
//    owning (start answering) with the deadline counted from the send time
//    of the claim. An answer naming another owner with a higher term, or the
//    same term and another owner, ends the claim (decided other).
//  - hold: every frame a member sends to this node echoes the send time of
//    the latest frame it received from this node and a digest of what it
//    believes this node answers for (digest_for: the VIPs whose view names
//    this node and for which this node said it answers, by an `answering`
//    claim or answer; a confirmed owner sends that claim to every live member
//    at once). Claims in flight change no digest, so a takeover of hundreds
//    of VIPs does not disturb the hold of what the claimer already holds.
//    This node numbers the versions of its own set (the VIPs its view names
//    it for, with their terms, whose claim in that term was confirmed: what
//    it told the members it answers for) and keeps
//    the digests of the latest own_history_size of them. An echo whose digest
//    equals version k's says the member's view names this node for every VIP
//    of version k; it counts for each held VIP that is in this node's set
//    without a break since version k or earlier (own_since <= k). Per held
//    VIP, the majority-th latest send time among the echoes that count for
//    it (self counting as now) extends its fence (fence::majority_ack). A VIP
//    whose fence lapsed stays in the own set until the view changes (a new
//    claim, a release): the members still name this node for it, so their
//    echoes keep matching and still extend every other hold (when the own
//    set followed the fences, one lapsed hold made every echo mismatch and
//    the other holds lapsed after it: the "fence storm" at 1000 VIPs). So a
//    member that has not yet agreed to this node's newest claims (at 1000
//    VIPs a takeover claims hundreds) still holds everything it agreed to
//    before; only the new VIPs wait for it. An echo matching no kept version
//    extends nothing, and this node attaches its held claims to its next
//    frames to that member (claims_for) so the views converge.
//  - graceful stop: stop() puts every held VIP in `releasing`; the actor
//    then leaves the membership (the members see this node gone and agree to
//    the successor at once). The successor, once confirmed, sends its claim
//    with `answering` set to the old owner, which stops (make before break).
//  - the VIP's Lease: write_lease when this node's claim is confirmed (the
//    durable record; never awaited: the API server may be down), and an
//    observed holder other than this node stops answering at once.
//
// The digest: FNV-1a/fmix64 over the sorted (vip, term) pairs whose owner is
// the node, 0 for none; equal views give equal digests on every node.
//
// Refinements found with the simulation (test/net/gossip/ownership_sim_test;
// details in ownership_claims.cpp), not yet in the Promela model:
//  - a node claims only when it would agree to its own claim (the model's
//    agree(i, i)): not in its first takeover_wait, and its view's owner is
//    itself, none, gone or silent for takeover_wait;
//  - same-term conflict: the worse-ranked claimer (rendezvous weight) yields,
//    as does any claimer meeting a confirmed (`answering`) owner in its term;
//  - release notice (vip, owner "", term max): sent by a node that neither
//    holds nor claims the VIP when it gives a claim or hold up, and through
//    claims_for; a member whose view names the sender forgets it (none) and
//    may agree to a successor at once. Needs in-order frames per peer;
//  - a member forgets the views naming a member membership shows gone, and
//    ignores claims from it until membership shows it back;
//  - a claimer cut off from a still-answering owner yields to that owner's
//    answering claim even in a lower term (the one way a view's term falls);
//  - an owner ends its hold on another owner's claim only when that one
//    answers (is confirmed), and on the VIP's Lease naming another holder it
//    stops, forgets its term and claims anew (rewriting a stale Lease).

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/gossip/fence.hpp"

namespace kvip::net::gossip {

/// One ownership claim as gossiped: `owner` holds `vip` in `term`;
/// `answering` is set by an owner whose claim was confirmed.
struct vip_claim {
  std::string vip; ///< "10.0.0.100" or "fd00::100"
  std::string owner;
  std::uint64_t term = 0;
  bool answering = false;
  bool operator==(const vip_claim&) const = default;
};

/// A VIP the cluster serves, and which nodes may own it: every eligible node
/// (nullopt: the control-plane VIP, a Service with externalTrafficPolicy
/// Cluster), or only these (Local: the nodes with a ready local endpoint;
/// empty: nobody, the VIP is not announced). Every node is given the same
/// list (each computes it from the same API objects).
struct vip_spec {
  std::string vip;
  std::optional<std::vector<std::string>> nodes;
  /// What the rendezvous ranking hashes ("" = the VIP). VIPs with one key
  /// rank the nodes alike, so they share an owner whenever they share
  /// eligible nodes: Service IPs recorded on one kube-vip Lease
  /// (kube-vip.io/leaseName on several Services) stay together, as they do
  /// under kube-vip's one election per Lease.
  std::string rank_key;
  bool operator==(const vip_spec&) const = default;
};

/// A member as ownership needs it (from membership, every change).
struct member_view {
  std::string node;
  bool alive = true;     ///< not dead (suspect is alive)
  bool eligible = false; ///< alive, not suspect, and healthy
  bool gone = false;     ///< its process closed its connections (confirmed), or it left
  bool operator==(const member_view&) const = default;
};

/// How many versions of its own set a node remembers for matching echoes.
/// A burst of Services confirms claims batch by batch, each a new version,
/// while a member's echo may still name the set of many batches ago (it
/// answers after its own backlog): 32 lost such echoes at 1000 VIPs under
/// load and let holds lapse. 1024 versions are 16 KiB.
inline constexpr std::size_t own_history_size = 1024;

struct ownership_config {
  std::string self;
  fence_config fence; ///< must pass validate()
};

/// What the driver must do, in order.
struct ownership_effect {
  enum class kind {
    answer,      ///< answer ARP/NDP for `vip` strictly before `until` (until == {}: stop)
    announce,    ///< send gratuitous announcements for `vip` now (it just started answering,
                 ///< and another node or nobody had it since this node last announced it)
    write_lease, ///< record `holder` (term `term`) in the VIP's Lease; never awaited
    send_claims, ///< send `claims` to member `to` in a frame of their own
    arm_timer,   ///< call tick(at) then (supersedes earlier timers)
  };
  kind what = kind::arm_timer;
  std::string vip;
  time_point until{};
  std::string holder;
  std::uint64_t term = 0;
  std::string to;
  std::vector<vip_claim> claims;
  time_point at{};
  /// answer, starting: no announce follows (a lapsed hold claimed back with
  /// nobody in between), so answer requests at once instead of after it.
  bool quiet = false;
  bool operator==(const ownership_effect&) const = default;
};

/// One VIP as this node sees it (dumps, tests).
struct vip_status {
  std::string vip;
  std::string owner; ///< view owner ("" = none)
  std::uint64_t term = 0;
  fence::state state = fence::state::idle; ///< this node's fence for it
  time_point deadline{};
};

class ownership {
public:
  /// `started`: when this process started (the restart rule counts from it).
  ownership(ownership_config cfg, time_point started);

  /// The VIPs the cluster serves (every node is given the same list), any
  /// eligible node may own each.
  std::vector<ownership_effect> set_vips(time_point now, const std::vector<std::string>& vips);
  /// The same with per-VIP owners: a VIP whose owner is no longer among its
  /// `nodes` is given up by that owner (a release notice: the successor
  /// claims at once) and claimed by the best-ranked allowed node.
  std::vector<ownership_effect> set_vip_specs(time_point now, const std::vector<vip_spec>& vips);
  /// The full membership as this node sees it (self excluded), after every change.
  std::vector<ownership_effect> members_changed(time_point now,
                                                const std::vector<member_view>& members);
  /// This node's own eligibility (its health bits) changed.
  std::vector<ownership_effect> self_eligible(time_point now, bool eligible);
  /// An authenticated frame from `node` arrived (resets its silence).
  void heard(time_point now, const std::string& node);
  /// This process was not running for a while (frozen, or starved): every
  /// silence it measured ran while it could not hear, so it restarts them all
  /// and, like a restarted member, agrees to no claim for takeover_wait
  /// (test/model/ownership.pml resume_sil). Its own fences check their
  /// deadlines on the next event as usual.
  void resumed(time_point now) { started_ = std::max(started_, now); }
  /// `node` echoed the send time of the latest frame it received from this
  /// node (`sent_at`, this node's clock) and its digest of what this node owns.
  std::vector<ownership_effect> echo(time_point now, const std::string& node, time_point sent_at,
                                     std::uint64_t digest);
  /// Claims in a ping or ping-req from `from`: considered one by one; returns
  /// the effects, and in `answers` this node's view of each claim's VIP, in
  /// order, for the ack.
  std::vector<ownership_effect> claims_received(time_point now, const std::string& from,
                                                const std::vector<vip_claim>& claims,
                                                std::vector<vip_claim>& answers);
  /// Claims in an ack from `from` (its views, answering ours); `sent_at` is
  /// the send time of the frame it acknowledged.
  std::vector<ownership_effect> answers_received(time_point now, const std::string& from,
                                                 const std::vector<vip_claim>& answers,
                                                 time_point sent_at);
  /// This node's node Lease renewal, sent at `sent_at`, succeeded: extends
  /// every held VIP (fence::node_lease_renewed; never confirms a claim). The
  /// members must then count an observed renewal of this node's Lease as
  /// hearing it (heard()), or they could take over while it still answers.
  std::vector<ownership_effect> node_lease_renewed(time_point now, time_point sent_at);
  /// The VIP's Lease shows `holder` ("" = none).
  std::vector<ownership_effect> lease_holder(time_point now, const std::string& vip,
                                             const std::string& holder);
  /// Graceful stop: hand every held VIP over (make before break).
  std::vector<ownership_effect> stop(time_point now);
  std::vector<ownership_effect> tick(time_point now);

  /// Digest of what this node believes `node` owns (sent in frames to it).
  std::uint64_t digest_for(const std::string& node) const;
  /// Digest of this node's own set (its confirmed claims that are not superseded).
  std::uint64_t own_digest() const { return digest_for(cfg_.self); }
  /// Claims to attach to the next frame to `node` (its last echoed digest
  /// differs from own_digest), at most `max`; empty when it agrees.
  std::vector<vip_claim> claims_for(const std::string& node, std::size_t max) const;
  /// The members whose latest echo matches what this node holds now (their
  /// echoes extend every hold, the newest VIPs' too), each with the send time
  /// that echo acknowledged: whom the owner's hold refresh pings first, and
  /// how it tells that a round was echoed (hold_refresh.hpp). An echo of an
  /// older version, e.g. from a member that just resumed from a freeze,
  /// extends only older holds and does not count here.
  std::map<std::string, time_point> echoing_members() const;
  /// The answer table: per answering VIP, until when (fence::may_answer).
  bool may_answer(const std::string& vip, time_point now) const;
  /// Holds of this node that lapsed (deadline passed while owning) so far.
  std::uint64_t hold_lapses() const { return hold_lapses_; }
  /// The earliest deadline, after `now`, of the VIPs this node answers for
  /// (nullopt: it answers for none); no allocation (the owner's hold refresh
  /// asks after every change of a deadline).
  std::optional<time_point> earliest_hold(time_point now) const;
  /// True when stop() was called and no VIP is answering any more.
  bool stopped() const;
  std::vector<vip_status> status() const;

private:
  struct vip_entry {
    std::string owner; ///< view owner ("" = none)
    std::uint64_t term = 0;
    std::optional<fence> own; ///< this node's fence for the VIP
    bool claiming = false;
    time_point claim_sent{};  ///< when the current claim began
    time_point next_resend{}; ///< when the claim is sent again
    std::string prev_owner;   ///< the latest other owner in the view (told when this node answers)
    std::map<std::string, time_point> agreed; ///< agreeing answers: member -> send time
    time_point answering_until{};             ///< `until` of the last answer effect
    /// This node's claim in the view's term was confirmed and it told the
    /// members it answers: in the own set (digest_for(self)) until the view
    /// changes, also while its fence has lapsed (the members still name it).
    bool announced = false;
    /// This node's latest announcement (gratuitous ARP / unsolicited NA) is
    /// still the network's latest word on the VIP: no other node has owned
    /// it in the view since. A hold that lapsed under load and is claimed
    /// again then answers without announcing again: the neighbours' caches
    /// already name this node, and at 1000 VIPs a load-driven lapse of
    /// every hold turned into a thousand announcements (more load).
    bool self_announced = false;
    /// The own-set version from which it is announced.
    std::uint64_t own_since = 0;
    /// The view's owner (another node) told this node it answers for the VIP
    /// in the view's term: only such VIPs count in digest_for(owner).
    bool owner_answers = false;
    /// The nodes allowed to own it, sorted (nullopt: every eligible node).
    std::optional<std::vector<std::string>> allowed;
    std::string rank_key; ///< vip_spec::rank_key ("" = the VIP)
    /// A view naming another node that has not said it answers: since when
    /// (epoch: not pending), and when this node next asks that node
    /// (ownership_claims.cpp, "owner query").
    time_point unanswered_since{};
    time_point next_query{};
    duration query_backoff{};
  };
  struct echo_state {
    time_point sent_at{};
    std::uint64_t digest = 0;
  };
  using effects = std::vector<ownership_effect>;

  std::size_t majority() const;
  /// `node` is a member this node sees alive, not gone, and healthy.
  bool member_eligible(const std::string& node) const;
  /// `node` is eligible (self: self_eligible) and allowed to own `e`.
  bool eligible_for(const vip_entry& e, const std::string& node) const;
  bool holds(const vip_entry& e) const;
  bool is_gone(const std::string& node) const;
  static vip_claim release_notice(const std::string& vip);
  bool owner_silent(time_point now, const std::string& owner) const;
  bool may_claim(time_point now, const vip_entry& e) const;
  bool agrees(time_point now, const vip_entry& e, const vip_claim& c) const;
  bool outranks(const std::string& vip, const std::string& a, const std::string& b) const;
  /// What the ranking hashes for `vip` (its rank key, or the VIP itself).
  const std::string& rank_key_of(const std::string& vip) const;
  std::vector<std::string> eligible_nodes() const;
  vip_claim view_of(const std::string& vip, const vip_entry& e) const;
  void set_view(const std::string& vip, vip_entry& e, const std::string& owner, std::uint64_t term,
                const char* why);
  void apply(const std::string& vip, vip_entry& e, const std::vector<fence_effect>& fx,
             effects& out);
  void decide(time_point now, effects& out);
  void decide_one(time_point now, const std::string& vip, vip_entry& e,
                  const std::vector<std::string>& eligible, effects& out);
  void start_claim(time_point now, const std::string& vip, vip_entry& e, effects& out);
  void send_claim(time_point now, const std::string& vip, vip_entry& e);
  void query_owner(time_point now, const std::string& vip, vip_entry& e);
  void try_confirm(time_point now, const std::string& vip, vip_entry& e, effects& out);
  void abandon(time_point now, const std::string& vip, vip_entry& e, const std::string& owner,
               std::uint64_t term, const char* why, effects& out);
  bool yield_to_live_owner(time_point now, const std::string& vip, vip_entry& e,
                           const std::string& from, const vip_claim& c, effects& out);
  void consider(time_point now, const std::string& from, const vip_claim& c, effects& out);
  void note_answering(vip_entry& e, const std::string& from, const vip_claim& c);
  void on_claim(time_point now, const std::string& vip, vip_entry& e, const vip_claim& c,
                effects& out);
  void on_answer(time_point now, const std::string& from, const vip_claim& a, time_point sent_at,
                 effects& out);
  void extend_holds(time_point now, effects& out);
  /// Numbers the own set anew when it changed since the last version.
  void seal_own_version();
  /// `node` echoed `digest`: sends it every held claim when it has differed
  /// from this node's own for takeover_wait (claims_for alone would take a
  /// frame per 32 VIPs).
  void sync_member(time_point now, const std::string& node, std::uint64_t digest);
  /// The newest kept own-set version whose digest is `digest` (0: none).
  std::uint64_t matched_version(std::uint64_t digest) const;
  void finish(time_point now, effects& out);

  ownership_config cfg_;
  time_point started_;
  std::map<std::string, vip_entry> vips_;
  std::map<std::string, member_view> members_;
  std::map<std::string, time_point> last_heard_;
  /// claims_for: the VIP after which the next frame to a member continues.
  mutable std::map<std::string, std::string> claims_cursor_;
  std::map<std::string, echo_state> echoes_;
  /// The own set's versions, oldest first: (version, digest).
  std::deque<std::pair<std::uint64_t, std::uint64_t>> own_history_;
  std::uint64_t own_version_ = 0;
  bool own_changed_ = false; ///< the own set changed since the latest version
  /// digest_for per node, until a view changes (every frame asks).
  mutable std::map<std::string, std::uint64_t> digests_;
  /// Resync of a member whose digest of this node stays different: every
  /// held claim at once, then again after a doubling wait while it differs.
  struct sync_state {
    time_point next{};
    duration backoff{};
  };
  std::map<std::string, sync_state> sync_;
  std::uint64_t sync_version_ = 0; ///< own_version_ when own_changed_at_ was taken
  time_point own_changed_at_{};
  std::map<std::string, std::vector<vip_claim>> outbox_; ///< claims to send, by member
  time_point armed_{};
  bool self_eligible_ = false;
  std::uint64_t hold_lapses_ = 0;
  bool stopping_ = false;
};

const char* to_string(ownership_effect::kind k);

} // namespace kvip::net::gossip
