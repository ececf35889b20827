// simulation/prober: starting fails with an error naming what is wrong, and
// returns only once the probe thread has answered (no polling).
#include "simulation/prober.hpp"

#include <gtest/gtest.h>

namespace {

kvip::sim::probe_options options(const std::string& netns, const char* vip, const char* src) {
  kvip::sim::probe_options o;
  o.netns = netns;
  o.vip = *kvip::net::ip_address::parse(vip);
  o.src = *kvip::net::ip_address::parse(src);
  return o;
}

TEST(SimProber, MixedFamiliesAreRefusedNamingBoth) {
  auto p = kvip::sim::prober::start(options("kvip-test-none", "10.0.0.1", "fd00::1"));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.err().describe().find("10.0.0.1"), std::string::npos) << p.err().describe();
  EXPECT_NE(p.err().describe().find("fd00::1"), std::string::npos) << p.err().describe();
}

TEST(SimProber, AMissingNamespaceIsAnErrorFromTheProbeThread) {
  // The thread reports the failure through start(); nothing is left running.
  auto p = kvip::sim::prober::start(options("kvip-test-no-such-netns", "10.0.0.1", "10.0.0.2"));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.err().describe().find("kvip-test-no-such-netns"), std::string::npos)
      << p.err().describe();
}

} // namespace
