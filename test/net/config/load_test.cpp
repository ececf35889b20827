// Loading the configuration: defaults, precedence flag > env > file > default,
// the YAML file, aliases, ignored knobs and warnings.
#include "net/config/config.hpp"
#include "net/config/detail.hpp"
#include "test/support/temp_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include <unistd.h>

using namespace kvip::net::config;
using namespace std::chrono_literals;

namespace {

const std::string data_dir = std::string{KVIP_TEST_DATA_DIR} + "/config/";

// A valid minimal setup: ARP control plane.
std::map<std::string, std::string> base_env() {
  return {{"vip_arp", "true"}, {"cp_enable", "true"}, {"address", "192.0.2.10"}};
}

sources make_sources(std::map<std::string, std::string> env = base_env(),
                     std::map<std::string, std::string> flags = {}, std::string file = {}) {
  sources s;
  s.env = std::move(env);
  s.flags = std::move(flags);
  s.config_file = std::move(file);
  s.hostname = "Test-Node";
  return s;
}

bool has_warning(const load_result& r, std::initializer_list<std::string_view> parts) {
  return std::any_of(r.warnings.begin(), r.warnings.end(), [&](const std::string& w) {
    return std::all_of(parts.begin(), parts.end(),
                       [&](std::string_view p) { return w.find(p) != std::string::npos; });
  });
}

const problem* find_problem(const load_result& r, std::string_view key_part) {
  for (auto& p : r.problems)
    if (p.key.find(key_part) != std::string::npos) return &p;
  return nullptr;
}

std::string dump(const load_result& r) {
  std::string out;
  for (auto& p : r.problems)
    out += to_string(p) + "\n";
  return out;
}

using kvip::test::temp_file;

// -- defaults -----------------------------------------------------------------------

// kube-vip's defaults, written down from reference/kube-vip-behaviour.md §1 as the text
// kube-vip itself would be given; never taken from kvip's own `settings{}`.
const std::map<std::string, std::string> kube_vip_defaults{
    {"vip_arp", "false"},
    {"bgp_enable", "false"},
    {"vip_routingtable", "false"},
    {"vip_wireguard", "false"},
    {"cp_enable", "false"},
    {"svc_enable", "false"},
    {"cp_detect", "false"},
    {"k8s_config_file", "/etc/kubernetes/admin.conf"},
    {"cp_namespace", "kube-system"},
    {"vip_loglevel", "0"},
    {"port", "6443"},
    {"vip_interfaceloglobal", "false"},
    {"vip_allow_interface_not_up", "false"},
    {"vip_skipdad", "false"},
    {"vip_preserve_on_leadership_loss", "false"},
    {"vip_ddns", "false"},
    {"dns_mode", "first"},
    {"dhcp_backoff_attempts", "3"},
    {"vip_leaderelection", "false"},
    {"vip_leasename", "plndr-cp-lock"},
    {"svc_leasename", "plndr-svcs-lock"},
    {"vip_leaseduration", "15"},
    {"vip_renewdeadline", "10"},
    {"vip_retryperiod", "2"},
    {"svc_election", "false"},
    {"per_service_election_on_demand", "false"},
    {"vip_loseleadership", "false"},
    {"vip_loseleadership_timeout_seconds", "30"},
    {"vip_arpRate", "3000"},
    {"lb_enable", "false"},
    {"lb_port", "6443"},
    {"lb_fwdmethod", "local"},
    {"backend_health_check_interval", "5"},
    {"control_plane_health_check_period_seconds", "5"},
    {"control_plane_health_check_timeout_seconds", "3"},
    {"control_plane_health_check_failure_threshold", "3"},
    {"health_check_port", "0"},
    {"lb_class_only", "false"},
    {"lb_class_name", "kube-vip.io/kube-vip-class"},
    {"lb_class_legacy_handling", "true"},
    {"enable_endpoints", "false"},
    {"disable_service_updates", "false"},
    {"enable_service_security", "false"},
    {"enable_node_labeling", "false"},
    {"enable_upnp", "false"},
    {"debounce_time", "0s"},
    {"egress_withnftables", "true"},
    {"egress_enableinternalsnat", "false"},
    {"egress_clean", "false"},
    {"vip_routingtableid", "198"},
    {"vip_routingtabletype", "1"},
    {"vip_routingprotocol", "248"},
    {"vip_cleanroutingtable", "false"},
    {"bgp_as", "65000"},
    {"bgp_peeras", "65000"},
    {"bgp_multihop", "false"},
    {"bgp_hold_time", "30"},
    {"bgp_keepalive_interval", "10"},
    {"bgp_attach_ip_to_interface", "false"},
    {"zebra_enable", "false"},
    {"zebra_url", "unix:/var/run/frr/zserv.api"},
    {"zebra_version", "6"},
    {"zebra_software_name", "frr8.3"},
    {"prometheus_server", ":2112"},
};

TEST(ConfigLoad, DefaultsEqualKubeVipsWrittenOut) {
  // Loading nothing must give what loading kube-vip's defaults, spelled out, gives: a default
  // that drifts from kube-vip's makes the two differ.
  auto r = load(make_sources({}));
  auto spelled = load(make_sources(kube_vip_defaults));
  EXPECT_EQ(r.cfg, spelled.cfg);
  EXPECT_EQ(dump(r), dump(spelled)); // the same "no mode" problems, nothing about a value
  EXPECT_TRUE(r.warnings.empty());
  auto& c = r.cfg;
  EXPECT_FALSE(c.arp || c.bgp || c.routing_table || c.wireguard || c.control_plane || c.services ||
               c.detect_control_plane || c.leader_election || c.ddns);
  EXPECT_EQ(c.node_name, "test-node"); // the hostname, lower-cased
  EXPECT_TRUE(c.address.empty());
  EXPECT_EQ(c.interface, "");
  EXPECT_EQ(c.log_level, 0);
  EXPECT_EQ(c.lease_duration, 15s);
  EXPECT_EQ(c.renew_deadline, 10s);
  EXPECT_EQ(c.retry_period, 2s);
  EXPECT_EQ(c.port, 6443);
  EXPECT_EQ(c.lb_port, 6443);
  EXPECT_EQ(c.lb_method, lb_forwarding::local);
  EXPECT_EQ(c.arp_rate, 3000ms);
  EXPECT_EQ(c.backend_health_check_interval, 5s);
  EXPECT_EQ(c.cp_health_check_period, 5s);
  EXPECT_EQ(c.cp_health_check_timeout, 3s);
  EXPECT_EQ(c.cp_health_check_failure_threshold, 3);
  EXPECT_EQ(c.lease_name, "plndr-cp-lock");
  EXPECT_EQ(c.services_lease_name, "plndr-svcs-lock");
  EXPECT_EQ(c.cp_namespace, "kube-system");
  EXPECT_EQ(c.kubeconfig, "/etc/kubernetes/admin.conf");
  EXPECT_EQ(c.lb_class_name, "kube-vip.io/kube-vip-class");
  EXPECT_TRUE(c.lb_class_legacy_handling);
  EXPECT_TRUE(c.egress_with_nftables);
  EXPECT_EQ(c.routing_table_id, 198u);
  EXPECT_EQ(c.routing_table_type, 1);
  EXPECT_EQ(c.routing_protocol, 248);
  EXPECT_EQ(c.bgp_as, 65000u);
  EXPECT_EQ(c.bgp_peer_as, 65000u);
  EXPECT_EQ(c.bgp_hold_time, 30s);
  EXPECT_EQ(c.bgp_keepalive_interval, 10s);
  EXPECT_EQ(c.zebra_url, "unix:/var/run/frr/zserv.api");
  EXPECT_EQ(c.zebra_version, 6);
  EXPECT_EQ(c.zebra_software_name, "frr8.3");
  EXPECT_EQ(c.prometheus_server, ":2112");
  EXPECT_EQ(c.dhcp_backoff_attempts, 3);
  EXPECT_EQ(c.dns_mode, family_mode::first);
  EXPECT_EQ(c.dhcp_mode, family_mode::ipv4);
  EXPECT_EQ(c.lose_leadership_timeout, 30s);
  EXPECT_EQ(c.subnet_v4, (prefix_length{false, 32}));
  EXPECT_EQ(c.subnet_v6, (prefix_length{false, 128}));
  EXPECT_EQ(c.log_output, log_format::text);
  EXPECT_EQ(c.trace_path, "");
  EXPECT_TRUE(c.bgp_peers.empty());
}

TEST(ConfigLoad, DefaultTextsMatchTypedDefaults) {
  for (auto& row : kvip::net::config::detail::knob_rows()) {
    auto& d = row.info.default_text;
    if (!row.apply || (!d.empty() && d.front() == '('))
      continue; // ignored/alias rows and derived defaults
    settings s;
    kvip::net::config::detail::error_sink sink{d};
    row.apply(s, d, sink);
    EXPECT_TRUE(sink.ok()) << row.info.env << row.info.flag;
    EXPECT_EQ(s, settings{}) << "default text of " << row.info.env << row.info.flag;
  }
}

TEST(ConfigLoad, KnobTableIsConsistent) {
  std::set<std::string> envs;
  std::set<std::string> flags;
  std::set<std::string> ignored;
  std::set<std::string> deprecated;
  for (auto& k : knobs()) {
    EXPECT_FALSE(k.help.empty()) << k.env << k.flag;
    EXPECT_FALSE(k.env.empty() && k.flag.empty());
    if (!k.env.empty()) {
      EXPECT_TRUE(envs.insert(k.env).second) << "duplicate env " << k.env;
    }
    if (!k.flag.empty()) {
      EXPECT_TRUE(flags.insert(k.flag).second) << "duplicate flag " << k.flag;
    }
    if (k.ignored) ignored.insert(k.env);
    if (k.deprecated) deprecated.insert(k.env + "->" + k.alias_of);
  }
  EXPECT_EQ(ignored, (std::set<std::string>{"vip_configmap", "vip_singlenode", "vip_startleader",
                                            "iptables_backend"}));
  EXPECT_EQ(deprecated, (std::set<std::string>{"vip_address->address", "vip_cidr->vip_subnet"}));
  for (auto name : {"vip_leaseduration", "bgp_peers", "prometheus_server", "kvip_trace",
                    "kvip_log_format", "vip_arpRate", "egress_clean", "debounce_time"})
    EXPECT_EQ(envs.count(name), 1u) << name;
  for (auto name : {"leaseDuration", "prometheusHTTPServer", "trace", "logFormat", "config-file",
                    "leaderElectionType", "etcdEndpoints", "namespace"})
    EXPECT_EQ(flags.count(name), 1u) << name;
}

TEST(ConfigLoad, BaseSetupIsValid) {
  auto r = load(make_sources());
  EXPECT_TRUE(r.problems.empty()) << dump(r);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(r.cfg.node_name, "test-node");
  EXPECT_EQ(r.cfg.address, std::vector<std::string>{"192.0.2.10"});
}

// -- precedence ---------------------------------------------------------------------

struct precedence_case {
  const char* name;
  const char* env_name;
  const char* flag_name;
  const char* file_value;
  const char* env_value;
  const char* flag_value;
  std::function<std::string(const settings&)> read;
};

std::string ms_text(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + "ms";
}

TEST(ConfigLoad, PrecedenceFlagEnvFileDefault) {
  const precedence_case cases[] = {
      {"duration", "vip_leaseduration", "leaseDuration", "20", "25s", "30000ms",
       [](const settings& s) { return ms_text(s.lease_duration); }},
      {"integer", "port", "port", "7000", "7001", "7002",
       [](const settings& s) { return std::to_string(s.port); }},
      {"string", "vip_interface", "interface", "eth1", "eth2", "eth3",
       [](const settings& s) { return s.interface; }},
      {"boolean", "vip_leaderelection", "leaderElection", "true", "false", "true",
       [](const settings& s) { return std::string{s.leader_election ? "true" : "false"}; }},
      {"choice", "lb_fwdmethod", "lbForwardingMethod", "tunnel", "bypass", "masquerade",
       [](const settings& s) { return std::string{to_string(s.lb_method)}; }},
  };
  auto parse = [](const precedence_case& c, const char* text) {
    settings s;
    for (auto& row : kvip::net::config::detail::knob_rows())
      if (row.info.env == c.env_name) {
        kvip::net::config::detail::error_sink sink{text};
        row.apply(s, text, sink);
      }
    return c.read(s);
  };
  for (auto& c : cases) {
    temp_file file{std::string{c.env_name} + ": " + c.file_value + "\n"};
    auto env = base_env();
    EXPECT_EQ(c.read(load(make_sources(env)).cfg), c.read(settings{})) << c.name << " default";
    EXPECT_EQ(c.read(load(make_sources(env, {}, file.path())).cfg), parse(c, c.file_value))
        << c.name << " file";
    env[c.env_name] = c.env_value;
    EXPECT_EQ(c.read(load(make_sources(env, {}, file.path())).cfg), parse(c, c.env_value))
        << c.name << " env";
    auto r = load(make_sources(env, {{c.flag_name, c.flag_value}}, file.path()));
    EXPECT_EQ(c.read(r.cfg), parse(c, c.flag_value)) << c.name << " flag";
    EXPECT_TRUE(r.problems.empty()) << c.name << dump(r);
  }
}

TEST(ConfigLoad, OverriddenFileValueWarnsNamingBoth) {
  temp_file file{"vip_leaseduration: 20\nleaseRetry: 1\n"};
  auto env = base_env();
  env["vip_leaseduration"] = "17";
  auto r = load(make_sources(env, {{"leaseRetry", "2"}}, file.path()));
  EXPECT_TRUE(r.problems.empty()) << dump(r);
  EXPECT_EQ(r.cfg.lease_duration, 17s);
  EXPECT_TRUE(has_warning(r, {file.path() + ":vip_leaseduration=20", "env vip_leaseduration=17"}));
  EXPECT_TRUE(has_warning(r, {file.path() + ":leaseRetry=1", "flag --leaseRetry=2"}));
}

// -- the config file ------------------------------------------------------------------

TEST(ConfigLoad, FileKeysByEnvAndFlagName) {
  auto r = load(make_sources({}, {}, data_dir + "full.yaml"));
  ASSERT_TRUE(r.problems.empty()) << dump(r);
  auto& c = r.cfg;
  EXPECT_TRUE(c.arp);
  EXPECT_TRUE(c.control_plane);
  EXPECT_EQ(c.lease_duration, 20s);
  EXPECT_EQ(c.renew_deadline, 12s);
  EXPECT_EQ(c.retry_period, 3s);
  EXPECT_EQ(c.interface, "eth1");
  ASSERT_EQ(c.bgp_peers.size(), 2u);
  EXPECT_EQ(c.bgp_peers[1].address, "2001:db8::1");
  EXPECT_EQ(c.bgp_peers[1].password, "pw");
  EXPECT_EQ(c.lease_annotations,
            (std::map<std::string, std::string>{{"owner", "ops"}, {"tier", "1"}}));
  EXPECT_EQ(c.egress_pod_cidr, (std::vector<std::string>{"10.244.0.0/16", "fd00:10:244::/56"}));
  EXPECT_EQ(c.prometheus_server, ":9100");
  EXPECT_EQ(c.config_file, data_dir + "full.yaml");
}

TEST(ConfigLoad, ConfigFileLocatedByFlagThenEnv) {
  temp_file a{"vip_interface: from-flag\n"};
  temp_file b{"vip_interface: from-env\n"};
  auto env = base_env();
  env["config_file"] = b.path();
  EXPECT_EQ(load(make_sources(env, {{"config-file", a.path()}})).cfg.interface, "from-flag");
  EXPECT_EQ(load(make_sources(env)).cfg.interface, "from-env");
  auto s = make_sources(env, {{"config-file", a.path()}});
  s.config_file = b.path(); // explicit path wins
  EXPECT_EQ(load(s).cfg.interface, "from-env");
}

TEST(ConfigLoad, UnknownFileKeyIsAProblem) {
  auto r = load(make_sources({}, {}, data_dir + "unknown_key.yaml"));
  ASSERT_EQ(r.problems.size(), 2u) << dump(r);
  EXPECT_NE(r.problems[0].key.find("EnableARP"), std::string::npos);
  EXPECT_NE(r.problems[0].expected.find("unknown configuration key"), std::string::npos);
  EXPECT_NE(r.problems[1].key.find("vip_leaseDuration"), std::string::npos); // case matters
}

TEST(ConfigLoad, UnreadableFileIsAProblemNamingThePath) {
  auto path = data_dir + "does-not-exist.yaml";
  auto r = load(make_sources(base_env(), {}, path));
  auto p = find_problem(r, "config_file");
  ASSERT_NE(p, nullptr) << dump(r);
  EXPECT_EQ(p->value, path);
  EXPECT_NE(p->expected.find("readable"), std::string::npos);
}

TEST(ConfigLoad, MalformedYamlIsAProblemNamingThePath) {
  auto r = load(make_sources(base_env(), {}, data_dir + "malformed.yaml"));
  auto p = find_problem(r, "config_file");
  ASSERT_NE(p, nullptr) << dump(r);
  EXPECT_EQ(p->value, data_dir + "malformed.yaml");
  EXPECT_NE(p->expected.find("valid YAML"), std::string::npos);
}

TEST(ConfigLoad, FileShapeProblems) {
  struct file_case {
    const char* name;
    const char* text;
    const char* key_part;
  };
  const file_case cases[] = {
      {"not a mapping", "- a\n- b\n", "config_file"},
      {"nested value", "vip_interface: {a: b}\n", "vip_interface"},
      {"twice by two names", "vip_leaseduration: 5\nleaseDuration: 6\n", "leaseDuration"},
      {"config_file inside", "config_file: other.yaml\n", "config_file"},
      {"bad value", "port: http\n", ":port"},
  };
  for (auto& c : cases) {
    temp_file file{c.text};
    auto r = load(make_sources(base_env(), {}, file.path()));
    EXPECT_NE(find_problem(r, c.key_part), nullptr) << c.name << "\n" << dump(r);
  }
  temp_file empty{""};
  EXPECT_TRUE(load(make_sources(base_env(), {}, empty.path())).problems.empty());
}

// -- env spelling, ignored knobs, aliases -----------------------------------------------

TEST(ConfigLoad, EnvNamesAreCaseSensitiveExceptTwo) {
  auto env = base_env();
  env["VIP_INTERFACE"] = "eth9";
  env["INSTANCE_NAME"] = "blue";
  env["EGRESS_CLEAN"] = "true";
  auto r = load(make_sources(env));
  EXPECT_TRUE(r.problems.empty()) << dump(r);
  EXPECT_EQ(r.cfg.interface, "");
  EXPECT_TRUE(has_warning(r, {"VIP_INTERFACE", "lower-case"}));
  EXPECT_EQ(r.cfg.instance_name, "blue");
  EXPECT_TRUE(r.cfg.egress_clean);
  env["instance_name"] = "green"; // lower-case wins
  EXPECT_EQ(load(make_sources(env)).cfg.instance_name, "green");
}

TEST(ConfigLoad, EmptyEnvIsUnsetExceptWhereEmptyMeansSomething) {
  auto env = base_env();
  env["vip_leaseduration"] = "";
  env["prometheus_server"] = "";
  env["lb_class_name"] = "";
  auto r = load(make_sources(env));
  EXPECT_TRUE(r.problems.empty()) << dump(r);
  EXPECT_EQ(r.cfg.lease_duration, 15s);
  EXPECT_EQ(r.cfg.prometheus_server, ":2112"); // kube-vip: an empty env var is the default
  EXPECT_EQ(r.cfg.lb_class_name, "");
}

TEST(ConfigLoad, EmptyPrometheusServerBySource) {
  struct prom_case {
    const char* name;
    std::map<std::string, std::string> env;
    std::map<std::string, std::string> flags;
    const char* file;
    const char* want;
  };
  const prom_case cases[] = {
      {"unset", {}, {}, nullptr, ":2112"},
      {"empty env is the default", {{"prometheus_server", ""}}, {}, nullptr, ":2112"},
      {"env value", {{"prometheus_server", ":9100"}}, {}, nullptr, ":9100"},
      {"empty flag turns it off", {}, {{"prometheusHTTPServer", ""}}, nullptr, ""},
      {"empty flag beats env",
       {{"prometheus_server", ":9100"}},
       {{"prometheusHTTPServer", ""}},
       nullptr,
       ""},
      {"empty file value turns it off", {}, {}, "prometheus_server: \"\"\n", ""},
      {"empty env leaves the file value",
       {{"prometheus_server", ""}},
       {},
       "prometheusHTTPServer: \":9200\"\n",
       ":9200"},
  };
  for (auto& c : cases) {
    auto env = base_env();
    env.insert(c.env.begin(), c.env.end());
    std::optional<temp_file> file;
    if (c.file) file.emplace(c.file);
    auto r = load(make_sources(env, c.flags, file ? file->path() : std::string{}));
    EXPECT_TRUE(r.problems.empty()) << c.name << "\n" << dump(r);
    EXPECT_EQ(r.cfg.prometheus_server, c.want) << c.name;
  }
}

TEST(ConfigLoad, IgnoredKnobsWarn) {
  auto env = base_env();
  env["vip_configmap"] = "plndr";
  env["vip_singlenode"] = "true";
  env["vip_startleader"] = "true";
  env["iptables_backend"] = "nft";
  auto r = load(make_sources(env));
  EXPECT_TRUE(r.problems.empty()) << dump(r);
  for (auto name : {"vip_configmap", "vip_singlenode", "vip_startleader", "iptables_backend"})
    EXPECT_TRUE(has_warning(r, {name, "no effect"})) << name;
  auto f = load(make_sources(base_env(), {{"configMap", "x"}}));
  EXPECT_TRUE(has_warning(f, {"--configMap", "no effect"}));
}

TEST(ConfigLoad, VipCidrAliasWarnsAndSetsSubnet) {
  auto env = base_env();
  env["vip_cidr"] = "24";
  auto r = load(make_sources(env));
  EXPECT_TRUE(r.problems.empty()) << dump(r);
  EXPECT_EQ(r.cfg.subnet_v4, (prefix_length{false, 24}));
  EXPECT_TRUE(has_warning(r, {"vip_cidr", "deprecated", "vip_subnet"}));
  env["vip_subnet"] = "25";
  EXPECT_NE(find_problem(load(make_sources(env)), "vip_cidr"), nullptr);
  env["vip_subnet"] = "24"; // same value: fine
  EXPECT_TRUE(load(make_sources(env)).problems.empty());
}

TEST(ConfigLoad, VipAddressAliasWarnsAndSetsAddress) {
  auto env = base_env();
  env.erase("address");
  env["vip_address"] = "192.0.2.20";
  env["vip_subnet"] = "32";
  auto r = load(make_sources(env));
  EXPECT_TRUE(r.problems.empty()) << dump(r);
  EXPECT_EQ(r.cfg.address, std::vector<std::string>{"192.0.2.20"});
  EXPECT_TRUE(r.cfg.address_from_vip_address);
  EXPECT_TRUE(has_warning(r, {"vip_address", "deprecated", "address"}));
  auto f = load(make_sources(base_env(), {{"vip", "192.0.2.30"}}));
  EXPECT_NE(find_problem(f, "--vip"), nullptr) << dump(f);
}

TEST(ConfigLoad, UnknownFlagIsAProblem) {
  auto r = load(make_sources(base_env(), {{"leaseDurationn", "5"}}));
  auto p = find_problem(r, "--leaseDurationn");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(to_string(*p), "--leaseDurationn=5: a known flag (see --help)");
}

TEST(ConfigLoad, ArpRateBelowFloorWarnsAndResets) {
  auto env = base_env();
  env["vip_arpRate"] = "250";
  auto r = load(make_sources(env));
  EXPECT_TRUE(r.problems.empty()) << dump(r);
  EXPECT_EQ(r.cfg.arp_rate, 3000ms);
  EXPECT_TRUE(has_warning(r, {"vip_arpRate=250", "3000ms"}));
  env["vip_arpRate"] = "1s";
  EXPECT_EQ(load(make_sources(env)).cfg.arp_rate, 1000ms);
  env["vip_arpRate"] = "750";
  EXPECT_EQ(load(make_sources(env)).cfg.arp_rate, 750ms);
}

TEST(ConfigLoad, DerivedDefaults) {
  auto env = base_env();
  env["dns_mode"] = "ipv6";
  env["backend_health_check_interval"] = "0";
  env["vip_nodename"] = "Worker-01";
  env["debounce_time"] = "100ms";
  auto r = load(make_sources(env));
  EXPECT_EQ(r.cfg.dhcp_mode, family_mode::ipv6);
  EXPECT_EQ(r.cfg.backend_health_check_interval, 5s);
  EXPECT_EQ(r.cfg.node_name, "worker-01");
  EXPECT_EQ(r.cfg.debounce_time, 200ms);
  EXPECT_TRUE(has_warning(r, {"debounce_time", "200ms"}));
  env["dhcp_mode"] = "dual";
  EXPECT_EQ(load(make_sources(env)).cfg.dhcp_mode, family_mode::dual);
  env["dns_mode"] = "first";
  env.erase("dhcp_mode");
  EXPECT_EQ(load(make_sources(env)).cfg.dhcp_mode, family_mode::ipv4);
}

TEST(ConfigLoad, LegacyPeerIsAppended) {
  auto env = base_env();
  env["vip_arp"] = "false";
  env["bgp_enable"] = "true";
  env["bgp_peers"] = "192.0.2.1:65001";
  env["bgp_peeraddress"] = "192.0.2.2";
  env["bgp_peeras"] = "65002";
  env["bgp_peerpass"] = "pw";
  env["bgp_multihop"] = "true";
  auto r = load(make_sources(env));
  ASSERT_TRUE(r.problems.empty()) << dump(r);
  ASSERT_EQ(r.cfg.bgp_peers.size(), 2u);
  EXPECT_EQ(r.cfg.bgp_peers[1].address, "192.0.2.2");
  EXPECT_EQ(r.cfg.bgp_peers[1].asn, 65002u);
  EXPECT_EQ(r.cfg.bgp_peers[1].password, "pw");
  EXPECT_TRUE(r.cfg.bgp_peers[1].multihop);
  EXPECT_EQ(r.cfg.bgp_peers[1].port, 179);
}

TEST(ConfigLoad, BadPeerProblemNamesPeer) {
  auto env = base_env();
  env["bgp_peers"] = "192.0.2.1:65001,192.0.2.2:65001::false:99999";
  auto r = load(make_sources(env));
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].key, "bgp_peers[1]");
  EXPECT_EQ(r.problems[0].value, "192.0.2.2:65001::false:99999");
  EXPECT_NE(r.problems[0].expected.find("port field"), std::string::npos);
}

