// Unit tests for net/telemetry/metrics: exposition format, concurrency, registration rules,
// and promtool's own verdict on what we render.
#include "net/telemetry/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace kvip::net::telemetry;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

} // namespace

TEST(MetricsFormat, Values) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(-0.0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(-7), "-7");
  EXPECT_EQ(format_value(123456789012), "123456789012");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(2.5), "2.5");
  EXPECT_EQ(format_value(1e-5), "1e-05");
  EXPECT_EQ(format_value(1e20), "1e+20");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
  EXPECT_EQ(format_value(inf), "+Inf");
  EXPECT_EQ(format_value(-inf), "-Inf");
}

TEST(MetricsExposition, CounterWithLabelsAndEscaping) {
  registry reg;
  auto& f = reg.counter_family("kube_vip_service_election_attempts_total",
                               "Election attempts.\nPer \"Service\" \\ namespace.",
                               {"namespace", "name"});
  f.with({"default", "nginx"}).inc();
  f.with({"default", "a\"b\\c\nd"}).add(2.5);
  f.with({"default", "nginx"}).add(-3); // ignored: counters never go down
  EXPECT_EQ(
      reg.expose(),
      R"(# HELP kube_vip_service_election_attempts_total Election attempts.\nPer "Service" \\ namespace.
# TYPE kube_vip_service_election_attempts_total counter
kube_vip_service_election_attempts_total{namespace="default",name="a\"b\\c\nd"} 2.5
kube_vip_service_election_attempts_total{namespace="default",name="nginx"} 1
)");
}

TEST(MetricsExposition, CounterGetsTotalSuffix) {
  registry reg;
  auto& f = reg.counter_family("kube_vip_manager_all_services_events", "Service events.", {"type"});
  EXPECT_EQ(f.name(), "kube_vip_manager_all_services_events_total");
  EXPECT_EQ(&f, &reg.counter_family("kube_vip_manager_all_services_events_total", "Service events.",
                                    {"type"}));
  f.with({"ADDED"}).inc();
  EXPECT_EQ(reg.expose(), "# HELP kube_vip_manager_all_services_events_total Service events.\n"
                          "# TYPE kube_vip_manager_all_services_events_total counter\n"
                          "kube_vip_manager_all_services_events_total{type=\"ADDED\"} 1\n");
}

TEST(MetricsExposition, GaugesSortedByFamilyAndSeries) {
  registry reg;
  auto& leader = reg.gauge_family("kube_vip_is_leader", "Leadership.", {"node", "lease_name"});
  auto& active = reg.gauge_family("kube_vip_active_services", "Active Services.", {"namespace"});
  reg.gauge_family("kube_vip_unused", "No series yet.", {"x"}); // not rendered
  leader.with({"node-b", "plndr-svcs-lock"}).set(0);
  leader.with({"node-a", "plndr-cp-lock"}).set(1);
  auto& kube_system = active.with({"kube-system"});
  kube_system.inc();
  kube_system.inc();
  kube_system.dec();
  active.with({"default"}).set(3);
  EXPECT_EQ(reg.expose(), R"(# HELP kube_vip_active_services Active Services.
# TYPE kube_vip_active_services gauge
kube_vip_active_services{namespace="default"} 3
kube_vip_active_services{namespace="kube-system"} 1
# HELP kube_vip_is_leader Leadership.
# TYPE kube_vip_is_leader gauge
kube_vip_is_leader{node="node-a",lease_name="plndr-cp-lock"} 1
kube_vip_is_leader{node="node-b",lease_name="plndr-svcs-lock"} 0
)");
}

TEST(MetricsExposition, LabelLessMetricsExistFromRegistration) {
  registry reg;
  reg.counter_family("kvip_restarts", "Restarts.");
  auto& g = reg.gauge_family("kvip_weird", "Special values.").with();
  g.set(std::nan(""));
  EXPECT_EQ(reg.expose(), "# HELP kvip_restarts_total Restarts.\n"
                          "# TYPE kvip_restarts_total counter\n"
                          "kvip_restarts_total 0\n"
                          "# HELP kvip_weird Special values.\n"
                          "# TYPE kvip_weird gauge\n"
                          "kvip_weird NaN\n");
  g.set(-inf);
  EXPECT_NE(reg.expose().find("kvip_weird -Inf\n"), std::string::npos);
}

