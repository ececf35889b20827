#include "actors/restart_policy.hpp"

#include <spdlog/spdlog.h>

namespace kvip {

const char* to_string(restart_policy p) {
  switch (p) {
  case restart_policy::permanent:
    return "permanent";
  case restart_policy::transient:
    return "transient";
  case restart_policy::temporary:
    return "temporary";
  }
  return "?";
}

namespace supervision {

namespace {

long long millis(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

effect make(effect::kind k, std::size_t child = 0) {
  effect e{k};
  e.child = child;
  return e;
}

} // namespace

const char* to_string(state s) {
  switch (s) {
  case state::idle:
    return "idle";
  case state::running:
    return "running";
  case state::stopping:
    return "stopping";
  case state::stopped:
    return "stopped";
  }
  return "?";
}

const char* to_string(effect::kind k) {
  switch (k) {
  case effect::kind::start_child:
    return "start_child";
  case effect::kind::schedule_restart:
    return "schedule_restart";
  case effect::kind::publish_status:
    return "publish_status";
  case effect::kind::ask_shutdown:
    return "ask_shutdown";
  case effect::kind::kill_remaining:
    return "kill_remaining";
  case effect::kind::quit:
    return "quit";
  }
  return "?";
}

machine::machine(std::vector<child_info> children, supervisor_limits limits)
    : children_(std::move(children)), limits_(limits), up_(children_.size(), false),
      restarts_(children_.size()) {}

void machine::set_state(state next, const std::string& why) {
  if (next == state_) return;
  spdlog::info("supervisor: {} -> {} ({})", to_string(state_), to_string(next), why);
  state_ = next;
}

std::size_t machine::up_count() const {
  std::size_t n = 0;
  for (bool u : up_)
    n += u ? 1 : 0;
  return n;
}

std::size_t machine::index_of(const std::string& name) const {
  for (std::size_t i = 0; i < children_.size(); ++i)
    if (children_[i].name == name) return i;
  return children_.size();
}

void machine::prune(std::deque<steady_time>& q, steady_time now, std::chrono::nanoseconds period) {
  while (!q.empty() && now - q.front() > period)
    q.pop_front();
}

std::vector<effect> machine::start() {
  std::vector<effect> out;
  if (state_ != state::idle) return out;
  set_state(state::running, fmt::format("starting {} children", children_.size()));
  for (std::size_t i = 0; i < children_.size(); ++i)
    out.push_back(make(effect::kind::start_child, i));
  return out;
}

std::vector<effect> machine::started(std::size_t i) {
  up_[i] = true;
  spdlog::debug("supervisor: started {}", children_[i].name);
  return {make(effect::kind::publish_status)};
}

std::vector<effect> machine::down(std::size_t i, bool abnormal, const std::string& reason,
                                  steady_time now) {
  std::vector<effect> out;
  if (!up_[i]) return out;
  up_[i] = false;
  const auto& c = children_[i];
  out.push_back(make(effect::kind::publish_status));
  if (state_ != state::running) {
    spdlog::debug("supervisor: {} exited during shutdown ({})", c.name, reason);
    return out;
  }
  if (abnormal)
    spdlog::error("supervisor: {} crashed: {}", c.name, reason);
  else
    spdlog::info("supervisor: {} exited", c.name);
  bool restart =
      c.policy == restart_policy::permanent || (c.policy == restart_policy::transient && abnormal);
  if (!restart) {
    spdlog::info("supervisor: not restarting {} ({})", c.name, to_string(c.policy));
    return out;
  }
  // Intensity: more than max_restarts restarts within period stops the node.
  prune(window_, now, limits_.period);
  window_.push_back(now);
  if (static_cast<int>(window_.size()) > limits_.max_restarts) {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(limits_.period).count();
    spdlog::critical("supervisor: {} restarts within {}s exceed the limit of {} (last: {} "
                     "crashed: {}); stopping the node",
                     window_.size(), secs, limits_.max_restarts, c.name, reason);
    begin_shutdown(true, "restart intensity exceeded", out);
    return out;
  }
  // Backoff doubles with each recent restart of this child.
  auto& mine = restarts_[i];
  prune(mine, now, limits_.period);
  mine.push_back(now);
  auto backoff = limits_.backoff_initial;
  for (std::size_t n = 1; n < mine.size() && backoff < limits_.backoff_max; ++n)
    backoff *= 2;
  if (backoff > limits_.backoff_max) backoff = limits_.backoff_max;
  spdlog::warn("supervisor: restarting {} in {} ms", c.name, millis(backoff));
  auto e = make(effect::kind::schedule_restart, i);
  e.delay = backoff;
  out.push_back(e);
  return out;
}

std::vector<effect> machine::restart_due(std::size_t i) {
  if (state_ != state::running || up_[i]) return {};
  return {make(effect::kind::start_child, i)};
}

std::vector<effect> machine::stop(const std::string& why) {
  std::vector<effect> out;
  if (state_ == state::stopping || state_ == state::stopped) return out;
  begin_shutdown(false, why, out);
  return out;
}

void machine::begin_shutdown(bool failed, const std::string& why, std::vector<effect>& out) {
  failed_ = failed;
  stop_order_.clear();
  for (std::size_t i = children_.size(); i-- > 0;)
    if (up_[i]) stop_order_.push_back(i);
  set_state(state::stopping, fmt::format("{}; stopping {} children", why, stop_order_.size()));
  out.push_back(make(effect::kind::publish_status));
  next_shutdown(out);
}

std::vector<effect> machine::shutdown_answered(std::size_t) {
  std::vector<effect> out;
  if (state_ != state::stopping) return out;
  next_shutdown(out);
  return out;
}

void machine::next_shutdown(std::vector<effect>& out) {
  // Children that went down meanwhile are skipped.
  while (!stop_order_.empty() && !up_[stop_order_.front()])
    stop_order_.erase(stop_order_.begin());
  if (!stop_order_.empty()) {
    out.push_back(make(effect::kind::ask_shutdown, stop_order_.front()));
    stop_order_.erase(stop_order_.begin());
    return;
  }
  set_state(state::stopped, failed_ ? "restart intensity exceeded" : "every child was asked");
  out.push_back(make(effect::kind::kill_remaining));
  auto q = make(effect::kind::quit);
  q.failed = failed_;
  out.push_back(q);
}

} // namespace supervision

} // namespace kvip
