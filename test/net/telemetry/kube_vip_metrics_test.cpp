// Unit tests for net/telemetry/kube_vip_metrics: kube-vip's families (reference
// §6.1) with exactly kube-vip's names, types and label names; kvip's own
// Service families; series of deleted Services, namespaces, Leases and BGP
// peers removed (kube-vip leaks them, reference §9); bounded label values; and
// an exposition promtool accepts but for the documented kube-vip name.
#include "net/telemetry/kube_vip_metrics.hpp"
#include "test/support/ci.hpp"
#include "test/support/exposition.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

using namespace kvip::net::telemetry;
using kvip::test::exposed_samples;
using kvip::test::exposed_value;
using kvip::test::label_set;
using kvip::test::lines_starting;

namespace {

/// Reference §6.1, typed in here independently of kube_vip_family_specs().
struct reference_family {
  std::string name;
  std::string type;
  std::vector<std::string> labels;
};
const std::vector<reference_family> reference_table{
    {"kube_vip_active_services", "gauge", {"namespace"}},
    {"kube_vip_service_reconcile_errors_total", "counter", {"namespace", "name", "reason"}},
    {"kube_vip_service_reconcile_duration_seconds", "histogram", {"namespace"}},
    {"kube_vip_manager_all_services_events", "counter", {"type"}},
    {"kube_vip_leader_election_transitions_total", "counter", {"lease_name"}},
    {"kube_vip_is_leader", "gauge", {"node", "lease_name"}},
    {"kube_vip_service_election_loops", "gauge", {"namespace", "name"}},
    {"kube_vip_service_election_attempts_total", "counter", {"namespace", "name"}},
    {"kube_vip_service_election_errors_total", "counter", {"namespace", "name", "reason"}},
    {"kube_vip_manager_bgp_session_info", "gauge", {"state", "peer"}},
    {"kube_vip_build_info", "gauge", {"version", "build", "node"}},
};

std::string type_name(metric_kind k) {
  return k == metric_kind::counter ? "counter" : k == metric_kind::gauge ? "gauge" : "histogram";
}

/// Calls every update of the API once or more, for Service ns-a/web; without
/// `events`, all but service_event (the family promtool reports).
void use_everything(registry& reg, kube_vip_metrics& m, bool events = true) {
  m.build_info("0.1.0", "abc123");
  if (events) m.service_event("ADDED");
  m.active_services("ns-a", 2);
  m.reconcile_error("ns-a", "web", reconcile_reason::invalid_config);
  m.reconcile_duration("ns-a", "web", 0.02);
  m.election_running("ns-a", "web", true);
  m.election_attempt("ns-a", "web");
  m.election_error("ns-a", "web", election_error_reason::no_lease);
  m.is_leader("kubevip-web", true);
  m.leader_transition("kubevip-web");
  m.bgp_session("192.0.2.1:179", bgp_state::established);
  m.service_announced(0.004);
  m.owned_service_ips(3);
  m.skipped_services(skip_reason::no_address, 1);
  // The status writer's family (set there, listed in the table).
  reg.counter_family("kvip_service_status_writes_total", "Status writes.", {"node", "outcome"},
                     counter_name::as_given)
      .with({"node-1", "written"})
      .Increment();
}

/// Label names of a sample, sorted.
std::set<std::string> names_of(const label_set& labels) {
  std::set<std::string> out;
  for (const auto& [k, v] : labels)
    out.insert(k);
  return out;
}

/// Checks the samples of one family: names and label names, per type.
void expect_family_samples(const std::string& out, const family_spec& s) {
  std::set<std::string> want(s.labels.begin(), s.labels.end());
  const std::string name{s.name};
  if (s.kind != metric_kind::histogram) {
    auto samples = exposed_samples(out, name);
    ASSERT_FALSE(samples.empty()) << name << "\n" << out;
    for (const auto& x : samples)
      EXPECT_EQ(names_of(x.labels), want) << name;
    return;
  }
  for (const char* suffix : {"_sum", "_count"}) {
    auto samples = exposed_samples(out, name + suffix);
    ASSERT_EQ(samples.size(), 1u) << name << suffix << "\n" << out;
    EXPECT_EQ(names_of(samples[0].labels), want) << name << suffix;
  }
  auto buckets = exposed_samples(out, name + "_bucket");
  want.insert("le");
  std::vector<std::string> les;
  for (const auto& b : buckets) {
    EXPECT_EQ(names_of(b.labels), want) << name;
    les.push_back(b.labels.at("le"));
  }
  ASSERT_EQ(les.size(), s.buckets.size() + 1) << name;
  EXPECT_EQ(les.back(), "+Inf");
  for (size_t i = 0; i < s.buckets.size(); ++i)
    EXPECT_DOUBLE_EQ(std::stod(les[i]), s.buckets[i]) << name;
}

/// Every sample of `out` whose label `key` is `value`.
std::vector<std::string> samples_with(const std::string& out, const std::string& key,
                                      const std::string& value) {
  std::vector<std::string> hits;
  for (const auto& s : exposed_samples(out))
    if (auto it = s.labels.find(key); it != s.labels.end() && it->second == value)
      hits.push_back(s.name);
  return hits;
}

} // namespace

