// Unit tests for net/telemetry/metrics: what kvip relies on from its façade over
// prometheus-cpp — metric names (counters end in "_total" exactly once), labels
// bound by position, the text exposition of our metrics (read back with a small
// parser, and judged by promtool), histogram buckets, and concurrent updates.
#include "net/telemetry/metrics.hpp"
#include "test/support/ci.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace kvip::net::telemetry;

namespace {

using labels = std::map<std::string, std::string>;

/// One sample line of an exposition: name{labels} value.
struct sample {
  std::string name;
  labels label_set;
  double value = 0;
};

/// Reads one quoted label value starting after the opening quote; undoes \\, \" and \n.
std::string read_quoted(const std::string& line, size_t& i) {
  std::string v;
  for (; i < line.size() && line[i] != '"'; ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      ++i;
      v += line[i] == 'n' ? '\n' : line[i];
    } else {
      v += line[i];
    }
  }
  ++i; // closing quote
  return v;
}

sample parse_sample(const std::string& line) {
  sample s;
  size_t i = line.find_first_of("{ ");
  s.name = line.substr(0, i);
  if (line[i] == '{') {
    ++i;
    while (line[i] != '}') {
      auto eq = line.find('=', i);
      auto key = line.substr(i, eq - i);
      i = eq + 2; // past ="
      s.label_set[key] = read_quoted(line, i);
      if (line[i] == ',') ++i;
    }
    ++i;
  }
  s.value = std::stod(line.substr(i + 1));
  return s;
}

/// Every sample line of an exposition (comments skipped).
std::vector<sample> samples(const std::string& exposition) {
  std::vector<sample> out;
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') out.push_back(parse_sample(line));
  return out;
}

/// The value of the sample with exactly this name and label set, if present.
std::optional<double> find(const std::string& exposition, const std::string& name,
                           const labels& l = {}) {
  for (const auto& s : samples(exposition))
    if (s.name == name && s.label_set == l) return s.value;
  return std::nullopt;
}

/// Number of lines of `exposition` equal to `line`.
int count_lines(const std::string& exposition, const std::string& line) {
  std::istringstream in(exposition);
  int n = 0;
  for (std::string l; std::getline(in, l);)
    n += l == line ? 1 : 0;
  return n;
}

} // namespace

TEST(Metrics, CounterNamesEndInTotalExactlyOnce) {
  registry reg;
  auto& bare =
      reg.counter_family("kube_vip_leader_election_transitions", "Transitions.", {"lease_name"});
  auto& suffixed = reg.counter_family("kube_vip_leader_election_transitions_total", "Transitions.",
                                      {"lease_name"});
  EXPECT_EQ(&bare, &suffixed); // both spellings name one family
  bare.with({"plndr-cp-lock"}).Increment();
  reg.counter_family("kvip_supervisor_restarts_total", "Restarts.", {"child"})
      .with({"arp"})
      .Increment(2);
  auto out = reg.expose();
  EXPECT_EQ(
      find(out, "kube_vip_leader_election_transitions_total", {{"lease_name", "plndr-cp-lock"}}),
      1);
  EXPECT_EQ(find(out, "kvip_supervisor_restarts_total", {{"child", "arp"}}), 2);
  EXPECT_EQ(count_lines(out, "# TYPE kube_vip_leader_election_transitions_total counter"), 1);
  EXPECT_EQ(count_lines(out, "# TYPE kvip_supervisor_restarts_total counter"), 1);
  EXPECT_EQ(out.find("_total_total"), std::string::npos) << out;
}

