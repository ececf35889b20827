// The gossip connections' TCP tuning on real loopback sockets: every option
// reads back as set (the RTO floor rounded up to the kernel's tick), and a
// descriptor that is not a connected TCP socket is refused without touching
// it. This machine's kernel (Linux 6.15 or later) takes every option.
#include "net/gossip/tcp_tuning.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test/net/result_assert.hpp"

namespace kvip::net::gossip {
namespace {

using namespace std::chrono_literals;

struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

int read_option(int fd, int option) {
  int v = -1;
  socklen_t len = sizeof v;
  EXPECT_EQ(::getsockopt(fd, IPPROTO_TCP, option, &v, &len), 0) << "option " << option;
  return v;
}

// A connected loopback pair: `client` connected to `server` (accepted).
struct tcp_pair {
  fd_guard listener, client, server;
  tcp_pair() {
    listener.fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listener.fd, 1), 0);
    EXPECT_EQ(::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    client.fd = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(::connect(client.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    server.fd = ::accept(listener.fd, nullptr, nullptr);
    EXPECT_GE(server.fd, 0);
  }
};

TEST(GossipTcpTuning, BothEndsTakeEveryOption) {
  tcp_pair p;
  for (int fd : {p.client.fd, p.server.fd}) {
    auto done = apply_tcp_tuning(fd, tcp_tuning{});
    ASSERT_TRUE(kvip::test::ok(done));
    EXPECT_TRUE(done->refused.empty()) << done->refused.front();
    EXPECT_EQ(done->applied.size(), 3U);
    const int rto_min_us = read_option(fd, 45); // TCP_RTO_MIN_US
    EXPECT_GE(rto_min_us, 5000);                // rounded up to a tick (4 ms at HZ=250)
    EXPECT_LT(rto_min_us, 20000);               // far below the default 200 ms
    EXPECT_EQ(read_option(fd, 44), 1000);       // TCP_RTO_MAX_MS
    EXPECT_EQ(read_option(fd, TCP_THIN_LINEAR_TIMEOUTS), 1);
  }
}

TEST(GossipTcpTuning, ZeroLeavesAnOptionAlone) {
  tcp_pair p;
  tcp_tuning t;
  t.rto_min = 0us;
  t.rto_max = 0ms;
  t.thin_linear_timeouts = false;
  auto done = apply_tcp_tuning(p.client.fd, t);
  ASSERT_TRUE(kvip::test::ok(done));
  EXPECT_TRUE(done->applied.empty());
  EXPECT_GE(read_option(p.client.fd, 45), 200000); // the kernel's default floor
  EXPECT_EQ(read_option(p.client.fd, TCP_THIN_LINEAR_TIMEOUTS), 0);
}

TEST(GossipTcpTuning, AnOptionTheKernelRefusesIsReportedNotFatal) {
  tcp_pair p;
  tcp_tuning t;
  t.rto_max = 10ms; // below TCP_RTO_MAX_MS's 1 s minimum: EINVAL
  auto done = apply_tcp_tuning(p.client.fd, t);
  ASSERT_TRUE(kvip::test::ok(done));
  ASSERT_EQ(done->refused.size(), 1U);
  EXPECT_NE(done->refused[0].find("TCP_RTO_MAX_MS=10"), std::string::npos) << done->refused[0];
  EXPECT_EQ(done->applied.size(), 2U); // the others still apply
}

TEST(GossipTcpTuning, NotAConnectedTcpSocketIsRefusedUntouched) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  fd_guard r{pipe_fds[0]}, w{pipe_fds[1]};
  auto on_pipe = apply_tcp_tuning(r.fd, tcp_tuning{});
  ASSERT_FALSE(on_pipe);
  EXPECT_NE(on_pipe.err().message.find("not a connected TCP socket"), std::string::npos);
  fd_guard udp{::socket(AF_INET, SOCK_DGRAM, 0)};
  EXPECT_FALSE(apply_tcp_tuning(udp.fd, tcp_tuning{}));
  fd_guard unconnected{::socket(AF_INET, SOCK_STREAM, 0)};
  EXPECT_FALSE(apply_tcp_tuning(unconnected.fd, tcp_tuning{}));
  EXPECT_GE(read_option(unconnected.fd, 45), 200000); // untouched
  EXPECT_FALSE(apply_tcp_tuning(-1, tcp_tuning{}));
}

} // namespace
} // namespace kvip::net::gossip