TEST(KubeVipMetrics, KubeVipFamiliesAreExactlyThoseOfTheReference) {
  const auto& specs = kube_vip_family_specs();
  std::vector<const family_spec*> from_kube_vip;
  for (const auto& s : specs)
    if (s.from_kube_vip) from_kube_vip.push_back(&s);
  ASSERT_EQ(from_kube_vip.size(), reference_table.size());
  for (size_t i = 0; i < reference_table.size(); ++i) {
    EXPECT_EQ(from_kube_vip[i]->name, reference_table[i].name);
    EXPECT_EQ(type_name(from_kube_vip[i]->kind), reference_table[i].type)
        << reference_table[i].name;
    EXPECT_EQ(from_kube_vip[i]->labels, reference_table[i].labels) << reference_table[i].name;
  }
  std::set<std::string_view> names;
  for (const auto& s : specs) {
    EXPECT_TRUE(names.insert(s.name).second) << "twice: " << s.name;
    EXPECT_EQ(s.name.starts_with("kvip_"), !s.from_kube_vip) << s.name;
    EXPECT_EQ(s.kind == metric_kind::histogram, !s.buckets.empty()) << s.name;
  }
}

TEST(KubeVipMetrics, KvipAnnounceHistogramSpansOneMillisecondToTenSeconds) {
  for (const auto& s : kube_vip_family_specs()) {
    if (s.name != "kvip_service_announce_seconds") continue;
    EXPECT_EQ(s.kind, metric_kind::histogram);
    ASSERT_FALSE(s.buckets.empty());
    EXPECT_DOUBLE_EQ(s.buckets.front(), 0.001);
    EXPECT_DOUBLE_EQ(s.buckets.back(), 10);
    EXPECT_NE(std::find(s.buckets.begin(), s.buckets.end(), 0.2), s.buckets.end())
        << "the 200 ms p99 target is a bucket bound";
    return;
  }
  FAIL() << "kvip_service_announce_seconds is not defined";
}

TEST(KubeVipMetrics, EveryFamilyAppearsWithItsTypeHelpAndLabelsAfterUse) {
  registry reg;
  kube_vip_metrics m(reg, "node-1");
  use_everything(reg, m);
  auto out = reg.expose();
  for (const auto& s : kube_vip_family_specs()) {
    const std::string name{s.name};
    EXPECT_EQ(lines_starting(out, "# TYPE " + name + " "),
              std::vector<std::string>{"# TYPE " + name + " " + type_name(s.kind)})
        << out;
    EXPECT_EQ(lines_starting(out, "# HELP " + name + " "),
              std::vector<std::string>{"# HELP " + name + " " + std::string{s.help}});
    expect_family_samples(out, s);
  }
}