// kube-vip's kube_vip_manager_all_services_events is a counter without
// "_total"; counter_name::as_given exposes it under exactly that name.
TEST(Metrics, CounterNameAsGivenKeepsANameWithoutTotal) {
  registry reg;
  auto& f = reg.counter_family("kube_vip_manager_all_services_events", "Events.", {"type"},
                               counter_name::as_given);
  EXPECT_EQ(&f, &reg.counter_family("kube_vip_manager_all_services_events", "Events.", {"type"},
                                    counter_name::as_given));
  f.with({"ADDED"}).Increment();
  auto out = reg.expose();
  EXPECT_EQ(find(out, "kube_vip_manager_all_services_events", {{"type", "ADDED"}}), 1);
  EXPECT_EQ(count_lines(out, "# TYPE kube_vip_manager_all_services_events counter"), 1);
  EXPECT_EQ(out.find("kube_vip_manager_all_services_events_total"), std::string::npos) << out;
  // A name that already ends in "_total" is the same family either way.
  auto& t = reg.counter_family("kvip_x_total", "X.", {}, counter_name::as_given);
  EXPECT_EQ(&t, &reg.counter_family("kvip_x", "X.", {}));
}

TEST(Metrics, LabelValuesBindToLabelNamesByPosition) {
  registry reg;
  auto& leader = reg.gauge_family("kube_vip_is_leader", "Leadership.", {"node", "lease_name"});
  leader.with({"node-a", "plndr-cp-lock"}).Set(1);
  leader.with({"node-b", "plndr-svcs-lock"}).Set(0);
  EXPECT_EQ(&leader.with({"node-a", "plndr-cp-lock"}), &leader.with({"node-a", "plndr-cp-lock"}));
  auto out = reg.expose();
  EXPECT_EQ(find(out, "kube_vip_is_leader", {{"node", "node-a"}, {"lease_name", "plndr-cp-lock"}}),
            1);
  EXPECT_EQ(
      find(out, "kube_vip_is_leader", {{"node", "node-b"}, {"lease_name", "plndr-svcs-lock"}}), 0);
  EXPECT_EQ(samples(out).size(), 2u);
  EXPECT_EQ(count_lines(out, "# HELP kube_vip_is_leader Leadership."), 1);
  EXPECT_EQ(count_lines(out, "# TYPE kube_vip_is_leader gauge"), 1);
}

