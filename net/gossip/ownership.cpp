// Ownership of every VIP as one node sees it: view, decision, hold, Lease,
// graceful stop. Claims and their answers (agreement, confirmation) are in
// ownership_claims.cpp. The protocol is described in ownership.hpp.
#include "net/gossip/ownership.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include <spdlog/spdlog.h>

#include "net/gossip/ranking.hpp"

namespace kvip::net::gossip {

ownership::ownership(ownership_config cfg, time_point started)
    : cfg_(std::move(cfg)), started_(started) {}

std::size_t ownership::majority() const {
  // Every known member counts, dead ones included: a partition must not
  // shrink the majority its minority side needs.
  return (members_.size() + 1) / 2 + 1;
}

bool ownership::is_gone(const std::string& node) const {
  auto m = members_.find(node);
  return m != members_.end() && m->second.gone;
}

bool ownership::holds(const vip_entry& e) const {
  return e.own && e.own->answering();
}

// True when `owner` cannot be answering for a VIP any more (takeover_allowed):
// this node (the caller checked it holds nothing), a member whose process is
// gone, or one not heard from for takeover_wait. A node never heard from
// counts as heard when this process started.
bool ownership::owner_silent(time_point now, const std::string& owner) const {
  if (owner.empty() || owner == cfg_.self) return true;
  auto h = last_heard_.find(owner);
  auto last = h == last_heard_.end() ? started_ : std::max(h->second, started_);
  return takeover_allowed(cfg_.fence, last, now, is_gone(owner));
}

// A claim needs this node's own agreement first (it counts itself): the same
// rules as for a member, so a restarted node never claims while an owner it
// forgot may still answer.
bool ownership::may_claim(time_point now, const vip_entry& e) const {
  if (now < started_ + cfg_.fence.takeover_wait) return false;
  return owner_silent(now, e.owner);
}

const std::string& ownership::rank_key_of(const std::string& vip) const {
  auto it = vips_.find(vip);
  return it == vips_.end() || it->second.rank_key.empty() ? vip : it->second.rank_key;
}

bool ownership::outranks(const std::string& vip, const std::string& a, const std::string& b) const {
  const auto& key = rank_key_of(vip);
  auto wa = rendezvous_weight(key, a);
  auto wb = rendezvous_weight(key, b);
  return wa != wb ? wa > wb : a < b;
}

bool ownership::member_eligible(const std::string& node) const {
  auto it = members_.find(node);
  return it != members_.end() && it->second.eligible && it->second.alive && !it->second.gone;
}

bool ownership::eligible_for(const vip_entry& e, const std::string& node) const {
  bool eligible = node == cfg_.self ? self_eligible_ && !stopping_ : member_eligible(node);
  return eligible && (!e.allowed || std::binary_search(e.allowed->begin(), e.allowed->end(), node));
}

std::vector<std::string> ownership::eligible_nodes() const {
  std::vector<std::string> out;
  for (const auto& [name, m] : members_)
    if (m.eligible && m.alive && !m.gone) out.push_back(name);
  if (self_eligible_ && !stopping_)
    out.insert(std::lower_bound(out.begin(), out.end(), cfg_.self), cfg_.self); // stays sorted
  return out;
}

vip_claim ownership::view_of(const std::string& vip, const vip_entry& e) const {
  return vip_claim{vip, e.owner, e.term, e.owner == cfg_.self && holds(e)};
}

void ownership::set_view(const std::string& vip, vip_entry& e, const std::string& owner,
                         std::uint64_t term, const char* why) {
  if (e.owner == owner && e.term == term) return;
  spdlog::debug("gossip: view of {} on {}: {}@{} -> {}@{} ({})", vip, cfg_.self,
                e.owner.empty() ? "none" : e.owner, e.term, owner.empty() ? "none" : owner, term,
                why);
  if (!e.owner.empty() && e.owner != cfg_.self) e.prev_owner = e.owner;
  if (owner != cfg_.self) e.self_announced = false; // another node, or nobody, may have answered
  if (e.announced) own_changed_ = true;
  e.owner = owner;
  e.term = term;
  e.owner_answers = false;
  e.announced = false;
  digests_.clear();
}

// A version whose set equals the newest kept one (a claim in flight changes
// no digest, and a burst of 1000 Services makes a claim batch per watch
// event) renumbers that entry instead of pushing an older distinct set out
// of the history: an echo of the equal set matches the new number, which is
// right, as the two sets are the same.
void ownership::seal_own_version() {
  if (!own_changed_) return;
  own_changed_ = false;
  ++own_version_;
  auto digest = own_digest();
  if (!own_history_.empty() && own_history_.back().second == digest) {
    own_history_.back().first = own_version_;
    return;
  }
  own_history_.emplace_back(own_version_, digest);
  if (own_history_.size() > own_history_size) own_history_.pop_front();
}

std::map<std::string, time_point> ownership::echoing_members() const {
  std::map<std::string, time_point> out;
  const auto current = own_digest();
  if (current == 0) return out;
  for (const auto& [node, ec] : echoes_)
    if (members_.count(node) != 0 && ec.digest == current) out.emplace(node, ec.sent_at);
  return out;
}

void ownership::sync_member(time_point now, const std::string& node, std::uint64_t digest) {
  if (own_version_ != sync_version_) {
    sync_version_ = own_version_;
    own_changed_at_ = now;
  }
  auto& s = sync_[node];
  auto own = own_digest();
  if (digest == own) {
    s = {};
    return;
  }
  // Nothing held: the release notices of claims_for are what it needs. A
  // fresh change: the notices already sent are still on their way.
  if (own == 0 || now < own_changed_at_ + cfg_.fence.takeover_wait || now < s.next) return;
  s.backoff =
      s.backoff == duration{} ? cfg_.fence.takeover_wait : std::min(s.backoff * 2, duration{5000});
  s.next = now + s.backoff;
  std::size_t n = 0;
  for (const auto& [vip, e] : vips_)
    if (e.owner == cfg_.self && holds(e)) {
      outbox_[node].push_back(view_of(vip, e));
      ++n;
    }
  spdlog::debug("gossip: {} resends {} held claims to {} (its digest differs; next in {} ms)",
                cfg_.self, n, node, s.backoff.count());
}

std::uint64_t ownership::matched_version(std::uint64_t digest) const {
  if (digest == 0) return 0;
  for (auto it = own_history_.rbegin(); it != own_history_.rend(); ++it)
    if (it->second == digest) return it->first;
  return 0;
}

// Maps the fence's effects to the driver's; every change of the deadline while
// answering becomes an answer effect with the new `until`.
void ownership::apply(const std::string& vip, vip_entry& e, const std::vector<fence_effect>& fx,
                      effects& out) {
  for (auto f : fx) {
    switch (f) {
    case fence_effect::start_answering: // the own set changes in try_confirm
      e.answering_until = e.own->deadline();
      out.push_back({.what = ownership_effect::kind::answer,
                     .vip = vip,
                     .until = e.answering_until,
                     .quiet = e.self_announced});
      if (!e.self_announced) out.push_back({.what = ownership_effect::kind::announce, .vip = vip});
      e.self_announced = true;
      break;
    case fence_effect::stop_answering: // the own set keeps it (see the header)
      if (e.own->current() == fence::state::fenced) ++hold_lapses_;
      e.answering_until = {};
      out.push_back({.what = ownership_effect::kind::answer, .vip = vip});
      break;
    case fence_effect::write_lease_claim: // gossiped; the Lease is written on confirmation
    case fence_effect::release:           // the successor writes the Lease
      break;
    }
  }
  if (e.own->answering() && e.own->deadline() != e.answering_until) {
    e.answering_until = e.own->deadline();
    out.push_back({.what = ownership_effect::kind::answer, .vip = vip, .until = e.answering_until});
  }
}

// Ends this node's claim or hold of a VIP because `owner` (term `term`) is
// the owner now ("" = nobody). When this node gave up a term it had claimed,
// it tells every live member (a release notice, ownership_claims.cpp) so the
// members that agreed to it may agree to a successor without waiting for this
// node's silence; members that miss it get it through claims_for.
void ownership::abandon(time_point now, const std::string& vip, vip_entry& e,
                        const std::string& owner, std::uint64_t term, const char* why,
                        effects& out) {
  apply(vip, e, e.own->ownership_decided(now, owner), out);
  e.claiming = false;
  e.agreed.clear();
  if (e.owner == cfg_.self) {
    for (const auto& [name, m] : members_)
      if (m.alive && !m.gone) outbox_[name].push_back(release_notice(vip));
  }
  set_view(vip, e, owner, std::max(term, e.term), why);
}

void ownership::decide(time_point now, effects& out) {
  if (stopping_) return;
  auto eligible = eligible_nodes();
  for (auto& [vip, e] : vips_)
    decide_one(now, vip, e, eligible, out);
}

void ownership::decide_one(time_point now, const std::string& vip, vip_entry& e,
                           const std::vector<std::string>& eligible, effects& out) {
  std::vector<std::string> allowed_here;
  const auto* candidates = &eligible;
  if (e.allowed) { // per-VIP owners (a Service with externalTrafficPolicy Local)
    std::set_intersection(eligible.begin(), eligible.end(), e.allowed->begin(), e.allowed->end(),
                          std::back_inserter(allowed_here));
    candidates = &allowed_here;
  }
  // No copies: this runs for every VIP on every frame and tick.
  const auto* chosen = choose_owner_in(e.rank_key.empty() ? vip : e.rank_key, *candidates,
                                       e.owner.empty() ? nullptr : &e.owner);
  if (chosen && *chosen == cfg_.self) {
    auto st = e.own->current();
    if (!e.claiming && (st == fence::state::idle || st == fence::state::fenced) &&
        may_claim(now, e))
      start_claim(now, vip, e, out);
    return;
  }
  if ((holds(e) || e.claiming) && e.own->current() != fence::state::releasing)
    abandon(now, vip, e, chosen ? std::string{*chosen} : std::string{}, e.term,
            "decided another owner", out);
}

std::vector<ownership_effect> ownership::set_vips(time_point now,
                                                  const std::vector<std::string>& vips) {
  std::vector<vip_spec> specs;
  specs.reserve(vips.size());
  for (const auto& v : vips)
    specs.push_back({v, std::nullopt});
  return set_vip_specs(now, specs);
}

std::vector<ownership_effect> ownership::set_vip_specs(time_point now,
                                                       const std::vector<vip_spec>& vips) {
  effects out;
  std::map<std::string, std::pair<std::optional<std::vector<std::string>>, std::string>> wanted;
  for (const auto& v : vips) {
    wanted[v.vip].second = v.rank_key;
    auto& allowed = wanted[v.vip].first = v.nodes;
    if (allowed) {
      std::sort(allowed->begin(), allowed->end());
      allowed->erase(std::unique(allowed->begin(), allowed->end()), allowed->end());
    }
  }
  for (auto it = vips_.begin(); it != vips_.end();) {
    if (wanted.count(it->first) != 0) {
      ++it;
      continue;
    }
    if (holds(it->second))
      out.push_back({.what = ownership_effect::kind::answer, .vip = it->first});
    spdlog::debug("gossip: {} forgets VIP {}", cfg_.self, it->first);
    if (it->second.owner == cfg_.self) own_changed_ = true;
    digests_.clear();
    it = vips_.erase(it);
  }
  for (const auto& [vip, spec] : wanted) {
    auto& e = vips_[vip];
    e.allowed = spec.first;
    e.rank_key = spec.second;
    if (e.own) continue;
    e.own.emplace(cfg_.self, vip, cfg_.fence);
    if (stopping_) e.own->stop_requested(now);
  }
  decide(now, out);
  finish(now, out);
  return out;
}

std::vector<ownership_effect> ownership::members_changed(time_point now,
                                                         const std::vector<member_view>& members) {
  effects out;
  auto before = std::move(members_);
  members_.clear();
  for (const auto& m : members)
    if (m.node != cfg_.self) members_[m.node] = m;
  // A member that joins or comes back (a restarted process knows nothing)
  // learns at once what this node answers for: until its digest of this
  // node matches, its echoes hold nothing here (claims_for would take a
  // frame per 32 VIPs, seconds at 1000 VIPs).
  for (const auto& [name, m] : members_) {
    auto was = before.find(name);
    bool reachable = m.alive && !m.gone;
    bool was_reachable = was != before.end() && was->second.alive && !was->second.gone;
    if (!reachable || was_reachable) continue;
    for (const auto& [vip, e] : vips_)
      if (e.owner == cfg_.self && holds(e)) outbox_[name].push_back(view_of(vip, e));
  }
  // A gone process answers nothing and its terms died with it: forget them,
  // so a restarted process of that node is not mistaken for their owner.
  for (auto& [vip, e] : vips_)
    if (!e.owner.empty() && e.owner != cfg_.self && is_gone(e.owner))
      set_view(vip, e, "", e.term, "owner gone");
  // The majority may have changed: a pending claim may be confirmed now.
  for (auto& [vip, e] : vips_)
    try_confirm(now, vip, e, out);
  decide(now, out);
  extend_holds(now, out);
  finish(now, out);
  return out;
}

std::vector<ownership_effect> ownership::self_eligible(time_point now, bool eligible) {
  effects out;
  if (eligible != self_eligible_)
    spdlog::debug("gossip: {} is {} for VIPs", cfg_.self, eligible ? "eligible" : "not eligible");
  self_eligible_ = eligible;
  if (!eligible) {
    // Stop at once (a releasing VIP keeps its make-before-break window).
    for (auto& [vip, e] : vips_)
      if ((holds(e) || e.claiming) && e.own->current() != fence::state::releasing)
        abandon(now, vip, e, "", e.term, "this node is not eligible", out);
  }
  decide(now, out);
  finish(now, out);
  return out;
}

void ownership::heard(time_point now, const std::string& node) {
  auto& last = last_heard_[node];
  last = std::max(last, now);
}

std::vector<ownership_effect> ownership::echo(time_point now, const std::string& node,
                                              time_point sent_at, std::uint64_t digest) {
  effects out;
  auto& ec = echoes_[node];
  ec.sent_at = std::max(ec.sent_at, sent_at);
  ec.digest = digest;
  extend_holds(now, out);
  if (members_.count(node) != 0) sync_member(now, node, digest);
  finish(now, out);
  return out;
}

// Per held VIP, the majority-th latest send time among the echoes matching a
// version of the own set that already held it (this node counting as `now`)
// extends its fence (see the header's "hold").
void ownership::extend_holds(time_point now, effects& out) {
  seal_own_version();
  if (own_history_.empty()) return;
  // Per member echo: the own-set version it matches, and its send time.
  std::vector<std::pair<std::uint64_t, time_point>> matched;
  for (const auto& [node, ec] : echoes_)
    if (members_.count(node) != 0)
      if (auto v = matched_version(ec.digest); v != 0) matched.emplace_back(v, ec.sent_at);
  auto need = majority();
  if (matched.size() + 1 < need) return;
  // The majority-th latest send time among the echoes counting for a VIP
  // in the set since `since` (self counts as now); once per distinct since.
  const auto oldest = own_history_.front().first;
  std::map<std::uint64_t, std::optional<time_point>> by_since;
  auto hold_for = [&](std::uint64_t since) -> std::optional<time_point> {
    since = std::max(since, oldest);
    if (auto it = by_since.find(since); it != by_since.end()) return it->second;
    std::vector<time_point> times{now};
    for (const auto& [v, sent] : matched)
      if (v >= since) times.push_back(sent);
    std::optional<time_point> t;
    if (times.size() >= need) {
      std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(need - 1),
                       times.end(), std::greater<>());
      t = times[need - 1];
    }
    return by_since[since] = t;
  };
  for (auto& [vip, e] : vips_)
    if (holds(e))
      if (auto sent = hold_for(e.own_since)) apply(vip, e, e.own->majority_ack(now, *sent), out);
}

