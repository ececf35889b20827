// The netns lab and the prober against the real kernel: a 2-node lab, a VIP
// answered by the kernel on one node and then the other, and teardown that
// leaves nothing behind.
#include "simulation/lab.hpp"

#include <cstdio>
#include <unistd.h>

#include <gtest/gtest.h>

#include "net/wait.hpp"
#include "simulation/prober.hpp"
#include "test/net/result_assert.hpp"
#include "test/support/netns_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using kvip::net::always;
using kvip::net::eventually;
using kvip::test::ok;
using kvip::test::sh_out;

bool netns_exists(const std::string& name) {
  return sh_out("ip netns list").find(name) != std::string::npos;
}

TEST(NetnsLab, BuildsConnectedHostsAndTearsEverythingDown) {
  std::vector<std::string> names;
  {
    auto made = kvip::sim::lab::create({.nodes = 2, .router = true});
    ASSERT_TRUE(ok(made));
    auto& lab = *made;
    names = lab->namespaces();
    EXPECT_EQ(names.size(), 5u); // infra, 2 nodes, client, router
    for (auto& n : names)
      EXPECT_TRUE(netns_exists(n)) << n;
    // Every host reaches the API address on the bridge, over IPv4 and IPv6.
    for (auto& h : lab->nodes()) {
      EXPECT_TRUE(ok(lab->exec(h, {"busybox", "ping", "-c1", "-W2", "10.99.0.254"})));
      EXPECT_TRUE(ok(lab->exec(h, {"busybox", "ping", "-6", "-c1", "-W2", "fd99::fe"})));
    }
    EXPECT_TRUE(ok(lab->exec(lab->client(), {"busybox", "ping", "-c1", "-W2", "10.99.0.1"})));
    // A node cut off from the client cannot reach it; unblocking restores it.
    auto& n1 = lab->nodes()[0];
    ASSERT_TRUE(ok(lab->isolate(n1, {lab->client().ipv4}, true)));
    EXPECT_FALSE(lab->exec(n1, {"busybox", "ping", "-c1", "-W1", "10.99.0.200"}).ok());
    ASSERT_TRUE(ok(lab->isolate(n1, {lab->client().ipv4}, false)));
    EXPECT_TRUE(ok(lab->exec(n1, {"busybox", "ping", "-c1", "-W2", "10.99.0.200"})));
    // A started process is killed at teardown.
    auto idx = lab->start(n1, {"sleep", "600"}, {}, "");
    ASSERT_TRUE(ok(idx));
    EXPECT_TRUE(lab->proc(*idx).running());
  }
  for (auto& n : names)
    EXPECT_FALSE(netns_exists(n)) << n << " left behind";
}

TEST(NetnsLab, ProberSeesWhoAnswersForTheVip) {
  auto made = kvip::sim::lab::create({.nodes = 2});
  ASSERT_TRUE(ok(made));
  auto& lab = *made;
  auto& n1 = lab->nodes()[0];
  auto& n2 = lab->nodes()[1];
  auto vip = *kvip::net::ip_address::parse("10.99.0.100");
  ASSERT_TRUE(ok(lab->exec(n1, {"ip", "addr", "add", "10.99.0.100/32", "dev", "eth0"})));
  kvip::sim::probe_options po;
  po.netns = lab->client().netns;
  po.vip = vip;
  po.src = lab->client().ipv4;
  po.src_mac = lab->client().mac;
  auto started = kvip::sim::prober::start(po);
  ASSERT_TRUE(ok(started));
  auto& p = *started;
  auto last_macs = [&] {
    auto s = p->samples();
    return s.size() < 2 ? std::vector<kvip::net::mac_address>{} : s[s.size() - 2].macs;
  };
  ASSERT_TRUE(eventually([&] { return last_macs() == std::vector{n1.mac}; }, 3s));
  // Both nodes hold it: the client sees two MACs.
  ASSERT_TRUE(ok(lab->exec(n2, {"ip", "addr", "add", "10.99.0.100/32", "dev", "eth0"})));
  EXPECT_TRUE(eventually([&] { return last_macs().size() == 2; }, 3s));
  // Move it: n1 lets go.
  auto fault = p->now_us();
  ASSERT_TRUE(ok(lab->exec(n1, {"ip", "addr", "del", "10.99.0.100/32", "dev", "eth0"})));
  EXPECT_TRUE(eventually([&] { return last_macs() == std::vector{n2.mac}; }, 3s));
  auto enough = p->samples().size() + 15;
  ASSERT_TRUE(eventually([&] { return p->samples().size() >= enough; }, 3s));
  p->stop();
  auto r = kvip::sim::analyse_failover(p->samples(), fault, p->now_us());
  EXPECT_GT(r.probes, 0);
  // Probes are 10 ms apart.
  auto s = p->samples();
  ASSERT_GT(s.size(), 10u);
  auto gap = s.back().t_us - s[s.size() - 11].t_us;
  EXPECT_GT(gap, 90000);
  EXPECT_LT(gap, 200000);
}

