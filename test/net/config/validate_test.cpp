// Validation: every rule with at least one good and one bad value. Each case
// starts from a valid ARP control-plane setup and changes a few knobs.
#include "net/config/config.hpp"
#include "net/gossip/fence.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace kvip::net::config;

namespace {

constexpr const char* unset = "<unset>";

struct validate_case {
  const char* name;
  std::map<std::string, std::string> env;   // merged over the base; `unset` removes
  std::map<std::string, std::string> flags; // flag long name -> value
  const char* bad_key;                      // nullptr = must be valid; else a problem key part
};

load_result run(const validate_case& c) {
  sources s;
  s.env = {{"vip_arp", "true"}, {"cp_enable", "true"}, {"address", "192.0.2.10"}};
  for (auto& [k, v] : c.env)
    if (v == unset)
      s.env.erase(k);
    else
      s.env[k] = v;
  s.flags = c.flags;
  s.hostname = "node";
  return load(s);
}

std::string dump(const load_result& r) {
  std::string out;
  for (auto& p : r.problems)
    out += "  " + to_string(p) + "\n";
  return out;
}

void check(const std::vector<validate_case>& cases) {
  for (auto& c : cases) {
    auto r = run(c);
    if (c.bad_key == nullptr) {
      EXPECT_TRUE(r.problems.empty()) << c.name << " should be valid:\n" << dump(r);
      continue;
    }
    std::string_view want{c.bad_key};
    auto hit = std::any_of(r.problems.begin(), r.problems.end(),
                           [&](const problem& p) { return p.key.find(want) != std::string::npos; });
    EXPECT_TRUE(hit) << c.name << ": expected a problem on " << want << ", got:\n" << dump(r);
  }
}

TEST(ConfigValidate, ModesAndFeatures) {
  check({
      {"arp only", {}, {}, nullptr},
      {"bgp only", {{"vip_arp", "false"}, {"bgp_enable", "true"}}, {}, nullptr},
      {"table only", {{"vip_arp", unset}, {"vip_routingtable", "1"}}, {}, nullptr},
      {"wireguard only", {{"vip_arp", unset}, {"vip_wireguard", "t"}}, {}, nullptr},
      {"two modes", {{"bgp_enable", "true"}}, {}, "vip_arp|bgp_enable"},
      {"no mode", {{"vip_arp", "false"}}, {}, "vip_arp|bgp_enable"},
      {"no feature", {{"cp_enable", "false"}}, {}, "cp_enable|svc_enable"},
      {"services only", {{"cp_enable", unset}, {"svc_enable", "true"}}, {}, nullptr},
      {"bad boolean", {{"vip_arp", "yes"}}, {}, "vip_arp"},
  });
}

TEST(ConfigValidate, LeaseTimings) {
  check({
      {"e2e timings",
       {{"vip_leaseduration", "5"}, {"vip_renewdeadline", "3"}, {"vip_retryperiod", "1"}},
       {},
       nullptr},
      {"renew just above 1.2 x retry", {{"vip_renewdeadline", "2500ms"}}, {}, nullptr},
      {"duration not above renew", {{"vip_leaseduration", "10"}}, {}, "vip_leaseduration"},
      {"renew not above 1.2 x retry",
       {{"vip_renewdeadline", "3"}, {"vip_retryperiod", "3"}},
       {},
       "vip_renewdeadline"},
      {"renew equal to 1.2 x retry", {{"vip_renewdeadline", "2400ms"}}, {}, "vip_renewdeadline"},
      {"zero retry", {{"vip_retryperiod", "0"}}, {}, "vip_retryperiod"},
      {"unparsable", {{"vip_leaseduration", "soon"}}, {}, "vip_leaseduration"},
      {"flag spelling in problem", {}, {{"leaseDuration", "5"}}, "--leaseDuration"},
      {"etcd ignores renew/retry order",
       {{"vip_retryperiod", "9"}},
       {{"leaderElectionType", "etcd"}, {"etcdEndpoints", "https://10.0.0.1:2379"}},
       nullptr},
      {"etcd needs endpoints", {}, {{"leaderElectionType", "etcd"}}, "etcdEndpoints"},
      {"unknown backend", {}, {{"leaderElectionType", "zookeeper"}}, "--leaderElectionType"},
      {"lose leadership timeout", {{"vip_loseleadership_timeout_seconds", "10"}}, {}, nullptr},
      {"lose leadership timeout zero",
       {{"vip_loseleadership_timeout_seconds", "0"}},
       {},
       "vip_loseleadership_timeout_seconds"},
  });
}

TEST(ConfigValidate, Addresses) {
  check({
      {"dual stack", {{"address", "192.0.2.10,2001:db8::10"}}, {}, nullptr},
      {"ipv6", {{"address", "2001:db8::10"}}, {}, nullptr},
      {"dns name", {{"address", "cp.example.com"}}, {}, nullptr},
      // kube-vip makes one VIP of every comma-separated item (reference §2.1)
      {"two ipv4", {{"address", "192.0.2.10,192.0.2.11"}}, {}, nullptr},
      {"name in a list", {{"address", "cp.example.com,192.0.2.1"}}, {}, nullptr},
      {"two names", {{"address", "a.example.com,b.example.com"}}, {}, nullptr},
      {"same address twice", {{"address", "192.0.2.10,192.0.2.10"}}, {}, "address[1]"},
      {"space in an item", {{"address", "192.0.2.10, 2001:db8::10"}}, {}, "address[1]"},
      {"two ipv4, one prefix each",
       {{"address", "192.0.2.10,192.0.2.11"}, {"vip_subnet", "24,24"}},
       {},
       nullptr},
      {"two ipv4, two prefixes",
       {{"address", "192.0.2.10,192.0.2.11"}, {"vip_subnet", "24,32"}},
       {},
       "vip_subnet"},
      {"dual stack prefixes",
       {{"address", "192.0.2.10,2001:db8::10"}, {"vip_subnet", "24,64"}},
       {},
       nullptr},
      {"broken ip", {{"address", "300.1.1.1"}}, {}, "address"},
      {"empty item", {{"address", "192.0.2.10,"}}, {}, "address"},
      {"missing for control plane", {{"address", unset}}, {}, "address"},
      {"not needed for services",
       {{"address", unset}, {"cp_enable", "false"}, {"svc_enable", "1"}},
       {},
       nullptr},
      {"ddns without address", {{"address", unset}, {"vip_ddns", "true"}}, {}, nullptr},
      {"ddns with name", {{"address", "cp.example.com"}, {"vip_ddns", "true"}}, {}, nullptr},
      {"ddns with ip", {{"vip_ddns", "true"}}, {}, "address"},
      {"vip_address needs vip_subnet",
       {{"address", unset}, {"vip_address", "192.0.2.10"}},
       {},
       "vip_address"},
      {"vip_address with vip_subnet",
       {{"address", unset}, {"vip_address", "192.0.2.10"}, {"vip_subnet", "32"}},
       {},
       nullptr},
      {"vip_address in wireguard mode",
       {{"address", unset},
        {"vip_address", "192.0.2.10"},
        {"vip_arp", unset},
        {"vip_wireguard", "true"}},
       {},
       nullptr},
      {"address and different vip_address", {{"vip_address", "192.0.2.11"}}, {}, "vip_address"},
  });
}

TEST(ConfigValidate, Subnets) {
  auto svc_arp = std::map<std::string, std::string>{
      {"cp_enable", unset}, {"svc_enable", "true"}, {"address", unset}};
  auto with = [](std::map<std::string, std::string> m, std::string k, std::string v) {
    m[k] = v;
    return m;
  };
  check({
      {"ipv4 prefix", {{"vip_subnet", "24"}}, {}, nullptr},
      {"ipv4 prefix too long", {{"vip_subnet", "33"}}, {}, "vip_subnet"},
      {"dual stack",
       {{"address", "192.0.2.10,2001:db8::10"}, {"vip_subnet", "24,64"}},
       {},
       nullptr},
      {"dual stack swapped",
       {{"address", "2001:db8::10,192.0.2.10"}, {"vip_subnet", "64,24"}},
       {},
       nullptr},
      {"dual stack wrong order",
       {{"address", "192.0.2.10,2001:db8::10"}, {"vip_subnet", "64,24"}},
       {},
       "vip_subnet"},
      {"count mismatch",
       {{"address", "192.0.2.10,2001:db8::10"}, {"vip_subnet", "24"}},
       {},
       "vip_subnet"},
      {"not a number", {{"vip_subnet", "abc"}}, {}, "vip_subnet"},
      {"negative", {{"vip_subnet", "-1"}}, {}, "vip_subnet"},
      {"auto with an address", {{"vip_subnet", "auto"}}, {}, "vip_subnet"},
      {"auto for arp services", with(svc_arp, "vip_subnet", "auto,auto"), {}, nullptr},
      {"single auto for arp services", with(svc_arp, "vip_subnet", "auto"), {}, nullptr},
      {"auto outside arp",
       {{"cp_enable", unset},
        {"svc_enable", "true"},
        {"address", unset},
        {"vip_arp", unset},
        {"bgp_enable", "true"},
        {"vip_subnet", "auto"}},
       {},
       "vip_subnet"},
      {"services without address v4,v6", with(svc_arp, "vip_subnet", "24,120"), {}, nullptr},
      {"services three entries", with(svc_arp, "vip_subnet", "24,64,64"), {}, "vip_subnet"},
      {"vip_cidr alias bad value", {{"vip_cidr", "40"}}, {}, "vip_cidr"},
  });
}

TEST(ConfigValidate, CidrsAndPorts) {
  check({
      {"egress cidrs",
       {{"egress_podcidr", "10.244.0.0/16,fd00::/56"}, {"egress_servicecidr", "10.96.0.0/12"}},
       {},
       nullptr},
      {"egress pod cidr prefix", {{"egress_podcidr", "10.244.0.0/33"}}, {}, "egress_podcidr"},
      {"egress service cidr no prefix",
       {{"egress_servicecidr", "10.96.0.0"}},
       {},
       "egress_servicecidr"},
      {"port max", {{"port", "65535"}}, {}, nullptr},
      {"port zero", {{"port", "0"}}, {}, "port"},
      {"port too big", {{"port", "65536"}}, {}, "port"},
      {"lb port", {{"lb_port", "8443"}}, {}, nullptr},
      {"lb port not a number", {{"lb_port", "https"}}, {}, "lb_port"},
      {"health port off", {{"health_check_port", "0"}}, {}, nullptr},
      {"health port", {{"health_check_port", "1024"}}, {}, nullptr},
      {"health port privileged", {{"health_check_port", "1023"}}, {}, "health_check_port"},
      {"health port too big", {{"health_check_port", "70000"}}, {}, "health_check_port"},
      {"health port is the metrics port", {{"health_check_port", "2112"}}, {}, "health_check_port"},
      {"health port beside moved metrics",
       {{"health_check_port", "2112"}, {"prometheus_server", "127.0.0.1:9100"}},
       {},
       nullptr},
      {"health port, metrics off",
       {{"health_check_port", "2112"}},
       {{"prometheusHTTPServer", ""}},
       nullptr},
      {"prometheus off", {{"prometheus_server", ""}}, {}, nullptr},
      {"prometheus v6", {{"prometheus_server", "[::1]:9100"}}, {}, nullptr},
      {"prometheus host", {{"prometheus_server", "0.0.0.0:2112"}}, {}, nullptr},
      {"prometheus no colon", {{"prometheus_server", "2112"}}, {}, "prometheus_server"},
      {"prometheus port zero is any free port", {{"prometheus_server", ":0"}}, {}, nullptr},
      {"prometheus port too big", {{"prometheus_server", ":65536"}}, {}, "prometheus_server"},
      {"prometheus bare v6", {{"prometheus_server", "::1:2112"}}, {}, "prometheus_server"},
      {"prometheus flag off", {}, {{"prometheusHTTPServer", ""}}, nullptr},
  });
}

TEST(ConfigValidate, Bgp) {
  std::map<std::string, std::string> bgp{{"vip_arp", unset}, {"bgp_enable", "true"}};
  auto with = [&](std::initializer_list<std::pair<const std::string, std::string>> extra) {
    auto m = bgp;
    for (auto& [k, v] : extra)
      m[k] = v;
    return m;
  };
  check({
      {"asn max", with({{"bgp_as", "4294967295"}}), {}, nullptr},
      {"asn zero", with({{"bgp_as", "0"}}), {}, "bgp_as"},
      {"asn too big", with({{"bgp_as", "4294967296"}}), {}, "bgp_as"},
      {"peer asn zero", with({{"bgp_peeras", "0"}}), {}, "bgp_peeras"},
      {"router id", with({{"bgp_routerid", "10.0.0.1"}}), {}, nullptr},
      {"router id v6", with({{"bgp_routerid", "2001:db8::1"}}), {}, "bgp_routerid"},
      {"router id name", with({{"bgp_routerid", "router1"}}), {}, "bgp_routerid"},
      {"source ip v6", with({{"bgp_sourceip", "2001:db8::1"}}), {}, nullptr},
      {"source ip bad", with({{"bgp_sourceip", "eth0"}}), {}, "bgp_sourceip"},
      {"source if and ip",
       with({{"bgp_sourceip", "10.0.0.1"}, {"bgp_sourceif", "eth0"}}),
       {},
       "bgp_sourceip"},
      {"hold off", with({{"bgp_hold_time", "0"}}), {}, nullptr},
      {"hold 9 keepalive 3",
       with({{"bgp_hold_time", "9"}, {"bgp_keepalive_interval", "3"}}),
       {},
       nullptr},
      {"hold below 3s",
       with({{"bgp_hold_time", "2"}, {"bgp_keepalive_interval", "1"}}),
       {},
       "bgp_hold_time"},
      {"hold not above keepalive", with({{"bgp_hold_time", "10"}}), {}, "bgp_hold_time"},
      {"hold fractional",
       with({{"bgp_hold_time", "4500ms"}, {"bgp_keepalive_interval", "1"}}),
       {},
       "bgp_hold_time"},
      {"peer address legacy", with({{"bgp_peeraddress", "192.0.2.1"}}), {}, nullptr},
      {"peer address legacy bad", with({{"bgp_peeraddress", "router"}}), {}, "bgp_peeraddress"},
      {"peers", with({{"bgp_peers", "192.0.2.1:65001,[2001:db8::1]:65002"}}), {}, nullptr},
      {"peers bad", with({{"bgp_peers", "192.0.2.1:65001:pw:maybe"}}), {}, "bgp_peers[0]"},
      {"mpbgp fixed", with({{"mpbgp_nexthop", "fixed"}, {"mpbgp_ipv4", "192.0.2.9"}}), {}, nullptr},
      {"mpbgp fixed without address", with({{"mpbgp_nexthop", "fixed"}}), {}, "mpbgp_nexthop"},
      {"mpbgp unknown", with({{"mpbgp_nexthop", "nearest"}}), {}, "mpbgp_nexthop"},
      {"mpbgp auto_sourceif",
       with({{"mpbgp_nexthop", "auto_sourceif"}, {"bgp_sourceif", "eth0"}}),
       {},
       nullptr},
      {"mpbgp auto_sourceif without if",
       with({{"mpbgp_nexthop", "auto_sourceif"}}),
       {},
       "mpbgp_nexthop"},
      {"mpbgp auto_sourceip without ip",
       with({{"mpbgp_nexthop", "auto_sourceip"}}),
       {},
       "mpbgp_nexthop"},
      {"mpbgp ipv4 not v4", with({{"mpbgp_ipv4", "2001:db8::1"}}), {}, "mpbgp_ipv4"},
      {"mpbgp ipv6 not v6", with({{"mpbgp_ipv6", "192.0.2.1"}}), {}, "mpbgp_ipv6"},
      {"per-peer fixed inherits global address",
       with({{"bgp_peers", "192.0.2.1:65001::::mpbgp_nexthop=fixed"}, {"mpbgp_ipv6", "fd00::1"}}),
       {},
       nullptr},
      {"per-peer fixed without any address",
       with({{"bgp_peers", "192.0.2.1:65001::::mpbgp_nexthop=fixed"}}),
       {},
       "bgp_peers[0]"},
      {"zebra version", with({{"zebra_version", "2"}}), {}, nullptr},
      {"zebra version too old", with({{"zebra_version", "1"}}), {}, "zebra_version"},
      {"zebra version too new", with({{"zebra_version", "7"}}), {}, "zebra_version"},
  });
}

TEST(ConfigValidate, Enumerations) {
  check({
      {"fwd masquerade", {{"lb_fwdmethod", "masquerade"}}, {}, nullptr},
      {"fwd directroute", {{"lb_fwdmethod", "directroute"}}, {}, nullptr},
      {"fwd unknown", {{"lb_fwdmethod", "nat"}}, {}, "lb_fwdmethod"},
      {"fwd case", {{"lb_fwdmethod", "Local"}}, {}, "lb_fwdmethod"},
      {"dns dual", {{"dns_mode", "dual"}}, {}, nullptr},
      {"dns unknown", {{"dns_mode", "both"}}, {}, "dns_mode"},
      {"dhcp ipv6", {{"dhcp_mode", "ipv6"}}, {}, nullptr},
      {"dhcp unknown", {{"dhcp_mode", "v6"}}, {}, "dhcp_mode"},
      {"log format json", {{"kvip_log_format", "json"}}, {}, nullptr},
      {"log format flag", {}, {{"logFormat", "xml"}}, "--logFormat"},
      {"log level debug", {{"vip_loglevel", "-4"}}, {}, nullptr},
      {"log level word", {{"vip_loglevel", "debug"}}, {}, "vip_loglevel"},
      {"trace any path", {{"kvip_trace", "/tmp/kvip trace.jsonl"}}, {}, nullptr},
  });
}

TEST(ConfigValidate, InterfacesAndNames) {
  check({
      {"interface", {{"vip_interface", "enp0s31f6.200"}}, {}, nullptr},
      {"interface alias colon", {{"vip_interface", "eth0:1"}}, {}, "vip_interface"},
      {"interface too long", {{"vip_interface", "averyveryverylongname"}}, {}, "vip_interface"},
      {"interface space", {{"vip_interface", "eth 0"}}, {}, "vip_interface"},
      {"services interface auto", {{"vip_servicesinterface", "auto"}}, {}, nullptr},
      {"services interface slash", {{"vip_servicesinterface", "a/b"}}, {}, "vip_servicesinterface"},
      {"source if", {{"bgp_sourceif", "lo"}}, {}, nullptr},
      {"source if bad", {{"bgp_sourceif", "x/y"}}, {}, "bgp_sourceif"},
      {"mirror", {{"mirror_dest_interface", "eth1"}}, {}, nullptr},
      {"mirror bad", {{"mirror_dest_interface", "sixteen-chars-xx"}}, {}, "mirror_dest_interface"},
      {"instance name", {{"instance_name", "blue-1.a_b"}}, {}, nullptr},
      {"instance name bad char", {{"instance_name", "blue!"}}, {}, "instance_name"},
      {"instance name too long", {{"instance_name", std::string(244, 'a')}}, {}, "instance_name"},
      {"lease name with namespace", {{"vip_leasename", "kube-vip/cp-lock"}}, {}, nullptr},
      {"lease name upper case", {{"vip_leasename", "CP_Lock"}}, {}, "vip_leasename"},
      {"lease name three parts", {{"svc_leasename", "a/b/c"}}, {}, "svc_leasename"},
      {"lease name empty by flag", {}, {{"servicesLeaseName", ""}}, "--servicesLeaseName"},
      {"namespace", {{"cp_namespace", "kube-vip"}}, {}, nullptr},
      {"namespace upper", {{"cp_namespace", "Kube"}}, {}, "cp_namespace"},
      {"namespace by short flag name", {}, {{"namespace", "a.b"}}, "--namespace"},
      {"svc namespace", {{"svc_namespace", "default"}}, {}, nullptr},
      {"svc namespace bad", {{"svc_namespace", "not_valid"}}, {}, "svc_namespace"},
      {"annotations", {{"vip_leaseannotations", R"({"owner":"ops"})"}}, {}, nullptr},
      {"annotations number",
       {{"vip_leaseannotations", R"({"owner":1})"}},
       {},
       "vip_leaseannotations"},
      {"annotations array", {{"vip_leaseannotations", "[1]"}}, {}, "vip_leaseannotations"},
      {"annotations garbage", {{"vip_leaseannotations", "owner=ops"}}, {}, "vip_leaseannotations"},
  });
}

TEST(ConfigValidate, HealthRoutingAndMisc) {
  check({
      {"health url",
       {{"control_plane_health_check_address", "https://10.0.0.1:6443/livez"}},
       {},
       nullptr},
      {"health url scheme",
       {{"control_plane_health_check_address", "ftp://x"}},
       {},
       "control_plane_health_check_address"},
      {"health url no host",
       {{"control_plane_health_check_address", "http://"}},
       {},
       "control_plane_health_check_address"},
      {"health period", {{"control_plane_health_check_period_seconds", "1"}}, {}, nullptr},
      {"health period zero",
       {{"control_plane_health_check_period_seconds", "0"}},
       {},
       "control_plane_health_check_period_seconds"},
      {"health timeout zero",
       {{"control_plane_health_check_timeout_seconds", "0s"}},
       {},
       "control_plane_health_check_timeout_seconds"},
      {"health threshold zero",
       {{"control_plane_health_check_failure_threshold", "0"}},
       {},
       "control_plane_health_check_failure_threshold"},
      {"table id", {{"vip_routingtableid", "4294967295"}}, {}, nullptr},
      {"table id zero", {{"vip_routingtableid", "0"}}, {}, "vip_routingtableid"},
      {"protocol zero", {{"vip_routingprotocol", "0"}}, {}, nullptr},
      {"protocol 256", {{"vip_routingprotocol", "256"}}, {}, "vip_routingprotocol"},
      {"table type local", {{"vip_routingtabletype", "2"}}, {}, nullptr},
      {"table type 12", {{"vip_routingtabletype", "12"}}, {}, "vip_routingtabletype"},
      {"dhcp attempts unlimited", {{"dhcp_backoff_attempts", "0"}}, {}, nullptr},
      {"dhcp attempts negative", {{"dhcp_backoff_attempts", "-1"}}, {}, "dhcp_backoff_attempts"},
      {"arp rate go form", {{"vip_arpRate", "2s"}}, {}, nullptr},
      {"arp rate bad", {{"vip_arpRate", "fast"}}, {}, "vip_arpRate"},
      {"debounce", {{"debounce_time", "500ms"}}, {}, nullptr},
      {"debounce bad", {{"debounce_time", "-1s"}}, {}, "debounce_time"},
      {"backend interval", {{"backend_health_check_interval", "10"}}, {}, nullptr},
      {"backend interval bad",
       {{"backend_health_check_interval", "10x"}},
       {},
       "backend_health_check_interval"},
  });
}

} // namespace

