// net/conntrack against the real kernel (the test process's private network
// namespace): an nftables `ct state` rule makes the namespace track
// connections; UDP datagrams and a TCP connect toward two local addresses
// (IPv4 and IPv6) create entries; flushing one address deletes its entries
// and leaves the other address's.
#include "net/conntrack/conntrack.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test/support/netns_fixture.hpp"

namespace {

namespace ct = kvip::net::conntrack;
using kvip::net::ip_address;
using kvip::test::sh;

class NetnsConntrack : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(sh("ip link set lo up"), 0);
    ASSERT_EQ(sh("ip addr add 10.78.0.100/32 dev lo && ip addr add 10.78.0.101/32 dev lo"), 0);
    ASSERT_EQ(sh("ip addr add fd78::100/128 dev lo nodad && ip addr add fd78::101/128 dev lo "
                 "nodad"),
              0);
    ASSERT_EQ(sh("nft add table inet kvct && nft add chain inet kvct out "
                 "'{ type filter hook output priority 0; }' && "
                 "nft add rule inet kvct out ct state new,established,related accept"),
              0);
  }
  void TearDown() override {
    sh("nft delete table inet kvct");
    sh("ip addr del 10.78.0.100/32 dev lo; ip addr del 10.78.0.101/32 dev lo");
    sh("ip addr del fd78::100/128 dev lo; ip addr del fd78::101/128 dev lo");
  }

  /// A UDP datagram to a:port (a conntrack entry, unreplied).
  static void udp_to(const ip_address& a, std::uint16_t port) {
    int fd = ::socket(a.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (a.is_v4()) {
      auto* s = reinterpret_cast<sockaddr_in*>(&ss);
      s->sin_family = AF_INET;
      s->sin_port = htons(port);
      std::memcpy(&s->sin_addr, a.bytes.data(), 4);
      len = sizeof(sockaddr_in);
    } else {
      auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
      s->sin6_family = AF_INET6;
      s->sin6_port = htons(port);
      std::memcpy(&s->sin6_addr, a.bytes.data(), 16);
      len = sizeof(sockaddr_in6);
    }
    char byte = 'x';
    EXPECT_EQ(::sendto(fd, &byte, 1, 0, reinterpret_cast<sockaddr*>(&ss), len), 1);
    ::close(fd);
  }

  static std::size_t count(const ip_address& a) {
    auto n = ct::count_destination(a);
    EXPECT_TRUE(n) << n.err().describe();
    return n ? *n : 0;
  }
};

TEST_F(NetnsConntrack, FlushesTheEntriesTowardOneAddressOnly) {
  for (const char* fam : {"10.78.0.", "fd78::"}) {
    SCOPED_TRACE(fam);
    auto vip = *ip_address::parse(std::string(fam) + "100");
    auto other = *ip_address::parse(std::string(fam) + "101");
    for (std::uint16_t port = 9000; port < 9003; ++port) {
      udp_to(vip, port);
      udp_to(other, port);
    }
    ASSERT_EQ(count(vip), 3u);
    ASSERT_EQ(count(other), 3u);
    auto flushed = ct::flush_destination(vip);
    ASSERT_TRUE(flushed) << flushed.err().describe();
    EXPECT_EQ(*flushed, 3u);
    EXPECT_EQ(count(vip), 0u);
    EXPECT_EQ(count(other), 3u);
    // Nothing left: nothing to do, not an error.
    auto again = ct::flush_destination(vip);
    ASSERT_TRUE(again) << again.err().describe();
    EXPECT_EQ(*again, 0u);
  }
}

} // namespace
