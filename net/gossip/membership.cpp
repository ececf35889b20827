#include "net/gossip/membership.hpp"

#include <algorithm>
#include <bit>

#include <spdlog/spdlog.h>

namespace kvip::net::gossip {

namespace {
// Dead and left news matter most (they move VIPs), then suspicion (it must
// reach the suspect so it can refute), then alive.
int rank(member_state s) {
  switch (s) {
  case member_state::dead:
  case member_state::left:
    return 0;
  case member_state::suspect:
    return 1;
  case member_state::alive:
    return 2;
  }
  return 2;
}
} // namespace

const char* to_string(member_state s) {
  switch (s) {
  case member_state::alive:
    return "alive";
  case member_state::suspect:
    return "suspect";
  case member_state::dead:
    return "dead";
  case member_state::left:
    return "left";
  }
  return "?";
}

const char* to_string(effect::kind k) {
  switch (k) {
  case effect::kind::send_ping:
    return "send_ping";
  case effect::kind::send_ack:
    return "send_ack";
  case effect::kind::send_ping_req:
    return "send_ping_req";
  case effect::kind::member_changed:
    return "member_changed";
  case effect::kind::arm_timer:
    return "arm_timer";
  }
  return "?";
}

membership::membership(config cfg) : cfg_(std::move(cfg)), rng_(cfg_.seed), seq_(cfg_.seq_start) {}

bool membership::gone(const std::string& node) const {
  auto it = members_.find(node);
  return it != members_.end() && it->second.gone;
}

member_state membership::state_of(const std::string& node) const {
  if (node == cfg_.self) return member_state::alive;
  auto it = members_.find(node);
  return it == members_.end() ? member_state::dead : it->second.state;
}

bool membership::eligible(const std::string& node) const {
  if (node == cfg_.self) return (health_ & cfg_.required) == cfg_.required;
  auto it = members_.find(node);
  return it != members_.end() && it->second.state == member_state::alive &&
         (it->second.health & cfg_.required) == cfg_.required;
}

namespace {
bool down(member_state s) {
  return s == member_state::dead || s == member_state::left;
}
} // namespace

std::map<std::string, unsigned> membership::queued() const {
  std::map<std::string, unsigned> out;
  for (const auto& q : queue_)
    out[q.u.node] = retransmit_limit() - std::min(q.sent, retransmit_limit());
  return out;
}

std::size_t membership::live_count() const {
  return 1 + static_cast<std::size_t>(
                 std::count_if(members_.begin(), members_.end(),
                               [](const auto& kv) { return !down(kv.second.state); }));
}

unsigned membership::retransmit_limit() const {
  // ceil(log2(n + 1)): 1 node -> 1, 5 nodes -> 3, 100 nodes -> 7.
  auto n = static_cast<unsigned>(live_count());
  return cfg_.lambda * static_cast<unsigned>(std::bit_width(n));
}

void membership::changed(const std::string& node, const member_info& m, std::vector<effect>& out) {
  effect e;
  e.what = effect::kind::member_changed;
  e.member = update{node, m.state, m.incarnation, m.health};
  e.eligible = eligible(node);
  e.gone = m.gone;
  out.push_back(std::move(e));
}

void membership::set_state(const std::string& node, member_info& m, member_state next,
                           std::uint64_t incarnation, const std::string& why,
                           std::vector<effect>& out, bool gone) {
  if (m.state != next)
    spdlog::info("gossip: {}: member {}: {} -> {} (incarnation {}: {})", cfg_.self, node,
                 to_string(m.state), to_string(next), incarnation, why);
  m.state = next;
  m.incarnation = incarnation;
  if (next != member_state::suspect) m.local_suspicion = false;
  m.gone = next == member_state::left || (next == member_state::dead && gone);
  changed(node, m, out);
}

void membership::add_member(const std::string& node, const member_info& m,
                            std::vector<effect>& out) {
  members_[node] = m;
  spdlog::info("gossip: {}: member {} joins as {} (incarnation {})", cfg_.self, node,
               to_string(m.state), m.incarnation);
  changed(node, m, out);
  if (down(m.state)) return;
  // SWIM inserts a new member at a random place of the round-robin list, so
  // it is probed within one round.
  std::size_t lo = std::min(next_index_, order_.size());
  std::uniform_int_distribution<std::size_t> at(lo, order_.size());
  order_.insert(order_.begin() + static_cast<std::ptrdiff_t>(at(rng_)), node);
}

bool membership::apply_self(const update& u) {
  // Somebody suspects us or declared us dead (at our incarnation or later),
  // or remembers a later incarnation of ours from before a restart: refute
  // with an incarnation nobody has seen.
  bool refute =
      u.state == member_state::alive ? u.incarnation > incarnation_ : u.incarnation >= incarnation_;
  if (!refute || leaving_) return false;
  spdlog::info("gossip: {}: refuting {} at incarnation {}: now incarnation {}", cfg_.self,
               to_string(u.state), u.incarnation, u.incarnation + 1);
  incarnation_ = u.incarnation + 1;
  enqueue(update{cfg_.self, member_state::alive, incarnation_, health_});
  return false;
}

bool membership::apply(steady_time now, const update& u, const std::string& why,
                       std::vector<effect>& out) {
  if (u.node == cfg_.self) return apply_self(u);
  if (forgotten(u.node)) return false; // gossip from a member that has not forgotten it yet
  auto it = members_.find(u.node);
  if (it == members_.end()) {
    member_info m;
    m.state = u.state;
    m.incarnation = u.incarnation;
    m.health = u.health;
    m.suspect_until = now + cfg_.suspicion_timeout;
    m.next_suspicion_ping = now;
    m.gone = u.state == member_state::left;
    add_member(u.node, m, out);
    return true;
  }
  member_info& m = it->second;
  if (!accepts(m, u)) return false;
  if (u.state == member_state::alive) m.health = u.health;
  if (u.state == member_state::suspect && (m.state != member_state::suspect || m.local_suspicion)) {
    m.suspect_until = now + cfg_.suspicion_timeout;
    m.next_suspicion_ping = now;
    m.local_suspicion = false; // now a suspicion the cluster shares, with its timer
  }
  set_state(u.node, m, u.state, u.incarnation, why, out);
  return true;
}

bool membership::accepts(const member_info& m, const update& u) const {
  switch (u.state) {
  case member_state::alive:
    // A later incarnation overrides anything, dead and left included (a
    // rejoin, a restart); at the same incarnation only the health of a member
    // first known from config.
    return u.incarnation > m.incarnation ||
           (u.incarnation == m.incarnation && m.state == member_state::alive &&
            u.health != m.health);
  case member_state::suspect:
    return !down(m.state) && (u.incarnation > m.incarnation ||
                              (u.incarnation == m.incarnation &&
                               (m.state == member_state::alive || m.local_suspicion)));
  case member_state::dead:
    // A left member stays left unless a later incarnation of it died.
    return m.state == member_state::left
               ? u.incarnation > m.incarnation
               : m.state != member_state::dead && u.incarnation >= m.incarnation;
  case member_state::left:
    // A goodbye beats a death at the same incarnation: it says the process
    // is gone, which a death by suspicion does not.
    return m.state == member_state::left ? u.incarnation > m.incarnation
                                         : u.incarnation >= m.incarnation;
  }
  return false;
}

void membership::enqueue(const update& u) {
  auto same = std::find_if(queue_.begin(), queue_.end(),
                           [&](const queued_update& q) { return q.u.node == u.node; });
  if (same != queue_.end()) {
    *same = queued_update{u, 0};
    return;
  }
  queue_.push_back(queued_update{u, 0});
  if (queue_.size() <= cfg_.max_queue) return;
  // Over the bound: drop the least useful, an alive (then suspect) update
  // that was already sent the most.
  auto worst = std::max_element(queue_.begin(), queue_.end(), [](const auto& a, const auto& b) {
    int ra = rank(a.u.state), rb = rank(b.u.state);
    return ra != rb ? ra < rb : a.sent < b.sent;
  });
  queue_.erase(worst);
}

std::vector<update> membership::piggyback(const std::string& to) {
  // Updates about the destination first (it learns it is suspected and can
  // refute), then about ourselves (a refutation), then by importance, then
  // the least sent (newest) first.
  auto about = [&](const queued_update& q) {
    return q.u.node == to ? 0 : q.u.node == cfg_.self ? 1 : 2;
  };
  std::stable_sort(queue_.begin(), queue_.end(), [&](const auto& a, const auto& b) {
    int aa = about(a), ab = about(b);
    if (aa != ab) return aa < ab;
    int ra = rank(a.u.state), rb = rank(b.u.state);
    return ra != rb ? ra < rb : a.sent < b.sent;
  });
  std::vector<update> out;
  // A member we hold dead or left is talking to us: it restarted with a
  // lower incarnation than the one we buried. Tell it, so it refutes with a
  // higher one and rejoins (the dissemination of its death may be long over).
  if (auto m = members_.find(to); m != members_.end() && (m->second.state == member_state::dead ||
                                                          m->second.state == member_state::left))
    out.push_back(update{to, m->second.state, m->second.incarnation, m->second.health});
  unsigned limit = retransmit_limit();
  for (auto& q : queue_) {
    if (q.u.node == to && !out.empty() && out.front().node == to) continue;
    if (out.size() >= cfg_.max_piggyback) break;
    out.push_back(q.u);
    ++q.sent;
  }
  std::erase_if(queue_, [&](const queued_update& q) { return q.sent >= limit; });
  return out;
}

effect membership::make_send(message::kind k, const std::string& to, std::uint64_t seq,
                             const std::string& target) {
  effect e;
  e.what = k == message::kind::ping  ? effect::kind::send_ping
           : k == message::kind::ack ? effect::kind::send_ack
                                     : effect::kind::send_ping_req;
  e.to = to;
  e.msg = message{k, cfg_.self, incarnation_, health_, seq, target, piggyback(to)};
  return e;
}

void membership::broadcast(const std::string& subject, std::vector<effect>& out) {
  // Suspicion and death are news worth one extra ping per member: every node
  // starts its suspicion timer (and the suspect can refute) within a round
  // trip instead of a protocol period. Steady state costs nothing.
  if (!cfg_.eager_news) return;
  for (const auto& [node, m] : members_)
    if (node != subject && m.state == member_state::alive)
      out.push_back(make_send(message::kind::ping, node, ++seq_, {}));
}

std::string membership::next_target() {
  for (std::size_t tries = 0; tries <= order_.size() + 1; ++tries) {
    if (next_index_ >= order_.size()) {
      order_.clear();
      for (const auto& [node, m] : members_)
        if (!down(m.state)) order_.push_back(node);
      std::shuffle(order_.begin(), order_.end(), rng_);
      next_index_ = 0;
      if (order_.empty()) return {};
    }
    const std::string& node = order_[next_index_++];
    auto it = members_.find(node);
    if (it != members_.end() && !down(it->second.state)) return node;
  }
  return {};
}

void membership::start_probe(steady_time now, std::vector<effect>& out) {
  next_period_ = next_period_ + cfg_.probe_period > now ? next_period_ + cfg_.probe_period
                                                        : now + cfg_.probe_period;
  probe_target_ = next_target();
  // Now and then a member held dead is pinged instead: it may be alive on the
  // other side of a partition that has healed (each side holds the other
  // dead, and nobody probes the dead). The ping tells it what we believe
  // (piggyback), so it refutes and the answer brings it back. A failed ping
  // of a dead member changes nothing (escalate_probe and close_probe skip it).
  if (cfg_.dead_probe_every != 0 && ++periods_ % cfg_.dead_probe_every == 0) {
    std::vector<std::string> dead;
    for (const auto& [node, m] : members_)
      if (m.state == member_state::dead) dead.push_back(node);
    if (!dead.empty())
      probe_target_ = dead[std::uniform_int_distribution<std::size_t>{0, dead.size() - 1}(rng_)];
  }
  // A target heard from within the last period proved itself alive: the
  // probe would only repeat that (owners refreshing their holds talk to
  // their members far more often than once a round). A silent one is probed.
  if (auto t = members_.find(probe_target_); t != members_.end() &&
                                             t->second.state == member_state::alive &&
                                             t->second.heard + cfg_.probe_period > now)
    probe_target_.clear();
  probe_acked_ = probe_target_.empty();
  probe_escalated_ = false;
  probe_started_ = now;
  if (probe_target_.empty()) return;
  probe_seq_ = ++seq_;
  pending_[probe_seq_] = pending{pending::purpose::probe, probe_target_, next_period_, {}, 0};
  out.push_back(make_send(message::kind::ping, probe_target_, probe_seq_, {}));
}

void membership::escalate_probe(steady_time, std::vector<effect>& out) {
  probe_escalated_ = true;
  auto target = members_.find(probe_target_);
  if (target == members_.end() || down(target->second.state)) {
    probe_acked_ = true; // it left (or died) since the probe started: nothing to escalate
    return;
  }
  // A second direct ping rides along with the indirect ones: at 10% loss it
  // halves the chance of a false suspicion for one datagram. Each frame gets
  // a seq of its own (replay guard); every one of them answers this probe.
  auto again = [&] {
    std::uint64_t seq = ++seq_;
    pending_[seq] = pending{pending::purpose::probe, probe_target_, next_period_, {}, 0};
    return seq;
  };
  out.push_back(make_send(message::kind::ping, probe_target_, again(), {}));
  std::vector<std::string> helpers;
  for (const auto& [node, m] : members_)
    if (node != probe_target_ && m.state == member_state::alive) helpers.push_back(node);
  std::shuffle(helpers.begin(), helpers.end(), rng_);
  if (helpers.size() > cfg_.indirect_k) helpers.resize(cfg_.indirect_k);
  for (const auto& h : helpers)
    out.push_back(make_send(message::kind::ping_req, h, again(), probe_target_));
}

void membership::close_probe(steady_time now, std::vector<effect>& out) {
  std::erase_if(pending_, [](const auto& kv) { return kv.second.why == pending::purpose::probe; });
  if (probe_acked_ || probe_target_.empty()) return;
  auto it = members_.find(probe_target_);
  if (it == members_.end() || down(it->second.state)) return;
  member_info& m = it->second;
  if (m.state == member_state::suspect && !m.local_suspicion) return; // its timer runs
  m.local_suspicion = false;
  m.suspect_until = now + cfg_.suspicion_timeout;
  m.next_suspicion_ping = now; // expire() pings it at once to prompt a refutation
  set_state(probe_target_, m, member_state::suspect, m.incarnation,
            "no ack, direct or indirect, within the protocol period", out);
  enqueue(update{probe_target_, member_state::suspect, m.incarnation, m.health});
  broadcast(probe_target_, out);
}

void membership::expire(steady_time now, std::vector<effect>& out) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    const pending& p = it->second;
    if (p.why == pending::purpose::probe || p.deadline > now) {
      ++it;
      continue;
    }
    auto m = members_.find(p.target);
    if (p.why == pending::purpose::disconnect && m != members_.end() &&
        m->second.state == member_state::suspect) {
      set_state(p.target, m->second, member_state::dead, m->second.incarnation,
                "disconnected and the confirming probe was not answered", out, true);
      enqueue(update{p.target, member_state::dead, m->second.incarnation, m->second.health});
      broadcast(p.target, out);
    }
    it = pending_.erase(it);
  }
  for (auto& [node, m] : members_) {
    if (m.state != member_state::suspect || m.local_suspicion) continue;
    if (m.suspect_until <= now) {
      set_state(node, m, member_state::dead, m.incarnation, "suspicion not refuted in time", out);
      enqueue(update{node, member_state::dead, m.incarnation, m.health});
      broadcast(node, out);
      continue;
    }
    if (m.next_suspicion_ping > now) continue;
    m.next_suspicion_ping = now + cfg_.suspicion_ping;
    std::uint64_t seq = ++seq_;
    pending_[seq] = pending{pending::purpose::suspicion, node, now + cfg_.suspicion_ping, {}, 0};
    out.push_back(make_send(message::kind::ping, node, seq, {}));
  }
}

