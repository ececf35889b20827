// The summary rows of `kvip simulate`: one per (fault, system), in order of
// appearance, percentiles over the trials that moved.
#include "simulation/report.hpp"

#include <gtest/gtest.h>

namespace {

kvip::sim::trial_result trial(const char* system, const char* fault, double switch_ms, int dual,
                              double silence = 0) {
  kvip::sim::trial_result t;
  t.system = system;
  t.fault = fault;
  t.switch_ms = switch_ms;
  t.dual_mac_probes = dual;
  t.silence_ms = silence;
  return t;
}

TEST(SimReport, RowsPerFaultAndSystem) {
  std::vector<kvip::sim::trial_result> trials{
      trial("lease", "kill", 5000, 100),         trial("lease", "kill", 7000, 0),
      trial("keepalived-20ms", "kill", 70, 300), trial("lease", "stop", -1, 0),
      trial("lease", "kill", -1, 0, 1200),       trial("keepalived-20ms", "stop", 80, 5),
  };
  trials[4].note = "restart failed";
  auto rows = kvip::sim::summarise(trials);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].fault, "kill");
  EXPECT_EQ(rows[0].system, "lease");
  EXPECT_EQ(rows[0].trials, 3);
  EXPECT_EQ(rows[0].moved, 2);
  EXPECT_EQ(rows[0].p50_ms, 5000);
  EXPECT_EQ(rows[0].max_ms, 7000);
  EXPECT_EQ(rows[0].dual_mac_probes, 100);
  EXPECT_EQ(rows[0].dual_trials, 1);
  EXPECT_EQ(rows[0].longest_silence_ms, 1200);
  EXPECT_EQ(rows[0].failed, 1);
  EXPECT_EQ(rows[1].system, "keepalived-20ms");
  EXPECT_EQ(rows[2].fault, "stop");
  EXPECT_EQ(rows[2].moved, 0);
  EXPECT_EQ(rows[2].p99_ms, 0);
  EXPECT_EQ(rows[3].system, "keepalived-20ms");
}

TEST(SimReport, PercentileIsNearestRank) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i)
    v.push_back(i);
  EXPECT_EQ(kvip::sim::percentile(v, 0.5), 50);
  EXPECT_EQ(kvip::sim::percentile(v, 0.99), 99);
  EXPECT_EQ(kvip::sim::percentile(v, 1.0), 100);
  EXPECT_EQ(kvip::sim::percentile({}, 0.5), 0);
}

} // namespace
