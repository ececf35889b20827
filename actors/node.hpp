#pragma once
// The node supervisor (OTP style): starts the children the configuration
// enables, in table order; restarts a crashed child with exponential backoff;
// gives up (and stops the daemon with a clear log line) when restarts exceed
// an intensity limit; and on SIGTERM/SIGINT stops the children one by one in
// reverse order, each undoing what it did to the host.
//
// Child protocol (messages/supervision.hpp): every child answers
// dump_request with dump_reply and shutdown_request with shutdown_done;
// children with `wants_status` also accept children_status.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "caf/fwd.hpp"
#include "caf/stateful_actor.hpp"

namespace kvip::net::telemetry {
class registry;
}

namespace kvip {

/// When a child that stopped is started again (OTP restart types).
enum class restart_policy {
  permanent, ///< always restarted
  transient, ///< restarted only after an abnormal exit
  temporary, ///< never restarted
};

/// One row of the supervisor's child table.
struct child_spec {
  std::string name;                                   ///< unique; used in logs and metrics
  std::function<caf::actor(caf::local_actor*)> start; ///< spawns the child
  restart_policy policy = restart_policy::permanent;
  bool wants_status = false; ///< receives children_status updates
};

/// Restart intensity and timing.
struct supervisor_limits {
  int max_restarts = 5;                            ///< more restarts than this within `period` ...
  caf::timespan period = std::chrono::seconds{30}; ///< ... stop the node
  caf::timespan backoff_initial = std::chrono::milliseconds{100};
  caf::timespan backoff_max = std::chrono::seconds{5};
  caf::timespan shutdown_timeout = std::chrono::seconds{5}; ///< per child
  caf::timespan dump_timeout = std::chrono::seconds{2};
};

/// Why the node stopped, as its exit reason: normal, or this error's message.
inline constexpr const char* intensity_exceeded = "restart intensity exceeded";

/// Spawns the node supervisor. `reg` receives kvip_supervisor_* metrics.
caf::actor spawn_node(caf::actor_system& sys, std::vector<child_spec> children,
                      supervisor_limits limits, net::telemetry::registry& reg);

/// Makes an actor log an escaping exception (spdlog) and exit with a
/// runtime_error naming it, which its supervisor sees as a crash.
void log_crashes(caf::scheduled_actor* self, std::string name);

} // namespace kvip
