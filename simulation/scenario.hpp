#pragma once
// `kvip simulate`: the failover scenario on a simulated cluster. Builds the
// lab, waits for a leader, then repeatedly kills (SIGKILL) or stops (SIGTERM)
// the node answering for the VIP, measures from the client's side how long
// until another MAC answers and whether two MACs answered at once, restarts
// the stopped kvip (as the kubelet would) and waits for a single owner again.

#include <chrono>
#include <string>
#include <vector>

#include "simulation/cluster.hpp"

namespace kvip::sim {

struct scenario_options {
  cluster_options cluster;
  int kills = 1;                                  ///< SIGKILL rounds
  int terms = 1;                                  ///< SIGTERM rounds
  std::chrono::milliseconds restart_delay{1000};  ///< kubelet restarting the stopped kvip
  std::chrono::milliseconds switch_budget{30000}; ///< give up waiting for a new owner
  /// Before each fault wait a random time up to this, so faults do not line
  /// up with the followers' polling (a restarted node polls right after it
  /// starts, and the scenario would otherwise strike at a fixed offset).
  std::chrono::milliseconds fault_jitter{3000};
  std::string report_json; ///< "" = none
  std::string report_svg;  ///< "" = none
  bool verbose = true;     ///< print progress lines
};

/// One fault and what the client saw.
struct round_result {
  std::string kind;        ///< "SIGKILL" or "SIGTERM"
  std::string from, to;    ///< node names ("" when nobody took over)
  double fault_s = 0;      ///< seconds since probing started
  double switch_ms = -1;   ///< fault -> first probe answered by the new owner (-1: never)
  double silence_ms = 0;   ///< longest run of unanswered probes
  int dual_mac_probes = 0; ///< probes answered by two MACs, until a single owner again
  double dual_ms = 0;      ///< how long two MACs answered (probe count × interval)
};

struct scenario_result {
  std::vector<round_result> rounds;
  std::vector<probe_sample> samples;
  std::vector<std::string> node_names;
  std::vector<net::mac_address> node_macs;
  std::string error; ///< "" or why the scenario stopped early
};

/// Runs the scenario; `stop` is polled so Ctrl-C ends it early (teardown still runs).
scenario_result run_scenario(const scenario_options& opts, const volatile bool* stop = nullptr);

/// Prints the per-round table and the summary (p50/p95/p99/max) to stdout.
void print_summary(const scenario_result& r);

/// Writes the JSON report.
net::result<void> write_json(const scenario_result& r, const scenario_options& o,
                             const std::string& path);

/// Writes an SVG timeline: one row per node, coloured while its MAC answered,
/// faults marked.
net::result<void> write_svg(const scenario_result& r, const std::string& path);

/// Value at quantile q (0..1) of `v` (nearest rank); 0 for an empty vector.
double percentile(std::vector<double> v, double q);

} // namespace kvip::sim