steady_time membership::next_deadline() const {
  steady_time d = next_period_;
  if (!probe_acked_ && !probe_escalated_) d = std::min(d, probe_started_ + cfg_.probe_timeout);
  for (const auto& [seq, p] : pending_)
    if (p.why != pending::purpose::probe) d = std::min(d, p.deadline);
  for (const auto& [node, m] : members_)
    if (m.state == member_state::suspect && !m.local_suspicion)
      d = std::min({d, m.suspect_until, m.next_suspicion_ping});
  return d;
}

void membership::finish(steady_time now, std::vector<effect>& out) {
  steady_time d = next_deadline();
  // A deadline already due is re-armed too: the driver's timer has fired.
  if (d == armed_ && d > now) return;
  armed_ = d;
  effect e;
  e.what = effect::kind::arm_timer;
  e.at = d;
  out.push_back(std::move(e));
}

std::vector<effect> membership::start(steady_time now, const std::vector<std::string>& peers) {
  std::vector<effect> out;
  started_ = true;
  for (const auto& p : peers)
    if (p != cfg_.self && !members_.contains(p)) add_member(p, member_info{}, out);
  enqueue(update{cfg_.self, member_state::alive, incarnation_, health_});
  next_period_ = now - cfg_.probe_period;
  start_probe(now, out);
  finish(now, out);
  return out;
}

