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

/// "" for success, else the error's text.
std::string error_of(const result<void>& r) {
  return r ? "" : r.err().describe();
}

/// Opens a packet socket or fails the test.
std::unique_ptr<packet_socket> must_open(int ifindex, bool receive) {
  auto s = packet_socket::open(ifindex, receive);
  EXPECT_TRUE(s) << s.err().describe();
  return s ? std::move(*s) : nullptr;
}

class NetnsPacket : public kvip::test::veth_pair {
protected:
  void SetUp() override {
    veth_pair::SetUp();
    auto nl = netlink::socket::open();
    ASSERT_TRUE(nl) << nl.err().describe();
    kva_ = *(*nl)->link_by_name("kva");
    kvb_ = *(*nl)->link_by_name("kvb");
  }

  // The neighbour entry kvb's side holds for `ip` ("" if none).
  std::string neigh_on_kvb(const std::string& ip) { return sh_out("ip neigh show dev kvb " + ip); }

  netlink::link_info kva_, kvb_;
};

TEST_F(NetnsPacket, FramesCrossTheLinkAndParse) {
  auto tx = must_open(kva_.ifindex, false);
  ASSERT_TRUE(tx);
  auto rx = must_open(kvb_.ifindex, true);
  ASSERT_TRUE(rx);
  auto vip = *ip_address::parse("10.77.0.100");
  ASSERT_EQ(error_of(tx->send(build_garp(kva_.mac, vip, garp_form::request))), "");
  // Other traffic (IPv6 router solicitations, MLD) may arrive too: skip it.
  std::optional<parsed_frame> got;
  for (int i = 0; i < 20 && !got; ++i) {
    auto f = rx->receive(std::chrono::milliseconds{500});
    ASSERT_TRUE(f) << f.err().describe();
    if (!*f) break;
    auto p = parse_frame(**f);
    if (p.arp) got = p;
  }
  ASSERT_TRUE(got);
  EXPECT_EQ(got->arp->spa, vip);
  EXPECT_EQ(got->arp->sha, kva_.mac);
  EXPECT_EQ(conflicting_claim(*got, vip, kvb_.mac), kva_.mac);
}

TEST_F(NetnsPacket, ReceiveTimesOutQuietly) {
  auto rx = must_open(kvb_.ifindex, true);
  ASSERT_TRUE(rx);
  // Drain whatever the kernel sent when the links came up.
  auto f = rx->receive(std::chrono::milliseconds{50});
  while (f && *f)
    f = rx->receive(std::chrono::milliseconds{50});
  EXPECT_TRUE(f) << f.err().describe();
}

TEST_F(NetnsPacket, LinuxUpdatesItsNeighbourEntryFromOurGarpAndNa) {
  // kvb knows the VIP at a stale MAC; our announcements from kva move it.
  ASSERT_EQ(sh("ip neigh replace 10.77.0.100 lladdr 02:77:00:00:00:99 dev kvb nud stale"), 0);
  ASSERT_EQ(sh("ip neigh replace fd77::100 lladdr 02:77:00:00:00:99 dev kvb nud stale"), 0);
  auto tx = must_open(kva_.ifindex, false);
  ASSERT_TRUE(tx);
  ASSERT_EQ(error_of(tx->send(
                build_garp(kva_.mac, *ip_address::parse("10.77.0.100"), garp_form::request))),
            "");
  ASSERT_EQ(error_of(tx->send(build_unsolicited_na(kva_.mac, *ip_address::parse("fd77::100")))),
            "");
  auto moved = [&](const std::string& ip) {
    return eventually(
        [&] { return neigh_on_kvb(ip).find("02:77:00:00:00:01") != std::string::npos; }, 2s);
  };
  EXPECT_TRUE(moved("10.77.0.100")) << neigh_on_kvb("10.77.0.100");
  EXPECT_TRUE(moved("fd77::100")) << neigh_on_kvb("fd77::100");
}

TEST_F(NetnsPacket, LinuxAcceptsOurArpReplyToItsRequest) {
  // kvb asks for 10.77.0.100 (nobody has it); we answer from userspace.
  auto a = must_open(kva_.ifindex, true);
  ASSERT_TRUE(a);
  std::string err;
  sh("(busybox ping -c1 -W1 -I kvb 10.77.0.100 >/dev/null 2>&1 &)"); // kvb sends ARP requests
  auto vip = *ip_address::parse("10.77.0.100");
  bool answered = false;
  for (int i = 0; i < 50 && !answered; ++i) {
    auto f = a->receive(std::chrono::milliseconds{100});
    if (!f) err = f.err().describe();
    if (!f || !*f) continue;
    auto p = parse_frame(**f);
    if (p.arp && p.arp->op == 1 && p.arp->tpa == vip) {
      ASSERT_EQ(error_of(a->send(build_arp_reply(kva_.mac, vip, p.arp->sha, p.arp->spa))), "");
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
