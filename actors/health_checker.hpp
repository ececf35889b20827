#pragma once
// health_checker: probes the control plane (control_plane_health_check_address)
// every period and tells the elector health_status after every probe (so a
// restarted elector learns the state at the next one). What counts as
// unhealthy is decided by the pure net/http/health_gate: after
// `failure_threshold` consecutive failures, healthy again after one success.
// Detached: each probe blocks for up to `timeout`.

#include <chrono>
#include <memory>
#include <string>

#include "caf/fwd.hpp"

namespace kvip {

class directory;

struct health_options {
  std::string url;
  std::string ca_path;
  std::chrono::milliseconds period{5000};
  std::chrono::milliseconds timeout{3000};
  int failure_threshold = 3;
};

/// Spawns the checker; it reports to the directory's elector. The
/// handle speaks msg::health_actor (messages/election.hpp).
caf::actor spawn_health_checker(caf::local_actor* parent, health_options opts,
                                std::shared_ptr<const directory> siblings);

} // namespace kvip
