#pragma once
// The telemetry actor: one HTTP listener (`prometheus_server`, kube-vip's
// default ":2112") serving
//   GET  /metrics   Prometheus text exposition of the process registry
//   GET  /healthz   200 while the process is alive
//   GET  /readyz    200 when the configuration is valid and every supervised
//                   actor is up; 503 with the reason otherwise
//   GET  /trace     message-trace state as JSON
//   POST /trace?enabled=true|false   switch message tracing at run time
// A typed actor (msg::telemetry_actor): the child protocol plus
// children_status from the supervisor, which drives /readyz.
// HTTP handlers run on the listener's thread; they only read atomics, the
// registry (thread-safe) and the trace sink (thread-safe).

#include <string>

#include "caf/fwd.hpp"
#include "messages/supervision.hpp"

namespace kvip::net::telemetry {
class registry;
}

namespace kvip {

struct telemetry_options {
  std::string listen;       ///< "[host]:port"
  bool config_valid = true; ///< reported by /readyz
  /// kube-vip's `health_check_port` listener: only GET /healthz -> 200 "OK" (liveness of the
  /// process, as in kube-vip); none of the routes above.
  bool healthz_only = false;
};

/// Spawns the telemetry actor from its supervisor.
msg::telemetry_actor spawn_telemetry(caf::local_actor* parent, telemetry_options opts,
                                     net::telemetry::registry& reg);

} // namespace kvip