TEST(MetricsExposition, HistogramCumulativeBuckets) {
  registry reg;
  auto& f = reg.histogram_family("kube_vip_service_reconcile_duration_seconds", "Reconcile time.",
                                 {"namespace"}, {0.125, 1, 10, inf});
  auto& h = f.with({"default"});
  for (double v : {0.25, 0.5, 0.5, 100.0, 0.125})
    h.observe(v); // 0.125 is on a bound
  EXPECT_EQ(reg.expose(), R"(# HELP kube_vip_service_reconcile_duration_seconds Reconcile time.
# TYPE kube_vip_service_reconcile_duration_seconds histogram
kube_vip_service_reconcile_duration_seconds_bucket{namespace="default",le="0.125"} 1
kube_vip_service_reconcile_duration_seconds_bucket{namespace="default",le="1"} 4
kube_vip_service_reconcile_duration_seconds_bucket{namespace="default",le="10"} 4
kube_vip_service_reconcile_duration_seconds_bucket{namespace="default",le="+Inf"} 5
kube_vip_service_reconcile_duration_seconds_sum{namespace="default"} 101.375
kube_vip_service_reconcile_duration_seconds_count{namespace="default"} 5
)");
  auto snap = h.read();
  EXPECT_EQ(snap.count, 5u);
  EXPECT_EQ(snap.cumulative, (std::vector<uint64_t>{1, 4, 4, 5}));
}

TEST(MetricsExposition, HistogramWithoutLabelsAndDefaultBuckets) {
  registry reg;
  auto& f = reg.histogram_family("kvip_probe_seconds", "Probe time.");
  EXPECT_EQ(f.bounds(), default_buckets());
  f.with().observe(std::nan(""));
  auto out = reg.expose();
  EXPECT_NE(out.find("kvip_probe_seconds_bucket{le=\"0.005\"} 0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("kvip_probe_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("kvip_probe_seconds_sum NaN\n"), std::string::npos) << out;
  EXPECT_NE(out.find("kvip_probe_seconds_count 1\n"), std::string::npos) << out;
}

TEST(MetricsRegistry, ConcurrentUpdatesAddUpExactly) {
  registry reg;
  auto& cf = reg.counter_family("kvip_hits_total", "Hits.", {"worker_group"});
  auto& gf = reg.gauge_family("kvip_level", "Level.", {"worker_group"});
  auto& hf = reg.histogram_family("kvip_latency_seconds", "Latency.", {"worker_group"}, {0.5});
  constexpr int threads = 4;
  constexpr int per_thread = 100000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        cf.with({"all"}).inc(); // lookup + increment from every thread
        gf.with({"all"}).add(1);
        hf.with({"all"}).observe((i + t) % 2 == 0 ? 0.25 : 1.0);
        if (i % 1000 == 0) (void)reg.expose(); // rendering concurrently is safe
      }
    });
  }
  for (auto& th : pool)
    th.join();
  EXPECT_EQ(cf.with({"all"}).value(), threads * per_thread);
  EXPECT_EQ(gf.with({"all"}).value(), threads * per_thread);
  auto snap = hf.with({"all"}).read();
  EXPECT_EQ(snap.count, static_cast<uint64_t>(threads * per_thread));
  EXPECT_EQ(snap.cumulative[0], static_cast<uint64_t>(threads * per_thread / 2));
  EXPECT_EQ(snap.sum, threads * per_thread / 2 * 1.25);
}

TEST(MetricsRegistry, ReRegistrationReturnsSameFamily) {
  registry reg;
  auto& a = reg.gauge_family("kvip_x", "X.", {"a"});
  auto& b = reg.gauge_family("kvip_x", "Other help is ignored.", {"a"});
  EXPECT_EQ(&a, &b);
  auto& s = a.with({"1"});
  EXPECT_EQ(&s, &b.with({"1"}));
  auto& h1 = reg.histogram_family("kvip_h_seconds", "H.", {}, {1, 2});
  EXPECT_EQ(&h1, &reg.histogram_family("kvip_h_seconds", "H.", {}, {1, 2}));
}

TEST(MetricsRegistry, ConflictingRegistrationThrows) {
  registry reg;
  reg.gauge_family("kvip_x", "X.", {"a"});
  reg.gauge_family("kvip_y_total", "A gauge with a counter-like name.");
  EXPECT_THROW(reg.counter_family("kvip_y", "Y.", {}), std::logic_error);
  EXPECT_THROW(reg.histogram_family("kvip_x", "X.", {"a"}), std::logic_error);
  EXPECT_THROW(reg.gauge_family("kvip_x", "X.", {"b"}), std::logic_error);
  EXPECT_THROW(reg.gauge_family("kvip_x", "X.", {}), std::logic_error);
  reg.histogram_family("kvip_h", "H.", {}, {1, 2});
  EXPECT_THROW(reg.histogram_family("kvip_h", "H.", {}, {1, 3}), std::logic_error);
  // Sample names must stay unique across families.
  EXPECT_THROW(reg.gauge_family("kvip_h_count", "Clash.", {}), std::logic_error);
  EXPECT_THROW(reg.gauge_family("kvip_h_sum", "Clash.", {}), std::logic_error);
  reg.gauge_family("kvip_g_bucket", "G.");
  EXPECT_THROW(reg.histogram_family("kvip_g", "Clash.", {}), std::logic_error);
  EXPECT_NO_THROW(reg.counter_family("kvip_h_bucket", "Fine: exposed as kvip_h_bucket_total."));
}

