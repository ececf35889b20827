// Ownership claims: starting and resending a claim, the members' agreement,
// the claimer's confirmation, and the release notices (see ownership.hpp).
//
// Two details the header's summary leaves open, decided here:
//  - same-term conflict: two nodes may claim the same term at once (their
//    membership views differ for a moment). Each member agrees to at most one
//    of them, so neither may reach a majority; the better-ranked claimer
//    (rendezvous weight) keeps its claim and the other yields: it agrees to
//    the better one and sends a release notice for its own term.
//  - release notice: a claim with an empty owner and the term max, sent by a
//    node that neither holds nor claims the VIP: when it gives up a claim or
//    a hold (it yielded, it became ineligible, a higher term superseded it,
//    the VIP's Lease names another holder) to every live member, and through
//    claims_for to a member whose echoed digest differs from its own. It
//    says "I answer for this VIP in no term I ever claimed": a process only
//    claims terms above its view's term, which never decreases, and the terms
//    of an earlier process of the node died with it. A member whose view
//    names the sender forgets it (view: none, same term) and may agree to a
//    successor at once instead of waiting for the sender's silence, which
//    never comes while it is alive (a node that became ineligible, a member
//    that missed the crash of the sender's previous process). This relies
//    on frames between two nodes arriving in order (ZeroMQ over one TCP
//    connection): no notice can overtake a later claim of its sender.
//  - owner query: a view naming another node that has not said it answers
//    (a claim this node agreed to) normally turns into an answering owner
//    within milliseconds. When it has not within a takeover wait, this node
//    sends its view to that node (backing off to a second); the node's
//    answer carries its own view. An answer from the view's owner naming
//    someone else is an implicit release notice: it no longer claims or
//    holds the VIP in any term up to its view's (its later claims arrive
//    after the answer, in order). Without it two claimers whose frames
//    crossed under packet loss each adopted the other as owner and nobody
//    claimed again while both lived (the lab's loss fault: 60 s unanswered).
//  - a claim from a member that membership shows gone comes from a new
//    process of that node whose membership update lags: it is ignored until
//    the membership shows the node back (answering it would make a vote that
//    the same gone flag lets this node withdraw at once).
#include <algorithm>
#include <functional>
#include <limits>

#include <spdlog/spdlog.h>

#include "net/gossip/ownership.hpp"