TEST(Metrics, LabelValuesAreEscaped) {
  registry reg;
  auto& f = reg.gauge_family("kube_vip_build_info", "Build.", {"version", "build", "node"});
  f.with({"0.1.0", "a\"b\\c\nd", "n1"}).Set(1);
  auto out = reg.expose();
  EXPECT_NE(out.find(R"(build="a\"b\\c\nd")"), std::string::npos) << out;
  EXPECT_EQ(find(out, "kube_vip_build_info",
                 {{"version", "0.1.0"}, {"build", "a\"b\\c\nd"}, {"node", "n1"}}),
            1);
}

TEST(Metrics, LabelLessFamiliesShowAtZeroLabelledOnesOnlyWithSeries) {
  registry reg;
  reg.gauge_family("kvip_supervisor_children_up", "Children running.");
  reg.counter_family("kvip_plain", "A label-less counter.");
  reg.gauge_family("kvip_vip_active", "No series yet.", {"node", "vip"});
  auto out = reg.expose();
  EXPECT_EQ(find(out, "kvip_supervisor_children_up"), 0);
  EXPECT_EQ(find(out, "kvip_plain_total"), 0);
  EXPECT_EQ(out.find("kvip_vip_active"), std::string::npos) << out;
}

// A removed series leaves the exposition (the family too when it was the
// last one), its siblings stay, and it may come back from zero.
TEST(Metrics, RemovedSeriesLeaveTheExposition) {
  registry reg;
  auto& f = reg.gauge_family("kvip_gossip_member_alive", "Alive.", {"node", "member"});
  f.with({"n1", "n2"}).Set(1);
  f.with({"n1", "n3"}).Set(1);
  f.remove({"n1", "n3"});
  f.remove({"n1", "n9"}); // none: a no-op
  auto out = reg.expose();
  EXPECT_EQ(find(out, "kvip_gossip_member_alive", {{"node", "n1"}, {"member", "n2"}}), 1);
  EXPECT_EQ(find(out, "kvip_gossip_member_alive", {{"node", "n1"}, {"member", "n3"}}), std::nullopt)
      << out;
  f.remove({"n1", "n2"});
  EXPECT_EQ(reg.expose().find("kvip_gossip_member_alive"), std::string::npos);
  EXPECT_EQ(f.with({"n1", "n3"}).Value(), 0);
  EXPECT_THROW(f.remove({"n1"}), std::logic_error);
}

TEST(Metrics, CountersNeverDecrease) {
  registry reg;
  auto& c = reg.counter_family("kvip_arp_conflicts_total", "Conflicts.", {"node", "vip"})
                .with({"n1", "192.0.2.10"});
  c.Increment();
  c.Increment(-3);
  EXPECT_EQ(c.Value(), 1);
}

TEST(Metrics, HistogramBucketsAreCumulativeWithSumAndCount) {
  registry reg;
  auto& f = reg.histogram_family("kvip_probe_seconds", "Probe time.", {"target"}, {0.1, 1, 10});
  EXPECT_EQ(f.bounds(), (std::vector<double>{0.1, 1, 10}));
  auto& h = f.with({"api"});
  for (double v : {0.05, 0.1, 0.5, 5.0, 50.0})
    h.Observe(v);
  auto out = reg.expose();
  auto bucket = [&](const std::string& le) {
    return find(out, "kvip_probe_seconds_bucket", {{"target", "api"}, {"le", le}});
  };
  EXPECT_EQ(bucket("0.1"), 2); // upper bounds are inclusive
  EXPECT_EQ(bucket("1"), 3);
  EXPECT_EQ(bucket("10"), 4);
  EXPECT_EQ(bucket("+Inf"), 5);
  EXPECT_EQ(find(out, "kvip_probe_seconds_count", {{"target", "api"}}), 5);
  EXPECT_DOUBLE_EQ(*find(out, "kvip_probe_seconds_sum", {{"target", "api"}}), 55.65);
  EXPECT_EQ(count_lines(out, "# TYPE kvip_probe_seconds histogram"), 1);
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  registry reg;
  auto& cf = reg.counter_family("kvip_hits_total", "Hits.", {"worker_group"});
  auto& gf = reg.gauge_family("kvip_level", "Level.", {"worker_group"});
  auto& hf = reg.histogram_family("kvip_latency_seconds", "Latency.", {"worker_group"}, {0.5});
  constexpr int threads = 8;
  constexpr int per_thread = 5000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        cf.with({"all"}).Increment(); // lookup + update from every thread
        gf.with({"all"}).Increment();
        hf.with({"all"}).Observe((i + t) % 2 == 0 ? 0.25 : 1.0);
        if (i % 1000 == 0) (void)reg.expose(); // exposing concurrently is safe
      }
    });
  }
  for (auto& th : pool)
    th.join();
  constexpr double total = threads * per_thread;
  EXPECT_EQ(cf.with({"all"}).Value(), total);
  EXPECT_EQ(gf.with({"all"}).Value(), total);
  auto out = reg.expose();
  EXPECT_EQ(find(out, "kvip_latency_seconds_count", {{"worker_group", "all"}}), total);
  EXPECT_EQ(find(out, "kvip_latency_seconds_bucket", {{"worker_group", "all"}, {"le", "0.5"}}),
            total / 2);
}

TEST(Metrics, ReRegisteringReturnsTheSameFamily) {
  registry reg;
  auto& a = reg.gauge_family("kvip_x", "X.", {"a"});
  auto& b = reg.gauge_family("kvip_x", "Other help is ignored.", {"a"});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(&a.with({"1"}), &b.with({"1"}));
  auto& h1 = reg.histogram_family("kvip_h_seconds", "H.", {}, {1, 2});
  EXPECT_EQ(&h1, &reg.histogram_family("kvip_h_seconds", "H.", {}, {1, 2}));
}

TEST(Metrics, ConflictingRegistrationsThrow) {
  registry reg;
  reg.gauge_family("kvip_x", "X.", {"a"});
  reg.gauge_family("kvip_y_total", "A gauge with a counter-like name.");
  EXPECT_THROW(reg.counter_family("kvip_y", "Y.", {}), std::logic_error);
  EXPECT_THROW(reg.histogram_family("kvip_x", "X.", {"a"}, {1}), std::logic_error);
  EXPECT_THROW(reg.gauge_family("kvip_x", "X.", {"b"}), std::logic_error);
  EXPECT_THROW(reg.gauge_family("kvip_x", "X.", {}), std::logic_error);
  reg.histogram_family("kvip_h", "H.", {}, {1, 2});
  EXPECT_THROW(reg.histogram_family("kvip_h", "H.", {}, {1, 3}), std::logic_error);
}

