#include "simulation/svc_bench.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "net/file.hpp"
#include "net/wait.hpp"
#include "simulation/arp_sweeper.hpp"
#include "simulation/lab_services.hpp"
#include "simulation/systems.hpp"

namespace kvip::sim {

namespace {

using namespace std::chrono_literals;

std::string num(double v, const char* unit) {
  char b[48];
  std::snprintf(b, sizeof b, "%.1f %s", v, unit);
  return b;
}

rss_kib node_rss(cluster& c, int i) {
  auto pid = c.node_pid(i);
  if (pid <= 0) return {};
  auto text = net::read_file("/proc/" + std::to_string(pid) + "/status");
  return text ? parse_proc_status(*text) : rss_kib{};
}

std::vector<rss_kib> all_rss(cluster& c) {
  std::vector<rss_kib> out;
  for (int i = 0; i < static_cast<int>(c.lab().nodes().size()); ++i)
    out.push_back(node_rss(c, i));
  return out;
}

/// What one run works with.
struct bench {
  const scenario_options& o;
  const volatile bool* stop;
  cluster& c;
  system_runner& sys;
  lab_services& api;
  arp_sweeper& sweep;
  std::vector<net::ip_address> addrs; ///< Service i's address
  std::vector<net::mac_address> macs; ///< node i's MAC
  services_bench_result& r;
};

/// The sweep's record of each of `addrs`, in order (empty when not a target).
std::vector<sweep_entry> seen(const bench& b, const std::vector<net::ip_address>& addrs) {
  std::vector<sweep_entry> out;
  out.reserve(addrs.size());
  for (const auto& a : addrs)
    out.push_back(b.sweep.entry(a).value_or(sweep_entry{}));
  return out;
}

/// Sweeps every target until each has a complete request sent after now.
bool full_round(bench& b, std::chrono::milliseconds budget) {
  b.sweep.set_pending_only(false);
  auto t = mono_us();
  return net::eventually(
      [&] {
        if (stopped(b.stop)) return true;
        for (const auto& e : b.sweep.entries())
          if (e.current_sent_us <= t) return false;
        return true;
      },
      budget, 20ms);
}

/// Step 1: every Service at once; created -> first answer, VIPs per node.
void create_phase(bench& b) {
  std::vector<service_spec> specs;
  std::vector<int> all_nodes;
  for (int i = 0; i < b.r.nodes; ++i)
    all_nodes.push_back(i);
  for (std::size_t i = 0; i < b.addrs.size(); ++i) {
    service_spec s;
    char name[32];
    std::snprintf(name, sizeof name, "bench-%04zu", i);
    s.name = name;
    s.ips = {b.addrs[i].to_string()};
    s.endpoints_on = all_nodes;
    specs.push_back(std::move(s));
  }
  b.sweep.set_pending_only(true);
  say(b.o, "creating " + std::to_string(specs.size()) + " Services at once");
  auto made = b.api.create_many(specs, [&](std::size_t i, const created_service& c) {
    if (c.error.empty()) b.sweep.add({b.addrs[i]});
  });
  std::vector<std::int64_t> created_us;
  std::int64_t first = made.empty() ? 0 : made.front().start_us, last = first;
  for (const auto& m : made) {
    created_us.push_back(m.done_us);
    first = std::min(first, m.start_us);
    last = std::max(last, m.done_us);
    if (m.error.empty()) continue;
    if (b.r.create_errors++ == 0) b.r.first_create_error = m.name + ": " + m.error;
  }
  b.r.create_s = static_cast<double>(last - first) / 1e6;
  say(b.o, "created in " + num(b.r.create_s, "s") + "; waiting for every address to answer");
  auto budget = std::chrono::milliseconds{30000 + 60 * static_cast<long>(specs.size())};
  net::eventually(
      [&] {
        if (stopped(b.stop)) return true;
        for (const auto& e : b.sweep.entries())
          if (!e.first_answer_us) return false;
        return true;
      },
      budget, 20ms);
  // Two full sweeps: does exactly one MAC answer each address?
  for (int round = 0; round < 2 && !stopped(b.stop); ++round)
    full_round(b, 30s);
  b.r.creation = summarise_creation(created_us, seen(b, b.addrs), b.macs);
  say(b.o, "creation -> answering: p50 " + num(b.r.creation.latency.p50, "ms") + ", p99 " +
               num(b.r.creation.latency.p99, "ms") + ", unanswered " +
               std::to_string(b.r.creation.unanswered));
}

/// Step 2: the sweep quiet, API requests and writes over the window, RSS.
void steady_phase(bench& b) {
  b.sweep.set_pending_only(true); // every address answered: nothing is asked
  auto w0 = b.c.api_writes();
  auto t0 = mono_us();
  net::eventually([&] { return stopped(b.stop); }, b.o.idle_window, 50ms);
  auto t1 = mono_us();
  auto w1 = b.c.api_writes();
  b.r.rss_steady = all_rss(b.c);
  b.r.window_s = static_cast<double>(t1 - t0) / 1e6;
  if (!w0 || !w1) {
    say(b.o, "cannot read the API server's counters: " + (w0 ? w1.err() : w0.err()).describe());
    return;
  }
  auto rate = [&](std::uint64_t a, std::uint64_t c) {
    return static_cast<double>(c - a) / b.r.window_s;
  };
  b.r.api.requests_per_s = rate(w0->requests, w1->requests);
  b.r.api.writes_per_s = rate(w0->total, w1->total);
  for (auto& [k, v] : w1->requests_by_resource)
    if (auto x = rate(w0->requests_by_resource[k], v); x > 0) b.r.api.requests_by_resource[k] = x;
  for (auto& [k, v] : w1->by_resource)
    if (auto x = rate(w0->by_resource[k], v); x > 0) b.r.api.writes_by_resource[k] = x;
  for (auto& [k, v] : w1->by_client) {
    auto name = k;
    for (auto& h : b.c.lab().nodes())
      if (h.ipv4.to_string() == k) name = h.name;
    if (auto x = rate(w0->by_client[k], v); x > 0) b.r.api.writes_by_node[name] = x;
  }
}

/// The node owning the most VIPs now (after a full sweep) and its VIPs.
int busiest_node(bench& b, std::vector<net::ip_address>& its) {
  full_round(b, 30s);
  auto owners = current_owners(seen(b, b.addrs), b.macs);
  std::vector<int> count(b.macs.size(), 0);
  for (int o : owners)
    if (o >= 0) ++count[static_cast<std::size_t>(o)];
  auto victim = static_cast<int>(std::max_element(count.begin(), count.end()) - count.begin());
  its.clear();
  for (std::size_t i = 0; i < owners.size(); ++i)
    if (owners[i] == victim) its.push_back(b.addrs[i]);
  return victim;
}

/// Kill -> every VIP answered elsewhere (restarting the node after the
/// delay); then a full sweep of them for a second (and 2 s past the restart).
void await_moves(bench& b, int victim, bool restart, std::int64_t kill_us, kill_run& k) {
  const auto delay_us = static_cast<std::int64_t>(b.o.timing.restart_delay.count()) * 1000;
  const auto budget_us = static_cast<std::int64_t>(b.o.timing.switch_budget.count()) * 1000;
  bool restarted = false, all_moved = false;
  std::int64_t settled_us = -1;
  net::eventually(
      [&] {
        auto now = mono_us();
        if (restart && !restarted && now >= kill_us + delay_us) {
          if (auto s = b.sys.start(victim); !s) k.note = "restart: " + s.err().describe();
          restarted = true;
        }
        if (!all_moved) {
          all_moved = true;
          for (const auto& e : b.sweep.entries())
            all_moved &= std::any_of(e.macs.begin(), e.macs.end(), [&](const auto& m) {
              return m != b.macs[static_cast<std::size_t>(victim)];
            });
          if (all_moved) {
            b.sweep.set_pending_only(false); // watch them all for two-MAC answers
            settled_us = std::max(now + 1000000, restart ? kill_us + delay_us + 2000000 : 0);
          }
        }
        return stopped(b.stop) || (all_moved && now >= settled_us) ||
               (!all_moved && now >= kill_us + budget_us);
      },
      b.o.timing.switch_budget + b.o.timing.restart_delay + 3s, 5ms);
  if (restart && !restarted) (void)b.sys.start(victim);
  if (!all_moved && k.note.empty())
    k.note = "not every VIP was answered elsewhere within " +
             std::to_string(b.o.timing.switch_budget.count()) + " ms";
}

/// Step 3: SIGKILL the node owning the most VIPs.
kill_run kill_round(bench& b, bool restart) {
  kill_run k;
  k.restart = restart;
  if (auto why = b.sys.wait_all_ready(60s, b.stop); !why.empty())
    say(b.o, "not every node is ready before the kill: " + why);
  std::vector<net::ip_address> its;
  int victim = busiest_node(b, its);
  k.node = b.c.lab().nodes()[static_cast<std::size_t>(victim)].name;
  say(b.o,
      "SIGKILL " + k.node + " (" + std::to_string(its.size()) + " VIPs)" +
          (restart ? ", restarted " + std::to_string(b.o.timing.restart_delay.count()) + " ms later"
                   : ", not restarted"));
  // Ask only for the victim's VIPs, only until another MAC answers each.
  b.sweep.remove(b.addrs);
  b.sweep.add(its);
  const auto& dead = b.macs[static_cast<std::size_t>(victim)];
  b.sweep.set_pending_only(true, {dead});
  auto kill_us = mono_us();
  b.sys.signal(victim, SIGKILL);
  b.sys.wait_exit(victim, 2s);
  b.sweep.mark(); // nothing the dead process sent can come after this
  await_moves(b, victim, restart, kill_us, k);
  k.move = summarise_move(kill_us, dead, seen(b, its), b.macs);
  if (!restart) (void)b.sys.start(victim); // the lab as it was
  b.sweep.add(b.addrs);
  return k;
}

void run_phases(bench& b) {
  b.r.rss_idle = all_rss(b.c);
  create_phase(b);
  if (stopped(b.stop)) return;
  // Settled first: every node ready, no VIP Lease write pending.
  auto settle_from = mono_us();
  if (auto why = b.sys.wait_all_ready(120s, b.stop); !why.empty())
    say(b.o, "not every node is ready after 120 s: " + why);
  b.r.settle_s = static_cast<double>(mono_us() - settle_from) / 1e6;
  if (b.o.idle_window.count() > 0) {
    say(b.o, "steady state for " + std::to_string(b.o.idle_window.count() / 1000) + " s");
    steady_phase(b);
  }
  for (bool restart : {true, false}) {
    if (stopped(b.stop)) return;
    b.r.kills.push_back(kill_round(b, restart));
  }
}

} // namespace

services_bench_result run_services_bench(const scenario_options& o, const volatile bool* stop) {
  services_bench_result r;
  r.nodes = o.cluster.nodes;
  r.services = o.services;
  r.sweep_rate = o.sweep_rate;
  r.restart_delay_ms = static_cast<int>(o.timing.restart_delay.count());
  say(o, "building a " + std::to_string(o.cluster.nodes) +
             "-node lab (network namespaces) and the embedded API server");
  auto copts = o.cluster;
  copts.start_nodes = false;
  copts.extra_env["svc_enable"] = "true";
  copts.extra_env["kvip_ipam"] = "false";
  auto made = cluster::create(copts);
  if (!made) {
    r.error = made.err().describe();
    return r;
  }
  auto& c = **made;
  std::vector<net::mac_address> macs;
  for (auto& n : c.lab().nodes()) {
    r.node_names.push_back(n.name);
    macs.push_back(n.mac);
  }
  say(o, "lab " + c.lab().run_id() + " up; logs in " + c.workdir());
  system_runner sys{c, system_id::gossip};
  if (auto s = sys.start_all(); !s) {
    r.error = "start: " + s.err().describe();
    return r;
  }
  if (auto why = sys.wait_all_ready(60s, stop); !why.empty()) {
    r.error = "not every node is ready: " + why;
    return r;
  }
  auto api = lab_services::open(c, 8);
  if (!api) {
    r.error = api.err().describe();
    return r;
  }
  auto sweep = arp_sweeper::start(sweep_from(c.lab().client(), o.sweep_rate));
  if (!sweep) {
    r.error = sweep.err().describe();
    return r;
  }
  std::vector<net::ip_address> addrs;
  for (const auto& a : service_addresses(o.services))
    addrs.push_back(*net::ip_address::parse(a));
  bench b{o, stop, c, sys, **api, **sweep, addrs, macs, r};
  run_phases(b);
  (*sweep)->stop();
  say(o, "stopping gossip; tearing the lab down");
  sys.stop_all();
  return r;
}

} // namespace kvip::sim