namespace kvip::net::gossip {

vip_claim ownership::release_notice(const std::string& vip) {
  return vip_claim{vip, "", std::numeric_limits<std::uint64_t>::max(), false};
}

void ownership::start_claim(time_point now, const std::string& vip, vip_entry& e, effects& out) {
  set_view(vip, e, cfg_.self, e.term + 1, "claim");
  apply(vip, e, e.own->ownership_decided(now, cfg_.self), out);
  e.claiming = true;
  e.claim_sent = now;
  e.agreed.clear();
  send_claim(now, vip, e);
  try_confirm(now, vip, e, out); // a node alone is its own majority
}

// Sends the claim to every alive member whose agreement is missing or too old
// to confirm anything, and schedules the next resend.
void ownership::send_claim(time_point now, const std::string& vip, vip_entry& e) {
  for (const auto& [name, m] : members_) {
    if (!m.alive || m.gone) continue;
    auto a = e.agreed.find(name);
    if (a != e.agreed.end() && a->second + cfg_.fence.fence_timeout > now) continue;
    outbox_[name].push_back(vip_claim{vip, cfg_.self, e.term, false});
  }
  e.next_resend = now + cfg_.fence.check_interval;
}

// Confirmed when a majority (this node counting as now) answered with the
// claim itself; the deadline counts from the majority-th latest send time.
void ownership::try_confirm(time_point now, const std::string& vip, vip_entry& e, effects& out) {
  if (!e.claiming) return;
  std::vector<time_point> times{now};
  for (const auto& [node, sent] : e.agreed)
    if (members_.count(node) != 0) times.push_back(sent);
  auto need = majority();
  if (times.size() < need) return;
  std::sort(times.begin(), times.end(), std::greater<>());
  apply(vip, e, e.own->majority_ack(now, times[need - 1]), out);
  if (e.own->current() != fence::state::owning) return; // too old: resends bring fresh answers
  e.claiming = false;
  e.agreed.clear();
  e.announced = true; // in the own set from the version sealed next
  e.own_since = own_version_ + 1;
  own_changed_ = true;
  digests_.clear();
  spdlog::debug("gossip: {} confirmed owner of {} in term {}", cfg_.self, vip, e.term);
  out.push_back({.what = ownership_effect::kind::write_lease,
                 .vip = vip,
                 .holder = cfg_.self,
                 .term = e.term});
  // Every member learns that this node answers (its digest of this node
  // counts the VIP from then on); the previous owner may be releasing
  // (graceful stop): make before break.
  for (const auto& [name, m] : members_)
    if ((m.alive && !m.gone) || name == e.prev_owner)
      outbox_[name].push_back(vip_claim{vip, cfg_.self, e.term, true});
  if (!e.prev_owner.empty() && members_.count(e.prev_owner) == 0)
    outbox_[e.prev_owner].push_back(vip_claim{vip, cfg_.self, e.term, true});
}

void ownership::query_owner(time_point now, const std::string& vip, vip_entry& e) {
  if (e.owner.empty() || e.owner == cfg_.self || e.owner_answers) {
    e.unanswered_since = {};
    return;
  }
  if (e.unanswered_since == time_point{}) {
    e.unanswered_since = now;
    e.query_backoff = cfg_.fence.takeover_wait;
    e.next_query = now + e.query_backoff;
    return;
  }
  auto m = members_.find(e.owner);
  if (now < e.next_query || m == members_.end() || !m->second.alive || m->second.gone) return;
  spdlog::debug("gossip: {} asks {} about {} (its claim in term {} never turned into answering)",
                cfg_.self, e.owner, vip, e.term);
  outbox_[e.owner].push_back(view_of(vip, e));
  e.query_backoff = std::min(e.query_backoff * 2, duration{1000});
  e.next_query = now + e.query_backoff;
}

// The agreement rule for a claim by another node, this node not holding the
// VIP and not claiming it in the same term.
bool ownership::agrees(time_point now, const vip_entry& e, const vip_claim& c) const {
  if (c.term < e.term) return false;
  if (now < started_ + cfg_.fence.takeover_wait)
    // Restarted: no swing vote for a claim; the heartbeat of a confirmed owner
    // is taken when this node knows no owner (test/model: hb_agree).
    return c.answering && e.owner.empty();
  if (e.owner == c.owner || e.owner.empty()) return true; // term >= view's
  return c.term > e.term && owner_silent(now, e.owner);
}

// A claim this node made while it was cut off from the owner, who still
// answers (the majority kept it): the owner's own answering claim in a lower
// term ends the claim, and the view goes back to that owner (the one place a
// view's term goes down; the release notice covers the abandoned term).
// Without this the claim would stay refused and resent for as long as that
// owner lives.
bool ownership::yield_to_live_owner(time_point now, const std::string& vip, vip_entry& e,
                                    const std::string& from, const vip_claim& c, effects& out) {
  if (!e.claiming || !c.answering || c.owner != from || c.owner == cfg_.self || c.term >= e.term)
    return false;
  abandon(now, vip, e, c.owner, c.term, "the owner still answers", out);
  set_view(vip, e, c.owner, c.term, "the owner still answers");
  return true;
}

void ownership::on_claim(time_point now, const std::string& vip, vip_entry& e, const vip_claim& c,
                         effects& out) {
  if (c.term < e.term || (c.owner == e.owner && c.term == e.term)) return;
  if (c.answering && c.term > e.term && e.own->current() == fence::state::releasing) {
    apply(vip, e, e.own->successor_answering(now), out);
    if (holds(e)) return;
    e.claiming = false;
    set_view(vip, e, c.owner, c.term, "the successor answers");
    return;
  }
  if (holds(e)) { // never agrees while it holds the VIP
    if (c.answering && c.term > e.term && e.own->current() == fence::state::owning)
      abandon(now, vip, e, c.owner, c.term, "another owner answers in a higher term", out);
    return;
  }
  if (e.claiming && c.term == e.term) {
    if (!c.answering && outranks(vip, cfg_.self, c.owner)) return; // the other one yields
    abandon(now, vip, e, c.owner, c.term, "yield to a better-ranked claim of the same term", out);
    return;
  }
  if (!agrees(now, e, c)) return;
  if (e.claiming || e.owner == cfg_.self)
    abandon(now, vip, e, c.owner, c.term, "agreed to a claim with a higher term", out);
  else
    set_view(vip, e, c.owner, c.term, c.answering ? "confirmed owner" : "agreed to claim");
}

void ownership::consider(time_point now, const std::string& from, const vip_claim& c,
                         effects& out) {
  auto it = vips_.find(c.vip);
  if (it == vips_.end()) return;
  auto& e = it->second;
  if (c.owner.empty()) {
    // A release notice: only the owner named in the view may release its term
    // (a restarted process releases every term: its predecessor's are dead).
    if (from != cfg_.self && e.owner == from && e.term <= c.term)
      set_view(c.vip, e, "", e.term, "released by its owner");
    return;
  }
  if (c.owner == cfg_.self || is_gone(from)) return; // see the top comment
  if (!yield_to_live_owner(now, c.vip, e, from, c, out)) on_claim(now, c.vip, e, c, out);
  note_answering(e, from, c);
}

// The owner itself says it answers for the VIP in the view's term.
void ownership::note_answering(vip_entry& e, const std::string& from, const vip_claim& c) {
  if (!c.answering || c.owner != from || e.owner != c.owner || e.term != c.term || e.owner_answers)
    return;
  e.owner_answers = true;
  digests_.clear();
}

std::vector<ownership_effect> ownership::claims_received(time_point now, const std::string& from,
                                                         const std::vector<vip_claim>& claims,
                                                         std::vector<vip_claim>& answers) {
  effects out;
  answers.clear();
  for (const auto& c : claims) {
    consider(now, from, c, out);
    auto it = vips_.find(c.vip);
    answers.push_back(it == vips_.end() ? vip_claim{c.vip, "", 0, false}
                                        : view_of(c.vip, it->second));
  }
  decide(now, out);
  finish(now, out);
  return out;
}

void ownership::on_answer(time_point now, const std::string& from, const vip_claim& a,
                          time_point sent_at, effects& out) {
  auto it = vips_.find(a.vip);
  if (it == vips_.end()) return;
  auto& e = it->second;
  // The view's owner itself names another owner: an implicit release (see
  // the top comment, "owner query").
  if (from == e.owner && from != cfg_.self && a.owner != from)
    set_view(a.vip, e, "", e.term, "its owner names another owner");
  if (e.claiming && a.owner == cfg_.self && a.term == e.term) {
    auto& when = e.agreed[from];
    when = std::max({when, sent_at, e.claim_sent});
    try_confirm(now, a.vip, e, out);
    return;
  }
  if (yield_to_live_owner(now, a.vip, e, from, a, out)) {
    note_answering(e, from, a);
    return;
  }
  note_answering(e, from, a);
  if (a.term < e.term || a.owner == cfg_.self || (a.owner == e.owner && a.term == e.term)) return;
  if (holds(e)) {
    // Only a confirmed owner in a higher term ends a hold; an unconfirmed
    // claim cannot be confirmed before this node's deadline passes.
    if (a.answering && a.term > e.term && e.own->current() == fence::state::owning)
      abandon(now, a.vip, e, a.owner, a.term, "another owner answers in a higher term", out);
    return;
  }
  if (!e.claiming) return; // answers to a claim this node no longer makes
  // Same term: yield to a confirmed owner, or to a better-ranked claimer.
  // The answer may name an owner that was confirmed in this term while this
  // node was cut off and that is no longer eligible here (dead, suspect):
  // then keeping the claim would wait for ever (members never agree to a
  // second owner in the same term); abandoning adopts its view, and the
  // decision that follows claims again in a higher term.
  if (a.term == e.term && !a.answering &&
      (a.owner.empty() || (outranks(a.vip, cfg_.self, a.owner) && eligible_for(e, a.owner))))
    return;
  abandon(now, a.vip, e, a.owner, a.term, "claim superseded", out);
  note_answering(e, from, a);
}

std::vector<ownership_effect> ownership::answers_received(time_point now, const std::string& from,
                                                          const std::vector<vip_claim>& answers,
                                                          time_point sent_at) {
  effects out;
  for (const auto& a : answers)
    on_answer(now, from, a, sent_at, out);
  decide(now, out);
  finish(now, out);
  return out;
}

} // namespace kvip::net::gossip
