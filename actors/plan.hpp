#pragma once
// From a validated configuration to the supervisor's child table: which
// actors this node runs, in start order, and the host checks that must pass
// before anything touches the network (the VIP's interface exists, the
// Kubernetes configuration loads). Every failed check is a problem line;
// the manager exits 2 listing them all.

#include <string>
#include <vector>

#include "actors/node.hpp"
#include "net/config/config.hpp"

namespace kvip::net::telemetry {
class registry;
}

namespace kvip {

struct node_plan {
  std::vector<child_spec> children;
  std::vector<std::string> problems; ///< "key=value: what is wrong"
  std::vector<std::string> notes;    ///< informational lines for the log
  std::vector<std::string> warnings; ///< things the user asked for that will not happen
};

/// Builds the child table for `cfg`. Host facts (interfaces, kubeconfig files)
/// are read here, once, before the actor system starts.
node_plan plan_node(const net::config::settings& cfg, net::telemetry::registry& reg);

} // namespace kvip
