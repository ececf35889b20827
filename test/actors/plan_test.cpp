#define CAF_SUITE plan
#include "test/actors/fixture.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "actors/plan.hpp"
#include "net/config/config.hpp"
#include "net/telemetry/metrics.hpp"

// From configuration to the child table (actors/plan.cpp): which children
// are planned, in which order and with which sibling role, and which
// problems stop the node before it starts. Host facts come from this
// machine: `lo` always exists; no interface is called kvip-none0.

namespace {

struct fixture {
  kvip::net::telemetry::registry reg;
  std::string kubeconfig;

  fixture() {
    char path[] = "/tmp/kvip-plan-test-XXXXXX";
    int fd = ::mkstemp(path);
    CAF_REQUIRE(fd >= 0);
    ::close(fd);
    kubeconfig = path;
    std::ofstream out{kubeconfig};
    out << "apiVersion: v1\nkind: Config\ncurrent-context: plain\n"
           "clusters:\n- name: local\n  cluster:\n    server: http://127.0.0.1:6443\n"
           "contexts:\n- name: plain\n  context:\n    cluster: local\n";
  }

  ~fixture() { std::remove(kubeconfig.c_str()); }

  /// A control-plane ARP configuration that passes every host check here.
  kvip::net::config::settings control_plane() const {
    kvip::net::config::settings cfg;
    cfg.arp = true;
    cfg.control_plane = true;
    cfg.interface = "lo";
    cfg.address = {"127.0.0.100"};
    cfg.kubeconfig = kubeconfig;
    cfg.node_name = "n1";
    cfg.prometheus_server = "";
    return cfg;
  }

  static std::vector<std::string> names(const kvip::node_plan& p) {
    std::vector<std::string> out;
    for (const auto& c : p.children)
      out.push_back(c.name);
    return out;
  }

  static std::vector<kvip::sibling_role> roles(const kvip::node_plan& p) {
    std::vector<kvip::sibling_role> out;
    for (const auto& c : p.children)
      out.push_back(c.role);
    return out;
  }

  /// The problem lines that start with `prefix`.
  static std::size_t problems_starting(const kvip::node_plan& p, const std::string& prefix) {
    return static_cast<std::size_t>(
        std::count_if(p.problems.begin(), p.problems.end(),
                      [&](const std::string& s) { return s.rfind(prefix, 0) == 0; }));
  }

  static bool any_contains(const std::vector<std::string>& lines, const std::string& what) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& s) { return s.find(what) != std::string::npos; });
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(plan_tests, fixture)

CAF_TEST(the default configuration plans only telemetry) {
  kvip::net::config::settings cfg;
  auto p = kvip::plan_node(cfg, reg);
  CAF_CHECK(p.problems.empty());
  CAF_CHECK_EQUAL(names(p), std::vector<std::string>{"telemetry"});
  CAF_REQUIRE_EQUAL(p.children.size(), 1u);
  CAF_CHECK(p.children[0].role == kvip::sibling_role::telemetry);
  CAF_CHECK(p.children[0].policy == kvip::restart_policy::permanent);
}

CAF_TEST(an empty prometheus_server plans no telemetry) {
  kvip::net::config::settings cfg;
  cfg.prometheus_server = "";
  auto p = kvip::plan_node(cfg, reg);
  CAF_CHECK(p.problems.empty());
  CAF_CHECK(p.children.empty());
}

CAF_TEST(control plane in ARP mode plans the api actors the announcer and the elector in order) {
  auto cfg = control_plane();
  cfg.prometheus_server = ":2112";
  auto p = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(p.problems, std::vector<std::string>{});
  CAF_CHECK_EQUAL(names(p), (std::vector<std::string>{"telemetry", "k8s_io", "k8s_events",
                                                      "announcer", "elector"}));
  CAF_CHECK(roles(p) == (std::vector<kvip::sibling_role>{
                            kvip::sibling_role::telemetry, kvip::sibling_role::k8s_io,
                            kvip::sibling_role::k8s_events, kvip::sibling_role::announcer,
                            kvip::sibling_role::elector}));
  CAF_CHECK(any_contains(p.notes, "control-plane VIP 127.0.0.100 on lo"));
  CAF_CHECK(any_contains(p.notes, "http://127.0.0.1:6443"));
  // lo announces nothing to the network: the user is told.
  CAF_CHECK(any_contains(p.warnings, "vip_interface=lo"));
}

