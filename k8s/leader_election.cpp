#include "k8s/leader_election.hpp"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

namespace kvip::k8s::election {

namespace {

action make(action::kind k) {
  return action{k, {}, {}, ms{0}, {}};
}

action timer_in(ms d) {
  auto a = make(action::kind::arm_timer);
  a.delay = std::max(d, ms{0});
  return a;
}

action write(action::kind k, const record& r, const std::string& rv) {
  auto a = make(k);
  a.rec = r;
  a.rv = rv;
  return a;
}

int whole_seconds(ms d) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

} // namespace

machine::machine(config cfg, std::function<double()> rand01)
    : cfg_(std::move(cfg)), rand01_(std::move(rand01)) {}

void machine::set_state(role next, const char* why) {
  if (next == role_) return;
  spdlog::debug("leader_election: {}: {} -> {} ({})", cfg_.identity, to_string(role_),
                to_string(next), why);
  role_ = next;
}

ms machine::follower_delay() {
  double r = std::clamp(rand01_ ? rand01_() : 0.0, 0.0, 1.0);
  return ms{static_cast<ms::rep>(static_cast<double>(cfg_.retry_period.count()) *
                                 (1.0 + r * cfg_.jitter_factor))};
}

record machine::fresh_record(sys_micros wall) const {
  record r;
  r.holder = cfg_.identity;
  r.lease_duration_s = whole_seconds(cfg_.lease_duration);
  r.acquire_time = wall;
  r.renew_time = wall;
  r.transitions = 0;
  return r;
}

void machine::observe(const record& r, steady_time now, std::vector<action>& out) {
  if (!have_observed_ || r.holder != observed_.holder) {
    auto a = make(action::kind::new_leader);
    a.holder = r.holder;
    out.push_back(a);
  }
  observed_ = r;
  observed_time_ = now;
  have_observed_ = true;
}

std::vector<action> machine::start(steady_time now, sys_micros wall) {
  std::vector<action> out;
  if (campaigning()) return out;
  set_state(role::candidate, "campaign started"); // also cancels a release waiting to be written
  // A request still in flight (e.g. the release of a moment ago) is answered
  // first; its answer resumes the campaign. Two requests in flight would
  // have their answers confused.
  if (pending_ != step::idle) return out;
  begin_attempt(out, now, wall);
  return out;
}

void machine::begin_attempt(std::vector<action>& out, steady_time now, sys_micros wall) {
  // Fast path: we hold an unexpired record; renew it with a CAS write.
  if (have_observed_ && observed_.holder == cfg_.identity &&
      observed_time_ + std::chrono::seconds{observed_.lease_duration_s} > now) {
    proposed_ = observed_;
    proposed_.renew_time = wall;
    proposed_.lease_duration_s = whole_seconds(cfg_.lease_duration);
    pending_ = step::fast_update;
    out.push_back(write(action::kind::update, proposed_, observed_rv_));
    return;
  }
  pending_ = step::get;
  out.push_back(make(action::kind::get));
}

std::vector<action> machine::response(outcome o, const std::optional<record>& lease,
                                      const std::string& rv, steady_time now, sys_micros wall) {
  std::vector<action> out;
  // An answer to a write sent before we stepped down at the renew deadline
  // does not make us lead again (client-go cancels such a request); it only
  // tells us what the Lease now says.
  bool stale = std::exchange(stale_, false);
  auto succeeded = [&] {
    observe(lease ? *lease : proposed_, now, out);
    observed_rv_ = rv;
    end_attempt(!stale, out, now);
  };
  switch (pending_) {
  case step::idle:
    return out; // a late answer after a reset: nothing waits for it
  case step::release:
    pending_ = step::idle;
    if (o == outcome::ok) {
      observe(lease ? *lease : proposed_, now, out);
      observed_rv_ = rv;
    }
    out.push_back(make(action::kind::stopped));
    if (campaigning())
      begin_attempt(out, now, wall); // started again meanwhile
    else
      set_state(role::idle, "released");
    return out;
  case step::fast_update:
    if (o == outcome::ok) {
      succeeded();
      return out;
    }
    // The cached object was stale or the write failed: take the slow path.
    pending_ = step::get;
    out.push_back(make(action::kind::get));
    return out;
  case step::create:
  case step::update:
    if (o == outcome::ok)
      succeeded();
    else
      end_attempt(false, out, now);
    return out;
  case step::get:
    after_get(o, lease, rv, now, wall, out);
    return out;
  }
  return out;
}

void machine::after_get(outcome o, const std::optional<record>& lease, const std::string& rv,
                        steady_time now, sys_micros wall, std::vector<action>& out) {
  if (o == outcome::not_found) {
    proposed_ = fresh_record(wall);
    pending_ = step::create;
    out.push_back(write(action::kind::create, proposed_, ""));
    return;
  }
  if (o != outcome::ok || !lease) {
    end_attempt(false, out, now);
    return;
  }
  // The expiry clock restarts whenever anything in the record changes.
  if (!have_observed_ || !(*lease == observed_)) observe(*lease, now, out);
  observed_rv_ = rv;
  if (!lease->holder.empty() && lease->holder != cfg_.identity &&
      observed_time_ + std::chrono::seconds{lease->lease_duration_s} > now) {
    end_attempt(false, out, now); // held by someone else and not expired
    return;
  }
  proposed_ = fresh_record(wall);
  if (lease->holder == cfg_.identity) {
    proposed_.acquire_time = lease->acquire_time;
    proposed_.transitions = lease->transitions;
  } else {
    proposed_.transitions = lease->transitions + 1;
  }
  pending_ = step::update;
  out.push_back(write(action::kind::update, proposed_, rv));
}

void machine::end_attempt(bool success, std::vector<action>& out, steady_time now) {
  pending_ = step::idle;
  if (role_ == role::releasing) { // a release waited for this request
    auto more = release(now, release_wall_);
    out.insert(out.end(), more.begin(), more.end());
    return;
  }
  if (!campaigning()) return;
  if (success) {
    if (role_ != role::leader) {
      set_state(role::leader, "acquired the lease");
      out.push_back(make(action::kind::started_leading));
    }
    cycle_open_ = false;
    out.push_back(timer_in(cfg_.retry_period));
    return;
  }
  if (role_ == role::leader) {
    auto deadline = cycle_start_ + cfg_.renew_deadline;
    if (now >= deadline) {
      set_state(role::candidate, "not renewed within the renew deadline");
      cycle_open_ = false;
      out.push_back(make(action::kind::stopped_leading));
      out.push_back(timer_in(follower_delay()));
      return;
    }
    auto left = std::chrono::duration_cast<ms>(deadline - now);
    out.push_back(timer_in(std::min(cfg_.retry_period, left)));
    return;
  }
  out.push_back(timer_in(follower_delay()));
}

std::vector<action> machine::timer(steady_time now, sys_micros wall) {
  std::vector<action> out;
  if (!campaigning()) return out;
  if (role_ == role::leader && cycle_open_ && now >= cycle_start_ + cfg_.renew_deadline) {
    // The renewal could not complete within RenewDeadline: step down, even
    // if a request is still outstanding (its answer is handled when it comes).
    set_state(role::candidate, "renew deadline passed with the renewal unanswered");
    cycle_open_ = false;
    out.push_back(make(action::kind::stopped_leading));
    if (pending_ == step::idle)
      out.push_back(timer_in(follower_delay()));
    else
      stale_ = true;
    return out;
  }
  if (pending_ != step::idle) return out;
  if (role_ == role::leader && !cycle_open_) {
    cycle_open_ = true;
    cycle_start_ = now;
  }
  // The renew deadline holds even if no answer ever comes (a partitioned
  // API server): this timer is replaced when the attempt ends, and steps
  // down if it fires first. It comes before the request, because a driver
  // performs actions in order and waits for a request's answer.
  if (role_ == role::leader)
    out.push_back(
        timer_in(std::chrono::duration_cast<ms>(cycle_start_ + cfg_.renew_deadline - now)));
  begin_attempt(out, now, wall);
  return out;
}

std::vector<action> machine::release(steady_time now, sys_micros wall) {
  std::vector<action> out;
  if (role_ == role::leader) {
    // Withdraw first, then release: never two announcers.
    out.push_back(make(action::kind::stopped_leading));
  }
  if (pending_ == step::release) { // already being released
    set_state(role::releasing, "release requested again");
    return out;
  }
  if (pending_ != step::idle) {
    set_state(role::releasing, "release requested; it waits for the outstanding request");
    release_wall_ = wall;
    return out;
  }
  cycle_open_ = false;
  bool holder = have_observed_ && observed_.holder == cfg_.identity;
  if (!holder || observed_time_ + std::chrono::seconds{observed_.lease_duration_s} <= now) {
    set_state(role::idle, "nothing to release");
    out.push_back(make(action::kind::stopped));
    return out;
  }
  set_state(role::releasing, "releasing the lease");
  proposed_ = observed_;
  proposed_.holder.clear();
  proposed_.lease_duration_s = 1;
  proposed_.acquire_time = wall;
  proposed_.renew_time = wall;
  pending_ = step::release;
  out.push_back(write(action::kind::update, proposed_, observed_rv_));
  return out;
}

const char* to_string(role r) {
  switch (r) {
  case role::idle:
    return "idle";
  case role::candidate:
    return "candidate";
  case role::leader:
    return "leader";
  case role::releasing:
    return "releasing";
  }
  return "?";
}

const char* to_string(action::kind k) {
  switch (k) {
  case action::kind::get:
    return "get";
  case action::kind::create:
    return "create";
  case action::kind::update:
    return "update";
  case action::kind::arm_timer:
    return "arm_timer";
  case action::kind::started_leading:
    return "started_leading";
  case action::kind::stopped_leading:
    return "stopped_leading";
  case action::kind::new_leader:
    return "new_leader";
  case action::kind::stopped:
    return "stopped";
  }
  return "?";
}

} // namespace kvip::k8s::election
