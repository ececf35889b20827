#include "simulation/prober.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include "net/l2_frames.hpp"
#include "net/packet_socket.hpp"

namespace kvip::sim {

std::unique_ptr<prober> prober::start(const probe_options& opts, std::string& err) {
  if (opts.vip.family != opts.src.family) {
    err = "prober: vip " + opts.vip.to_string() + " and source " + opts.src.to_string() +
          " are of different families";
    return nullptr;
  }
  std::unique_ptr<prober> p{new prober{opts}};
  std::atomic<int> ready{0};
  std::string start_err;
  p->thread_ = std::thread{[raw = p.get(), &start_err, &ready] { raw->loop(&start_err, &ready); }};
  while (ready.load() == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  if (ready.load() < 0) {
    err = start_err;
    p->thread_.join();
    return nullptr;
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

std::vector<probe_sample> prober::samples_since(std::int64_t since_us) const {
  std::lock_guard<std::mutex> g{mtx_};
  std::vector<probe_sample> out;
  for (auto& s : samples_)
    if (s.t_us >= since_us) out.push_back(s);
  return out;
}

void prober::loop(std::string* start_err, std::atomic<int>* ready) {
  auto fail = [&](std::string e) {
    *start_err = std::move(e);
    ready->store(-1);
  };
  std::string path = "/run/netns/" + opts_.netns;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("prober: open " + path + ": " + std::strerror(errno));
  int rc = ::setns(fd, CLONE_NEWNET);
  ::close(fd);
  if (rc != 0) return fail("prober: setns " + opts_.netns + ": " + std::strerror(errno));
  int ifindex = static_cast<int>(::if_nametoindex(opts_.ifname.c_str()));
  if (ifindex == 0) return fail("prober: no interface " + opts_.ifname + " in " + opts_.netns);
  std::string err;
  auto sock = net::packet_socket::open(ifindex, true, err);
  if (!sock) return fail("prober: " + err);
  ready->store(1);

  const auto request = opts_.vip.is_v4()
                           ? net::build_arp_request(opts_.src_mac, opts_.src, opts_.vip)
                           : net::build_neighbor_solicitation(opts_.src_mac, opts_.src, opts_.vip);
  auto next = std::chrono::steady_clock::now();
  while (!stop_.load()) {
    probe_sample s;
    s.t_us = now_us();
    sock->send(request); // a failed send shows up as an unanswered probe
    next += opts_.interval;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          next - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      auto f = sock->receive(left, err);
      if (!f) break;
      auto p = net::parse_frame(*f);
      std::optional<net::mac_address> who;
      if (p.arp && p.arp->op == 2 && p.arp->spa == opts_.vip) who = p.arp->sha;
      if (p.nd && p.nd->advertisement && p.nd->target == opts_.vip)
        who = p.nd->link_addr.value_or(p.nd->eth_src);
      if (who && std::find(s.macs.begin(), s.macs.end(), *who) == s.macs.end())
        s.macs.push_back(*who);
    }
    {
      std::lock_guard<std::mutex> g{mtx_};
      samples_.push_back(std::move(s));
    }
    auto now = std::chrono::steady_clock::now();
    if (now > next + opts_.interval) next = now; // fell behind: do not burst
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
    if (s.macs.size() >= 2) ++r.dual_mac_probes;
    if (s.macs.empty()) {
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
