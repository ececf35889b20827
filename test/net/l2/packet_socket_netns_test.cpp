// net/l2/packet_socket and net/l2/frames against the real kernel: frames cross a
// veth pair, and the Linux neighbour table accepts our announcements.
#include "net/l2/packet_socket.hpp"

#include "net/netlink/socket.hpp"
#include "net/wait.hpp"
#include "test/support/netns_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using namespace kvip::net;
using namespace kvip::net::l2;
using kvip::test::sh;
using kvip::test::sh_out;

class NetnsPacket : public kvip::test::veth_pair {
protected:
  void SetUp() override {
    veth_pair::SetUp();
    std::string err;
    auto nl = netlink::socket::open(err);
    ASSERT_TRUE(nl) << err;
    kva_ = *nl->link_by_name("kva", err);
    kvb_ = *nl->link_by_name("kvb", err);
  }

  // The neighbour entry kvb's side holds for `ip` ("" if none).
  std::string neigh_on_kvb(const std::string& ip) { return sh_out("ip neigh show dev kvb " + ip); }

  netlink::link_info kva_, kvb_;
};

TEST_F(NetnsPacket, FramesCrossTheLinkAndParse) {
  std::string err;
  auto tx = packet_socket::open(kva_.ifindex, false, err);
  ASSERT_TRUE(tx) << err;
  auto rx = packet_socket::open(kvb_.ifindex, true, err);
  ASSERT_TRUE(rx) << err;
  auto vip = *ip_address::parse("10.77.0.100");
  ASSERT_EQ(tx->send(build_garp(kva_.mac, vip, garp_form::request)), "");
  // Other traffic (IPv6 router solicitations, MLD) may arrive too: skip it.
  std::optional<parsed_frame> got;
  for (int i = 0; i < 20 && !got; ++i) {
    auto f = rx->receive(std::chrono::milliseconds{500}, err);
    ASSERT_TRUE(f || err.empty()) << err;
    if (!f) break;
    auto p = parse_frame(*f);
    if (p.arp) got = p;
  }
  ASSERT_TRUE(got);
  EXPECT_EQ(got->arp->spa, vip);
  EXPECT_EQ(got->arp->sha, kva_.mac);
  EXPECT_EQ(conflicting_claim(*got, vip, kvb_.mac), kva_.mac);
}

TEST_F(NetnsPacket, ReceiveTimesOutQuietly) {
  std::string err;
  auto rx = packet_socket::open(kvb_.ifindex, true, err);
  ASSERT_TRUE(rx) << err;
  // Drain whatever the kernel sent when the links came up.
  while (rx->receive(std::chrono::milliseconds{50}, err)) {}
  EXPECT_EQ(err, "");
}

TEST_F(NetnsPacket, LinuxUpdatesItsNeighbourEntryFromOurGarpAndNa) {
  // kvb knows the VIP at a stale MAC; our announcements from kva move it.
  ASSERT_EQ(sh("ip neigh replace 10.77.0.100 lladdr 02:77:00:00:00:99 dev kvb nud stale"), 0);
  ASSERT_EQ(sh("ip neigh replace fd77::100 lladdr 02:77:00:00:00:99 dev kvb nud stale"), 0);
  std::string err;
  auto tx = packet_socket::open(kva_.ifindex, false, err);
  ASSERT_TRUE(tx) << err;
  ASSERT_EQ(tx->send(build_garp(kva_.mac, *ip_address::parse("10.77.0.100"), garp_form::request)),
            "");
  ASSERT_EQ(tx->send(build_unsolicited_na(kva_.mac, *ip_address::parse("fd77::100"))), "");
  auto moved = [&](const std::string& ip) {
    return eventually(
        [&] { return neigh_on_kvb(ip).find("02:77:00:00:00:01") != std::string::npos; }, 2s);
  };
  EXPECT_TRUE(moved("10.77.0.100")) << neigh_on_kvb("10.77.0.100");
  EXPECT_TRUE(moved("fd77::100")) << neigh_on_kvb("fd77::100");
}

TEST_F(NetnsPacket, LinuxAcceptsOurArpReplyToItsRequest) {
  // kvb asks for 10.77.0.100 (nobody has it); we answer from userspace.
  std::string err;
  auto a = packet_socket::open(kva_.ifindex, true, err);
  ASSERT_TRUE(a) << err;
  sh("(busybox ping -c1 -W1 -I kvb 10.77.0.100 >/dev/null 2>&1 &)"); // kvb sends ARP requests
  auto vip = *ip_address::parse("10.77.0.100");
  bool answered = false;
  for (int i = 0; i < 50 && !answered; ++i) {
    auto f = a->receive(std::chrono::milliseconds{100}, err);
    if (!f) continue;
    auto p = parse_frame(*f);
    if (p.arp && p.arp->op == 1 && p.arp->tpa == vip) {
      ASSERT_EQ(a->send(build_arp_reply(kva_.mac, vip, p.arp->sha, p.arp->spa)), "");
      answered = true;
    }
  }
  ASSERT_TRUE(answered) << "no ARP request for the VIP seen: " << err;
  EXPECT_TRUE(eventually(
      [&] { return neigh_on_kvb("10.77.0.100").find("02:77:00:00:00:01") != std::string::npos; },
      2s))
      << neigh_on_kvb("10.77.0.100");
}

} // namespace
