#include "simulation/arp_sweeper.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include "net/l2/frames.hpp"
#include "net/l2/packet_socket.hpp"
#include "simulation/lab_services.hpp"

namespace kvip::sim {

sweep_options sweep_from(const lab_host& client, double rate) {
  sweep_options o;
  o.netns = client.netns;
  o.ifname = client.ifname;
  o.src4 = client.ipv4;
  o.src6 = client.ipv6;
  o.src_mac = client.mac;
  o.rate = rate;
  return o;
}

net::result<std::unique_ptr<arp_sweeper>> arp_sweeper::start(const sweep_options& opts) {
  if (!opts.src4.is_v4() || !opts.src6.is_v6())
    return net::make_error("arp_sweeper: src4 must be IPv4 and src6 IPv6");
  if (!(opts.rate > 0)) return net::make_error("arp_sweeper: the rate must be positive");
  std::unique_ptr<arp_sweeper> s{new arp_sweeper{opts}};
  std::promise<net::result<void>> started;
  auto answer = started.get_future();
  s->thread_ = std::thread{[raw = s.get(), &started] { raw->loop(&started); }};
  auto r = answer.get();
  if (!r) {
    s->thread_.join();
    return r.err();
  }
  return s;
}

arp_sweeper::~arp_sweeper() {
  stop();
}

void arp_sweeper::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void arp_sweeper::add(const std::vector<net::ip_address>& targets) {
  std::lock_guard g{mtx_};
  for (const auto& a : targets) {
    if (slots_.count(a)) continue;
    slots_[a].e.address = a;
    order_.push_back(a);
  }
}

void arp_sweeper::remove(const std::vector<net::ip_address>& targets) {
  std::lock_guard g{mtx_};
  for (const auto& a : targets) {
    if (!slots_.erase(a)) continue;
    order_.erase(std::find(order_.begin(), order_.end(), a));
  }
}

std::int64_t arp_sweeper::mark() {
  std::lock_guard g{mtx_};
  for (auto& [a, s] : slots_) {
    s.e.first_answer_us.reset();
    s.e.macs.clear();
    s.e.macs_first_us.clear();
    s.e.multi_mac_requests = 0;
    s.since_mark = false;
  }
  return mono_us();
}

void arp_sweeper::set_pending_only(bool on, std::vector<net::mac_address> except) {
  std::lock_guard g{mtx_};
  pending_only_ = on;
  except_ = std::move(except);
}

bool arp_sweeper::pending(const slot& s) const {
  for (const auto& m : s.e.macs)
    if (std::find(except_.begin(), except_.end(), m) == except_.end()) return false;
  return true;
}

std::optional<sweep_entry> arp_sweeper::entry(const net::ip_address& a) const {
  std::lock_guard g{mtx_};
  auto it = slots_.find(a);
  if (it == slots_.end()) return std::nullopt;
  return it->second.e;
}

std::vector<sweep_entry> arp_sweeper::entries() const {
  std::lock_guard g{mtx_};
  std::vector<sweep_entry> out;
  out.reserve(slots_.size());
  for (const auto& [a, s] : slots_)
    out.push_back(s.e);
  return out;
}

std::uint64_t arp_sweeper::sent() const {
  std::lock_guard g{mtx_};
  return sent_;
}

std::optional<net::ip_address> arp_sweeper::next_target(std::int64_t now_us) {
  std::lock_guard g{mtx_};
  if (order_.empty()) return std::nullopt;
  // The next target in turn (pending only: the next pending one, if any).
  slot* next = nullptr;
  net::ip_address a;
  for (std::size_t tried = 0; tried < order_.size() && !next; ++tried) {
    if (cursor_ >= order_.size()) cursor_ = 0;
    a = order_[cursor_++];
    auto& cand = slots_[a];
    if (!pending_only_ || pending(cand)) next = &cand;
  }
  if (!next) return std::nullopt;
  auto& s = *next;
  if (s.round_sent_us >= 0) { // the previous request is complete now
    if (s.since_mark && s.round.size() > 1) ++s.e.multi_mac_requests;
    s.e.current = std::move(s.round);
    s.e.current_sent_us = s.round_sent_us;
  }
  s.round.clear();
  s.round_sent_us = now_us;
  s.since_mark = true;
  ++s.e.requests;
  ++sent_;
  return a;
}

void arp_sweeper::record_answer(const net::ip_address& a, const net::mac_address& who,
                                std::int64_t now_us) {
  std::lock_guard g{mtx_};
  auto it = slots_.find(a);
  if (it == slots_.end()) return;
  auto& s = it->second;
  if (std::find(s.round.begin(), s.round.end(), who) == s.round.end()) s.round.push_back(who);
  if (std::find(s.e.macs.begin(), s.e.macs.end(), who) == s.e.macs.end()) {
    s.e.macs.push_back(who);
    s.e.macs_first_us.push_back(now_us);
  }
  if (!s.e.first_answer_us) s.e.first_answer_us = now_us;
}

namespace {

std::string enter(const std::string& netns) {
  std::string path = "/run/netns/" + netns;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "arp_sweeper: open " + path + ": " + std::strerror(errno);
  int rc = ::setns(fd, CLONE_NEWNET);
  int e = errno;
  ::close(fd);
  return rc == 0 ? std::string{} : "arp_sweeper: setns " + netns + ": " + std::strerror(e);
}

} // namespace

void arp_sweeper::loop(std::promise<net::result<void>>* started) {
  auto fail = [&](std::string e) { started->set_value(net::make_error(std::move(e))); };
  if (auto why = enter(opts_.netns); !why.empty()) return fail(why);
  int ifindex = static_cast<int>(::if_nametoindex(opts_.ifname.c_str()));
  if (ifindex == 0) return fail("arp_sweeper: no interface " + opts_.ifname + " in " + opts_.netns);
  auto opened = net::l2::packet_socket::open(ifindex, true);
  if (!opened) return fail("arp_sweeper: " + opened.err().describe());
  auto sock = std::move(*opened);
  started->set_value(net::ok());

  // Requests are due at `rate` per second from t0; a stall's backlog is
  // dropped beyond 20 ms of requests (no burst that floods the responders).
  const auto t0 = mono_us();
  const auto max_debt = std::max<std::int64_t>(1, std::llround(opts_.rate * 0.02));
  std::int64_t issued = 0;
  while (!stop_.load()) {
    auto now = mono_us();
    auto due = static_cast<std::int64_t>(static_cast<double>(now - t0) * opts_.rate / 1e6);
    issued = std::max(issued, due - max_debt);
    for (; issued < due; ++issued) {
      auto a = next_target(now);
      if (!a) {
        issued = due;
        break;
      }
      (void)sock->send(a->is_v4()
                           ? net::l2::build_arp_request(opts_.src_mac, opts_.src4, *a)
                           : net::l2::build_neighbor_solicitation(opts_.src_mac, opts_.src6, *a));
    }
    // Wait for answers until the next request is due (at least 1 ms, the
    // socket's resolution), then send what is due.
    auto f = sock->receive(std::chrono::milliseconds{1});
    if (!f || !*f) continue;
    auto p = net::l2::parse_frame(**f);
    if (p.arp && p.arp->op == 2 && p.arp->tpa == opts_.src4 && p.arp->tha == opts_.src_mac)
      record_answer(p.arp->spa, p.arp->sha, mono_us());
    if (p.nd && p.nd->advertisement && p.nd->solicited && p.nd->dst == opts_.src6)
      record_answer(p.nd->target, p.nd->link_addr.value_or(p.nd->eth_src), mono_us());
  }
}

} // namespace kvip::sim
