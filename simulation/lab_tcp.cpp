#include "simulation/lab_tcp.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "net/wait.hpp"

namespace kvip::sim {

namespace {

// Dual-stack listener: argv[1] the port, argv[2] the banner.
constexpr const char* banner_server = R"(import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(('::', int(sys.argv[1])))
s.listen(128)
msg = sys.argv[2].encode() + b'\n'
while True:
    c, _ = s.accept()
    try:
        c.sendall(msg)
    except OSError:
        pass
    c.close()
)";

socklen_t to_sockaddr(const net::ip_address& a, std::uint16_t port, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (a.is_v4()) {
    auto* s = reinterpret_cast<sockaddr_in*>(&ss);
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    std::memcpy(&s->sin_addr, a.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
  s->sin6_family = AF_INET6;
  s->sin6_port = htons(port);
  std::memcpy(&s->sin6_addr, a.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

/// poll() until `events` or the deadline: revents, 0 on timeout.
short wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return 0;
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    return rc > 0 ? p.revents : 0;
  }
}

/// The connect and read, on a thread already in the right namespace.
tcp_reply hello_here(const net::ip_address& addr, std::uint16_t port,
                     std::chrono::steady_clock::time_point deadline) {
  tcp_reply r;
  int fd =
      ::socket(addr.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    r.error = std::string{"socket: "} + std::strerror(errno);
    return r;
  }
  sockaddr_storage ss;
  auto len = to_sockaddr(addr, port, ss);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
  int err = rc == 0 ? 0 : errno;
  if (err == EINPROGRESS) {
    err = ETIMEDOUT;
    if (wait_for(fd, POLLOUT, deadline) != 0) {
      socklen_t l = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
    }
  }
  r.outcome = err == 0              ? tcp_outcome::answered
              : err == ECONNREFUSED ? tcp_outcome::refused
              : err == ETIMEDOUT    ? tcp_outcome::timeout
                                    : tcp_outcome::failed;
  if (r.outcome == tcp_outcome::failed) r.error = std::string{"connect: "} + std::strerror(err);
  while (r.outcome == tcp_outcome::answered) {
    if (wait_for(fd, POLLIN, deadline) == 0) {
      r.outcome = tcp_outcome::timeout; // connected, but the server never closed
      break;
    }
    char buf[512];
    auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    r.text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return r;
}

} // namespace

tcp_reply tcp_hello(const std::string& netns, const net::ip_address& addr, std::uint16_t port,
                    std::chrono::milliseconds timeout) {
  tcp_reply r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::thread t{[&] {
    std::string path = "/run/netns/" + netns;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      r.error = "enter " + netns + ": " + std::strerror(errno);
      if (fd >= 0) ::close(fd);
      return;
    }
    ::close(fd);
    r = hello_here(addr, port, deadline);
  }};
  t.join();
  return r;
}

net::result<std::size_t> start_tcp_banner(lab& l, const lab_host& h, std::uint16_t port,
                                          const std::string& banner,
                                          std::chrono::milliseconds budget) {
  auto started = l.start(h, {"python3", "-c", banner_server, std::to_string(port), banner}, {}, "");
  if (!started) return started.err();
  auto lo = *net::ip_address::parse("127.0.0.1");
  tcp_reply last;
  bool up = net::eventually(
      [&] {
        last = tcp_hello(h.netns, lo, port, std::chrono::milliseconds{500});
        return last.outcome == tcp_outcome::answered;
      },
      budget, std::chrono::milliseconds{20});
  if (!up)
    return net::make_error("the TCP server on " + h.name + ":" + std::to_string(port) +
                           " does not answer" + (last.error.empty() ? "" : ": " + last.error));
  return *started;
}

} // namespace kvip::sim
