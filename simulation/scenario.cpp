#include "simulation/scenario.hpp"
#include "simulation/prom_text.hpp"

#include <cstdlib>

#include <cstdio>

#include "net/wait.hpp"

namespace kvip::sim {

namespace {

using namespace std::chrono_literals;

std::string trial_line(const trial_result& r, int of) {
  char line[512];
  std::snprintf(line, sizeof line,
                "%s %s %d/%d: %s -> %s: switch %.0f ms, longest silence %.0f ms, dual-MAC probes "
                "%d, unanswered %d%s%s",
                r.system.c_str(), r.fault.c_str(), r.trial, of, r.from.c_str(),
                r.to.empty() ? "(nobody)" : r.to.c_str(), r.switch_ms, r.silence_ms,
                r.dual_mac_probes, r.unanswered_probes, r.note.empty() ? "" : "; ", r.note.c_str());
  return line;
}

std::string tx_line(const std::vector<tx_rate>& tx) {
  std::string s;
  for (auto& t : tx) {
    char b[96];
    std::snprintf(b, sizeof b, "%s%s %.1f pkt/s %.0f B/s", s.empty() ? "" : ", ", t.node.c_str(),
                  t.packets_per_s, t.bytes_per_s);
    s += b;
  }
  return s;
}

/// " 2.0 writes/s (leases 2.0; n1 0.7, n2 0.7 ...)".
std::string writes_line(const system_run& r) {
  char b[64];
  std::snprintf(b, sizeof b, "%.2f API writes/s", r.api_writes_per_s);
  std::string s = b, by;
  for (auto* m : {&r.api_writes_by_resource, &r.api_writes_by_node}) {
    by += by.empty() ? " (" : "; ";
    std::string part;
    for (auto& [k, v] : *m) {
      std::snprintf(b, sizeof b, "%s%s %.2f", part.empty() ? "" : ", ", k.c_str(), v);
      part += b;
    }
    by += part;
  }
  return s + by + ")";
}

std::vector<double> gossip_bytes_out(cluster& c) {
  std::vector<double> out;
  for (std::size_t i = 0; i < c.lab().nodes().size(); ++i) {
    double sent = 0;
    for (const auto& s :
         prom_samples(c.node_metrics(static_cast<int>(i)), "kvip_gossip_bytes_total"))
      if (prom_label(s.labels, "direction") == "out") sent += s.value;
    out.push_back(sent);
  }
  return out;
}

/// How long a freshly started system may take to settle before the steady
/// state is measured (every node ready, every VIP Lease written).
constexpr std::chrono::milliseconds settle_budget{60000};

/// Packets/s per node, gossip bytes/s per node and API writes/s over the
/// idle window.
void measure_steady(cluster& c, prober& p, const scenario_options& o, system_run& run) {
  auto w0 = c.api_writes();
  auto g0 = gossip_bytes_out(c);
  auto t0 = p.now_us();
  run.tx = measure_tx(c, p, o.idle_window);
  auto t1 = p.now_us();
  auto g1 = gossip_bytes_out(c);
  auto w1 = c.api_writes();
  for (std::size_t i = 0; i < g0.size() && i < g1.size(); ++i)
    if (g1[i] > 0)
      run.gossip_bytes_per_s[c.lab().nodes()[i].name] =
          (g1[i] - g0[i]) / (static_cast<double>(t1 - t0) / 1e6);
  say(o, run.system + " steady state on eth0: " + tx_line(run.tx));
  if (!w0 || !w1) {
    say(o, run.system + ": cannot read the API server's write counters: " +
               (w0 ? w1.err() : w0.err()).describe());
    return;
  }
  double secs = static_cast<double>(t1 - t0) / 1e6;
  auto rate = [&](std::uint64_t a, std::uint64_t b) { return static_cast<double>(b - a) / secs; };
  run.api_writes_per_s = rate(w0->total, w1->total);
  for (auto& [k, v] : w1->by_resource)
    if (auto r = rate(w0->by_resource[k], v); r > 0) run.api_writes_by_resource[k] = r;
  for (auto& [k, v] : w1->by_client) {
    auto name = k;
    for (auto& h : c.lab().nodes())
      if (h.ipv4.to_string() == k) name = h.name;
    if (auto r = rate(w0->by_client[k], v); r > 0) run.api_writes_by_node[name] = r;
  }
  say(o, run.system + " steady state at the API server: " + writes_line(run));
}

/// "; n1 exited: <the last line of its log>" for every node whose process is gone.
std::string exited_nodes(cluster& c) {
  std::string out;
  for (int i = 0; i < static_cast<int>(c.lab().nodes().size()); ++i) {
    if (c.node_running(i)) continue;
    auto tail = run_command({"tail", "-n", "1", c.node_log(i)}).output;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' '))
      tail.pop_back();
    tail.erase(0, tail.find_first_not_of(' '));
    out += "; " + c.lab().nodes()[static_cast<std::size_t>(i)].name + " exited: " + tail;
  }
  return out;
}