TEST(NetnsLab, ProberWorksForIpv6) {
  auto made = kvip::sim::lab::create({.nodes = 1});
  ASSERT_TRUE(ok(made));
  auto& lab = *made;
  ASSERT_TRUE(ok(
      lab->exec(lab->nodes()[0], {"ip", "addr", "add", "fd99::100/128", "dev", "eth0", "nodad"})));
  kvip::sim::probe_options po;
  po.netns = lab->client().netns;
  po.vip = *kvip::net::ip_address::parse("fd99::100");
  po.src = lab->client().ipv6;
  po.src_mac = lab->client().mac;
  auto started = kvip::sim::prober::start(po);
  ASSERT_TRUE(ok(started));
  auto& p = *started;
  EXPECT_TRUE(eventually(
      [&] {
        for (auto& smp : p->samples())
          if (smp.macs == std::vector{lab->nodes()[0].mac}) return true;
        return false;
      },
      3s));
}

TEST(NetnsLab, StaleNamespacesOfDeadRunsAreRemoved) {
  // A "pid" above any pid_max is never running: its namespaces are stale.
  // Unique per test process, so parallel runs do not trip over each other.
  char name[64];
  std::snprintf(name, sizeof name, "kvl-%x-n1", 0x40000000u + static_cast<unsigned>(::getpid()));
  ASSERT_EQ(kvip::test::sh(std::string{"ip netns add "} + name), 0);
  EXPECT_GE(kvip::sim::lab::cleanup_stale(), 1);
  EXPECT_FALSE(netns_exists(name));
}

} // namespace

namespace {

TEST(NetnsLab, Layer3ProbesSeeReachabilityByIcmpAndTcp) {
  auto made = kvip::sim::lab::create({.nodes = 1});
  ASSERT_TRUE(ok(made));
  auto& lab = *made;
  auto& n1 = lab->nodes()[0];
  ASSERT_TRUE(ok(lab->exec(n1, {"ip", "addr", "add", "10.99.0.100/32", "dev", "eth0"})));
  for (auto kind : {kvip::sim::probe_kind::icmp, kvip::sim::probe_kind::tcp}) {
    kvip::sim::probe_options po;
    po.netns = lab->client().netns;
    po.vip = *kvip::net::ip_address::parse("10.99.0.100");
    po.src = lab->client().ipv4;
    po.src_mac = lab->client().mac;
    po.kind = kind;
    po.tcp_port = 6443; // nothing listens: a refusal still proves reachability
    auto started = kvip::sim::prober::start(po);
    ASSERT_TRUE(ok(started));
    auto& p = *started;
    auto answered = [&] {
      auto s = p->samples();
      return s.size() >= 3 && s[s.size() - 2].answered;
    };
    EXPECT_TRUE(eventually(answered, 2s)) << (kind == kvip::sim::probe_kind::icmp ? "icmp" : "tcp");
    p->stop();
  }
  // Without the VIP nobody answers.
  ASSERT_TRUE(ok(lab->exec(n1, {"ip", "addr", "del", "10.99.0.100/32", "dev", "eth0"})));
  kvip::sim::probe_options po;
  po.netns = lab->client().netns;
  po.vip = *kvip::net::ip_address::parse("10.99.0.100");
  po.src = lab->client().ipv4;
  po.kind = kvip::sim::probe_kind::icmp;
  auto started = kvip::sim::prober::start(po);
  ASSERT_TRUE(ok(started));
  auto& p = *started;
  auto none_answered = [&] {
    auto s = p->samples();
    for (std::size_t i = 5; i < s.size(); ++i)
      if (s[i].answered) return false;
    return true;
  };
  EXPECT_TRUE(always(none_answered, 300ms));
  p->stop();
  EXPECT_GT(p->samples().size(), 10u);
  EXPECT_TRUE(none_answered());
}

} // namespace
