// The fault names, duration and percentage flags of `kvip simulate`, and the
// nftables bodies of the network faults.
#include "simulation/lab_faults.hpp"

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using kvip::sim::fault_kind;

TEST(SimLabFaults, ParsesEveryFaultByName) {
  auto all = kvip::sim::parse_faults(
      "kill,stop,linkdown,term,partition-gossip,partition-api,api-outage,loss,rolling,forge,"
      "forge-peers,delete-node");
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, kvip::sim::all_faults());
  for (auto f : kvip::sim::all_faults()) {
    auto one = kvip::sim::parse_faults(kvip::sim::to_string(f));
    ASSERT_TRUE(one) << kvip::sim::to_string(f);
    EXPECT_EQ(one->front(), f);
  }
}

TEST(SimLabFaults, DuplicatesCollapseInOrder) {
  auto r = kvip::sim::parse_faults("term,kill,term");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<fault_kind>{fault_kind::term, fault_kind::kill}));
}

TEST(SimLabFaults, UnknownOrEmptyEntriesNameTheValue) {
  for (const char* bad : {"kil", "kill,", ",kill", "", "kill,,stop", "KILL"}) {
    auto r = kvip::sim::parse_faults(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.err().describe().find("--faults"), std::string::npos);
    EXPECT_NE(r.err().describe().find("known: kill"), std::string::npos);
  }
  auto r = kvip::sim::parse_faults("kill,boom");
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().describe().find("'boom'"), std::string::npos);
}

TEST(SimLabFaults, Durations) {
  struct row {
    const char* text;
    std::chrono::milliseconds want;
  };
  for (auto [text, want] : {row{"5s", 5s}, row{"500ms", 500ms}, row{"1m", 60s}, row{"1.5s", 1500ms},
                            row{"250", 250ms}, row{"0", 0ms}}) {
    auto d = kvip::sim::parse_duration_flag("--x", text);
    ASSERT_TRUE(d) << text;
    EXPECT_EQ(*d, want) << text;
  }
  for (const char* bad : {"", "s", "5x", "-1s", "1.s", ".5s", "5 s", "2d", "99999m"}) {
    auto d = kvip::sim::parse_duration_flag("--stop-duration", bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_NE(d.err().describe().find("--stop-duration: '" + std::string{bad} + "'"),
              std::string::npos);
  }
}

TEST(SimLabFaults, Percentages) {
  EXPECT_EQ(*kvip::sim::parse_percent_flag("--loss", "10%"), 10);
  EXPECT_EQ(*kvip::sim::parse_percent_flag("--loss", "0"), 0);
  EXPECT_EQ(*kvip::sim::parse_percent_flag("--loss", "100"), 100);
  for (const char* bad : {"", "%", "101%", "-1", "10.5%", "ten"}) {
    auto p = kvip::sim::parse_percent_flag("--loss", bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_NE(p.err().describe().find("--loss: '"), std::string::npos);
  }
}

TEST(SimLabFaults, NftBodiesDropBothDirections) {
  auto body = kvip::sim::nft_drop_body({"tcp dport 7947", "tcp sport 7947"});
  EXPECT_NE(body.find("hook input"), std::string::npos);
  EXPECT_NE(body.find("hook output"), std::string::npos);
  EXPECT_NE(body.find("tcp dport 7947 drop"), std::string::npos);
  auto loss = kvip::sim::nft_loss_body(10);
  EXPECT_NE(loss.find("numgen random mod 100 < 10 drop"), std::string::npos);
}

} // namespace