CAF_TEST(a health check address adds the health checker after the elector) {
  auto cfg = control_plane();
  cfg.cp_health_check_address = "https://127.0.0.1:6443/livez";
  auto p = kvip::plan_node(cfg, reg);
  CAF_CHECK(p.problems.empty());
  CAF_CHECK_EQUAL(names(p), (std::vector<std::string>{"k8s_io", "k8s_events", "announcer",
                                                      "elector", "health"}));
  CAF_REQUIRE_EQUAL(p.children.size(), 5u);
  CAF_CHECK(p.children[4].role == kvip::sibling_role::health);
}

CAF_TEST(an interface that does not exist is a problem and nothing is planned) {
  auto cfg = control_plane();
  cfg.interface = "kvip-none0";
  auto p = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(p.problems, std::vector<std::string>{
                                  "vip_interface=kvip-none0: no such interface on this node"});
  CAF_CHECK(p.children.empty());
}

CAF_TEST(a DNS name as the VIP address is a problem) {
  auto cfg = control_plane();
  cfg.address = {"vip.example.com"};
  auto p = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(problems_starting(p, "address=vip.example.com: DNS-named"), 1u);
  CAF_CHECK(p.children.empty());
}

CAF_TEST(no VIP address at all is a problem) {
  auto cfg = control_plane();
  cfg.address.clear();
  auto p = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(problems_starting(p, "address=\"\""), 1u);
  CAF_CHECK(p.children.empty());
}

CAF_TEST(every bad address and a bad interface are all reported at once) {
  auto cfg = control_plane();
  cfg.interface = "kvip-none0";
  cfg.address = {"vip.example.com", "other.example.com"};
  cfg.bgp = true;
  auto p = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(problems_starting(p, "bgp_enable=true"), 1u);
  CAF_CHECK_EQUAL(problems_starting(p, "vip_interface=kvip-none0"), 1u);
  CAF_CHECK_EQUAL(problems_starting(p, "address=vip.example.com"), 1u);
  CAF_CHECK_EQUAL(problems_starting(p, "address=other.example.com"), 1u);
  CAF_CHECK_EQUAL(p.problems.size(), 4u);
}

CAF_TEST(a missing kubeconfig is a problem naming the file) {
  auto cfg = control_plane();
  cfg.kubeconfig = kubeconfig + ".missing";
  auto p = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(problems_starting(p, "k8s_config_file=" + cfg.kubeconfig + ": "), 1u);
  CAF_CHECK(p.children.empty());
}

CAF_TEST(modes kvip does not have are problems and unimplemented knobs are warnings) {
  kvip::net::config::settings cfg;
  cfg.prometheus_server = "";
  cfg.routing_table = true;
  cfg.wireguard = true;
  cfg.services = true;
  cfg.lose_leadership = true;
  cfg.ddns = true;
  auto p = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(problems_starting(p, "vip_routingtable=true"), 1u);
  CAF_CHECK_EQUAL(problems_starting(p, "vip_wireguard=true"), 1u);
  CAF_CHECK_EQUAL(p.problems.size(), 2u);
  CAF_CHECK(any_contains(p.warnings, "svc_enable=true: Services are announced in ARP/NDP mode"));
  CAF_CHECK(any_contains(p.warnings, "vip_loseleadership is accepted but not implemented"));
  CAF_CHECK(any_contains(p.warnings, "vip_ddns is accepted but not implemented"));
}

CAF_TEST(
    gossip mode plans the responder and the gossip actor instead of the announcer and elector) {
  auto cfg = control_plane();
  auto off = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(problems_starting(off, "kvip_gossip"), 0u);
  cfg.gossip = true;
  cfg.cp_health_check_address = "https://127.0.0.1:6443/livez";
  auto on = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(on.problems, std::vector<std::string>{});
  CAF_CHECK_EQUAL(names(on), (std::vector<std::string>{"k8s_io", "k8s_events", "node_watcher",
                                                       "responder", "health", "gossip"}));
  // The gossip actor plays the elector role: the health checker reports to it.
  CAF_CHECK(roles(on) == (std::vector<kvip::sibling_role>{
                             kvip::sibling_role::k8s_io, kvip::sibling_role::k8s_events,
                             kvip::sibling_role::node_watcher, kvip::sibling_role::responder,
                             kvip::sibling_role::health, kvip::sibling_role::elector}));
  CAF_CHECK(any_contains(on.notes, "gossip on port 7947"));
}

