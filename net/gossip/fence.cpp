#include "net/gossip/fence.hpp"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

namespace kvip::net::gossip {

result<void> validate(const fence_config& c) {
  if (c.fence_timeout <= duration::zero()) return make_error("gossip: fence timeout must be > 0");
  if (c.check_interval <= duration::zero())
    return make_error("gossip: fence check interval must be > 0");
  if (c.handover_timeout <= duration::zero())
    return make_error("gossip: handover timeout must be > 0");
  // The safety argument of the whole scheme: an owner cut off at time t
  // (its last acknowledged send) stops answering by t + fence_timeout, and
  // checks at least every check_interval; nobody else starts before
  // t + takeover_wait. Equality would allow two answers in the same instant.
  if (c.fence_timeout + c.check_interval >= c.takeover_wait)
    return make_error("gossip: fence timeout (" + std::to_string(c.fence_timeout.count()) +
                      " ms) + check interval (" + std::to_string(c.check_interval.count()) +
                      " ms) must be shorter than the takeover wait (" +
                      std::to_string(c.takeover_wait.count()) + " ms)");
  return ok();
}

bool takeover_allowed(const fence_config& c, time_point last_heard, time_point now,
                      bool owner_process_gone) {
  return owner_process_gone || now >= last_heard + c.takeover_wait;
}

fence::fence(std::string self, std::string vip, fence_config config)
    : self_(std::move(self)), vip_(std::move(vip)), config_(config) {}

void fence::set_state(state next, const std::string& why) {
  if (next == state_) return;
  // A lapsed hold claimed back is routine under load (at 1000 VIPs every hold
  // of a starved node can lapse at once, five lines each): the lapse is the
  // warning, the way back to owning is logged at debug.
  bool back = (state_ == state::fenced && next == state::claiming) ||
              (state_ == state::claiming && next == state::owning && reclaiming_);
  reclaiming_ = next == state::claiming && (state_ == state::fenced || reclaiming_);
  auto level = next == state::fenced ? spdlog::level::warn
               : back                ? spdlog::level::debug
                                     : spdlog::level::info;
  spdlog::log(level, "gossip: fence {} on {}: {} -> {} ({})", vip_, self_, to_string(state_),
              to_string(next), why);
  state_ = next;
}

// Runs first on every event: whatever the event says, a passed deadline is
// acted on before it, so a resumed process stops before doing anything else.
void fence::expire(time_point now, std::vector<fence_effect>& out) {
  if (state_ == state::owning && now >= deadline_) {
    set_state(state::fenced, "deadline passed without a majority ack or node Lease renewal");
    out.push_back(fence_effect::stop_answering);
  } else if (state_ == state::releasing && now >= deadline_) {
    set_state(state::stopped, "deadline passed during the handover");
    out.push_back(fence_effect::stop_answering);
  } else if (state_ == state::releasing && now >= release_at_ + config_.handover_timeout) {
    set_state(state::stopped, "successor did not answer within the handover timeout");
    out.push_back(fence_effect::stop_answering);
  }
}

std::vector<fence_effect> fence::tick(time_point now) {
  std::vector<fence_effect> out;
  expire(now, out);
  return out;
}

std::vector<fence_effect> fence::extended(time_point now, time_point sent_at, bool confirms) {
  std::vector<fence_effect> out;
  expire(now, out);
  auto until = sent_at + config_.fence_timeout;
  switch (state_) {
  case state::owning:
    deadline_ = std::max(deadline_, until);
    break;
  case state::releasing:
    // Once the majority has handed the VIP on it stops acknowledging this
    // node; node-Lease renewals must not stretch the make-before-break window
    // past fence_timeout when the successor's "answering" notice is lost.
    if (confirms) deadline_ = std::max(deadline_, until);
    break;
  case state::claiming:
    // Only the majority confirms a claim, and only with an ack of a message
    // sent after the claim: an ack of a message sent before a freeze (or a
    // decision queued during it) says nothing about what the cluster decided
    // since. A node-Lease renewal proves liveness, not ownership.
    if (!confirms || sent_at < claimed_at_) break;
    deadline_ = std::max(deadline_, until);
    if (now < deadline_) {
      set_state(state::owning, "claim confirmed by a gossip majority");
      out.push_back(fence_effect::start_answering);
    }
    break;
  case state::idle:
  case state::fenced:
  case state::stopped:
    break;
  }
  return out;
}

std::vector<fence_effect> fence::majority_ack(time_point now, time_point sent_at) {
  return extended(now, sent_at, true);
}

std::vector<fence_effect> fence::node_lease_renewed(time_point now, time_point sent_at) {
  return extended(now, sent_at, false);
}

std::vector<fence_effect> fence::lease_holder_observed(time_point now, const std::string& holder) {
  std::vector<fence_effect> out;
  expire(now, out);
  if (holder.empty() || holder == self_) return out;
  if (state_ == state::owning) {
    set_state(state::idle, "the VIP's Lease shows holder " + holder);
    out.push_back(fence_effect::stop_answering);
  } else if (state_ == state::claiming) {
    set_state(state::idle, "the VIP's Lease shows holder " + holder);
  }
  // releasing: the successor taking the Lease is the expected first half of
  // make-before-break; this node stops when the successor answers.
  return out;
}

std::vector<fence_effect> fence::ownership_decided(time_point now, const std::string& owner) {
  std::vector<fence_effect> out;
  expire(now, out);
  if (owner == self_) {
    if (state_ == state::idle || state_ == state::fenced) {
      claimed_at_ = now;
      deadline_ = now; // a claim starts expired: only a fresh ack confirms it
      set_state(state::claiming, "decided owner");
      out.push_back(fence_effect::write_lease_claim);
    }
    return out;
  }
  auto why = owner.empty() ? std::string("no eligible owner") : "decided owner is " + owner;
  if (state_ == state::owning) {
    set_state(state::idle, why);
    out.push_back(fence_effect::stop_answering);
    out.push_back(fence_effect::release);
  } else if (state_ == state::claiming || state_ == state::fenced) {
    set_state(state::idle, why);
  }
  return out;
}

std::vector<fence_effect> fence::stop_requested(time_point now) {
  std::vector<fence_effect> out;
  expire(now, out);
  switch (state_) {
  case state::owning:
    release_at_ = now;
    set_state(state::releasing, "stop requested: handing over, answering until the successor does");
    out.push_back(fence_effect::release);
    break;
  case state::claiming:
    set_state(state::stopped, "stop requested while claiming");
    out.push_back(fence_effect::release);
    break;
  case state::idle:
  case state::fenced:
    set_state(state::stopped, "stop requested");
    break;
  case state::releasing:
  case state::stopped:
    break;
  }
  return out;
}

std::vector<fence_effect> fence::successor_answering(time_point now) {
  std::vector<fence_effect> out;
  expire(now, out);
  if (state_ == state::releasing) {
    set_state(state::stopped, "successor answers: make-before-break complete");
    out.push_back(fence_effect::stop_answering);
  }
  return out;
}

const char* to_string(fence::state s) {
  switch (s) {
  case fence::state::idle:
    return "idle";
  case fence::state::claiming:
    return "claiming";
  case fence::state::owning:
    return "owning";
  case fence::state::releasing:
    return "releasing";
  case fence::state::fenced:
    return "fenced";
  case fence::state::stopped:
    return "stopped";
  }
  return "?";
}

const char* to_string(fence_effect e) {
  switch (e) {
  case fence_effect::start_answering:
    return "start_answering";
  case fence_effect::stop_answering:
    return "stop_answering";
  case fence_effect::write_lease_claim:
    return "write_lease_claim";
  case fence_effect::release:
    return "release";
  }
  return "?";
}

} // namespace kvip::net::gossip
