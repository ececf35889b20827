#pragma once
// `kvip simulate`: the failover benchmark on a simulated cluster (issue 9,
// "Benchmark and targets"). Builds the lab once; then for every system under
// test (kvip with gossip, kvip Lease-only, keepalived with 100 ms and 20 ms
// adverts) starts it on every node, waits for one node to answer for the VIP,
// waits until every node has joined (simulation/systems_ready.cpp), measures
// what each node sends and what the API server is asked to write in steady
// state, and runs every fault (waiting for every node again before each)
// (simulation/lab_faults.hpp) `trials` times against whichever node answers,
// measured from the client's side (simulation/trial.hpp). Then the next
// system takes the same lab. The report (simulation/report.hpp) has one row
// per (system, fault) and every trial.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "simulation/cluster.hpp"
#include "simulation/lab_faults.hpp"
#include "simulation/systems.hpp"
#include "simulation/trial.hpp"

namespace kvip::sim {

/// A fault and how many trials of it, per system.
struct fault_plan {
  fault_kind kind = fault_kind::kill;
  int trials = 1;
};

struct scenario_options {
  cluster_options cluster;
  std::vector<system_id> systems{system_id::lease};
  std::vector<fault_plan> faults{{fault_kind::kill, 1}, {fault_kind::term, 1}};
  trial_timing timing;
  std::chrono::milliseconds idle_window{5000}; ///< steady-state packets and API writes; 0 = skip
  std::chrono::milliseconds first_owner_budget{30000};
  std::string report_json; ///< "" = none
  std::string report_svg;  ///< "" = none
  bool verbose = true;     ///< print progress lines
  /// > 0: the Services benchmark with this many Services (simulation/svc_bench.hpp).
  int services = 0;
  double sweep_rate = 5000; ///< its client's ARP requests per second
};

/// One system's part of the run.
struct system_run {
  std::string system;
  std::vector<tx_rate> tx; ///< steady state, per node
  /// Steady-state writes/s at the API server over the same window (-1: not measured).
  double api_writes_per_s = -1;
  std::map<std::string, double> api_writes_by_resource; ///< "leases" -> writes/s
  std::map<std::string, double> api_writes_by_node;     ///< "n1" (or the client IP) -> writes/s
  /// gossip: frame bytes each node's kvip sent per second (its
  /// kvip_gossip_bytes_total{direction="out"}), without TCP/IP and ZeroMQ framing.
  std::map<std::string, double> gossip_bytes_per_s;
  double start_s = 0, end_s = 0;
  std::string error; ///< "" or why its trials stopped early
};

struct scenario_result {
  std::vector<trial_result> trials;
  std::vector<system_run> systems;
  std::vector<probe_sample> samples;
  std::vector<std::string> node_names;
  std::vector<net::mac_address> node_macs;
  std::string error; ///< "" or why the scenario stopped early
};

/// Runs the scenario; `stop` is polled so Ctrl-C ends it early (teardown still runs).
scenario_result run_scenario(const scenario_options& opts, const volatile bool* stop = nullptr);

/// Prints "simulate: <line>" when `o.verbose` (progress of a run).
void say(const scenario_options& o, const std::string& line);
/// True once the caller's stop flag (SIGINT) is set; a null flag never is.
bool stopped(const volatile bool* stop);

} // namespace kvip::sim
