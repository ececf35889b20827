#include "net/l2/packet_socket.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kvip::net::l2 {

namespace {

// Classic BPF: accept ARP, or IPv6 whose next header is ICMPv6 (58) with
// type 135 (NS) or 136 (NA); drop the rest in the kernel.
sock_filter nd_arp_filter[] = {
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),                // ethertype
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 6, 0),  // ARP -> accept
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 6), // not IPv6 -> drop
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14 + 6),            // next header
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 4),         // not ICMPv6 -> drop
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14 + 40),           // ICMPv6 type
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 135, 1, 0),        // NS -> accept
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 136, 0, 1),        // NA -> accept, else drop
    BPF_STMT(BPF_RET | BPF_K, 0xffff),                     // accept
    BPF_STMT(BPF_RET | BPF_K, 0),                          // drop
};

/// The failed system call's errno, named by `what`.
error sys_error(const std::string& what) {
  return make_error(what, errno);
}

} // namespace

result<std::unique_ptr<packet_socket>> packet_socket::open(int ifindex, bool receive) {
  // Protocol 0: nothing is queued until bind() names a protocol, so frames
  // of other interfaces never reach this socket before the bind (and the
  // filter) are in place.
  int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_error("packet socket");
  if (receive) {
    sock_fprog prog{static_cast<unsigned short>(sizeof nd_arp_filter / sizeof nd_arp_filter[0]),
                    nd_arp_filter};
    if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
      auto e = sys_error("packet socket filter");
      ::close(fd);
      return e;
    }
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) {
      auto e = sys_error("packet socket bind to ifindex " + std::to_string(ifindex));
      ::close(fd);
      return e;
    }
  }
  return std::unique_ptr<packet_socket>{new packet_socket{fd, ifindex}};
}

packet_socket::~packet_socket() {
  ::close(fd_);
}

result<void> packet_socket::send(const frame& f) {
  if (f.size() < 14) return make_error("packet socket: frame too short");
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = ifindex_;
  sll.sll_halen = 6;
  std::memcpy(sll.sll_addr, f.data(), 6);
  std::memcpy(&sll.sll_protocol, f.data() + 12, 2);
  for (;;) {
    auto n = ::sendto(fd_, f.data(), f.size(), 0, reinterpret_cast<sockaddr*>(&sll), sizeof sll);
    if (n == static_cast<ssize_t>(f.size())) return ok();
    if (n < 0 && errno == EINTR) continue;
    return sys_error("packet socket send on ifindex " + std::to_string(ifindex_));
  }
}

result<std::optional<frame>> packet_socket::receive(std::chrono::milliseconds timeout) {
  const std::optional<frame> none;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) return none;
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return sys_error("packet socket poll");
    if (rc == 0) return none;
    frame buf(2048);
    sockaddr_ll from{};
    socklen_t len = sizeof from;
    auto n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return sys_error("packet socket receive");
    if (from.sll_pkttype == PACKET_OUTGOING) continue; // our own transmissions
    buf.resize(static_cast<std::size_t>(n));
    return std::optional<frame>{std::move(buf)};
  }
}

} // namespace kvip::net::l2
