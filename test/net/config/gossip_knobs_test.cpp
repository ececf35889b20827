// The gossip knobs through load(): defaults are the pure cores' defaults,
// precedence flag > env > file > default, and the YAML file by env and flag
// names (kube-vip's own config struct has no gossip keys). Validation rules:
// validate_test.cpp; the peers grammar: parse_test.cpp.
#include "net/config/config.hpp"
#include "net/gossip/membership.hpp"
#include "test/support/temp_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

using namespace kvip::net::config;
using namespace std::chrono_literals;

namespace {

using yaml_file = kvip::test::temp_file;

load_result load_with(std::map<std::string, std::string> env,
                      std::map<std::string, std::string> flags = {}, std::string file = {}) {
  sources s;
  s.env = {{"vip_arp", "true"}, {"cp_enable", "true"}, {"address", "192.0.2.10"}};
  s.env.insert(env.begin(), env.end());
  s.flags = std::move(flags);
  s.config_file = std::move(file);
  s.hostname = "node";
  return load(s);
}

std::string dump(const load_result& r) {
  std::string out;
  for (auto& p : r.problems)
    out += to_string(p) + "\n";
  return out;
}

TEST(ConfigGossipDefaults, ProbeTimingsAreTheMembershipCoresDefaults) {
  settings c;
  kvip::net::gossip::config membership;
  EXPECT_EQ(c.gossip_probe_period, membership.probe_period);
  EXPECT_EQ(c.gossip_probe_timeout, membership.probe_timeout);
  EXPECT_EQ(c.gossip_suspicion_timeout, membership.suspicion_timeout);
}

TEST(ConfigGossipKnobs, TableRowsPairEnvFlagKindAndDefault) {
  struct want {
    const char* env;
    const char* flag;
    knob_kind kind;
    const char* default_text;
  };
  const want rows[] = {
      {"kvip_gossip", "gossip", knob_kind::boolean, "false"},
      {"kvip_gossip_port", "gossipPort", knob_kind::integer, "7947"},
      {"kvip_gossip_peers", "gossipPeers", knob_kind::list, ""},
      {"kvip_gossip_key_file", "gossipKeyFile", knob_kind::text, ""},
      {"kvip_gossip_probe_period", "gossipProbePeriod", knob_kind::duration, "30ms"},
      {"kvip_gossip_probe_timeout", "gossipProbeTimeout", knob_kind::duration, "10ms"},
      {"kvip_gossip_suspicion_timeout", "gossipSuspicionTimeout", knob_kind::duration, "50ms"},
      {"kvip_gossip_fence_timeout", "gossipFenceTimeout", knob_kind::duration, "60ms"},
      {"kvip_gossip_takeover_wait", "gossipTakeoverWait", knob_kind::duration, "80ms"},
  };
  for (auto& w : rows) {
    int found = 0;
    for (auto& k : knobs())
      if (k.env == w.env || k.flag == w.flag) {
        ++found;
        EXPECT_EQ(k.env, w.env);
        EXPECT_EQ(k.flag, w.flag);
        EXPECT_EQ(k.kind, w.kind) << w.env;
        EXPECT_EQ(k.default_text, w.default_text) << w.env;
        EXPECT_FALSE(k.help.empty()) << w.env;
      }
    EXPECT_EQ(found, 1) << w.env;
  }
}

TEST(ConfigGossipLoad, PrecedenceFlagEnvFileDefault) {
  struct precedence_case {
    const char* env;
    const char* flag;
    const char* file_value;
    const char* env_value;
    const char* flag_value;
    std::function<std::string(const settings&)> read;
    const char* want_default;
    const char* want_file;
    const char* want_env;
    const char* want_flag;
  };
  auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()); };
  auto peers = [](const settings& s) {
    std::string out;
    for (auto& p : s.gossip_peers)
      out += p.host + "/" + std::to_string(p.port) + ";";
    return out;
  };
  const precedence_case cases[] = {
      {"kvip_gossip", "gossip", "true", "false", "true",
       [](const settings& s) { return std::string{s.gossip ? "on" : "off"}; }, "off", "on", "off",
       "on"},
      {"kvip_gossip_port", "gossipPort", "8001", "8002", "8003",
       [](const settings& s) { return std::to_string(s.gossip_port); }, "7947", "8001", "8002",
       "8003"},
      {"kvip_gossip_peers", "gossipPeers", "10.0.0.1", "10.0.0.2:7000", "[fd00::3]:7001", peers, "",
       "10.0.0.1/0;", "10.0.0.2/7000;", "fd00::3/7001;"},
      {"kvip_gossip_key_file", "gossipKeyFile", "/a", "/b", "/c",
       [](const settings& s) { return s.gossip_key_file; }, "", "/a", "/b", "/c"},
      {"kvip_gossip_probe_period", "gossipProbePeriod", "40", "50ms", "0.06s",
       [&](const settings& s) { return ms(s.gossip_probe_period); }, "30", "40", "50", "60"},
      {"kvip_gossip_probe_timeout", "gossipProbeTimeout", "11", "12ms", "13ms",
       [&](const settings& s) { return ms(s.gossip_probe_timeout); }, "10", "11", "12", "13"},
      {"kvip_gossip_suspicion_timeout", "gossipSuspicionTimeout", "60", "70ms", "1s",
       [&](const settings& s) { return ms(s.gossip_suspicion_timeout); }, "50", "60", "70", "1000"},
      {"kvip_gossip_fence_timeout", "gossipFenceTimeout", "51", "52ms", "53ms",
       [&](const settings& s) { return ms(s.gossip_fence_timeout); }, "60", "51", "52", "53"},
      {"kvip_gossip_takeover_wait", "gossipTakeoverWait", "200", "300ms", "1s",
       [&](const settings& s) { return ms(s.gossip_takeover_wait); }, "80", "200", "300", "1000"},
  };
  for (auto& c : cases) {
    yaml_file file{std::string{c.env} + ": \"" + c.file_value + "\"\n"};
    auto none = load_with({});
    auto from_file = load_with({}, {}, file.path());
    auto from_env = load_with({{c.env, c.env_value}}, {}, file.path());
    auto from_flag = load_with({{c.env, c.env_value}}, {{c.flag, c.flag_value}}, file.path());
    for (auto* r : {&none, &from_file, &from_env, &from_flag})
      EXPECT_TRUE(r->problems.empty()) << c.env << "\n" << dump(*r);
    EXPECT_EQ(c.read(none.cfg), c.want_default) << c.env;
    EXPECT_EQ(c.read(from_file.cfg), c.want_file) << c.env;
    EXPECT_EQ(c.read(from_env.cfg), c.want_env) << c.env;
    EXPECT_EQ(c.read(from_flag.cfg), c.want_flag) << c.env;
  }
}

