// `kvip simulate` flags: systems, fault plans, aliases and the errors that
// name the bad flag and value.
#include "simulation/simulate_flags.hpp"

#include <set>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using kvip::sim::fault_kind;
using kvip::sim::system_id;

kvip::sim::scenario_options apply(const kvip::sim::simulate_flags& f) {
  kvip::sim::scenario_options o;
  auto r = kvip::sim::apply_simulate_flags(f, o);
  EXPECT_TRUE(r) << (r ? "" : r.err().describe());
  return o;
}

std::string error_of(const kvip::sim::simulate_flags& f) {
  kvip::sim::scenario_options o;
  auto r = kvip::sim::apply_simulate_flags(f, o);
  return r ? std::string{} : r.err().describe();
}

TEST(SimSimulateFlags, DefaultsAreKillAndTermOnGossipThenLease) {
  auto o = apply({});
  ASSERT_EQ(o.faults.size(), 2u);
  EXPECT_EQ(o.faults[0].kind, fault_kind::kill);
  EXPECT_EQ(o.faults[1].kind, fault_kind::term);
  EXPECT_EQ(o.systems, (std::vector<system_id>{system_id::gossip, system_id::lease}));
  EXPECT_EQ(o.timing.stop_duration, 5s);
  EXPECT_EQ(o.timing.outage, 60s);
  EXPECT_EQ(o.timing.loss_percent, 10);
}

TEST(SimSimulateFlags, FaultsTrialsSystemsAndCompare) {
  kvip::sim::simulate_flags f;
  f.faults = "kill,stop,linkdown";
  f.trials = 30;
  f.nodes = 5;
  f.systems = "gossip,lease";
  f.compare = "lease,keepalived";
  f.stop_duration = "1s";
  auto o = apply(f);
  ASSERT_EQ(o.faults.size(), 3u);
  for (auto& p : o.faults)
    EXPECT_EQ(p.trials, 30);
  EXPECT_EQ(o.cluster.nodes, 5);
  EXPECT_EQ(o.systems,
            (std::vector<system_id>{system_id::gossip, system_id::lease,
                                    system_id::keepalived_100ms, system_id::keepalived_20ms}));
  EXPECT_EQ(o.timing.stop_duration, 1s);
}

TEST(SimSimulateFlags, KillsAndTermsStillWork) {
  kvip::sim::simulate_flags f;
  f.kills = 30;
  f.terms = 2;
  auto o = apply(f);
  ASSERT_EQ(o.faults.size(), 2u);
  EXPECT_EQ(o.faults[0].kind, fault_kind::kill);
  EXPECT_EQ(o.faults[0].trials, 30);
  EXPECT_EQ(o.faults[1].trials, 2);
  f = {};
  f.faults = "stop";
  f.kills = 3; // added beside --faults
  o = apply(f);
  ASSERT_EQ(o.faults.size(), 2u);
  EXPECT_EQ(o.faults[1].kind, fault_kind::kill);
  EXPECT_EQ(o.faults[1].trials, 3);
}

TEST(SimSimulateFlags, FaultsNoneRunsNoTrials) {
  kvip::sim::simulate_flags f;
  f.faults = "none";
  EXPECT_TRUE(apply(f).faults.empty());
}

TEST(SimSimulateFlags, VipsCountsUpwardAvoidingLabHosts) {
  kvip::sim::simulate_flags f;
  EXPECT_EQ(apply(f).cluster.vips, std::vector<std::string>{"10.99.0.100"});
  f.vips = 3;
  EXPECT_EQ(apply(f).cluster.vips,
            (std::vector<std::string>{"10.99.0.100", "10.99.0.101", "10.99.0.102"}));
  f.vips = 1000;
  auto many = apply(f).cluster.vips;
  ASSERT_EQ(many.size(), 1000u);
  EXPECT_EQ(many.front(), "10.99.0.100");
  EXPECT_EQ(many[99], "10.99.0.199");
  EXPECT_EQ(many[100], "10.99.1.1");
  EXPECT_EQ(std::set<std::string>(many.begin(), many.end()).size(), 1000u);
  for (auto& v : many)
    EXPECT_NE(v, "10.99.0.200") << "the client's address";
  // The first is the probed --vip; a list and a count do not mix.
  kvip::sim::scenario_options o;
  o.cluster.vips = {"10.99.0.150"};
  f.vips = 2;
  ASSERT_TRUE(kvip::sim::apply_simulate_flags(f, o));
  EXPECT_EQ(o.cluster.vips, (std::vector<std::string>{"10.99.0.150", "10.99.0.100"}));
  o.cluster.vips = {"10.99.0.150", "10.99.0.151"};
  auto r = kvip::sim::apply_simulate_flags(f, o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().describe().find("--vips 2"), std::string::npos);
}

