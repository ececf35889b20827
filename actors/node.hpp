#pragma once
// The node supervisor (OTP style): starts the children the configuration
// enables, in table order; restarts a crashed child with exponential backoff;
// gives up (and stops the daemon with a clear log line) when restarts exceed
// an intensity limit; and on SIGTERM/SIGINT stops the children one by one in
// reverse order, each undoing what it did to the host.
//
// The decisions live in actors/restart_policy.hpp (a pure state machine);
// this actor performs them. Child protocol (messages/supervision.hpp): every
// child is a msg::child_actor (dump_request -> dump_reply, shutdown_request
// -> shutdown_done). Children find each other through the typed directory
// (actors/directory.hpp) the supervisor hands them; the child playing the
// telemetry role also receives children_status.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/directory.hpp"
#include "actors/restart_policy.hpp"
#include "caf/fwd.hpp"
#include "messages/supervision.hpp"

namespace kvip::net::telemetry {
class registry;
}

namespace kvip {

/// Starts a child from its supervisor, handing it the sibling directory.
using child_start =
    std::function<msg::child_actor(caf::local_actor* parent, std::shared_ptr<const directory>)>;

/// One row of the supervisor's child table.
struct child_spec {
  std::string name;  ///< unique; used in logs and metrics
  child_start start; ///< spawns the child
  restart_policy policy = restart_policy::permanent;
  sibling_role role = sibling_role::none; ///< published in the directory while it runs
};

/// Why the node stopped, as its exit reason: normal, or this error's message.
inline constexpr const char* intensity_exceeded = "restart intensity exceeded";

/// Spawns the node supervisor. `reg` receives kvip_supervisor_* metrics;
/// `siblings` is the directory handed to the children (a new one if null).
caf::actor spawn_node(caf::actor_system& sys, std::vector<child_spec> children,
                      supervisor_limits limits, net::telemetry::registry& reg,
                      std::shared_ptr<directory> siblings = nullptr);

/// Makes an actor log an escaping exception (spdlog) and exit with a
/// runtime_error naming it, which its supervisor sees as a crash.
void log_crashes(caf::scheduled_actor* self, std::string name);

} // namespace kvip