std::vector<ownership_effect> ownership::node_lease_renewed(time_point now, time_point sent_at) {
  effects out;
  for (auto& [vip, e] : vips_)
    if (holds(e)) apply(vip, e, e.own->node_lease_renewed(now, sent_at), out);
  finish(now, out);
  return out;
}

std::vector<ownership_effect> ownership::lease_holder(time_point now, const std::string& vip,
                                                      const std::string& holder) {
  effects out;
  auto it = vips_.find(vip);
  if (it == vips_.end()) return out;
  auto& e = it->second;
  auto before = e.own->current();
  apply(vip, e, e.own->lease_holder_observed(now, holder), out);
  bool ended = (before == fence::state::owning || before == fence::state::claiming) &&
               e.own->current() == fence::state::idle;
  // The view forgets this node's term (a stale Lease is rewritten by the next
  // confirmed claim; a real other holder has the majority, which refuses it).
  if (ended) abandon(now, vip, e, "", e.term, "the VIP's Lease shows another holder", out);
  decide(now, out);
  finish(now, out);
  return out;
}

std::vector<ownership_effect> ownership::stop(time_point now) {
  effects out;
  if (!stopping_) spdlog::debug("gossip: {} stops: handing every VIP over", cfg_.self);
  stopping_ = true;
  for (auto& [vip, e] : vips_) {
    apply(vip, e, e.own->stop_requested(now), out);
    e.claiming = false;
  }
  finish(now, out);
  return out;
}