TEST(ConfigLoad, AllProblemsAreReportedTogether) {
  std::map<std::string, std::string> env{
      {"vip_arp", "yes"}, {"bgp_enable", "true"},        {"vip_routingtable", "true"},
      {"port", "0"},      {"vip_leaseduration", "soon"}, {"lb_fwdmethod", "nat"}};
  auto r = load(make_sources(env, {{"leaseRetry", "20"}}));
  for (auto key : {"vip_arp", "port", "vip_leaseduration", "lb_fwdmethod",
                   "vip_arp|bgp_enable|vip_routingtable|vip_wireguard", "cp_enable|svc_enable",
                   "vip_renewdeadline"})
    EXPECT_NE(find_problem(r, key), nullptr) << key << "\n" << dump(r);
  EXPECT_GE(r.problems.size(), 7u);
  EXPECT_EQ(to_string(*find_problem(r, "port")), "port=0: an integer 1..65535");
}

TEST(ConfigLoad, EnvironmentFromEnvp) {
  char a[] = "vip_arp=true";
  char b[] = "EMPTY=";
  char c[] = "noequals";
  char d[] = "x=a=b";
  char* envp[] = {a, b, c, d, nullptr};
  auto env = environment_from(envp);
  EXPECT_EQ(env,
            (std::map<std::string, std::string>{{"vip_arp", "true"}, {"EMPTY", ""}, {"x", "a=b"}}));
  EXPECT_TRUE(environment_from(nullptr).empty());
}

} // namespace
