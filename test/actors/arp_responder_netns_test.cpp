// actors/arp_responder in a real caf::actor_system on a veth pair: hold puts
// the VIP on lo with kva's ARP settings, the receive thread answers only while
// the answer table says so, announce sends a gratuitous ARP, and shutdown
// removes the address and restores the settings.
#include "actors/arp_responder.hpp"

#include <chrono>
#include <filesystem>

#include "caf/all.hpp"
#include "net/l2/answer_table.hpp"
#include "net/l2/packet_socket.hpp"
#include "net/netlink/socket.hpp"
#include "net/wait.hpp"
#include "test/support/netns_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using namespace kvip::net;
using namespace kvip::net::l2;
using kvip::test::sh_out;
namespace fs = std::filesystem;

const auto vip = *ip_address::parse("10.77.0.100");
const auto kva_mac = *parse_mac("02:77:00:00:00:01");
const auto kvb_mac = *parse_mac("02:77:00:00:00:02");

class NetnsArpResponder : public kvip::test::veth_pair {
protected:
  void SetUp() override {
    veth_pair::SetUp();
    dir_ = fs::temp_directory_path() / ("kvip-arp-responder-" + std::to_string(::getpid()));
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    self_ = std::make_unique<caf::scoped_actor>(*sys_);
    auto nl = netlink::socket::open();
    ASSERT_TRUE(nl) << nl.err().describe();
    auto kvb = (*nl)->link_by_name("kvb");
    ASSERT_TRUE(kvb);
    auto s = packet_socket::open(kvb->ifindex, true);
    ASSERT_TRUE(s) << s.err().describe();
    client_ = std::move(*s);
    kvip::responder_options o;
    o.node_name = "n1";
    o.interfaces = {"kva"};
    o.host.restore_file = (dir_ / "responder.restore").string();
    table_ = std::make_shared<answer_table>();
    responder_ = kvip::spawn_arp_responder(self_->ptr(), o, table_);
  }

  void TearDown() override {
    if (responder_) caf::anon_send_exit(responder_, caf::exit_reason::user_shutdown);
    responder_ = nullptr;
    self_.reset();
    sys_.reset(); // waits for the I/O actor, which restores at exit
    client_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    veth_pair::TearDown();
  }

  kvip::msg::responder_held hold() {
    kvip::msg::responder_hold m;
    m.vips = {kvip::msg::vip_spec{vip.to_string(), 0, "kva"}};
    kvip::msg::responder_held out;
    (*self_)
        ->request(responder_, 5s, m)
        .receive([&](kvip::msg::responder_held& r) { out = std::move(r); },
                 [&](caf::error& e) { out.error = "request failed: " + sys_->render(e); });
    return out;
  }

  /// Asks for the VIP from kvb once; true if kva's MAC answered within 30 ms.
  bool asked_and_answered() {
    (void)client_->send(build_arp_request(kvb_mac, *ip_address::parse("10.77.0.2"), vip));
    auto until = std::chrono::steady_clock::now() + 30ms;
    while (std::chrono::steady_clock::now() < until) {
      auto f = client_->receive(10ms);
      if (!f || !*f) continue;
      auto p = parse_frame(**f);
      if (p.arp && p.arp->op == 2 && p.arp->spa == vip && p.arp->sha == kva_mac &&
          p.arp->tha == kvb_mac)
        return true; // a reply to us, not a gratuitous one
    }
    return false;
  }

  /// True once a gratuitous ARP for the VIP from kva arrives within `budget`.
  bool garp_seen(std::chrono::milliseconds budget) {
    return eventually(
        [&] {
          auto f = client_->receive(10ms);
          if (!f || !*f) return false;
          auto p = parse_frame(**f);
          return p.arp && p.arp->gratuitous() && p.arp->spa == vip && p.arp->sha == kva_mac;
        },
        budget);
  }

  fs::path dir_;
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::unique_ptr<caf::scoped_actor> self_;
  std::unique_ptr<packet_socket> client_;
  std::shared_ptr<answer_table> table_;
  kvip::msg::responder_actor responder_;
};

