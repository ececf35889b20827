#include "simulation/prober.hpp"

#include <cstdio>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/l2/frames.hpp"
#include "net/l2/packet_socket.hpp"

namespace kvip::sim {

net::result<std::unique_ptr<prober>> prober::start(const probe_options& opts) {
  if (opts.vip.family != opts.src.family) {
    return net::make_error("prober: vip " + opts.vip.to_string() + " and source " +
                           opts.src.to_string() + " are of different families");
  }
  std::unique_ptr<prober> p{new prober{opts}};
  // The thread answers once it probes (or why it cannot); it touches the
  // promise no more after that.
  std::promise<net::result<void>> started;
  auto answer = started.get_future();
  p->thread_ = std::thread{[raw = p.get(), &started] { raw->loop(&started); }};
  auto r = answer.get();
  if (!r) {
    p->thread_.join();
    return r.err();
  }
  return p;
}

prober::~prober() {
  stop();
}

void prober::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::int64_t prober::now_us() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               t0_)
      .count();
}

std::vector<probe_sample> prober::samples() const {
  std::lock_guard<std::mutex> g{mtx_};
  return samples_;
}

std::optional<probe_sample> prober::latest() const {
  std::lock_guard<std::mutex> g{mtx_};
  if (samples_.empty()) return std::nullopt;
  return samples_.back(); // recorded once its answer window closed
}

std::vector<probe_sample> prober::samples_since(std::int64_t since_us) const {
  std::lock_guard<std::mutex> g{mtx_};
  // Samples are in time order: copy only the tail (runs hold many thousands).
  auto first = std::lower_bound(samples_.begin(), samples_.end(), since_us,
                                [](const probe_sample& s, std::int64_t t) { return s.t_us < t; });
  return {first, samples_.end()};
}

void prober::loop(std::promise<net::result<void>>* started) {
  auto fail = [&](std::string e) { started->set_value(net::make_error(std::move(e))); };
  std::string path = "/run/netns/" + opts_.netns;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("prober: open " + path + ": " + std::strerror(errno));
  int rc = ::setns(fd, CLONE_NEWNET);
  ::close(fd);
  if (rc != 0) return fail("prober: setns " + opts_.netns + ": " + std::strerror(errno));
  int ifindex = static_cast<int>(::if_nametoindex(opts_.ifname.c_str()));
  if (ifindex == 0) return fail("prober: no interface " + opts_.ifname + " in " + opts_.netns);
  if (opts_.kind == probe_kind::icmp) {
    bool v4 = opts_.vip.is_v4();
    int icmp = ::socket(v4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_CLOEXEC,
                        v4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6});
    if (icmp < 0) return fail(std::string{"prober: ICMP socket: "} + std::strerror(errno));
    started->set_value(net::ok());
    loop_l3(icmp);
    ::close(icmp);
    return;
  }
  if (opts_.kind == probe_kind::tcp) {
    started->set_value(net::ok());
    loop_l3(-1);
    return;
  }
  auto opened = net::l2::packet_socket::open(ifindex, true);
  if (!opened) return fail("prober: " + opened.err().describe());
  auto sock = std::move(*opened);
  started->set_value(net::ok());

  const auto request =
      opts_.vip.is_v4() ? net::l2::build_arp_request(opts_.src_mac, opts_.src, opts_.vip)
                        : net::l2::build_neighbor_solicitation(opts_.src_mac, opts_.src, opts_.vip);
  auto next = std::chrono::steady_clock::now();
  while (!stop_.load()) {
    probe_sample s;
    s.t_us = now_us();
    (void)sock->send(request); // a failed send shows up as an unanswered probe
    next += opts_.interval;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          next - std::chrono::steady_clock::now());
      // Late (a loaded machine): still drain what is already queued, so
      // answers are not pushed into the next probe's window; only when far
      // behind is the probe recorded as it stands.
      if (left < -std::chrono::duration_cast<std::chrono::milliseconds>(opts_.interval)) break;
      auto f = sock->receive(std::max(left, std::chrono::milliseconds{0}));
      if (!f || !*f) break;
      auto p = net::l2::parse_frame(**f);
      std::optional<net::mac_address> who;
      // Only answers to this client count: an ARP reply addressed to it, a
      // solicited NA to it. A gratuitous ARP or unsolicited NA (a new
      // owner's announcement, which also arrives in the window) is not an
      // answer to the probe; counting it would score every takeover that
      // lands inside a probe window as "two MACs".
      if (p.arp && p.arp->op == 2 && p.arp->spa == opts_.vip && p.arp->tpa == opts_.src &&
          p.arp->tha == opts_.src_mac)
        who = p.arp->sha;
      if (p.nd && p.nd->advertisement && p.nd->target == opts_.vip && p.nd->solicited &&
          p.nd->dst == opts_.src)
        who = p.nd->link_addr.value_or(p.nd->eth_src);
      if (who && std::find(s.macs.begin(), s.macs.end(), *who) == s.macs.end())
        s.macs.push_back(*who);
    }
    s.answered = !s.macs.empty();
    record(std::move(s));
    auto now = std::chrono::steady_clock::now();
    if (now > next + opts_.interval) next = now; // fell behind: do not burst
  }
}

