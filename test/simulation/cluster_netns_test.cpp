// The control-plane VIP in ARP/NDP mode on a real 3-node lab: the real kvip
// binary in each node namespace, the embedded API server, and the client-side
// prober (issue 4's tests).
#include "simulation/cluster.hpp"

#include <csignal>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "net/wait.hpp"
#include "test/net/result_assert.hpp"

namespace {

using namespace std::chrono_literals;
using kvip::net::always;
using kvip::net::eventually;
using kvip::net::mac_address;
using kvip::test::ok;

std::string slurp(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The MACs the latest complete probe saw.
std::vector<mac_address> current(const kvip::sim::prober& p) {
  auto s = p.samples();
  return s.size() < 2 ? std::vector<mac_address>{} : s[s.size() - 2].macs;
}

/// The node whose MAC alone answers for the VIP now, if it is not `not_this`; else -1.
int sole_owner_other_than(kvip::sim::cluster& c, kvip::sim::prober& p, int not_this) {
  auto m = current(p);
  int n = m.size() == 1 ? c.node_of(m[0]) : -1;
  return n != not_this ? n : -1;
}

/// No probe completed since `since_us` saw more than one MAC.
bool at_most_one_mac_since(const kvip::sim::prober& p, std::int64_t since_us) {
  for (auto& s : p.samples_since(since_us))
    if (s.macs.size() > 1) return false;
  return true;
}

class NetnsCluster : public ::testing::Test {
protected:
  void start(kvip::sim::cluster_options o = {}) {
    o.kvip_binary = KVIP_BINARY;
    auto made = kvip::sim::cluster::create(o);
    ASSERT_TRUE(ok(made));
    c_ = std::move(*made);
  }

  void TearDown() override {
    if (HasFailure() && c_)
      for (int i = 0; i < c_->options().nodes; ++i)
        std::printf("---- %s\n%s\n", c_->node_log(i).c_str(), slurp(c_->node_log(i)).c_str());
  }

  /// Waits until exactly one node answers for the VIP; returns its index.
  int leader(kvip::sim::prober& p, std::chrono::milliseconds budget = 20s) {
    int who = -1;
    eventually(
        [&] {
          auto m = current(p);
          who = m.size() == 1 ? c_->node_of(m[0]) : -1;
          return who >= 0;
        },
        budget);
    return who;
  }

  /// Probes 10.99.0.100 into p_ and waits for its single owner, first_.
  void find_leader() {
    auto probing = c_->probe("10.99.0.100");
    ASSERT_TRUE(ok(probing));
    p_ = std::move(*probing);
    first_ = leader(*p_);
    ASSERT_GE(first_, 0) << "no single MAC answered for the VIP";
  }

  std::unique_ptr<kvip::sim::cluster> c_;
  std::unique_ptr<kvip::sim::prober> p_;
  int first_ = -1;
};

TEST_F(NetnsCluster, OneLeaderAnswersAndSigkillMovesTheVip) {
  start();
  auto p_r = c_->probe("10.99.0.100");
  ASSERT_TRUE(ok(p_r));
  auto& p = *p_r;
  int first = leader(*p);
  ASSERT_GE(first, 0) << "no single MAC answered for the VIP";
  auto m = c_->node_metrics(first); // labels in any order: find the is_leader line
  auto at = m.find("\nkube_vip_is_leader{");
  auto line = at == std::string::npos ? std::string{} : m.substr(at, m.find('\n', at + 1) - at);
  EXPECT_NE(line.find("node=\"" + c_->lab().nodes()[first].name + "\""), std::string::npos) << m;
  EXPECT_TRUE(line.ends_with("} 1")) << m;
  // Exactly one MAC for a while.
  auto steady_from = p->now_us();
  EXPECT_TRUE(always([&] { return at_most_one_mac_since(*p, steady_from); }, 1s));

  auto fault = p->now_us();
  ASSERT_TRUE(c_->signal_node(first, SIGKILL));
  // LeaseDuration (5) + two jittered RetryPeriods (2 × 2.2) + burst: < 10 s.
  int next = -1;
  EXPECT_TRUE(eventually(
      [&] {
        for (auto& m : current(*p))
          if (c_->node_of(m) != first && c_->node_of(m) >= 0) next = c_->node_of(m);
        return next >= 0;
      },
      12s));
  auto r = kvip::sim::analyse_failover(p->samples(), fault, p->now_us());
  ASSERT_TRUE(r.switch_us);
  EXPECT_LE(*r.switch_us, 9'400'000 + 600'000);
  EXPECT_GE(*r.switch_us, 3'000'000); // not before the lease could expire
}

TEST_F(NetnsCluster, SigtermMovesTheVipWithinARetryPeriodWithoutTwoMacs) {
  start();
  ASSERT_NO_FATAL_FAILURE(find_leader());
  auto& p = p_;
  int first = first_;
  auto fault = p->now_us();
  ASSERT_TRUE(c_->signal_node(first, SIGTERM));
  EXPECT_EQ(c_->wait_node(first, 10s), 0);
  int next = -1;
  EXPECT_TRUE(eventually([&] { return (next = sole_owner_other_than(*c_, *p, first)) >= 0; }, 8s));
  auto r = kvip::sim::analyse_failover(p->samples(), fault, p->now_us());
  EXPECT_EQ(r.dual_mac_probes, 0);
  ASSERT_TRUE(r.switch_us);
  // The release is seen at a follower's next poll: RetryPeriod × (1 + 1.2), plus the burst.
  EXPECT_LE(*r.switch_us, 2'200'000 + 600'000);
  // The stopped node removed its address.
  auto addrs = c_->lab().run(c_->lab().nodes()[first], {"ip", "-o", "addr", "show", "dev", "eth0"});
  EXPECT_EQ(addrs.output.find("10.99.0.100"), std::string::npos) << addrs.output;
}

} // namespace

namespace {

TEST_F(NetnsCluster, DualStackVipAnswersOnBothFamiliesFromOneNode) {
  kvip::sim::cluster_options o;
  o.vips = {"10.99.0.100", "fd99::100"};
  start(o);
  auto p4_r = c_->probe("10.99.0.100");
  ASSERT_TRUE(ok(p4_r));
  auto& p4 = *p4_r;
  auto p6_r = c_->probe("fd99::100");
  ASSERT_TRUE(ok(p6_r));
  auto& p6 = *p6_r;
  int l4 = leader(*p4);
  int l6 = leader(*p6);
  ASSERT_GE(l4, 0);
  EXPECT_EQ(l4, l6);
  auto addrs = c_->lab().run(c_->lab().nodes()[l4], {"ip", "-o", "addr", "show", "dev", "eth0"});
  EXPECT_NE(addrs.output.find("fd99::100/128"), std::string::npos) << addrs.output;
}

TEST_F(NetnsCluster, Ipv6OnlyVipOnTheInterfaceChosenByItsSubnet) {
  kvip::sim::cluster_options o;
  o.vips = {"fd99::100"};
  o.extra_env = {{"vip_interface", ""}}; // no interface given: eth0 holds fd99::/64
  o.start_nodes = false;
  start(o);
  // Every node gets a second interface, eth1, in other subnets, holding the
  // default routes: only the subnet rule leads to eth0 (the default route's
  // interface, kube-vip's fallback, is eth1).
  auto& lab = c_->lab();
  for (std::size_t i = 0; i < lab.nodes().size(); ++i) {
    auto& n = lab.nodes()[i];
    auto id = std::to_string(i + 1);
    for (const std::vector<std::string>& cmd :
         {std::vector<std::string>{"ip", "link", "add", "eth1", "type", "veth", "peer", "name",
                                   "eth1p"},
          {"ip", "link", "set", "eth1p", "up"},
          {"ip", "link", "set", "eth1", "up"},
          {"ip", "addr", "add", "10.98.0." + id + "/24", "dev", "eth1"},
          {"ip", "addr", "add", "fd98::" + id + "/64", "dev", "eth1", "nodad"},
          {"ip", "route", "replace", "default", "dev", "eth1"},
          {"ip", "-6", "route", "replace", "default", "dev", "eth1"}})
      ASSERT_TRUE(ok(lab.exec(n, cmd))) << n.name;
    ASSERT_TRUE(ok(c_->start_node(static_cast<int>(i))));
  }
  auto p_r = c_->probe("fd99::100");
  ASSERT_TRUE(ok(p_r));
  auto& p = *p_r;
  int l = leader(*p);
  ASSERT_GE(l, 0);
  auto& node = lab.nodes()[static_cast<std::size_t>(l)];
  EXPECT_NE(lab.run(node, {"ip", "-o", "addr", "show", "dev", "eth0"}).output.find("fd99::100/"),
            std::string::npos);
  auto on_eth1 = lab.run(node, {"ip", "-o", "addr", "show", "dev", "eth1"}).output;
  EXPECT_EQ(on_eth1.find("fd99::100"), std::string::npos) << on_eth1;
}

TEST_F(NetnsCluster, ConflictingClaimFromTheClientRaisesTheConflictMetric) {
  start();
  auto p_r = c_->probe("10.99.0.100");
  ASSERT_TRUE(ok(p_r));
  auto& p = *p_r;
  int l = leader(*p);
  ASSERT_GE(l, 0);
  // The client announces the VIP as its own (gratuitous ARP from its MAC).
  auto claim = c_->lab().run(
      c_->lab().client(),
      {"python3", "-c",
       "import socket\n"
       "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
       "s.bind(('eth0',0))\n"
       "mac=bytes.fromhex('0299000000c8'); vip=socket.inet_aton('10.99.0.100')\n"
       "f=b'\\xff'*6+mac+b'\\x08\\x06'+bytes.fromhex('0001080006040001')+mac+vip+b'\\x00'*6+vip\n"
       "for _ in range(3): s.send(f)\n"});
  ASSERT_TRUE(claim.ok()) << claim.output;
  EXPECT_TRUE(eventually(
      [&] {
        auto m = c_->node_metrics(l);
        auto pos = m.find("kvip_arp_conflicts_total{");
        return pos != std::string::npos && m.find("10.99.0.100", pos) != std::string::npos;
      },
      5s))
      << c_->node_metrics(l);
  auto log = slurp(c_->node_log(l));
  EXPECT_NE(log.find("02:99:00:00:00:c8"), std::string::npos) << "conflict not logged";
  // ... and recorded as a Kubernetes Event on the leader's Node.
  std::string events;
  EXPECT_TRUE(eventually(
      [&] {
        events = c_->lab()
                     .run(c_->lab().infra(),
                          {"curl", "-sf", "--max-time", "2",
                           "http://10.99.0.254:6443/api/v1/namespaces/default/events"})
                     .output;
        return events.find("VIPConflict") != std::string::npos;
      },
      5s))
      << events;
  EXPECT_NE(events.find(c_->lab().nodes()[static_cast<std::size_t>(l)].name), std::string::npos);
}

TEST_F(NetnsCluster, FailingHealthCheckOnTheLeaderMovesTheVip) {
  kvip::sim::cluster_options o;
  o.start_nodes = false;
  o.extra_env = {{"control_plane_health_check_address", "http://127.0.0.1:8099/"},
                 {"control_plane_health_check_period_seconds", "1"},
                 {"control_plane_health_check_timeout_seconds", "1"},
                 {"control_plane_health_check_failure_threshold", "2"}};
  start(o);
  // Each node's "control plane" is a tiny HTTP server on its loopback.
  auto www = c_->workdir() + "/www";
  ASSERT_TRUE(ok(kvip::sim::run_checked({"mkdir", "-p", www})));
  std::ofstream{www + "/index.html"} << "ok\n";
  std::vector<std::size_t> servers;
  for (auto& n : c_->lab().nodes()) {
    auto server =
        c_->lab().start(n, {"busybox", "httpd", "-f", "-p", "127.0.0.1:8099", "-h", www}, {}, "");
    ASSERT_TRUE(ok(server));
    servers.push_back(*server);
    ASSERT_TRUE(eventually(
        [&] {
          return c_->lab()
              .run(n,
                   {"curl", "-sf", "--max-time", "2", "-o", "/dev/null", "http://127.0.0.1:8099/"})
              .ok();
        },
        5s));
  }
  for (int i = 0; i < o.nodes; ++i)
    ASSERT_TRUE(ok(c_->start_node(i)));
  ASSERT_NO_FATAL_FAILURE(find_leader());
  auto& p = p_;
  int first = first_;
  c_->lab().proc(servers[static_cast<std::size_t>(first)]).signal(SIGKILL);
  int next = -1;
  EXPECT_TRUE(eventually([&] { return (next = sole_owner_other_than(*c_, *p, first)) >= 0; }, 15s));
  EXPECT_NE(slurp(c_->node_log(first)).find("unhealthy"), std::string::npos);
}

} // namespace

namespace {

/// Index of the node whose MAC answered a probe after `since_us`, other than `not_this`.
int new_owner(kvip::sim::cluster& c, kvip::sim::prober& p, int not_this) {
  for (auto& m : current(p))
    if (int n = c.node_of(m); n >= 0 && n != not_this) return n;
  return -1;
}

TEST_F(NetnsCluster, LeaderCutOffFromTheApiServerStepsDownBeforeAnotherTakesOver) {
  start();
  ASSERT_NO_FATAL_FAILURE(find_leader());
  auto& p = p_;
  int first = first_;
  auto& lab = c_->lab();
  auto fault = p->now_us();
  ASSERT_TRUE(
      ok(lab.isolate(lab.nodes()[static_cast<std::size_t>(first)], {lab.infra().ipv4}, true)));
  int next = -1;
  EXPECT_TRUE(eventually([&] { return (next = new_owner(*c_, *p, first)) >= 0; }, 15s));
  auto r = kvip::sim::analyse_failover(p->samples(), fault, p->now_us());
  // The old leader withdrew at its renew deadline (3 s), the new one took
  // over only after the lease expired (5 s+): a gap, never two MACs.
  EXPECT_EQ(r.dual_mac_probes, 0);
  EXPECT_GT(r.longest_silence_us, 500'000);
  EXPECT_NE(slurp(c_->node_log(first)).find("stopped leading"), std::string::npos);
  // Healed, the old leader follows the new one: only the new owner answers.
  ASSERT_TRUE(ok(lab.isolate(lab.nodes()[static_cast<std::size_t>(first)], {}, false)));
  auto healed = p->now_us();
  const std::vector<mac_address> owner{lab.nodes()[static_cast<std::size_t>(next)].mac};
  EXPECT_TRUE(always(
      [&] {
        auto m = current(*p);
        return at_most_one_mac_since(*p, healed) && (m.empty() || m == owner);
      },
      3s));
  EXPECT_EQ(current(*p), owner);
}

TEST_F(NetnsCluster, FrozenLeaderIsReplacedAndStepsDownWhenItThaws) {
  start();
  ASSERT_NO_FATAL_FAILURE(find_leader());
  auto& p = p_;
  int first = first_;
  ASSERT_TRUE(c_->signal_node(first, SIGSTOP));
  int next = -1;
  EXPECT_TRUE(eventually([&] { return (next = new_owner(*c_, *p, first)) >= 0; }, 15s));
  // kube-vip's weak spot, reproduced on purpose in this baseline mode: the
  // frozen node's kernel still answers ARP for the VIP next to the new owner.
  auto both = current(*p).size();
  EXPECT_EQ(both, 2u);
  ASSERT_TRUE(c_->signal_node(first, SIGCONT));
  // Thawed, it fails to renew (the Lease moved on), withdraws, and follows.
  EXPECT_TRUE(eventually([&] { return current(*p).size() == 1; }, 10s));
  EXPECT_EQ(current(*p),
            std::vector<mac_address>{c_->lab().nodes()[static_cast<std::size_t>(next)].mac});
}

TEST_F(NetnsCluster, LeaderLinkDownMovesTheVipAndNoOverlapWhenItReturns) {
  start();
  ASSERT_NO_FATAL_FAILURE(find_leader());
  auto& p = p_;
  int first = first_;
  auto& node = c_->lab().nodes()[static_cast<std::size_t>(first)];
  ASSERT_TRUE(ok(c_->lab().set_link(node, false)));
  int next = -1;
  EXPECT_TRUE(eventually([&] { return (next = new_owner(*c_, *p, first)) >= 0; }, 15s));
  // The old leader steps down at its renew deadline (it cannot reach the API).
  EXPECT_TRUE(eventually(
      [&] { return slurp(c_->node_log(first)).find("stopped leading") != std::string::npos; },
      10s));
  ASSERT_TRUE(ok(c_->lab().set_link(node, true)));
  auto back = p->now_us();
  EXPECT_TRUE(always([&] { return at_most_one_mac_since(*p, back); }, 3s));
  EXPECT_EQ(current(*p),
            std::vector<mac_address>{c_->lab().nodes()[static_cast<std::size_t>(next)].mac});
}

// kube-vip's static-pod bootstrap (issue 7 §6): the first control-plane node's admin.conf names
// the VIP, which answers only once kvip itself brings it up. With cp_enable kvip must talk to
// kubernetes:<port> instead. In a pod a hostAlias maps `kubernetes` to 127.0.0.1; here the
// knob kvip_kubernetes_host points the name at the lab's API server (the machine's /etc/hosts,
// shared by every namespace, is left alone), and kvip_admin_conf makes the test's file the
// admin.conf. Were admin.conf's server used, no Lease could be taken and the VIP never came up.
TEST_F(NetnsCluster, AdminConfNamingTheVipBootstrapsThroughKubernetesHost) {
  kvip::sim::cluster_options o;
  o.nodes = 1;
  o.start_nodes = false;
  start(o);
  auto admin = c_->workdir() + "/admin.conf";
  std::ofstream{admin}
      << "apiVersion: v1\nkind: Config\n"
      << "clusters:\n- name: lab\n  cluster:\n    server: http://10.99.0.100:6443\n"
      << "users:\n- name: lab\n  user: {}\n"
      << "contexts:\n- name: lab\n  context:\n    cluster: lab\n    user: lab\n"
      << "current-context: lab\n";
  ASSERT_TRUE(ok(c_->start_node(0, {{"k8s_config_file", admin},
                                    {"kvip_admin_conf", admin},
                                    {"kvip_kubernetes_host", "10.99.0.254"},
                                    {"port", "6443"}})));
  ASSERT_NO_FATAL_FAILURE(find_leader());
  EXPECT_EQ(first_, 0);
  auto log = slurp(c_->node_log(0));
  EXPECT_NE(log.find("http://kubernetes:6443"), std::string::npos) << log;
  EXPECT_NE(log.find("kubernetes -> 10.99.0.254"), std::string::npos) << log;
}

} // namespace