TEST(ConfigGossipLoad, FileKeysByFlagAndEnvName) {
  // A YAML sequence of peers is joined with commas; flag and env spellings mix in one file.
  yaml_file file{"kvip_gossip: true\ngossipPeers: [10.0.0.1, \"[fd00::2]:7000\", node-3:8000]\n"
                 "gossipKeyFile: /etc/kvip/gossip.key\nkvip_gossip_takeover_wait: 1s\n"};
  auto r = load_with({}, {}, file.path());
  ASSERT_TRUE(r.problems.empty()) << dump(r);
  EXPECT_TRUE(r.cfg.gossip);
  EXPECT_EQ(r.cfg.gossip_peers,
            (std::vector<gossip_peer>{{"10.0.0.1", 0}, {"fd00::2", 7000}, {"node-3", 8000}}));
  EXPECT_EQ(r.cfg.gossip_key_file, "/etc/kvip/gossip.key");
  EXPECT_EQ(r.cfg.gossip_takeover_wait, 1000ms);

  yaml_file bad{"gossipPeers: [10.0.0.1, node-2:70000]\ngossipProbeTimeout: 0\n"};
  auto b = load_with({}, {}, bad.path());
  auto text = dump(b);
  EXPECT_NE(text.find("gossipPeers[1]=node-2:70000: host, host:port or [IPv6]:port"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("gossipProbeTimeout=0: a duration > 0"), std::string::npos) << text;
}

} // namespace