std::vector<effect> membership::tick(steady_time now) {
  std::vector<effect> out;
  if (!started_ || leaving_) return out;
  if (!probe_acked_ && !probe_escalated_ && now >= probe_started_ + cfg_.probe_timeout)
    escalate_probe(now, out);
  if (now >= next_period_) {
    close_probe(now, out);
    start_probe(now, out);
  }
  // After the period: a member suspected just now gets its first suspicion
  // ping at once.
  expire(now, out);
  finish(now, out);
  return out;
}

void membership::answered(steady_time now, const message& m, std::vector<effect>& out) {
  auto it = pending_.find(m.seq);
  if (it == pending_.end()) return;
  pending p = it->second;
  if (p.why == pending::purpose::probe) {
    // Stays in pending_ until the period closes; later acks are no-ops.
    if (p.target == probe_target_) probe_acked_ = true;
    return;
  }
  pending_.erase(it);
  if (p.why == pending::purpose::relay) {
    out.push_back(make_send(message::kind::ack, p.requester, p.requester_seq, p.target));
    return;
  }
  auto mem = members_.find(p.target);
  if (p.why == pending::purpose::disconnect && mem != members_.end() &&
      mem->second.state == member_state::suspect && mem->second.local_suspicion)
    set_state(p.target, mem->second, member_state::alive, mem->second.incarnation,
              "answered the probe after a disconnect", out);
  (void)now;
}