TEST(KubeVipMetrics, UpdatesWriteTheExpectedSeries) {
  registry reg;
  kube_vip_metrics m(reg, "node-1");
  use_everything(reg, m);
  m.service_event("ADDED");
  m.service_event("no-such-type");
  m.is_leader("plndr-cp-lock", false);
  auto out = reg.expose();
  EXPECT_EQ(exposed_value(out, "kube_vip_manager_all_services_events", {{"type", "ADDED"}}), 2);
  EXPECT_EQ(exposed_value(out, "kube_vip_manager_all_services_events", {{"type", "UNKNOWN"}}), 1);
  EXPECT_EQ(exposed_value(out, "kube_vip_active_services", {{"namespace", "ns-a"}}), 2);
  EXPECT_EQ(exposed_value(out, "kube_vip_service_reconcile_errors_total",
                          {{"namespace", "ns-a"}, {"name", "web"}, {"reason", "invalid_config"}}),
            1);
  EXPECT_EQ(exposed_value(out, "kube_vip_service_election_errors_total",
                          {{"namespace", "ns-a"}, {"name", "web"}, {"reason", "no_lease"}}),
            1);
  EXPECT_EQ(
      exposed_value(out, "kube_vip_is_leader", {{"node", "node-1"}, {"lease_name", "kubevip-web"}}),
      1);
  EXPECT_EQ(exposed_value(out, "kube_vip_is_leader",
                          {{"node", "node-1"}, {"lease_name", "plndr-cp-lock"}}),
            0);
  EXPECT_EQ(exposed_value(out, "kube_vip_build_info",
                          {{"version", "0.1.0"}, {"build", "abc123"}, {"node", "node-1"}}),
            1);
  EXPECT_EQ(exposed_value(out, "kvip_service_owners", {{"node", "node-1"}}), 3);
  EXPECT_EQ(exposed_value(out, "kvip_services_skipped", {{"reason", "no_address"}}), 1);
  EXPECT_EQ(exposed_value(out, "kvip_service_status_writes_total",
                          {{"node", "node-1"}, {"outcome", "written"}}),
            1);
  EXPECT_EQ(exposed_value(out, "kvip_service_announce_seconds_bucket", {{"le", "0.005"}}), 1);
  EXPECT_EQ(exposed_value(out, "kvip_service_announce_seconds_bucket", {{"le", "0.002"}}), 0);
}

TEST(KubeVipMetrics, BgpSessionIsOneForTheCurrentStateOnly) {
  registry reg;
  kube_vip_metrics m(reg, "node-1");
  m.bgp_session("192.0.2.1:1179", bgp_state::active);
  m.bgp_session("192.0.2.1:1179", bgp_state::established);
  auto samples = exposed_samples(reg.expose(), "kube_vip_manager_bgp_session_info");
  ASSERT_EQ(samples.size(), 7u);
  for (const auto& s : samples) {
    EXPECT_EQ(s.labels.at("peer"), "192.0.2.1:1179");
    EXPECT_EQ(s.value, s.labels.at("state") == "ESTABLISHED" ? 1 : 0) << s.labels.at("state");
  }
  m.forget_bgp_peer("192.0.2.1:1179");
  EXPECT_TRUE(exposed_samples(reg.expose(), "kube_vip_manager_bgp_session_info").empty());
}

TEST(KubeVipMetrics, BuildInfoHasOneSeries) {
  registry reg;
  kube_vip_metrics m(reg, "node-1");
  m.build_info("0.1.0", "abc");
  m.build_info("0.2.0", "def");
  auto samples = exposed_samples(reg.expose(), "kube_vip_build_info");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].labels.at("version"), "0.2.0");
}