TEST_F(NetnsArpResponder, HoldsAnswersFromTheTableAnnouncesAndRestores) {
  auto held = hold();
  ASSERT_EQ(held.error, "");
  ASSERT_EQ(held.active, std::vector<std::string>{"10.77.0.100"});
  EXPECT_NE(sh_out("ip addr show dev lo").find("10.77.0.100/32"), std::string::npos);
  EXPECT_EQ(read_sysctl("/proc/sys/net/ipv4/conf/kva/arp_ignore").value_or("?"), "1");
  // Held but not answered by the table: nobody answers (the kernel neither).
  EXPECT_TRUE(always([&] { return !asked_and_answered(); }, 300ms));
  table_->set(vip, std::chrono::steady_clock::now() + 1h);
  EXPECT_TRUE(eventually([&] { return asked_and_answered(); }, 2s));
  caf::anon_send(responder_, kvip::msg::responder_announce{{}, vip.to_string()});
  EXPECT_TRUE(garp_seen(2s));
  // Deadline passed: silent at once, no actor involved.
  table_->set(vip, std::chrono::steady_clock::now());
  EXPECT_TRUE(always([&] { return !asked_and_answered(); }, 300ms));

  kvip::msg::dump_reply dump;
  (*self_)
      ->request(responder_, 5s, kvip::msg::dump_request{})
      .receive([&](kvip::msg::dump_reply& r) { dump = std::move(r); }, [&](caf::error&) {});
  EXPECT_NE(dump.text.find("10.77.0.100 on kva: silent"), std::string::npos) << dump.text;
  EXPECT_NE(dump.text.find("answered"), std::string::npos) << dump.text;

  bool done = false;
  (*self_)
      ->request(responder_, 5s, kvip::msg::shutdown_request{})
      .receive([&](kvip::msg::shutdown_done&) { done = true; }, [&](caf::error&) {});
  EXPECT_TRUE(done);
  EXPECT_EQ(sh_out("ip addr show dev lo").find("10.77.0.100"), std::string::npos);
  EXPECT_EQ(read_sysctl("/proc/sys/net/ipv4/conf/kva/arp_ignore").value_or("?"), "0");
  EXPECT_EQ(read_sysctl("/proc/sys/net/ipv4/conf/kva/arp_announce").value_or("?"), "0");
  EXPECT_FALSE(fs::exists(dir_ / "responder.restore"));
}

TEST_F(NetnsArpResponder, AnAnnounceAskedBeforeTheHoldIsSentOnceHeld) {
  // Ownership can be confirmed before the hold has put the VIP on lo (at
  // 1000 VIPs it takes longer than a claim): the announcement waits for it,
  // and the answer table's settle time starts with it.
  table_->set(vip, std::chrono::steady_clock::now() + 1h, true);
  caf::anon_send(responder_, kvip::msg::responder_announce{{}, vip.to_string()});
  EXPECT_TRUE(always([&] { return !asked_and_answered(); }, 200ms)); // not announced yet
  ASSERT_EQ(hold().error, "");
  EXPECT_TRUE(garp_seen(2s));
  EXPECT_TRUE(eventually([&] { return asked_and_answered(); }, 2s));
}

TEST_F(NetnsArpResponder, AnAnnounceWaitsForTheLaterOfTwoOverlappingHolds) {
  // The set of VIPs changed twice: a hold without the VIP is still on its way
  // when the one with it is sent and the VIP's announcement asked for. The
  // first hold completing must not drop the announcement the second one makes
  // possible (the VIP would be held and owned, but never answered).
  table_->set(vip, std::chrono::steady_clock::now() + 1h, true);
  kvip::msg::responder_hold without;
  without.vips = {kvip::msg::vip_spec{"10.77.0.101", 0, "kva"}};
  kvip::msg::responder_hold with;
  with.vips = {kvip::msg::vip_spec{vip.to_string(), 0, "kva"}};
  caf::anon_send(responder_, without); // the answers go nowhere
  caf::anon_send(responder_, with);
  caf::anon_send(responder_, kvip::msg::responder_announce{{}, vip.to_string()});
  EXPECT_TRUE(garp_seen(2s));
  EXPECT_TRUE(eventually([&] { return asked_and_answered(); }, 2s));
}

TEST_F(NetnsArpResponder, AKilledActorRestoresAtExit) {
  ASSERT_EQ(hold().error, "");
  EXPECT_EQ(read_sysctl("/proc/sys/net/ipv4/conf/kva/arp_ignore").value_or("?"), "1");
  caf::anon_send_exit(responder_, caf::exit_reason::kill);
  EXPECT_TRUE(eventually(
      [&] {
        return sh_out("ip addr show dev lo").find("10.77.0.100") == std::string::npos &&
               read_sysctl("/proc/sys/net/ipv4/conf/kva/arp_ignore").value_or("?") == "0";
      },
      3s));
}

} // namespace
