// The systems `kvip simulate` can run, by name.
#include "simulation/systems.hpp"

#include <gtest/gtest.h>

namespace {

using kvip::sim::system_id;

TEST(SimSystems, NamesRoundTripAndKeepalivedMeansBoth) {
  for (auto s : {system_id::gossip, system_id::lease, system_id::keepalived_100ms,
                 system_id::keepalived_20ms}) {
    auto r = kvip::sim::parse_systems("--systems", kvip::sim::to_string(s));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, std::vector<system_id>{s});
  }
  auto both = kvip::sim::parse_systems("--compare", "keepalived,keepalived-20ms,lease");
  ASSERT_TRUE(both);
  EXPECT_EQ(*both, (std::vector<system_id>{system_id::keepalived_100ms, system_id::keepalived_20ms,
                                           system_id::lease}));
  EXPECT_TRUE(kvip::sim::is_keepalived(system_id::keepalived_20ms));
  EXPECT_FALSE(kvip::sim::is_keepalived(system_id::gossip));
}

TEST(SimSystems, UnknownNamesAreNamed) {
  auto r = kvip::sim::parse_systems("--compare", "lease,kube-vip");
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().describe().find("--compare: unknown system 'kube-vip'"), std::string::npos);
}

} // namespace