/// Starts the system and waits for one node to answer; the owner or -1.
int bring_up(cluster& c, prober& p, system_runner& sys, const scenario_options& o,
             const volatile bool* stop, std::string& error) {
  if (auto s = sys.start_all(); !s) {
    error = s.err().describe();
    return -1;
  }
  // Wait in short slices, so a system whose every process exited (a
  // configuration kvip rejects) is reported at once.
  int owner = -1;
  net::eventually(
      [&] {
        owner = wait_single_owner(c, p, 1000ms, 2000ms, stop);
        bool any_running = false;
        for (int i = 0; i < static_cast<int>(c.lab().nodes().size()); ++i)
          any_running |= c.node_running(i);
        return owner >= 0 || !any_running || stopped(stop);
      },
      o.first_owner_budget, 0ms);
  if (owner < 0 && !stopped(stop)) {
    bool all_exited = true;
    for (int i = 0; i < static_cast<int>(c.lab().nodes().size()); ++i)
      all_exited &= !c.node_running(i);
    error = all_exited ? "every node's process exited"
                       : "no single node answered for " + o.cluster.vips.front() + " within " +
                             std::to_string(o.first_owner_budget.count() / 1000) + " s";
    error += exited_nodes(c);
  }
  return owner;
}

/// Every fault's trials on one system; the system is up with `owner`.
void run_faults(cluster& c, prober& p, system_runner& sys, int owner, const scenario_options& o,
                const volatile bool* stop, scenario_result& res, system_run& run) {
  trial_env env{c, p, sys, o.timing, stop};
  for (auto& plan : o.faults) {
    for (int t = 1; t <= plan.trials && !stopped(stop); ++t) {
      // A fault that strikes a node still joining would measure a double fault.
      if (auto why = sys.wait_all_ready(o.timing.switch_budget, stop); !why.empty())
        say(o, "not every node is ready before this trial: " + why);
      auto r = run_trial(env, plan.kind, owner, t);
      say(o, trial_line(r, plan.trials));
      res.trials.push_back(r);
      owner = wait_single_owner(c, p, 500ms, o.timing.switch_budget, stop);
      if (owner >= 0 || stopped(stop)) continue;
      // Two nodes answering for good (or nobody): start the system afresh.
      say(o, "no single owner after this trial; restarting " + run.system + " on every node");
      sys.stop_all();
      std::string error;
      owner = bring_up(c, p, sys, o, stop, error);
      if (owner < 0) {
        run.error = error.empty() ? "interrupted" : error;
        return;
      }
    }
  }
}

} // namespace

scenario_result run_scenario(const scenario_options& o, const volatile bool* stop) {
  scenario_result res;
  say(o, "building a " + std::to_string(o.cluster.nodes) +
             "-node lab (network namespaces) and the embedded API server");
  auto copts = o.cluster;
  copts.start_nodes = false;
  auto made = cluster::create(copts);
  if (!made) {
    res.error = made.err().describe();
    return res;
  }
  auto& c = *made;
  for (auto& n : c->lab().nodes()) {
    res.node_names.push_back(n.name);
    res.node_macs.push_back(n.mac);
  }
  say(o, "lab " + c->lab().run_id() + " up; logs in " + c->workdir());
  auto probing = c->probe(o.cluster.vips.front());
  if (!probing) {
    res.error = probing.err().describe();
    return res;
  }
  auto& p = *probing;
  say(o, "probing " + o.cluster.vips.front() + " from the client every 10 ms");
  for (auto id : o.systems) {
    if (stopped(stop)) break;
    system_runner sys{*c, id};
    system_run run;
    run.system = std::string{to_string(id)};
    run.start_s = static_cast<double>(p->now_us()) / 1e6;
    say(o, "starting " + run.system + " on every node");
    int owner = bring_up(*c, *p, sys, o, stop, run.error);
    if (owner >= 0) {
      say(o, run.system + ": " + c->lab().nodes()[static_cast<std::size_t>(owner)].name +
                 " answers for the VIP");
      // Settling takes longer than a switch with many VIPs (their Leases).
      if (auto why = sys.wait_all_ready(
              std::max<std::chrono::milliseconds>(o.timing.switch_budget, settle_budget), stop);
          !why.empty())
        say(o, run.system + ": not every node is ready: " + why);
      if (o.idle_window.count() > 0) measure_steady(*c, *p, o, run);
      run_faults(*c, *p, sys, owner, o, stop, res, run);
    }
    if (!run.error.empty()) say(o, run.system + ": " + run.error);
    say(o, "stopping " + run.system);
    sys.stop_all();
    run.end_s = static_cast<double>(p->now_us()) / 1e6;
    res.systems.push_back(run);
  }
  p->stop();
  res.samples = p->samples();
  for (auto& s : res.systems)
    if (!s.error.empty()) res.error += (res.error.empty() ? "" : "; ") + s.system + ": " + s.error;
  say(o, "tearing the lab down");
  return res;
}

void say(const scenario_options& o, const std::string& line) {
  if (o.verbose) std::printf("simulate: %s\n", line.c_str()), std::fflush(stdout);
}

bool stopped(const volatile bool* stop) {
  return stop && *stop;
}

} // namespace kvip::sim
