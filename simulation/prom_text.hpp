#pragma once
// Reading kvip's /metrics page (the Prometheus text format) in the lab: the
// samples of one metric and their labels. Enough for counters and gauges
// kvip writes itself (no escapes inside label values, no timestamps).

#include <string>
#include <string_view>
#include <vector>

namespace kvip::sim {

/// One sample: the text between the braces ("" without labels) and its value.
struct prom_sample {
  std::string labels;
  double value = 0;
};

/// Every sample of metric `name` in `text`; lines that do not parse are skipped.
std::vector<prom_sample> prom_samples(std::string_view text, std::string_view name);

/// The value of label `key` in a sample's label text ("" when absent).
std::string prom_label(std::string_view labels, std::string_view key);

} // namespace kvip::sim
