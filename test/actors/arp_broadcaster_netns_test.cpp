// actors/arp_broadcaster with the kernel host (net/l2/host) in a real
// caf::actor_system: addresses on a veth, announcements a Linux peer
// believes, a conflicting GARP seen by the receive thread, clean shutdown.
#include "actors/arp_broadcaster.hpp"
#include "actors/directory.hpp"

#include <chrono>
#include <fstream>

#include "caf/all.hpp"
#include "messages/announce.hpp"
#include "messages/supervision.hpp"
#include "net/l2/host.hpp"
#include "net/l2/packet_socket.hpp"
#include "net/netlink/socket.hpp"
#include "net/telemetry/metrics.hpp"
#include "net/wait.hpp"
#include "test/support/netns_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using kvip::net::eventually;
using kvip::test::sh;
using kvip::test::sh_out;

class NetnsArpBroadcaster : public kvip::test::veth_pair {
protected:
  void SetUp() override {
    veth_pair::SetUp();
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    self_ = std::make_unique<caf::scoped_actor>(*sys_);
    sink_ = std::make_unique<caf::scoped_actor>(*sys_);
    auto nl = kvip::net::netlink::socket::open();
    ASSERT_TRUE(nl) << nl.err().describe();
    nl_ = std::move(*nl);
    kva_ = *nl_->link_by_name("kva");
  }

  void TearDown() override {
    if (arp_) caf::anon_send_exit(arp_, caf::exit_reason::user_shutdown);
    arp_ = nullptr;
    sink_.reset();
    self_.reset();
    sys_.reset(); // waits for the broadcaster, which joins its receive thread
    veth_pair::TearDown();
  }

  void start() {
    kvip::arp_options o;
    o.node_name = "n1";
    auto siblings = std::make_shared<kvip::directory>();
    siblings->publish(kvip::sibling_role::k8s_events, (*sink_)->address());
    o.siblings = siblings;
    arp_ = kvip::spawn_arp_broadcaster(self_->ptr(), o, kvip::net::l2::make_kernel_host(), reg_);
  }

  kvip::msg::announce_result announce(std::vector<kvip::msg::vip_spec> vips) {
    kvip::msg::announce_set m;
    m.vips = std::move(vips);
    kvip::msg::announce_result out;
    (*self_)
        ->request(arp_, 5s, m)
        .receive([&](kvip::msg::announce_result& r) { out = std::move(r); },
                 [&](caf::error& e) { out.error = "request failed: " + sys_->render(e); });
    return out;
  }

  static kvip::msg::vip_spec vip(std::string address) {
    kvip::msg::vip_spec v;
    v.address = std::move(address);
    v.interface = "kva";
    return v;
  }

  /// The VIP's entry on kva, if it is there.
  std::optional<kvip::net::netlink::addr_info> on_kva(const std::string& prefix) {
    auto want = *kvip::net::ip_prefix::parse(prefix);
    for (const auto& a : nl_->addresses(kva_.ifindex).value_or({}))
      if (a.prefix == want) return a;
    return std::nullopt;
  }

  double counter(const char* name, const std::string& vip) {
    return reg_.counter_family(name, "", {"node", "vip"}).with({"n1", vip}).Value();
  }

  kvip::net::telemetry::registry reg_; // outlives the actor system
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::unique_ptr<caf::scoped_actor> self_;
  std::unique_ptr<caf::scoped_actor> sink_;
  kvip::msg::announcer_actor arp_;
  std::unique_ptr<kvip::net::netlink::socket> nl_;
  kvip::net::netlink::link_info kva_;
};