void prober::record(probe_sample s) {
  std::lock_guard<std::mutex> g{mtx_};
  samples_.push_back(std::move(s));
}

namespace {

/// The socket address of the VIP (port for TCP).
socklen_t vip_sockaddr(const net::ip_address& vip, std::uint16_t port, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (vip.is_v4()) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    std::memcpy(&a->sin_addr, vip.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(port);
  std::memcpy(&a->sin6_addr, vip.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

/// Waits until `fd` is ready for `events` or the deadline; returns revents (0 = timeout).
short wait_fd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
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

} // namespace

void prober::loop_l3(int icmp_fd) {
  sockaddr_storage dst;
  auto dst_len = vip_sockaddr(opts_.vip, opts_.tcp_port, dst);
  const bool v4 = opts_.vip.is_v4();
  std::uint16_t seq = 0;
  const auto ident = static_cast<std::uint16_t>(::getpid() & 0xffff);
  auto next = std::chrono::steady_clock::now();
  while (!stop_.load()) {
    probe_sample s;
    s.t_us = now_us();
    next += opts_.interval;
    if (icmp_fd >= 0) {
      // Echo request; the kernel fills in the ICMPv6 checksum, we fill ICMPv4's.
      std::uint8_t pkt[16] = {};
      pkt[0] = v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
      pkt[4] = static_cast<std::uint8_t>(ident >> 8);
      pkt[5] = static_cast<std::uint8_t>(ident & 0xff);
      ++seq;
      pkt[6] = static_cast<std::uint8_t>(seq >> 8);
      pkt[7] = static_cast<std::uint8_t>(seq & 0xff);
      if (v4) {
        std::uint32_t sum = 0;
        for (std::size_t i = 0; i < sizeof pkt; i += 2)
          sum += static_cast<std::uint32_t>(pkt[i] << 8 | pkt[i + 1]);
        while (sum >> 16)
          sum = (sum & 0xffff) + (sum >> 16);
        auto c = static_cast<std::uint16_t>(~sum & 0xffff);
        pkt[2] = static_cast<std::uint8_t>(c >> 8);
        pkt[3] = static_cast<std::uint8_t>(c & 0xff);
      }
      ::sendto(icmp_fd, pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&dst), dst_len);
      while (!s.answered && wait_fd(icmp_fd, POLLIN, next) != 0) {
        std::uint8_t buf[1500];
        auto n = ::recv(icmp_fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        // IPv4 raw sockets deliver the IP header; IPv6 ones do not.
        std::size_t off = v4 ? static_cast<std::size_t>(buf[0] & 0x0f) * 4 : 0;
        if (static_cast<std::size_t>(n) < off + 8) continue;
        const std::uint8_t* icmp = buf + off;
        bool reply = v4 ? icmp[0] == ICMP_ECHOREPLY : icmp[0] == ICMP6_ECHO_REPLY;
        if (reply && (icmp[4] << 8 | icmp[5]) == ident && (icmp[6] << 8 | icmp[7]) == seq)
          s.answered = true;
      }
    } else {
      int fd = ::socket(v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd >= 0) {
        int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&dst), dst_len);
        if (rc == 0) {
          s.answered = true;
        } else if (errno == EINPROGRESS && wait_fd(fd, POLLOUT, next) != 0) {
          int so_error = 0;
          socklen_t len = sizeof so_error;
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
          s.answered = so_error == 0 || so_error == ECONNREFUSED;
        } else if (errno == ECONNREFUSED) {
          s.answered = true;
        }
        ::close(fd);
      }
    }
    record(std::move(s));
    std::this_thread::sleep_until(next);
    auto now = std::chrono::steady_clock::now();
    if (now > next + opts_.interval) next = now;
  }
}

failover_result analyse_failover(const std::vector<probe_sample>& samples, std::int64_t fault_us,
                                 std::int64_t until_us) {
  failover_result r;
  for (auto& s : samples)
    if (s.t_us < fault_us && s.macs.size() == 1) r.before = s.macs.front();
  std::optional<std::int64_t> silent_since;
  for (auto& s : samples) {
    if (s.t_us < fault_us || s.t_us > until_us) continue;
    ++r.probes;
    if (s.macs.size() >= 2) {
      ++r.dual_mac_probes;
      char at[32];
      std::snprintf(at, sizeof at, "+%.1f ms", static_cast<double>(s.t_us - fault_us) / 1000.0);
      std::string d = at;
      for (const auto& m : s.macs)
        d += " " + net::to_string(m);
      r.dual_detail.push_back(std::move(d));
    }
    if (!s.answered && s.macs.empty()) {
      ++r.unanswered_probes;
      if (!silent_since) silent_since = s.t_us;
    } else if (silent_since) {
      r.longest_silence_us = std::max(r.longest_silence_us, s.t_us - *silent_since);
      silent_since.reset();
    }
    if (!r.after) {
      for (auto& m : s.macs)
        if (!r.before || m != *r.before) {
          r.after = m;
          r.switch_us = s.t_us - fault_us;
          break;
        }
    }
  }
  if (silent_since) r.longest_silence_us = std::max(r.longest_silence_us, until_us - *silent_since);
  return r;
}

} // namespace kvip::sim