std::vector<ownership_effect> ownership::tick(time_point now) {
  effects out;
  for (auto& [vip, e] : vips_) {
    apply(vip, e, e.own->tick(now), out);
    if (e.claiming && now >= e.next_resend) send_claim(now, vip, e);
    query_owner(now, vip, e);
  }
  decide(now, out);
  finish(now, out);
  return out;
}

// Flushes the claims to send (one frame per member) and arms the next tick:
// every check_interval while there are VIPs, earlier for an answering deadline.
void ownership::finish(time_point now, effects& out) {
  seal_own_version();
  for (auto& [to, claims] : outbox_)
    out.push_back({.what = ownership_effect::kind::send_claims, .to = to, .claims = claims});
  outbox_.clear();
  if (vips_.empty() || stopped()) return;
  auto want = now + cfg_.fence.check_interval;
  for (const auto& [vip, e] : vips_)
    if (holds(e) && e.own->deadline() > now) want = std::min(want, e.own->deadline());
  if (armed_ <= now || want < armed_) {
    armed_ = want;
    out.push_back({.what = ownership_effect::kind::arm_timer, .at = want});
  }
}

std::uint64_t ownership::digest_for(const std::string& node) const {
  if (auto it = digests_.find(node); it != digests_.end()) return it->second;
  std::uint64_t h = fnv1a_offset;
  bool any = false;
  const bool self = node == cfg_.self;
  for (const auto& [vip, e] : vips_) {
    if (node.empty() || e.owner != node) continue;
    if (self ? !e.announced : !e.owner_answers) continue;
    any = true;
    h = fnv1a(h, vip);
    std::array<char, 9> term{};
    term[0] = static_cast<char>(0xff); // separator: never in a VIP's text
    for (std::size_t i = 0; i < 8; ++i)
      term[i + 1] = static_cast<char>((e.term >> (8 * i)) & 0xffU);
    h = fnv1a(h, std::string_view(term.data(), term.size()));
  }
  return digests_[node] = any ? fmix64(h) : 0;
}