CAF_TEST(services in gossip mode add the status writer and the service watcher) {
  auto cfg = control_plane();
  cfg.gossip = true;
  cfg.services = true;
  auto both = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(both.problems, std::vector<std::string>{});
  CAF_CHECK_EQUAL(names(both), (std::vector<std::string>{"k8s_io", "k8s_events", "status_writer",
                                                         "event_recorder", "conntrack_flusher",
                                                         "ipam_allocator", "service_watcher",
                                                         "node_watcher", "responder", "gossip"}));
  CAF_CHECK(any_contains(both.notes, "address pools from ConfigMap kube-system/kubevip"));
  CAF_CHECK(any_contains(both.notes, "control-plane VIP"));
  CAF_CHECK(any_contains(both.notes, "Services of type LoadBalancer in every namespace"));
  // Services only (a worker's DaemonSet): no control-plane VIP needed.
  cfg.control_plane = false;
  cfg.address.clear();
  cfg.svc_namespace = "shop";
  cfg.disable_service_updates = true;
  cfg.ipam = false;
  auto svc = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(svc.problems, std::vector<std::string>{});
  CAF_CHECK_EQUAL(names(svc), (std::vector<std::string>{"k8s_io", "k8s_events", "event_recorder",
                                                        "conntrack_flusher", "service_watcher",
                                                        "node_watcher", "responder", "gossip"}));
  CAF_CHECK(any_contains(svc.notes, "Service IPs on "));
  CAF_CHECK(any_contains(svc.notes, "in namespace shop"));
  CAF_CHECK(any_contains(svc.notes, "disable_service_updates=true"));
}

CAF_TEST(services in lease mode add the service elector besides the control plane) {
  auto cfg = control_plane();
  cfg.services = true;
  cfg.ipam = false;
  auto both = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(both.problems, std::vector<std::string>{});
  CAF_CHECK_EQUAL(names(both),
                  (std::vector<std::string>{"k8s_io", "k8s_events", "announcer", "elector",
                                            "service_elector", "status_writer", "event_recorder",
                                            "conntrack_flusher", "service_watcher"}));
  CAF_CHECK(any_contains(both.notes, "elected by Lease plndr-svcs-lock"));
  cfg.control_plane = false;
  cfg.address.clear();
  cfg.services_election = true;
  auto svc = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(svc.problems, std::vector<std::string>{});
  CAF_CHECK_EQUAL(names(svc), (std::vector<std::string>{"k8s_io", "k8s_events", "service_elector",
                                                        "status_writer", "event_recorder",
                                                        "conntrack_flusher", "service_watcher"}));
  CAF_CHECK(any_contains(svc.notes, "a Lease per Service (kubevip-<service>)"));
}

CAF_TEST(enable_node_labeling adds the node labeler before the owners in both modes) {
  auto cfg = control_plane();
  cfg.services = true;
  cfg.ipam = false;
  cfg.enable_node_labeling = true;
  auto lease = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(lease.problems, std::vector<std::string>{});
  CAF_CHECK_EQUAL(names(lease), (std::vector<std::string>{"k8s_io", "k8s_events", "node_labeler",
                                                          "announcer", "elector", "service_elector",
                                                          "status_writer", "event_recorder",
                                                          "conntrack_flusher", "service_watcher"}));
  CAF_CHECK(roles(lease)[2] == kvip::sibling_role::node_labeler);
  CAF_CHECK(any_contains(lease.notes, "enable_node_labeling: Node n1 labelled"));
  CAF_CHECK(!any_contains(lease.warnings, "enable_node_labeling"));
  cfg.gossip = true;
  auto gossip = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(gossip.problems, std::vector<std::string>{});
  CAF_CHECK_EQUAL(names(gossip), (std::vector<std::string>{"k8s_io", "k8s_events", "node_labeler",
                                                           "status_writer", "event_recorder",
                                                           "conntrack_flusher", "service_watcher",
                                                           "node_watcher", "responder", "gossip"}));
}

CAF_TEST(a gossip key file others can read stops the start naming the file and its mode) {
  auto cfg = control_plane();
  cfg.gossip = true;
  std::string key = "/tmp/kvip-plan-test-key-" + std::to_string(::getpid());
  {
    std::ofstream out{key};
    out << std::string(32, 'k');
  }
  ::chmod(key.c_str(), 0644);
  cfg.gossip_key_file = key;
  auto p = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(problems_starting(p, "kvip_gossip_key_file=" + key), 1u);
  CAF_CHECK(any_contains(p.problems, "0644"));
  CAF_CHECK(p.children.empty());
  ::chmod(key.c_str(), 0600);
  auto ok = kvip::plan_node(cfg, reg);
  CAF_CHECK_EQUAL(ok.problems, std::vector<std::string>{});
  std::remove(key.c_str());
}

CAF_TEST_FIXTURE_SCOPE_END()
