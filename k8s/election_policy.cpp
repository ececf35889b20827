#include "k8s/election_policy.hpp"

#include <utility>

#include <spdlog/spdlog.h>

namespace kvip::k8s::election {

namespace {

effect make(effect::kind k) {
  effect e{k, {}, {}, ms{0}, 0, false};
  return e;
}

bool is_lease_request(action::kind k) {
  return k == action::kind::get || k == action::kind::create || k == action::kind::update;
}

bool is_vip_change(action::kind k) {
  return k == action::kind::started_leading || k == action::kind::stopped_leading;
}

outcome outcome_of(const lease_answer& a) {
  if (!a.failure) return a.lease ? outcome::ok : outcome::error;
  switch (*a.failure) {
  case error_kind::not_found:
    return outcome::not_found;
  case error_kind::conflict:
  case error_kind::already_exists:
    return outcome::conflict;
  default:
    return outcome::error;
  }
}

} // namespace

lease_answer lease_answer::ok(record r, std::string rv) {
  lease_answer a;
  a.lease = std::move(r);
  a.rv = std::move(rv);
  return a;
}

lease_answer lease_answer::failed(error_kind k, std::string text) {
  lease_answer a;
  a.failure = k;
  a.text = std::move(text);
  return a;
}

policy::policy(config cfg, std::string lease, std::function<double()> rand01)
    : machine_(cfg, std::move(rand01)), lease_(std::move(lease)), identity_(cfg.identity) {}

void policy::set_state(phase next, const std::string& why) {
  if (next == state_) return;
  spdlog::info("lease_elector: {} {}: {} -> {} ({})", identity_, lease_, to_string(state_),
               to_string(next), why);
  state_ = next;
}

std::vector<effect> policy::start(const context& c) {
  std::vector<effect> out;
  if (state_ != phase::idle) return out;
  set_state(phase::following, "started");
  out.push_back(make(effect::kind::leading)); // off: the metrics start at "not leader"
  // A restarted elector starts as a follower: whatever a crashed predecessor
  // announced is withdrawn before the first Lease request.
  request_vips(vip_request::withdraw, c, out);
  feed(machine_.start(c.now, c.wall), c, out);
  return out;
}

void policy::feed(std::vector<action> acts, const context& c, std::vector<effect>& out) {
  for (auto& a : acts)
    queue_.push_back(std::move(a));
  pump(c, out);
}

bool policy::blocked(action::kind k) const {
  // A Lease request waits for the previous one (two answers in flight would
  // be confused) and for any announce/withdraw (a release is written only
  // after the VIP is gone). An announce/withdraw waits only for the previous
  // one, so a leader past its renew deadline withdraws at once even while a
  // Lease request hangs.
  if (is_lease_request(k)) return lease_busy_ || vips_ != vip_request::none;
  if (is_vip_change(k)) return vips_ != vip_request::none;
  return false;
}

void policy::pump(const context& c, std::vector<effect>& out) {
  // Machine actions are performed in order; the first blocked one holds the
  // rest back until the answer it waits for arrives.
  while (!queue_.empty() && !blocked(queue_.front().what)) {
    auto a = std::move(queue_.front());
    queue_.pop_front();
    perform(std::move(a), c, out);
  }
}

void policy::perform(action a, const context& c, std::vector<effect>& out) {
  switch (a.what) {
  case action::kind::update:
    if (a.rec.holder.empty() && withdraw_failed_) {
      // A VIP still held after a withdraw must not be handed over: the Lease
      // is left to expire instead of being released.
      spdlog::error("lease_elector: not releasing {}: the VIP could not be withdrawn; the lease "
                    "will expire instead",
                    lease_);
      answer_lease(outcome::error,
                   lease_answer::failed(error_kind::cancelled, "release skipped: VIP still held"),
                   c);
      return;
    }
    [[fallthrough]];
  case action::kind::get:
  case action::kind::create: {
    lease_busy_ = true;
    spdlog::debug("lease_elector: {} {}", election::to_string(a.what), lease_);
    auto e = make(a.what == action::kind::get      ? effect::kind::get_lease
                  : a.what == action::kind::create ? effect::kind::create_lease
                                                   : effect::kind::update_lease);
    e.rec = std::move(a.rec);
    e.rv = std::move(a.rv);
    out.push_back(std::move(e));
    return;
  }
  case action::kind::arm_timer: {
    auto e = make(effect::kind::arm_timer);
    e.delay = a.delay;
    e.generation = ++generation_;
    out.push_back(e);
    return;
  }
  case action::kind::started_leading:
  case action::kind::stopped_leading:
    change_leadership(a.what == action::kind::started_leading, c, out);
    return;
  case action::kind::new_leader:
    spdlog::info("lease_elector: leader of {} is now {}", lease_,
                 a.holder.empty() ? "(none)" : a.holder);
    return;
  case action::kind::stopped:
    if (state_ == phase::stopping) {
      set_state(phase::stopped, "the lease is released (or left to expire)");
      out.push_back(make(effect::kind::shutdown_done));
    }
    return;
  }
}

void policy::change_leadership(bool leading, const context& c, std::vector<effect>& out) {
  auto e = make(effect::kind::leading);
  e.on = leading;
  out.push_back(e);
  if (leading) {
    spdlog::info("lease_elector: {} is now leader of {}", identity_, lease_);
    ++transitions_;
    if (state_ == phase::following) set_state(phase::leading, "acquired the lease");
    request_vips(vip_request::announce, c, out);
    return;
  }
  spdlog::info("lease_elector: {} stopped leading {}", identity_, lease_);
  if (state_ == phase::leading)
    set_state(phase::following, "the lease was lost or not renewed within the renew deadline");
  request_vips(vip_request::withdraw, c, out);
}

void policy::request_vips(vip_request r, const context& c, std::vector<effect>& out) {
  vips_ = r;
  announced_to_ = r == vip_request::announce ? c.announcer : 0;
  out.push_back(make(r == vip_request::announce ? effect::kind::announce : effect::kind::withdraw));
}

void policy::answer_lease(outcome o, const lease_answer& a, const context& c) {
  lease_busy_ = false;
  if (o == outcome::error) {
    if (error_last_ != a.text) spdlog::warn("lease_elector: {}: {}", lease_, a.text);
    error_last_ = a.text;
  } else {
    error_last_.clear();
  }
  for (auto& act : machine_.response(o, a.lease, a.rv, c.now, c.wall))
    queue_.push_back(std::move(act));
}

std::vector<effect> policy::lease_answered(const context& c, const lease_answer& a) {
  std::vector<effect> out;
  answer_lease(outcome_of(a), a, c);
  pump(c, out);
  return out;
}

std::vector<effect> policy::lease_timed_out(const context& c, const std::string& why) {
  return lease_answered(c,
                        lease_answer::failed(error_kind::timeout, "k8s_io did not answer: " + why));
}

void policy::vips_answered(bool withdraw_failed, const context& c, std::vector<effect>& out) {
  if (std::exchange(vips_, vip_request::none) == vip_request::withdraw)
    withdraw_failed_ = withdraw_failed;
  pump(c, out);
}

std::vector<effect> policy::announce_answered(const context& c, const announce_answer& a) {
  std::vector<effect> out;
  bool withdraw = vips_ == vip_request::withdraw;
  if (!a.error.empty())
    spdlog::error("lease_elector: {} VIPs failed: {}", withdraw ? "withdrawing" : "announcing",
                  a.error);
  vips_answered(!a.error.empty() || a.holds_any, c, out);
  return out;
}

std::vector<effect> policy::announce_timed_out(const context& c, const std::string& why) {
  std::vector<effect> out;
  spdlog::error("lease_elector: announcer did not answer ({}): {}",
                vips_ == vip_request::withdraw ? "withdraw" : "announce", why);
  vips_answered(true, c, out);
  return out;
}

std::vector<effect> policy::timer(const context& c, std::uint64_t generation) {
  std::vector<effect> out;
  if (generation != generation_) return out; // superseded by a later timer
  // The announcer was restarted (and so dropped our VIPs): hand the set to
  // the new incarnation.
  if (state_ == phase::leading && vips_ == vip_request::none && c.announcer != announced_to_) {
    spdlog::warn("lease_elector: the announcer restarted; announcing the VIPs again");
    request_vips(vip_request::announce, c, out);
  }
  feed(machine_.timer(c.now, c.wall), c, out);
  return out;
}

std::vector<effect> policy::health(const context& c, bool healthy, const std::string& detail) {
  if (healthy) return resume(c, "control plane healthy again");
  if (state_ == phase::leading || state_ == phase::following)
    spdlog::warn("lease_elector: control plane unhealthy ({}); {}not campaigning until it is "
                 "healthy",
                 detail, state_ == phase::leading ? "releasing the VIP and the lease, " : "");
  return pause(c, "control plane unhealthy");
}

std::vector<effect> policy::pause(const context& c, const std::string& why) {
  std::vector<effect> out;
  if (state_ != phase::following && state_ != phase::leading) return out;
  set_state(phase::paused, why);
  feed(machine_.release(c.now, c.wall), c, out);
  return out;
}

std::vector<effect> policy::resume(const context& c, const std::string& why) {
  std::vector<effect> out;
  if (state_ != phase::paused) return out;
  set_state(phase::following, why);
  feed(machine_.start(c.now, c.wall), c, out);
  return out;
}

std::vector<effect> policy::shutdown(const context& c) {
  std::vector<effect> out;
  if (state_ == phase::stopped) {
    out.push_back(make(effect::kind::shutdown_done));
    return out;
  }
  if (state_ == phase::stopping) return out; // answered when the release finishes
  set_state(phase::stopping, "shutdown requested");
  feed(machine_.release(c.now, c.wall), c, out);
  return out;
}

const char* to_string(phase p) {
  switch (p) {
  case phase::idle:
    return "idle";
  case phase::following:
    return "following";
  case phase::leading:
    return "leading";
  case phase::paused:
    return "paused";
  case phase::stopping:
    return "stopping";
  case phase::stopped:
    return "stopped";
  }
  return "?";
}

const char* to_string(effect::kind k) {
  switch (k) {
  case effect::kind::get_lease:
    return "get_lease";
  case effect::kind::create_lease:
    return "create_lease";
  case effect::kind::update_lease:
    return "update_lease";
  case effect::kind::arm_timer:
    return "arm_timer";
  case effect::kind::announce:
    return "announce";
  case effect::kind::withdraw:
    return "withdraw";
  case effect::kind::leading:
    return "leading";
  case effect::kind::shutdown_done:
    return "shutdown_done";
  }
  return "?";
}

} // namespace kvip::k8s::election
