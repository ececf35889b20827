// analyse_failover: what the client saw around a fault, from probe samples.
#include "simulation/prober.hpp"

#include <gtest/gtest.h>

namespace {

using kvip::net::mac_address;
using kvip::sim::analyse_failover;
using kvip::sim::probe_sample;

const mac_address a{2, 0x99, 0, 0, 0, 1};
const mac_address b{2, 0x99, 0, 0, 0, 2};

/// Samples every 10 ms from t=0: `pattern` gives who answered each probe
/// ('a', 'b', '2' for both, '.' for nobody).
std::vector<probe_sample> timeline(const std::string& pattern) {
  std::vector<probe_sample> out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    probe_sample s;
    s.t_us = static_cast<std::int64_t>(i) * 10000;
    if (pattern[i] == 'a' || pattern[i] == '2') s.macs.push_back(a);
    if (pattern[i] == 'b' || pattern[i] == '2') s.macs.push_back(b);
    out.push_back(s);
  }
  return out;
}

TEST(SimProberAnalysis, CleanFailoverWithAGap) {
  // fault at probe 5 (50 ms); silence for probes 5..9; b from probe 10.
  auto r = analyse_failover(timeline("aaaaa.....bbbbb"), 50000, 150000);
  EXPECT_EQ(r.before, a);
  EXPECT_EQ(r.after, b);
  EXPECT_EQ(r.switch_us, 50000);
  EXPECT_EQ(r.longest_silence_us, 50000);
  EXPECT_EQ(r.dual_mac_probes, 0);
  EXPECT_EQ(r.unanswered_probes, 5);
  EXPECT_EQ(r.probes, 10);
}

TEST(SimProberAnalysis, OverlapCountsDualMacProbes) {
  auto r = analyse_failover(timeline("aaaaaaa222bbbb"), 50000, 140000);
  EXPECT_EQ(r.after, b);
  EXPECT_EQ(r.switch_us, 20000);
  EXPECT_EQ(r.dual_mac_probes, 3);
  EXPECT_EQ(r.longest_silence_us, 0);
}

TEST(SimProberAnalysis, NoNewOwnerMeansNoSwitchAndSilenceToTheEnd) {
  auto r = analyse_failover(timeline("aaaaa......"), 50000, 110000);
  EXPECT_FALSE(r.after);
  EXPECT_FALSE(r.switch_us);
  EXPECT_EQ(r.longest_silence_us, 60000);
}

TEST(SimProberAnalysis, OldOwnerKeepsAnsweringIsNotASwitch) {
  auto r = analyse_failover(timeline("aaaaaaaaaa"), 50000, 100000);
  EXPECT_EQ(r.before, a);
  EXPECT_FALSE(r.after);
  EXPECT_EQ(r.longest_silence_us, 0);
}

} // namespace