std::vector<effect> membership::received(steady_time now, const message& m) {
  std::vector<effect> out;
  if (!started_ || m.from == cfg_.self || m.from.empty() || forgotten(m.from)) return out;
  update sender{m.from, member_state::alive, m.incarnation, m.health};
  // A goodbye carries the sender's new incarnation: its implicit alive must
  // not flap it to alive before the `left` below is applied.
  const bool says_goodbye = std::any_of(m.updates.begin(), m.updates.end(), [&](const update& u) {
    return u.node == m.from && u.state == member_state::left && u.incarnation >= m.incarnation;
  });
  if (!says_goodbye && apply(now, sender, "heard from it", out)) enqueue(sender);
  auto known = members_.find(m.from);
  if (known != members_.end()) known->second.heard = now;
  if (known != members_.end() && known->second.state == member_state::dead)
    // A dead member still talking: tell it, so it refutes with a new incarnation.
    enqueue(update{m.from, member_state::dead, known->second.incarnation, known->second.health});
  for (const auto& u : m.updates)
    if (apply(now, u, "gossip from " + m.from, out)) enqueue(u);
  switch (m.what) {
  case message::kind::ping:
    out.push_back(make_send(message::kind::ack, m.from, m.seq, cfg_.self));
    break;
  case message::kind::ping_req: {
    if (m.target == cfg_.self) { // asked to probe ourselves: we are the answer
      out.push_back(make_send(message::kind::ack, m.from, m.seq, cfg_.self));
      break;
    }
    if (forgotten(m.target)) break; // not a member here: no probe, no vouching
    std::uint64_t seq = ++seq_;
    pending_[seq] =
        pending{pending::purpose::relay, m.target, now + cfg_.probe_period, m.from, m.seq};
    out.push_back(make_send(message::kind::ping, m.target, seq, {}));
    break;
  }
  case message::kind::ack:
    answered(now, m, out);
    break;
  }
  finish(now, out);
  return out;
}