TEST_F(NetnsArpBroadcaster, HoldsVipsDeprecatedAndThePeerLearnsOurMac) {
  // The peer believes the VIPs are somewhere else. Both ends share this
  // namespace, so to kvb the VIP is a local address and Linux does not take
  // our GARP as gratuitous: it would wait out locktime (1 s since the entry
  // was set). Between two hosts no such wait applies.
  std::ofstream("/proc/sys/net/ipv4/neigh/kvb/locktime") << "0\n";
  ASSERT_EQ(sh_out("cat /proc/sys/net/ipv4/neigh/kvb/locktime"), "0\n");
  ASSERT_EQ(sh("ip neigh replace 10.77.0.100 lladdr 02:77:00:00:00:99 dev kvb nud stale"), 0);
  ASSERT_EQ(sh("ip neigh replace fd77::100 lladdr 02:77:00:00:00:99 dev kvb nud stale"), 0);
  start();
  auto r = announce({vip("10.77.0.100"), vip("fd77::100")});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.active, (std::vector<std::string>{"10.77.0.100", "fd77::100"}));
  auto v4 = on_kva("10.77.0.100/32");
  auto v6 = on_kva("fd77::100/128");
  ASSERT_TRUE(v4) << sh_out("ip addr show dev kva");
  ASSERT_TRUE(v6) << sh_out("ip addr show dev kva");
  EXPECT_TRUE(v4->deprecated());
  EXPECT_TRUE(v6->deprecated());
  auto learned = [](const std::string& ip) {
    return sh_out("ip neigh show dev kvb " + ip).find("02:77:00:00:00:01") != std::string::npos;
  };
  // Learned from the burst, long before the first refresh (3.5 s).
  EXPECT_TRUE(eventually([&] { return learned("10.77.0.100"); }, 1000ms))
      << sh_out("ip neigh show dev kvb");
  EXPECT_TRUE(eventually([&] { return learned("fd77::100"); }, 1000ms))
      << sh_out("ip neigh show dev kvb");
  EXPECT_GE(counter("kvip_arp_announcements_total", "10.77.0.100"), 2.0);
  EXPECT_GE(counter("kvip_arp_announcements_total", "fd77::100"), 1.0);
}

TEST_F(NetnsArpBroadcaster, AGarpFromAnotherMacIsAConflict) {
  start();
  ASSERT_EQ(announce({vip("10.77.0.100")}).error, "");
  auto kvb = nl_->link_by_name("kvb");
  ASSERT_TRUE(kvb) << kvb.err().describe();
  auto tx = kvip::net::l2::packet_socket::open(kvb->ifindex, false);
  ASSERT_TRUE(tx) << tx.err().describe();
  auto intruder = *kvip::net::parse_mac("02:77:00:00:00:99");
  auto vip_ip = *kvip::net::ip_address::parse("10.77.0.100");
  ASSERT_TRUE(
      (*tx)->send(kvip::net::l2::build_garp(intruder, vip_ip, kvip::net::l2::garp_form::request)));
  std::optional<kvip::msg::vip_conflict> seen;
  (*sink_)->receive([&](const kvip::msg::vip_conflict& c) { seen = c; },
                    caf::after(std::chrono::seconds{3}) >> [] {});
  ASSERT_TRUE(seen) << "no vip_conflict within 3 s";
  EXPECT_EQ(seen->vip, "10.77.0.100");
  EXPECT_EQ(seen->other_mac, "02:77:00:00:00:99");
  EXPECT_EQ(seen->interface, "kva");
  EXPECT_TRUE(
      eventually([&] { return counter("kvip_arp_conflicts_total", "10.77.0.100") >= 1; }, 3s));
}

TEST_F(NetnsArpBroadcaster, ShutdownRemovesTheAddresses) {
  start();
  ASSERT_EQ(announce({vip("10.77.0.100"), vip("fd77::100")}).error, "");
  ASSERT_TRUE(on_kva("10.77.0.100/32"));
  bool done = false;
  (*self_)
      ->request(arp_, 5s, kvip::msg::shutdown_request{})
      .receive([&](kvip::msg::shutdown_done&) { done = true; }, [](caf::error&) {});
  EXPECT_TRUE(done);
  EXPECT_FALSE(on_kva("10.77.0.100/32")) << sh_out("ip addr show dev kva");
  EXPECT_FALSE(on_kva("fd77::100/128")) << sh_out("ip addr show dev kva");
  EXPECT_TRUE(on_kva("10.77.0.1/24")); // the node's own address is untouched
}

TEST_F(NetnsArpBroadcaster, StaleCopiesAreRemovedAtStart) {
  ASSERT_EQ(sh("ip addr add 10.77.0.100/32 dev kva"), 0);
  ASSERT_EQ(sh("ip addr add 10.77.0.100/32 dev kvb"), 0);
  kvip::arp_options o;
  o.stale_vips = {"10.77.0.100"};
  o.listen = false;
  arp_ = kvip::spawn_arp_broadcaster(self_->ptr(), o, kvip::net::l2::make_kernel_host(), reg_);
  EXPECT_TRUE(eventually(
      [&] { return sh_out("ip -o addr show").find("10.77.0.100") == std::string::npos; }, 3s))
      << sh_out("ip -o addr show");
}

} // namespace