TEST(SimSimulateFlags, PeersFromNodesMakeNodeObjects) {
  kvip::sim::simulate_flags f;
  EXPECT_FALSE(apply(f).cluster.peers_from_nodes);
  f.peers_from_nodes = true;
  f.systems = "gossip";
  f.faults = "kill,delete-node";
  auto o = apply(f);
  EXPECT_TRUE(o.cluster.peers_from_nodes);
  ASSERT_EQ(o.faults.size(), 2u);
  EXPECT_EQ(o.faults[1].kind, fault_kind::delete_node);
}

TEST(SimSimulateFlags, ServicesRunGossipWithATwentySecondWindow) {
  kvip::sim::simulate_flags f;
  f.services = 40;
  auto o = apply(f);
  EXPECT_EQ(o.services, 40);
  EXPECT_EQ(o.systems, (std::vector<system_id>{system_id::gossip}));
  EXPECT_EQ(o.idle_window, 20s);
  EXPECT_EQ(o.sweep_rate, 5000);
  f.idle_window = "3s";
  f.sweep_rate = 800;
  o = apply(f);
  EXPECT_EQ(o.idle_window, 3s);
  EXPECT_EQ(o.sweep_rate, 800);
  // Without --services: the failover benchmark as before.
  auto plain = apply({});
  EXPECT_EQ(plain.services, 0);
  EXPECT_EQ(plain.idle_window, 5s);
}

TEST(SimSimulateFlags, ErrorsNameFlagAndValue) {
  struct row {
    void (*set)(kvip::sim::simulate_flags&);
    const char* want;
  };
  for (auto& [set, want] : {
           row{[](auto& f) { f.nodes = 2; }, "--nodes: 2"},
           row{[](auto& f) { f.nodes = 10; }, "--nodes: 10"},
           row{[](auto& f) { f.trials = 0; }, "--trials: 0"},
           row{[](auto& f) { f.faults = "kill,nap"; }, "--faults: unknown fault 'nap'"},
           row{[](auto& f) { f.systems = "vrrp"; }, "--systems: unknown system 'vrrp'"},
           row{[](auto& f) { f.compare = "lease,"; }, "--compare: unknown system ''"},
           row{[](auto& f) { f.stop_duration = "0"; }, "--stop-duration: '0'"},
           row{[](auto& f) { f.outage = "1h"; }, "--outage: '1h'"},
           row{[](auto& f) { f.loss = "200%"; }, "--loss: '200%'"},
           row{[](auto& f) { f.restart_delay_ms = -1; }, "--restart-delay-ms: -1"},
           row{[](auto& f) { f.vips = 0; }, "--vips: 0"},
           row{[](auto& f) { f.vips = 1001; }, "--vips: 1001"},
           row{[](auto& f) { f.services = 2001; }, "--services: 2001"},
           row{[](auto& f) { f.services = -1; }, "--services: -1"},
           row{[](auto& f) {
                 f.services = 10;
                 f.sweep_rate = 5;
               },
               "--sweep-rate: 5"},
           row{[](auto& f) {
                 f.services = 10;
                 f.systems = "lease";
               },
               "--services: only with --systems gossip"},
           row{[](auto& f) {
                 f.services = 10;
                 f.compare = "keepalived";
               },
               "--services: only with --systems gossip"},
           row{[](auto& f) {
                 f.services = 10;
                 f.vips = 5;
               },
               "--services: no --vips"},
           row{[](auto& f) {
                 f.faults = "none";
                 f.kills = 3;
               },
               "--faults none"},
           row{[](auto& f) {
                 f.kills = 0;
                 f.terms = 0;
               },
               "no trials"},
           row{[](auto& f) {
                 f.faults = "kill,delete-node";
                 f.systems = "gossip";
               },
               "--faults delete-node: needs --peers-from-nodes"},
           row{[](auto& f) {
                 f.faults = "delete-node";
                 f.peers_from_nodes = true;
                 f.systems = "gossip";
                 f.compare = "lease";
               },
               "--faults delete-node: only with --systems gossip (lease"},
       }) {
    kvip::sim::simulate_flags f;
    set(f);
    EXPECT_NE(error_of(f).find(want), std::string::npos) << want << " in: " << error_of(f);
  }
}

} // namespace