// kube-vip keeps the reconcile-error, election-attempt and election-error
// series of every Service it ever saw (reference §9): kvip removes them.
TEST(KubeVipMetrics, ForgetServiceRemovesEverySeriesNamingIt) {
  registry reg;
  kube_vip_metrics m(reg, "node-1");
  use_everything(reg, m);
  for (auto r : {reconcile_reason::service_context, reconcile_reason::delete_service,
                 reconcile_reason::new_instance})
    m.reconcile_error("ns-a", "web", r);
  m.election_error("ns-a", "web", election_error_reason::api_error);
  m.reconcile_duration("ns-a", "db", 0.1); // a second Service in ns-a
  m.election_attempt("ns-a", "db");
  m.election_attempt("ns-b", "web"); // same name, other namespace
  auto of_ns_a_web = [&] {
    int n = 0;
    for (const auto& s : exposed_samples(reg.expose()))
      n += s.labels.contains("name") && s.labels.at("name") == "web" &&
           s.labels.at("namespace") == "ns-a";
    return n;
  };
  // 4 reconcile-error reasons, 2 election-error reasons, election loops and attempts.
  ASSERT_EQ(of_ns_a_web(), 8) << reg.expose();

  m.forget_service("ns-a", "web");
  EXPECT_EQ(of_ns_a_web(), 0) << reg.expose();
  auto out = reg.expose();
  EXPECT_EQ(exposed_value(out, "kube_vip_service_election_attempts_total",
                          {{"namespace", "ns-b"}, {"name", "web"}}),
            1);
  EXPECT_EQ(exposed_value(out, "kube_vip_service_election_attempts_total",
                          {{"namespace", "ns-a"}, {"name", "db"}}),
            1);
  // ns-a still has db: its reconcile histogram stays.
  EXPECT_EQ(exposed_value(out, "kube_vip_service_reconcile_duration_seconds_count",
                          {{"namespace", "ns-a"}}),
            2);
  // A recreated Service starts from zero.
  m.election_attempt("ns-a", "web");
  EXPECT_EQ(exposed_value(reg.expose(), "kube_vip_service_election_attempts_total",
                          {{"namespace", "ns-a"}, {"name", "web"}}),
            1);
}

TEST(KubeVipMetrics, NamespaceSeriesLeaveWithTheNamespacesLastService) {
  registry reg;
  kube_vip_metrics m(reg, "node-1");
  m.reconcile_duration("ns-a", "web", 0.01);
  m.reconcile_duration("ns-a", "db", 0.01);
  m.reconcile_duration("ns-b", "web", 0.01);
  m.active_services("ns-a", 2);
  m.forget_service("ns-a", "web");
  m.active_services("ns-a", 1);
  auto count = [&](const std::string& ns) {
    return exposed_value(reg.expose(), "kube_vip_service_reconcile_duration_seconds_count",
                         {{"namespace", ns}});
  };
  EXPECT_EQ(count("ns-a"), 2);
  m.forget_service("ns-a", "db");
  m.active_services("ns-a", 0);
  EXPECT_EQ(count("ns-a"), std::nullopt) << reg.expose();
  EXPECT_TRUE(samples_with(reg.expose(), "namespace", "ns-a").empty()) << reg.expose();
  EXPECT_EQ(count("ns-b"), 1);
  m.forget_service("ns-c", "never-seen"); // a no-op
  EXPECT_EQ(count("ns-b"), 1);
}

TEST(KubeVipMetrics, ElectionLoopsIsOneWhileRunningAndAbsentOtherwise) {
  registry reg;
  kube_vip_metrics m(reg, "node-1");
  m.election_running("ns-a", "web", true);
  m.election_running("ns-a", "web", true); // a restart never counts twice
  const label_set web{{"namespace", "ns-a"}, {"name", "web"}};
  EXPECT_EQ(exposed_value(reg.expose(), "kube_vip_service_election_loops", web), 1);
  m.election_running("ns-a", "web", false);
  EXPECT_EQ(exposed_value(reg.expose(), "kube_vip_service_election_loops", web), std::nullopt);
}

TEST(KubeVipMetrics, ForgetLeaseRemovesItsSeries) {
  registry reg;
  kube_vip_metrics m(reg, "node-1");
  m.is_leader("kubevip-web", true);
  m.leader_transition("kubevip-web");
  m.is_leader("plndr-svcs-lock", true);
  m.forget_lease("kubevip-web");
  auto out = reg.expose();
  EXPECT_TRUE(samples_with(out, "lease_name", "kubevip-web").empty()) << out;
  EXPECT_EQ(exposed_value(out, "kube_vip_is_leader",
                          {{"node", "node-1"}, {"lease_name", "plndr-svcs-lock"}}),
            1);
}