std::vector<vip_claim> ownership::claims_for(const std::string& node, std::size_t max) const {
  std::vector<vip_claim> out;
  auto it = echoes_.find(node);
  auto theirs = it == echoes_.end() ? std::uint64_t{0} : it->second.digest;
  if (theirs == own_digest()) return out;
  // The member believes this node owns something it does not, or misses
  // something it holds: this node's held claims and, for every VIP it neither
  // holds nor claims, a release notice. More than `max` rotate over frames.
  auto& cursor = claims_cursor_[node];
  auto start = vips_.upper_bound(cursor);
  for (std::size_t i = 0; i < vips_.size() && out.size() < max; ++i, ++start) {
    if (start == vips_.end()) start = vips_.begin();
    const auto& [vip, e] = *start;
    if (e.own->current() == fence::state::releasing) continue; // handing over
    if (e.owner == cfg_.self)
      out.push_back(view_of(vip, e));
    else if (!e.claiming)
      out.push_back(release_notice(vip));
    else
      continue;
    cursor = vip;
  }
  return out;
}

std::optional<time_point> ownership::earliest_hold(time_point now) const {
  std::optional<time_point> out;
  for (const auto& [vip, e] : vips_)
    if (holds(e) && e.own->deadline() > now && (!out || e.own->deadline() < *out))
      out = e.own->deadline();
  return out;
}

bool ownership::may_answer(const std::string& vip, time_point now) const {
  auto it = vips_.find(vip);
  return it != vips_.end() && it->second.own->may_answer(now);
}

bool ownership::stopped() const {
  if (!stopping_) return false;
  return std::none_of(vips_.begin(), vips_.end(),
                      [this](const auto& v) { return holds(v.second); });
}

std::vector<vip_status> ownership::status() const {
  std::vector<vip_status> out;
  for (const auto& [vip, e] : vips_)
    out.push_back({vip, e.owner, e.term, e.own->current(), e.own->deadline()});
  return out;
}

const char* to_string(ownership_effect::kind k) {
  switch (k) {
  case ownership_effect::kind::answer:
    return "answer";
  case ownership_effect::kind::announce:
    return "announce";
  case ownership_effect::kind::write_lease:
    return "write_lease";
  case ownership_effect::kind::send_claims:
    return "send_claims";
  case ownership_effect::kind::arm_timer:
    return "arm_timer";
  }
  return "?";
}

} // namespace kvip::net::gossip
