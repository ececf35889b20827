#pragma once
// The health checker's decision, as a pure state machine: which probe
// outcomes make the control plane count as unhealthy. Unhealthy after
// `failure_threshold` failed probes in a row, healthy again after one
// success. The health_checker actor probes (net/http/probe.hpp) and reports
// the verdict of every probe; this core decides what the verdict is.
//
//   state      probe ok         probe failed
//   healthy    healthy          failing (1)   or unhealthy when threshold <= 1
//   failing(n) healthy          failing (n+1) or unhealthy at the threshold
//   unhealthy  healthy          unhealthy

#include <string>

namespace kvip::net::http {

/// The verdict after one probe.
struct health_verdict {
  bool healthy = true;
  std::string detail;   ///< the probe's detail; when unhealthy, prefixed with "<url>: "
  bool changed = false; ///< healthy flipped with this probe
};

class health_gate {
public:
  enum class state { healthy, failing, unhealthy };

  /// `url` names the endpoint in logs and details.
  health_gate(std::string url, int failure_threshold);

  /// One probe finished.
  health_verdict probed(bool ok, const std::string& detail);

  state current() const { return state_; }
  bool healthy() const { return state_ != state::unhealthy; }
  int failures() const { return failures_; }

private:
  void set_state(state next, const std::string& why);

  std::string url_;
  int threshold_;
  state state_ = state::healthy;
  int failures_ = 0; ///< failed probes in a row
};

const char* to_string(health_gate::state s);

} // namespace kvip::net::http
