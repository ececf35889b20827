#include "net/gossip/hold_refresh.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace kvip::net::gossip {

const char* to_string(hold_refresh::state s) {
  switch (s) {
  case hold_refresh::state::idle:
    return "idle";
  case hold_refresh::state::round_sent:
    return "round_sent";
  case hold_refresh::state::round_echoed:
    return "round_echoed";
  case hold_refresh::state::escalated:
    return "escalated";
  }
  return "?";
}

hold_refresh::hold_refresh(hold_refresh_config cfg) : cfg_(std::move(cfg)) {}

void hold_refresh::set_state(state next, const std::string& why) {
  if (next == state_) return;
  // A routine round is two transitions per probe period: trace; an
  // escalation (a target fell silent) is worth a debug line.
  auto level = next == state::escalated ? spdlog::level::debug : spdlog::level::trace;
  spdlog::log(level, "gossip: hold refresh on {}: {} -> {} ({})", cfg_.self, to_string(state_),
              to_string(next), why);
  state_ = next;
}

namespace {

std::size_t majority_less_self(const refresh_view& v) {
  return std::max<std::size_t>(v.cluster_size, 1) / 2;
}

bool echoed_since(const refresh_member& m, time_point t) {
  return m.echoed && *m.echoed >= t;
}

} // namespace

// Alive members, those echoing what this node owns first (stable otherwise);
// suspects after them when the alive ones are fewer than a majority less self.
std::vector<std::string> hold_refresh::candidates(const refresh_view& v) const {
  std::vector<const refresh_member*> alive, suspect;
  for (const auto& m : v.members) {
    if (m.state == member_state::alive) alive.push_back(&m);
    if (m.state == member_state::suspect) suspect.push_back(&m);
  }
  std::stable_partition(alive.begin(), alive.end(), [](const auto* m) { return m->echoed; });
  if (alive.size() < majority_less_self(v))
    alive.insert(alive.end(), suspect.begin(), suspect.end());
  std::vector<std::string> out;
  out.reserve(alive.size());
  for (const auto* m : alive)
    out.push_back(m->name);
  return out;
}

refresh_decision hold_refresh::new_round(time_point now, const refresh_view& v) {
  auto cands = candidates(v);
  if (cands.empty()) {
    set_state(state::idle, "no member to ping");
    targets_.clear();
    return {{}, now + cfg_.probe_period};
  }
  std::size_t helpers = 0;
  for (const auto& m : v.members)
    if (m.state == member_state::alive && m.echoed) ++helpers;
  // A spare target while a member is suspect or dead: the cluster has lost
  // its slack, the survivors are busy taking over, and one slow echo must
  // not decide whether a hold lapses.
  bool degraded = std::any_of(v.members.begin(), v.members.end(), [](const auto& m) {
    return m.state == member_state::suspect || m.state == member_state::dead;
  });
  auto want =
      std::min(cands.size(), std::max<std::size_t>(1, majority_less_self(v)) + (degraded ? 1 : 0));
  // Round robin within the echoing members while they are enough, else over all.
  auto pool = helpers >= want ? helpers : cands.size();
  targets_.clear();
  for (std::size_t i = 0; i < want; ++i)
    targets_.push_back(cands[(next_ + i) % pool]);
  next_ += want;
  round_at_ = now;
  auto left = std::chrono::duration_cast<duration>(*v.earliest_hold - now).count();
  set_state(state::round_sent, "earliest hold passes in " + std::to_string(left) + " ms");
  return {targets_, now + cfg_.probe_period / 3};
}

// A third of a period into a round: enough members echoed a frame sent since
// it began, or every candidate that has not is pinged now.
refresh_decision hold_refresh::check_round(time_point now, const refresh_view& v) {
  (void)now;
  std::size_t echoed = 0;
  for (const auto& m : v.members)
    if (echoed_since(m, round_at_)) ++echoed;
  if (echoed >= targets_.size()) {
    set_state(state::round_echoed, std::to_string(echoed) + " members echoed the round");
    return {{}, round_at_ + cfg_.probe_period};
  }
  std::vector<std::string> more;
  for (const auto& name : candidates(v)) {
    auto it = std::find_if(v.members.begin(), v.members.end(),
                           [&](const auto& m) { return m.name == name; });
    if (it != v.members.end() && !echoed_since(*it, round_at_)) more.push_back(name);
  }
  set_state(state::escalated, std::to_string(echoed) + " of " + std::to_string(targets_.size()) +
                                  " pinged members echoed within a third of a period; pinging " +
                                  std::to_string(more.size()));
  for (const auto& name : more)
    if (std::find(targets_.begin(), targets_.end(), name) == targets_.end())
      targets_.push_back(name);
  return {more, round_at_ + cfg_.probe_period};
}

refresh_decision hold_refresh::decide(time_point now, const refresh_view& v) {
  if (!v.earliest_hold) {
    set_state(state::idle, "answers for nothing");
    targets_.clear();
    return {};
  }
  if (state_ != state::idle && now < round_at_ + cfg_.probe_period) {
    if (state_ != state::round_sent) return {{}, round_at_ + cfg_.probe_period};
    if (now >= round_at_ + cfg_.probe_period / 3) return check_round(now, v);
    return {{}, round_at_ + cfg_.probe_period / 3};
  }
  auto margin = cfg_.fence_timeout / 3;
  if (*v.earliest_hold - now > margin) {
    set_state(state::idle, "earliest hold more than a third of the fence timeout away");
    return {{}, *v.earliest_hold - margin};
  }
  return new_round(now, v);
}

} // namespace kvip::net::gossip