namespace {

TEST(ConfigValidate, GossipKnobs) {
  check({
      {"defaults", {}, {}, nullptr},
      {"gossip on", {{"kvip_gossip", "true"}}, {}, nullptr},
      {"gossip bad boolean", {{"kvip_gossip", "on"}}, {}, "kvip_gossip"},
      {"port", {{"kvip_gossip_port", "8000"}}, {}, nullptr},
      {"port zero", {{"kvip_gossip_port", "0"}}, {}, "kvip_gossip_port"},
      {"port too big", {}, {{"gossipPort", "65536"}}, "--gossipPort"},
      {"port clashes with health check",
       {{"kvip_gossip", "true"}, {"kvip_gossip_port", "8080"}, {"health_check_port", "8080"}},
       {},
       "kvip_gossip_port"},
      {"peers", {{"kvip_gossip_peers", "10.0.0.1,[fd00::1]:7000"}}, {}, nullptr},
      {"bad peer", {{"kvip_gossip_peers", "10.0.0.1:99999"}}, {}, "kvip_gossip_peers[0]"},
      {"key file", {}, {{"gossipKeyFile", "/etc/kvip/key"}}, nullptr},
      {"bare integers are milliseconds",
       {{"kvip_gossip_probe_period", "40"}, {"kvip_gossip_probe_timeout", "39"}},
       {},
       nullptr},
      {"probe period zero", {{"kvip_gossip_probe_period", "0"}}, {}, "kvip_gossip_probe_period"},
      {"probe timeout zero",
       {{"kvip_gossip_probe_timeout", "0s"}},
       {},
       "kvip_gossip_probe_timeout"},
      {"suspicion zero",
       {{"kvip_gossip_suspicion_timeout", "0"}},
       {},
       "kvip_gossip_suspicion_timeout"},
      {"fence zero", {{"kvip_gossip_fence_timeout", "0"}}, {}, "kvip_gossip_fence_timeout"},
      {"takeover zero", {{"kvip_gossip_takeover_wait", "0"}}, {}, "kvip_gossip_takeover_wait"},
      {"duration unparsable",
       {{"kvip_gossip_probe_period", "fast"}},
       {},
       "kvip_gossip_probe_period"},
      {"probe timeout equal to period",
       {{"kvip_gossip_probe_timeout", "30ms"}},
       {},
       "kvip_gossip_probe_timeout"},
      {"probe timeout above period",
       {{"kvip_gossip_probe_period", "5ms"}},
       {},
       "kvip_gossip_probe_timeout"},
      {"takeover just above fence + check interval",
       {{"kvip_gossip_fence_timeout", "69ms"}},
       {},
       nullptr},
      {"takeover equal to fence + check interval",
       {{"kvip_gossip_fence_timeout", "70ms"}},
       {},
       "kvip_gossip_takeover_wait"},
      {"takeover below fence", {}, {{"gossipTakeoverWait", "50ms"}}, "--gossipTakeoverWait"},
  });
}

TEST(ConfigValidate, GossipProblemsAreAllReportedWithValueAndExpectation) {
  auto r = run({"several",
                {{"kvip_gossip_probe_period", "0"},
                 {"kvip_gossip_suspicion_timeout", "-1s"},
                 {"kvip_gossip_port", "x"}},
                {{"gossipTakeoverWait", "100ms"}},
                nullptr});
  auto text = dump(r);
  EXPECT_NE(text.find("kvip_gossip_probe_period=0: a duration > 0"), std::string::npos) << text;
  EXPECT_NE(text.find("kvip_gossip_suspicion_timeout=-1s: a duration"), std::string::npos) << text;
  EXPECT_NE(text.find("kvip_gossip_port=x: an integer 1..65535"), std::string::npos) << text;
  // With a non-positive timing the ordering rules are not checked (they would only repeat it).
  EXPECT_EQ(text.find("--gossipTakeoverWait"), std::string::npos) << text;

  auto order = run({"order", {}, {{"gossipTakeoverWait", "60ms"}}, nullptr});
  EXPECT_NE(dump(order).find("--gossipTakeoverWait=60ms: greater than kvip_gossip_fence_timeout "
                             "(60ms) + the fence check interval (10ms)"),
            std::string::npos)
      << dump(order);
}

TEST(ConfigValidate, GossipDefaultsAreTheFenceDefaults) {
  auto r = run({"defaults", {}, {}, nullptr});
  ASSERT_TRUE(r.problems.empty()) << dump(r);
  auto& c = r.cfg;
  EXPECT_FALSE(c.gossip);
  EXPECT_EQ(c.gossip_port, 7947);
  EXPECT_TRUE(c.gossip_peers.empty());
  EXPECT_EQ(c.gossip_key_file, "");
  kvip::net::gossip::fence_config fence; // membership's defaults: gossip_defaults_test.cpp
  EXPECT_EQ(c.gossip_fence_timeout, fence.fence_timeout);
  EXPECT_EQ(c.gossip_takeover_wait, fence.takeover_wait);
}

} // namespace
