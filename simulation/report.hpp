#pragma once
// The report of `kvip simulate`: the table on stdout (one row per fault and
// system), the JSON file with every trial, and the SVG timeline.

#include <string>
#include <vector>

#include "simulation/scenario.hpp"

namespace kvip::sim {

/// The figures of one (fault, system) row.
struct summary_row {
  std::string fault, system;
  int trials = 0;
  int moved = 0; ///< trials in which another MAC answered
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
  int dual_mac_probes = 0;
  int dual_trials = 0; ///< trials with any dual-MAC probe
  int unanswered_probes = 0;
  double longest_silence_ms = 0;
  int failed = 0; ///< trials with a note (injection or recovery failed)
};

/// Rows in the order faults, then systems, first appear.
std::vector<summary_row> summarise(const std::vector<trial_result>& trials);

/// Prints the steady-state traffic and the table to stdout.
void print_summary(const scenario_result& r);

/// Writes the JSON report.
net::result<void> write_json(const scenario_result& r, const scenario_options& o,
                             const std::string& path);

/// Writes an SVG timeline: one row per node, coloured while its MAC answered,
/// faults marked, systems labelled.
net::result<void> write_svg(const scenario_result& r, const std::string& path);

/// Value at quantile q (0..1) of `v` (nearest rank); 0 for an empty vector.
double percentile(std::vector<double> v, double q);

} // namespace kvip::sim