TEST(Metrics, InvalidRegistrationsThrow) {
  registry reg;
  for (const char* bad : {"", "1abc", "kvip-x", "kvip x"})
    EXPECT_THROW(reg.gauge_family(bad, "Bad."), std::logic_error) << bad;
  for (const char* bad : {"", "1a", "a-b", "__reserved"})
    EXPECT_THROW(reg.gauge_family("kvip_ok", "Bad label.", {bad}), std::logic_error) << bad;
  EXPECT_THROW(reg.gauge_family("kvip_help", "Two\nlines.", {}), std::logic_error);
  EXPECT_THROW(reg.gauge_family("kvip_help", "Back\\slash.", {}), std::logic_error);
  EXPECT_THROW(reg.histogram_family("kvip_ok_seconds", "Unsorted.", {}, {2, 1}), std::logic_error);
  EXPECT_EQ(reg.expose(), ""); // nothing half-registered
}

TEST(Metrics, WrongNumberOfLabelValuesThrows) {
  registry reg;
  auto& f = reg.gauge_family("kvip_x", "X.", {"a", "b"});
  EXPECT_THROW(f.with({"1"}), std::logic_error);
  EXPECT_THROW(f.with({"1", "2", "3"}), std::logic_error);
  EXPECT_NO_THROW(f.with({"1", "2"}));
  auto& dup = reg.gauge_family("kvip_dup", "Duplicate label names.", {"a", "a"});
  EXPECT_THROW(dup.with({"1", "2"}), std::logic_error);
}

TEST(Metrics, DefaultRegistryCollectsWhatEveryCallerRegisters) {
  // Production code registers through default_registry() in many places and
  // /metrics exposes default_registry(): what one registers, the other shows.
  const std::string name = "kvip_default_registry_test_" + std::to_string(::getpid());
  default_registry().gauge_family(name, "Test.", {"k"}).with({"v"}).Set(7);
  EXPECT_EQ(find(default_registry().expose(), name, {{"k", "v"}}), 7);
}

TEST(Metrics, ExpositionPassesPromtoolCheckMetrics) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0)
    KVIP_SKIP("promtool not on PATH (Debian package 'prometheus'; .ci/install-deps installs it)");
  registry reg;
  auto& c = reg.counter_family("kube_vip_service_reconcile_errors_total", "Reconcile errors.",
                               {"namespace", "name", "reason"});
  c.with({"default", "we\"ird\\name\nx", "invalid_config"}).Increment();
  c.with({"kube-system", "dns", "delete_service"}).Increment(3);
  reg.counter_family("kube_vip_manager_all_services_events", "Events.", {"type"})
      .with({"ADDED"})
      .Increment();
  reg.counter_family("kvip_plain", "A label-less counter.");
  auto& g = reg.gauge_family("kube_vip_is_leader", "Leader flag.", {"node", "lease_name"});
  g.with({"n1", "plndr-cp-lock"}).Set(1);
  g.with({"n2", "plndr-cp-lock"}).Set(0);
  constexpr double inf = std::numeric_limits<double>::infinity();
  reg.gauge_family("kvip_inf_value", "Infinite.").with().Set(inf);
  reg.gauge_family("kvip_nan_value", "Not a number.").with().Set(std::nan(""));
  reg.gauge_family("kvip_small_value", "Tiny.").with().Set(1e-9);
  auto& h = reg.histogram_family("kube_vip_service_reconcile_duration_seconds", "Duration.",
                                 {"namespace"}, {0.005, 0.1, 1, 10});
  for (double v : {0.001, 0.02, 0.3, 4.0, 50.0})
    h.with({"default"}).Observe(v);

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
