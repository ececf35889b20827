// The Services benchmark's pure part (simulation/svc_bench_report.hpp):
// addresses, percentiles, /proc/<pid>/status, what the ARP sweep saw turned
// into creation and takeover figures, the targets and the JSON report.
#include "simulation/svc_bench_report.hpp"

#include <set>

#include <gtest/gtest.h>

namespace {

using kvip::net::ip_address;
using kvip::net::mac_address;
using kvip::sim::sweep_entry;

mac_address mac(int n) {
  return mac_address{0x02, 0x99, 0, 0, 0, static_cast<std::uint8_t>(n)};
}

const std::vector<mac_address> nodes{mac(1), mac(2), mac(3)};

/// An address answered by `who` (MAC numbers), first at `firsts` (µs).
sweep_entry seen(std::vector<int> who, std::vector<std::int64_t> firsts, std::uint64_t multi = 0) {
  sweep_entry e;
  e.address = *ip_address::parse("10.99.1.1");
  for (std::size_t i = 0; i < who.size(); ++i) {
    e.macs.push_back(mac(who[i]));
    e.macs_first_us.push_back(firsts[i]);
  }
  if (!firsts.empty()) e.first_answer_us = *std::min_element(firsts.begin(), firsts.end());
  e.current = e.macs;
  e.multi_mac_requests = multi;
  return e;
}

TEST(SvcBenchReport, ServiceAddressesSkipTheLabSubnetAndAreDistinct) {
  auto a = kvip::sim::service_addresses(kvip::sim::max_services);
  ASSERT_EQ(a.size(), static_cast<std::size_t>(kvip::sim::max_services));
  EXPECT_EQ(a.front(), "10.99.1.1");
  EXPECT_EQ(a[253], "10.99.1.254");
  EXPECT_EQ(a[254], "10.99.2.1");
  EXPECT_EQ(std::set<std::string>(a.begin(), a.end()).size(), a.size());
  for (const auto& x : a)
    EXPECT_NE(x.rfind("10.99.0.", 0), 0u) << x;
  EXPECT_EQ(kvip::sim::service_addresses(3).size(), 3u);
  EXPECT_TRUE(kvip::sim::service_addresses(0).empty());
}

TEST(SvcBenchReport, DistributionIsNearestRank) {
  struct row {
    std::vector<double> ms;
    double p50, p99, max;
  };
  std::vector<double> hundred;
  for (int i = 100; i >= 1; --i)
    hundred.push_back(i);
  for (const auto& [ms, p50, p99, max] : {
           row{{}, 0, 0, 0},
           row{{7}, 7, 7, 7},
           row{{3, 1, 2}, 2, 3, 3},
           row{hundred, 50, 99, 100},
       }) {
    auto d = kvip::sim::distribution(ms);
    EXPECT_EQ(d.n, ms.size());
    EXPECT_EQ(d.p50, p50);
    EXPECT_EQ(d.p99, p99);
    EXPECT_EQ(d.max, max);
  }
}

TEST(SvcBenchReport, ProcStatusGivesTheThreeRssLines) {
  auto r = kvip::sim::parse_proc_status("Name:\tkvip\nVmPeak:\t  99999 kB\nVmRSS:\t   23456 kB\n"
                                        "RssAnon:\t   20000 kB\nRssFile:\t    3400 kB\n"
                                        "RssShmem:\t      56 kB\nThreads:\t9\n");
  EXPECT_EQ(r.vm_rss, 23456);
  EXPECT_EQ(r.rss_anon, 20000);
  EXPECT_EQ(r.rss_file, 3400);
  auto none = kvip::sim::parse_proc_status("Name:\tzombie\nState:\tZ\n");
  EXPECT_EQ(none.vm_rss, -1);
  EXPECT_EQ(none.rss_anon, -1);
}

TEST(SvcBenchReport, CreationCountsLatencyOwnersAndSeveralMacs) {
  // Created at 1000 µs each; answered 5, 15, 25 ms later; one by two MACs;
  // one never.
  std::vector<std::int64_t> created{1000, 1000, 1000, 1000, 1000};
  std::vector<sweep_entry> s{seen({1}, {6000}), seen({2}, {16000}), seen({1}, {26000}),
                             seen({2, 3}, {9000, 9500}, 2), seen({}, {})};
  auto c = kvip::sim::summarise_creation(created, s, nodes);
  EXPECT_EQ(c.latency.n, 4u);
  EXPECT_EQ(c.latency.p50, 8);
  EXPECT_EQ(c.latency.max, 25);
  EXPECT_EQ(c.unanswered, 1);
  EXPECT_EQ(c.several_macs, 1);
  EXPECT_EQ(c.multi_mac_requests, 2u);
  EXPECT_EQ(c.vips_per_node, (std::vector<int>{2, 1, 0})); // several MACs: no owner
  EXPECT_EQ(c.vips_min, 0);
  EXPECT_EQ(c.vips_max, 2);
  // An answer a hair before the creation reply counts as 0 ms.
  auto early = kvip::sim::summarise_creation({5000}, {seen({3}, {4990})}, nodes);
  EXPECT_EQ(early.latency.max, 0);
}

TEST(SvcBenchReport, CurrentOwnersAreSoleAnswerers) {
  std::vector<sweep_entry> s{seen({2}, {1}), seen({1, 3}, {1, 2}), seen({}, {}), seen({9}, {1})};
  EXPECT_EQ(kvip::sim::current_owners(s, nodes), (std::vector<int>{1, -1, -1, -1}));
}

TEST(SvcBenchReport, MoveTimesIgnoreTheDeadMac) {
  // Killed at 100000 µs; node 1 (MAC 1) is dead.
  const std::int64_t kill = 100000;
  std::vector<sweep_entry> s{
      seen({2}, {180000}),               // 80 ms to node 2
      seen({1, 3}, {100100, 220000}),    // the dead MAC's late answer, then node 3 at 120 ms
      seen({3, 2}, {150000, 160000}, 1), // two other MACs: 50 ms, counted as several
      seen({1}, {1200000}),              // only the restarted node answered: not moved
  };
  auto m = kvip::sim::summarise_move(kill, mac(1), s, nodes);
  EXPECT_EQ(m.vips, 4);
  EXPECT_EQ(m.moved.n, 3u);
  EXPECT_EQ(m.moved.max, 120);
  EXPECT_EQ(m.moved.p50, 80);
  EXPECT_EQ(m.not_moved, 1);
  EXPECT_EQ(m.several_macs, 1);
  EXPECT_EQ(m.dead_answered, 2);
  EXPECT_EQ(m.multi_mac_requests, 1u);
  EXPECT_EQ(m.to_node, (std::vector<int>{0, 1, 2}));
}

kvip::sim::services_bench_result sample() {
  kvip::sim::services_bench_result r;
  r.nodes = 3;
  r.services = 2;
  r.node_names = {"n1", "n2", "n3"};
  r.creation =
      kvip::sim::summarise_creation({0, 0}, {seen({1}, {50000}), seen({2}, {90000})}, nodes);
  r.api.writes_per_s = 3;
  r.api.requests_per_s = 3.5;
  r.rss_steady = {{10240, 8000, 2240}, {30720, 28000, 2720}, {}};
  kvip::sim::kill_run k;
  k.node = "n1";
  k.move = kvip::sim::summarise_move(0, mac(1), {seen({2}, {120000})}, nodes);
  r.kills.push_back(k);
  k.restart = false;
  k.move = kvip::sim::summarise_move(0, mac(1), {seen({}, {})}, nodes);
  r.kills.push_back(k);
  return r;
}

TEST(SvcBenchReport, TargetsSayMetMissedOrNotMeasured) {
  auto t = kvip::sim::check_targets(sample());
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].what, "creation -> answering p99");
  EXPECT_EQ(t[0].value, 90);
  EXPECT_TRUE(t[0].measured && t[0].met);
  EXPECT_FALSE(t[1].met); // 3 writes/s > 1
  EXPECT_EQ(t[2].value, 30);
  EXPECT_FALSE(t[2].met); // 30 MiB > 20
  EXPECT_TRUE(t[3].measured && t[3].met);
  EXPECT_FALSE(t[4].measured); // nothing moved: not a number to compare
  kvip::sim::services_bench_result empty;
  for (const auto& x : kvip::sim::check_targets(empty))
    EXPECT_FALSE(x.measured) << x.what;
}

TEST(SvcBenchReport, JsonHasEveryPart) {
  auto j = kvip::sim::services_json(sample());
  EXPECT_EQ(j.at("mode"), "services");
  EXPECT_EQ(j.at("services"), 2);
  EXPECT_EQ(j.at("creation").at("latency").at("p99_ms"), 90.0);
  EXPECT_EQ(j.at("creation").at("vips_per_node").as_array().size(), 3u);
  EXPECT_EQ(j.at("steady").at("writes_per_s"), 3.0);
  EXPECT_EQ(j.at("per_node").as_array().size(), 3u);
  EXPECT_EQ(j.at("per_node").at(1).at("rss_steady").at("rss_anon_kib"), 28000);
  ASSERT_EQ(j.at("kills").as_array().size(), 2u);
  EXPECT_EQ(j.at("kills").at(0).at("restart"), true);
  EXPECT_EQ(j.at("kills").at(0).at("moved").at("max_ms"), 120.0);
  EXPECT_EQ(j.at("kills").at(1).at("not_moved"), 1);
  EXPECT_EQ(j.at("targets").as_array().size(), 5u);
  EXPECT_EQ(j.at("targets").at(1).at("met"), false);
}

} // namespace