std::vector<effect> membership::peer_disconnected(steady_time now, const std::string& peer) {
  std::vector<effect> out;
  auto it = members_.find(peer);
  if (!started_ || leaving_ || it == members_.end() || down(it->second.state)) return out;
  member_info& m = it->second;
  if (m.state == member_state::alive) {
    // Kept local until the probe fails: a reconnecting peer must not be
    // suspected cluster-wide by a transport hiccup.
    m.local_suspicion = true;
    set_state(peer, m, member_state::suspect, m.incarnation, "transport disconnected", out);
  }
  {
    // Also for a member already suspected by gossip: the disconnect is
    // evidence enough to end its suspicion after one unanswered probe.
    std::uint64_t seq = ++seq_;
    pending_[seq] = pending{pending::purpose::disconnect, peer, now + cfg_.probe_timeout, {}, 0};
    out.push_back(make_send(message::kind::ping, peer, seq, {}));
  }
  finish(now, out);
  return out;
}

std::vector<effect> membership::local_health(steady_time now, health_bits bits) {
  std::vector<effect> out;
  if (bits == health_) return out;
  spdlog::info("gossip: {}: local health {:#x} -> {:#x}", cfg_.self, health_, bits);
  health_ = bits;
  // A new incarnation makes the new health win over the old everywhere.
  ++incarnation_;
  enqueue(update{cfg_.self, member_state::alive, incarnation_, health_});
  effect e;
  e.what = effect::kind::member_changed;
  e.member = update{cfg_.self, member_state::alive, incarnation_, health_};
  e.eligible = eligible(cfg_.self);
  out.push_back(std::move(e));
  if (started_) finish(now, out);
  return out;
}

