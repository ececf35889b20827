#include "net/http/health_gate.hpp"

#include <utility>

#include <spdlog/spdlog.h>

namespace kvip::net::http {

health_gate::health_gate(std::string url, int failure_threshold)
    : url_(std::move(url)), threshold_(failure_threshold) {}

void health_gate::set_state(state next, const std::string& why) {
  if (next == state_) return;
  auto level = next == state::unhealthy     ? spdlog::level::warn
               : state_ == state::unhealthy ? spdlog::level::info
                                            : spdlog::level::debug;
  spdlog::log(level, "health_checker: {}: {} -> {} ({})", url_, to_string(state_), to_string(next),
              why);
  state_ = next;
}

health_verdict health_gate::probed(bool ok, const std::string& detail) {
  bool was = healthy();
  if (ok) {
    failures_ = 0;
    set_state(state::healthy, was ? "probe succeeded" : "healthy again: " + detail);
  } else {
    ++failures_;
    auto why = "failed " + std::to_string(failures_) + " times in a row: " + detail;
    set_state(failures_ >= threshold_ ? state::unhealthy : state::failing, why);
  }
  health_verdict v;
  v.healthy = healthy();
  v.detail = v.healthy ? detail : url_ + ": " + detail;
  v.changed = v.healthy != was;
  return v;
}

const char* to_string(health_gate::state s) {
  switch (s) {
  case health_gate::state::healthy:
    return "healthy";
  case health_gate::state::failing:
    return "failing";
  case health_gate::state::unhealthy:
    return "unhealthy";
  }
  return "?";
}

} // namespace kvip::net::http