TEST(MetricsRegistry, BadNamesRejected) {
  registry reg;
  for (const char* bad : {"", "1abc", "a-b", "a b", "é"}) {
    EXPECT_THROW(reg.gauge_family(bad, "Bad."), std::logic_error) << bad;
  }
  EXPECT_NO_THROW(reg.gauge_family("ns:sub_name", "Colons are allowed in metric names."));
  for (const char* bad : {"", "__reserved", "a:b", "0x", "a-b"}) {
    EXPECT_THROW(reg.gauge_family("kvip_ok", "Bad label.", {bad}), std::logic_error) << bad;
  }
  EXPECT_THROW(reg.gauge_family("kvip_ok", "Duplicate.", {"a", "a"}), std::logic_error);
  EXPECT_THROW(reg.histogram_family("kvip_ok_seconds", "le is ours.", {"le"}), std::logic_error);
  EXPECT_THROW(reg.histogram_family("kvip_ok_seconds", "Unsorted.", {}, {2, 1}), std::logic_error);
  EXPECT_THROW(reg.histogram_family("kvip_ok_seconds", "Dup.", {}, {1, 1}), std::logic_error);
  EXPECT_THROW(reg.histogram_family("kvip_ok_seconds", "NaN.", {}, {std::nan("")}),
               std::logic_error);
  EXPECT_TRUE(valid_label_name("_x"));
  EXPECT_FALSE(valid_label_name("_"
                                "_x"));
  EXPECT_TRUE(valid_metric_name(":x"));
}

TEST(MetricsRegistry, WrongLabelCountThrows) {
  registry reg;
  auto& f = reg.gauge_family("kvip_x", "X.", {"a", "b"});
  EXPECT_THROW(f.with({"1"}), std::logic_error);
  EXPECT_THROW(f.with({"1", "2", "3"}), std::logic_error);
  EXPECT_NO_THROW(f.with({"1", "2"}));
}

TEST(MetricsRegistry, RemoveAndClear) {
  registry reg;
  auto& f = reg.gauge_family("kvip_x", "X.", {"a"});
  f.with({"1"}).set(1);
  f.with({"2"}).set(2);
  EXPECT_TRUE(f.remove({"1"}));
  EXPECT_FALSE(f.remove({"1"}));
  EXPECT_EQ(f.size(), 1u);
  EXPECT_EQ(reg.expose(), "# HELP kvip_x X.\n# TYPE kvip_x gauge\nkvip_x{a=\"2\"} 2\n");
  f.clear();
  EXPECT_EQ(reg.expose(), "");
  auto& plain = reg.counter_family("kvip_c_total", "C.");
  plain.with().add(5);
  plain.clear();
  EXPECT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain.with().value(), 0);
}

TEST(MetricsRegistry, DefaultRegistryIsProcessWide) {
  EXPECT_EQ(&default_registry(), &default_registry());
}

TEST(MetricsPromtool, ExpositionPassesCheckMetrics) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool not on PATH (Debian package 'prometheus'); skipping lint check";
  }
  registry reg;
  auto& c = reg.counter_family("kube_vip_service_reconcile_errors_total", "Reconcile errors.",
                               {"namespace", "name", "reason"});
  c.with({"default", "we\"ird\\name\nx", "invalid_config"}).inc();
  c.with({"kube-system", "dns", "delete_service"}).add(3);
  reg.counter_family("kube_vip_manager_all_services_events", "Events.", {"type"})
      .with({"ADDED"})
      .inc();
  reg.counter_family("kvip_plain", "A label-less counter.");
  auto& g = reg.gauge_family("kube_vip_is_leader", "Leader \\ flag.\nSecond line.",
                             {"node", "lease_name"});
  g.with({"n1", "plndr-cp-lock"}).set(1);
  g.with({"n2", "plndr-cp-lock"}).set(0);
  reg.gauge_family("kvip_inf_value", "Infinite.").with().set(inf);
  reg.gauge_family("kvip_nan_value", "Not a number.").with().set(std::nan(""));
  reg.gauge_family("kvip_small_value", "Tiny.").with().set(1e-9);
  auto& h = reg.histogram_family("kube_vip_service_reconcile_duration_seconds", "Duration.",
                                 {"namespace"});
  for (double v : {0.001, 0.02, 0.3, 4.0, 50.0})
    h.with({"default"}).observe(v);
  reg.histogram_family("kvip_probe_seconds", "Probes.", {}, {1e-5, 0.1}).with().observe(0.05);

  auto path = std::filesystem::temp_directory_path() /
              ("kvip_metrics_" + std::to_string(::getpid()) + ".prom");
  {
    std::ofstream out(path);
    out << reg.expose();
  }
  auto cmd = "promtool check metrics < '" + path.string() + "' 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (auto n = std::fread(buf, 1, sizeof buf, pipe))
    output.append(buf, n);
  int status = ::pclose(pipe);
  std::filesystem::remove(path);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << output << "\n--- exposition ---\n" << reg.expose();
  EXPECT_EQ(output, "") << "\n--- exposition ---\n" << reg.expose();
}