std::vector<effect> membership::join(steady_time now, const std::string& node) {
  std::vector<effect> out;
  if (node.empty() || node == cfg_.self || members_.contains(node)) return out;
  forgotten_.erase(node);
  add_member(node, member_info{}, out);
  if (started_ && !leaving_) finish(now, out);
  return out;
}

std::vector<effect> membership::leave(steady_time /*now: nothing is timed after a goodbye*/) {
  std::vector<effect> out;
  if (leaving_) return out;
  leaving_ = true;
  ++incarnation_;
  spdlog::info("gossip: {}: leaving at incarnation {}", cfg_.self, incarnation_);
  enqueue(update{cfg_.self, member_state::left, incarnation_, health_});
  // Every live member at once, not one per period: the goodbye is what lets
  // the successors take over without waiting for a suspicion.
  const update goodbye{cfg_.self, member_state::left, incarnation_, health_};
  for (const auto& [node, m] : members_) {
    if (down(m.state)) continue;
    effect e = make_send(message::kind::ping, node, ++seq_, {});
    // Carried to every member whatever the retransmit limit of the queue.
    if (std::find(e.msg.updates.begin(), e.msg.updates.end(), goodbye) == e.msg.updates.end())
      e.msg.updates.insert(e.msg.updates.begin(), goodbye);
    out.push_back(std::move(e));
  }
  pending_.clear();
  return out;
}

} // namespace kvip::net::gossip