// The Lease elector and `kvip manager` register some of these families
// themselves today: the same names and labels are one family, whoever is first.
TEST(KubeVipMetrics, SharesFamiliesWithTheActorsExistingRegistrations) {
  registry reg;
  reg.gauge_family("kube_vip_is_leader", "1 while this node holds the lease.",
                   {"node", "lease_name"})
      .with({"node-1", "plndr-cp-lock"})
      .Set(1);
  reg.counter_family("kube_vip_leader_election_transitions", "Transitions.", {"lease_name"})
      .with({"plndr-cp-lock"})
      .Increment();
  reg.gauge_family("kube_vip_build_info", "Build.", {"version", "build", "node"});
  kube_vip_metrics m(reg, "node-1");
  m.leader_transition("plndr-cp-lock");
  auto out = reg.expose();
  EXPECT_EQ(exposed_value(out, "kube_vip_leader_election_transitions_total",
                          {{"lease_name", "plndr-cp-lock"}}),
            2);
  EXPECT_EQ(exposed_value(out, "kube_vip_is_leader",
                          {{"node", "node-1"}, {"lease_name", "plndr-cp-lock"}}),
            1);
  kube_vip_metrics again(reg, "node-1"); // registering twice is harmless
  EXPECT_EQ(reg.expose(), out);
}

TEST(KubeVipMetrics, ReadmeCopyIsCurrent) {
  std::ifstream in{std::string{KVIP_TEST_DATA_DIR} + "/../../README.md"};
  ASSERT_TRUE(in) << "README.md not found";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find(metrics_table_markdown()), std::string::npos)
      << "README.md's metrics table differs from the code: paste `kvip docs metrics`";
}

TEST(KubeVipMetrics, LabelValueSetsAreClosed) {
  EXPECT_EQ(to_string(reconcile_reason::new_instance), "new_instance");
  EXPECT_EQ(to_string(election_error_reason::no_lease), "no_lease");
  EXPECT_EQ(to_string(bgp_state::openconfirm), "OPENCONFIRM");
  EXPECT_EQ(to_string(skip_reason::unsupported_address), "unsupported_address");
  registry reg;
  kube_vip_metrics m(reg, "node-1");
  for (const char* t : {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR", "added", "", "X"})
    m.service_event(t);
  auto samples = exposed_samples(reg.expose(), "kube_vip_manager_all_services_events");
  EXPECT_EQ(samples.size(), 6u);
  EXPECT_EQ(
      exposed_value(reg.expose(), "kube_vip_manager_all_services_events", {{"type", "UNKNOWN"}}),
      3);
}

TEST(KubeVipMetrics, MarkdownTableHasOneRowPerFamily) {
  auto md = metrics_table_markdown();
  auto rows = lines_starting(md, "| `");
  const auto& specs = kube_vip_family_specs();
  ASSERT_EQ(rows.size(), specs.size()) << md;
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto& s = specs[i];
    EXPECT_TRUE(rows[i].starts_with("| `" + std::string{s.name} + "` | " + type_name(s.kind)))
        << rows[i];
    EXPECT_EQ(std::count(rows[i].begin(), rows[i].end(), '|'), 7) << "a stray | in " << rows[i];
  }
  EXPECT_TRUE(md.starts_with("| Metric | Type | Labels |")) << md;
  EXPECT_NE(md.find("| `kube_vip_is_leader` | gauge | `node`, `lease_name` | kube-vip | now |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| kvip | with the Service pipeline |"), std::string::npos) << md;
}

// promtool accepts everything but kube-vip's counter name without "_total",
// which it reports exactly as promtool_accepted_complaints() documents.
TEST(KubeVipMetrics, ExpositionPassesPromtoolButForDocumentedKubeVipNames) {
  if (!kvip::test::have_promtool())
    KVIP_SKIP("promtool not on PATH (Debian package 'prometheus'; .ci/install-deps installs it)");
  registry reg;
  kube_vip_metrics m(reg, "node-\"1\"");
  use_everything(reg, m);
  auto with_all = kvip::test::promtool_check_metrics(reg.expose());
  // Exactly the documented complaints, nothing else (promtool exits 3 on lint problems).
  EXPECT_EQ(with_all.output, promtool_accepted_complaints()) << reg.expose();
  EXPECT_EQ(with_all.exit_status, 3);

  registry clean;
  kube_vip_metrics c(clean, "node-1");
  use_everything(clean, c, false);
  auto text = clean.expose();
  ASSERT_EQ(text.find("kube_vip_manager_all_services_events"), std::string::npos);
  auto result = kvip::test::promtool_check_metrics(text);
  EXPECT_EQ(result.exit_status, 0) << testing::PrintToString(result.output) << "\n" << text;
  EXPECT_TRUE(result.output.empty()) << testing::PrintToString(result.output);
}
