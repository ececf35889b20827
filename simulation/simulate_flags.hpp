#pragma once
// The flags of `kvip simulate` as typed, and their checked translation into
// scenario_options. Every error names the flag and the bad value.
//
//   --faults kill,stop,...   faults to run (simulation/lab_faults.hpp); "none": steady state only
//   --trials N               trials per fault and system
//   --kills N / --terms N    older spelling: N trials of kill / term
//   --nodes N                3..9
//   --systems LIST           systems under test (gossip, lease, keepalived[-100ms|-20ms])
//   --compare LIST           systems added to the run
//   --stop-duration D        SIGSTOP length (stop)
//   --outage D               API outage length (api-outage)
//   --partition-duration D   partition-gossip / partition-api length
//   --loss P                 random drop on every node (loss), e.g. 10%
//   --vips N                 N control-plane VIPs (1..1000); the first is probed
//   --peers-from-nodes       one Node object per lab node; gossip takes its peers from them
//   --services N             the Services benchmark instead (simulation/svc_bench.hpp): N
//                            Services (1..2000) on gossip nodes; --idle-window defaults to 20 s
//   --sweep-rate R           its client's ARP requests per second

#include <optional>
#include <string>
#include <vector>

#include "simulation/scenario.hpp"

namespace kvip::sim {

/// The most VIPs --vips gives (10.99.0.100-199, then 10.99.1-4.x).
constexpr int max_vips = 1000;

struct simulate_flags {
  int nodes = 3;
  int vips = 1;
  std::string faults; ///< "" = kill,term (or what --kills/--terms ask for)
  int trials = 1;
  std::optional<int> kills, terms; ///< aliases
  std::string systems;             ///< "" = gossip,lease (gossip with --services)
  std::string compare;
  std::string stop_duration = "5s";
  std::string outage = "60s";
  std::string partition = "10s";
  std::string loss = "10%";
  std::string jitter = "3s";
  std::string idle_window; ///< "" = 5 s (20 s with --services)
  std::string switch_budget = "30s";
  int restart_delay_ms = 1000;
  bool no_restart = false;
  bool peers_from_nodes = false;
  int services = 0;                  ///< > 0: the Services benchmark
  double sweep_rate = 5000;          ///< ARP requests/s of the Services benchmark's client
  std::vector<std::string> node_env; ///< "KEY=VALUE" for every node's environment
};

/// Checks the flags and fills `o` (cluster VIPs, Lease timings and report
/// paths are set by the caller directly).
net::result<void> apply_simulate_flags(const simulate_flags& f, scenario_options& o);

} // namespace kvip::sim
