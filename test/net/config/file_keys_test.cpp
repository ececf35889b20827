// kube-vip's config-file keys (the YAML names of its Config struct): the table
// is consistent with the knob table, files in kube-vip's style and in a mix of
// styles load, precedence is the same as for every other key, and bad input
// names the key.
#include "net/config/config.hpp"
#include "net/config/detail.hpp"
#include "test/support/temp_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

using namespace kvip::net::config;
using namespace kvip::net::config::detail;
using namespace std::chrono_literals;

namespace {

const std::string data_dir = std::string{KVIP_TEST_DATA_DIR} + "/config/";

using yaml_file = kvip::test::temp_file;

load_result load_file(const std::string& path, std::map<std::string, std::string> env = {},
                      std::map<std::string, std::string> flags = {}) {
  sources s;
  s.env = std::move(env);
  s.flags = std::move(flags);
  s.config_file = path;
  s.hostname = "node";
  return load(s);
}

std::string dump(const load_result& r) {
  std::string out;
  for (auto& p : r.problems)
    out += to_string(p) + "\n";
  return out;
}

const problem* find_problem(const load_result& r, std::string_view key_part) {
  for (auto& p : r.problems)
    if (p.key.find(key_part) != std::string::npos) return &p;
  return nullptr;
}

bool has_warning(const load_result& r, std::string_view a, std::string_view b) {
  for (auto& w : r.warnings)
    if (w.find(a) != std::string::npos && w.find(b) != std::string::npos) return true;
  return false;
}

const knob_row* row_named(const std::string& canonical) {
  for (auto& r : knob_rows())
    if (canonical_name(r) == canonical) return &r;
  return nullptr;
}

TEST(ConfigFileKeys, TableNamesRealKnobsOnce) {
  std::set<std::string_view> seen;
  for (auto& k : kube_vip_file_keys()) {
    EXPECT_TRUE(seen.insert(k.yaml).second) << "twice: " << k.yaml;
    if (k.knob.empty()) {
      EXPECT_FALSE(k.instead.empty()) << k.yaml << " must say what to use instead";
      continue;
    }
    auto* row = row_named(std::string{k.knob});
    ASSERT_NE(row, nullptr) << k.yaml << " -> " << k.knob << " is not a knob";
    // A kube-vip name spelled like a flag or env name must mean the same knob.
    for (auto& other : knob_rows()) {
      if (other.info.flag == k.yaml || other.info.env == k.yaml) {
        EXPECT_EQ(&other, row) << k.yaml << " is also a name of " << canonical_name(other);
      }
    }
  }
  for (auto name : {"logging", "enableARP", "enableControlPlane", "renewDeadline", "retryPeriod",
                    "leaseDuration", "vipSubnet", "enableLeaderElection", "prometheusHTTPServer"})
    EXPECT_EQ(seen.count(name), 1u) << name;
}

TEST(ConfigFileKeys, KubeVipStyleFileLoads) {
  auto r = load_file(data_dir + "kube-vip.yaml");
  ASSERT_TRUE(r.problems.empty()) << dump(r);
  auto& c = r.cfg;
  EXPECT_EQ(c.log_level, -4);
  EXPECT_TRUE(c.arp);
  EXPECT_TRUE(c.control_plane);
  EXPECT_FALSE(c.services);
  EXPECT_EQ(c.address, (std::vector<std::string>{"192.0.2.10", "2001:db8::10"}));
  EXPECT_EQ(c.subnet_v4, (prefix_length{false, 24}));
  EXPECT_EQ(c.subnet_v6, (prefix_length{false, 64}));
  EXPECT_EQ(c.port, 7443);
  EXPECT_EQ(c.interface, "eth1");
  EXPECT_EQ(c.cp_namespace, "kube-vip");
  EXPECT_EQ(c.lease_name, "cp-lock");
  EXPECT_TRUE(c.leader_election);
  EXPECT_EQ(c.lease_duration, 5s);
  EXPECT_EQ(c.renew_deadline, 3s);
  EXPECT_EQ(c.retry_period, 1s);
  EXPECT_EQ(c.lease_annotations, (std::map<std::string, std::string>{{"owner", "ops"}}));
  EXPECT_EQ(c.arp_rate, 1500ms); // kube-vip's ArpBroadcastRate is milliseconds
  EXPECT_EQ(c.lb_port, 8443);
  EXPECT_EQ(c.lb_method, lb_forwarding::masquerade);
  EXPECT_EQ(c.routing_table_id, 200u);
  EXPECT_EQ(c.health_check_port, 8081);
  EXPECT_EQ(c.prometheus_server, ":9101");
}

TEST(ConfigFileKeys, MixedStylesInOneFile) {
  auto r = load_file(data_dir + "mixed.yaml");
  ASSERT_TRUE(r.problems.empty()) << dump(r);
  EXPECT_TRUE(r.cfg.arp);
  EXPECT_TRUE(r.cfg.control_plane);
  EXPECT_EQ(r.cfg.lease_duration, 20s);
  EXPECT_EQ(r.cfg.renew_deadline, 12s);
  EXPECT_EQ(r.cfg.retry_period, 3s);
  EXPECT_EQ(r.cfg.interface, "eth2");
  EXPECT_EQ(r.cfg.log_level, 4);
}

struct precedence_case {
  const char* name;
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> flags;
  std::chrono::milliseconds want;
  const char* warning; ///< part of the "overridden" warning, nullptr = none
};

TEST(ConfigFileKeys, SamePrecedenceAsEveryKey) {
  yaml_file f{"enableARP: true\nenableControlPlane: true\naddress: 192.0.2.10\n"
              "renewDeadline: 7\n"};
  const precedence_case cases[] = {
      {"file alone", {}, {}, 7s, nullptr},
      {"env beats file", {{"vip_renewdeadline", "8"}}, {}, 8s, "env vip_renewdeadline=8"},
      {"flag beats env and file",
       {{"vip_renewdeadline", "8"}},
       {{"leaseRenewDuration", "9"}},
       9s,
       "flag --leaseRenewDuration=9"},
  };
  for (auto& c : cases) {
    auto r = load_file(f.path(), c.env, c.flags);
    EXPECT_TRUE(r.problems.empty()) << c.name << "\n" << dump(r);
    EXPECT_EQ(r.cfg.renew_deadline, c.want) << c.name;
    if (c.warning) {
      EXPECT_TRUE(has_warning(r, f.path() + ":renewDeadline=7", c.warning)) << c.name;
    }
  }
}

struct bad_case {
  const char* name;
  const char* text;
  const char* key_part; ///< the problem's key names this
  const char* expected; ///< part of what the problem says is expected
};

TEST(ConfigFileKeys, BadInputNamesTheKey) {
  const bad_case cases[] = {
      {"bad boolean", "enableARP: yes please\n", ":enableARP", "a boolean"},
      {"bad duration", "renewDeadline: soon\n", ":renewDeadline", "a duration"},
      {"bad integer", "logging: loud\n", ":logging", "an integer"},
      {"bad address item", "address: 192.0.2.10,,192.0.2.11\n", ":address[1]", "DNS name"},
      {"one knob by two styles", "vip_renewdeadline: 5\nrenewDeadline: 6\n", ":renewDeadline",
       "set once per file"},
      {"kube-vip structure", "bgpConfig: {routerID: 192.0.2.1}\n", ":bgpConfig", "bgp_"},
      {"kube-vip raft option", "addPeersAsBackends: true\n", ":addPeersAsBackends", "no effect"},
      {"go field name is not a YAML name", "EnableControlPlane: true\n", ":EnableControlPlane",
       "unknown configuration key"},
      {"nested leaderElection", "leaderElection: {renewDeadline: 5}\n", ":leaderElection",
       "at the top level"},
  };
  for (auto& c : cases) {
    yaml_file f{c.text}; // other problems (no mode chosen) do not matter here
    auto r = load_file(f.path());
    auto p = find_problem(r, c.key_part);
    ASSERT_NE(p, nullptr) << c.name << "\n" << dump(r);
    EXPECT_NE(p->expected.find(c.expected), std::string::npos) << c.name << ": " << to_string(*p);
  }
}

TEST(ConfigFileKeys, DeprecatedAndIgnoredKubeVipKeysBehaveLikeTheirKnobs) {
  yaml_file f{"enableARP: true\nenableControlPlane: true\nvip: 192.0.2.10\nvipSubnet: 32\n"
              "singleNode: true\n"};
  auto r = load_file(f.path());
  ASSERT_TRUE(r.problems.empty()) << dump(r);
  EXPECT_EQ(r.cfg.address, std::vector<std::string>{"192.0.2.10"});
  EXPECT_TRUE(has_warning(r, ":vip", "deprecated"));
  EXPECT_TRUE(has_warning(r, ":singleNode", "no effect"));
}

} // namespace
