#include "simulation/scenario.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <random>
#include <thread>

#include "net/wait.hpp"

namespace kvip::sim {

namespace {

using namespace std::chrono_literals;

/// MACs of the newest complete probe.
std::vector<net::mac_address> latest(const prober& p) {
  auto s = p.samples();
  return s.size() < 2 ? std::vector<net::mac_address>{} : s[s.size() - 2].macs;
}

/// Waits until exactly one node has answered every probe for `stable`;
/// returns its index or -1 after `budget`.
int wait_single_owner(cluster& c, prober& p, std::chrono::milliseconds stable,
                      std::chrono::milliseconds budget, const volatile bool* stop) {
  int owner = -1;
  net::eventually(
      [&] {
        if (stop && *stop) return true;
        auto since =
            p.now_us() - std::chrono::duration_cast<std::chrono::microseconds>(stable).count();
        auto window = p.samples_since(since);
        if (window.size() < 5) return false;
        auto first = window.front().macs;
        for (auto& s : window)
          if (s.macs.size() != 1 || s.macs != first) return false;
        owner = c.node_of(first[0]);
        return owner >= 0;
      },
      budget, 50ms);
  return owner;
}

void say(const scenario_options& o, const std::string& line) {
  if (o.verbose) std::printf("simulate: %s\n", line.c_str()), std::fflush(stdout);
}

/// A round's measurements, and whether the killed node could be started again.
struct round_outcome {
  round_result round;
  net::result<void> restarted;
};

/// One fault round against the current owner `owner`.
round_outcome fault_round(cluster& c, prober& p, int owner, int signo, const scenario_options& o,
                          const volatile bool* stop) {
  static std::mt19937 rng{std::random_device{}()};
  auto jitter = std::uniform_int_distribution<long>{
      0, std::max(0L, static_cast<long>(o.fault_jitter.count()))}(rng);
  std::this_thread::sleep_for(std::chrono::milliseconds{jitter});
  round_result r;
  r.kind = signo == SIGKILL ? "SIGKILL" : "SIGTERM";
  r.from = c.lab().nodes()[static_cast<std::size_t>(owner)].name;
  auto fault_us = p.now_us();
  r.fault_s = static_cast<double>(fault_us) / 1e6;
  c.signal_node(owner, signo);
  // Wait for another node's MAC.
  int next = -1;
  net::eventually(
      [&] {
        for (auto& m : latest(p))
          if (int n = c.node_of(m); n >= 0 && n != owner) next = n;
        return next >= 0 || (stop && *stop);
      },
      o.switch_budget);
  if (next >= 0) r.to = c.lab().nodes()[static_cast<std::size_t>(next)].name;
  // The kubelet restarts the stopped kvip after a while; it removes its stale
  // VIP at start-up, which ends any dual-MAC window of a SIGKILL.
  c.wait_node(owner, signo == SIGKILL ? 2000ms : 10000ms);
  std::this_thread::sleep_for(o.restart_delay);
  auto restarted = c.start_node(owner);
  wait_single_owner(c, p, 1000ms, o.switch_budget, stop);
  auto f = analyse_failover(p.samples(), fault_us, p.now_us());
  if (f.switch_us) r.switch_ms = static_cast<double>(*f.switch_us) / 1000.0;
  r.silence_ms = static_cast<double>(f.longest_silence_us) / 1000.0;
  r.dual_mac_probes = f.dual_mac_probes;
  r.dual_ms = f.dual_mac_probes * 10.0;
  return {std::move(r), std::move(restarted)};
}

std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

} // namespace

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

scenario_result run_scenario(const scenario_options& o, const volatile bool* stop) {
  scenario_result res;
  say(o, "building a " + std::to_string(o.cluster.nodes) +
             "-node lab (network namespaces), the embedded API server and kvip on every node");
  auto made = cluster::create(o.cluster);
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
  int owner = wait_single_owner(*c, *p, 1000ms, 30000ms, stop);
  if (owner < 0) {
    res.error = "no single node answered for " + o.cluster.vips.front() + " within 30 s";
    res.samples = p->samples();
    return res;
  }
  say(o, "leader: " + c->lab().nodes()[static_cast<std::size_t>(owner)].name + " (" +
             net::to_string(c->lab().nodes()[static_cast<std::size_t>(owner)].mac) + ")");
  auto rounds = std::vector<int>(static_cast<std::size_t>(o.kills), SIGKILL);
  rounds.insert(rounds.end(), static_cast<std::size_t>(o.terms), SIGTERM);
  for (std::size_t i = 0; i < rounds.size() && !(stop && *stop); ++i) {
    auto [r, restarted] = fault_round(*c, *p, owner, rounds[i], o, stop);
    char line[256];
    std::snprintf(line, sizeof line,
                  "round %zu/%zu: %s %s -> %s: switch %.0f ms, longest silence %.0f ms, "
                  "dual-MAC probes %d",
                  i + 1, rounds.size(), r.kind.c_str(), r.from.c_str(),
                  r.to.empty() ? "(nobody)" : r.to.c_str(), r.switch_ms, r.silence_ms,
                  r.dual_mac_probes);
    say(o, line);
    res.rounds.push_back(r);
    if (!restarted) {
      res.error = restarted.err().describe();
      break;
    }
    owner = wait_single_owner(*c, *p, 500ms, o.switch_budget, stop);
    if (owner < 0) {
      res.error = "no single owner after round " + std::to_string(i + 1);
      break;
    }
  }
  p->stop();
  res.samples = p->samples();
  say(o, "tearing the lab down");
  return res;
}

void print_summary(const scenario_result& r) {
  for (const char* kind : {"SIGKILL", "SIGTERM"}) {
    std::vector<double> sw;
    int dual = 0, dual_rounds = 0, missed = 0;
    for (auto& x : r.rounds) {
      if (x.kind != kind) continue;
      if (x.switch_ms >= 0)
        sw.push_back(x.switch_ms);
      else
        ++missed;
      dual += x.dual_mac_probes;
      dual_rounds += x.dual_mac_probes > 0;
    }
    if (sw.empty() && missed == 0) continue;
    std::printf("%s: %zu failovers, VIP moved after p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max "
                "%.0f ms; %d rounds without a new owner; dual-MAC probes %d in %d rounds\n",
                kind, sw.size(), percentile(sw, 0.5), percentile(sw, 0.95), percentile(sw, 0.99),
                sw.empty() ? 0.0 : *std::max_element(sw.begin(), sw.end()), missed, dual,
                dual_rounds);
  }
}

net::result<void> write_json(const scenario_result& r, const scenario_options& o,
                             const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return net::make_error("cannot write " + path, errno);
  std::fprintf(f, "{\n  \"nodes\": %d,\n  \"vip\": %s,\n  \"lease\": [%d, %d, %d],\n",
               o.cluster.nodes, json_str(o.cluster.vips.front()).c_str(),
               o.cluster.lease_duration_s, o.cluster.renew_deadline_s, o.cluster.retry_period_s);
  std::fprintf(f, "  \"error\": %s,\n  \"rounds\": [\n", json_str(r.error).c_str());
  for (std::size_t i = 0; i < r.rounds.size(); ++i) {
    auto& x = r.rounds[i];
    std::fprintf(f,
                 "    {\"kind\": %s, \"from\": %s, \"to\": %s, \"fault_s\": %.3f, "
                 "\"switch_ms\": %.1f, \"longest_silence_ms\": %.1f, \"dual_mac_probes\": %d}%s\n",
                 json_str(x.kind).c_str(), json_str(x.from).c_str(), json_str(x.to).c_str(),
                 x.fault_s, x.switch_ms, x.silence_ms, x.dual_mac_probes,
                 i + 1 < r.rounds.size() ? "," : "");
  }
  std::fprintf(f, "  ],\n  \"summary\": {");
  bool first = true;
  for (const char* kind : {"SIGKILL", "SIGTERM"}) {
    std::vector<double> sw;
    int dual = 0;
    for (auto& x : r.rounds)
      if (x.kind == kind) {
        if (x.switch_ms >= 0) sw.push_back(x.switch_ms);
        dual += x.dual_mac_probes;
      }
    if (sw.empty()) continue;
    std::fprintf(f,
                 "%s\n    %s: {\"count\": %zu, \"p50_ms\": %.1f, \"p95_ms\": %.1f, \"p99_ms\": "
                 "%.1f, \"max_ms\": %.1f, \"dual_mac_probes\": %d}",
                 first ? "" : ",", json_str(kind).c_str(), sw.size(), percentile(sw, 0.5),
                 percentile(sw, 0.95), percentile(sw, 0.99),
                 *std::max_element(sw.begin(), sw.end()), dual);
    first = false;
  }
  std::fprintf(f, "\n  }\n}\n");
  if (std::fclose(f) != 0) return net::make_error("cannot write " + path, errno);
  return net::ok();
}

net::result<void> write_svg(const scenario_result& r, const std::string& path) {
  if (r.samples.empty()) return net::make_error("no samples to draw");
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return net::make_error("cannot write " + path, errno);
  const double width = 1000, row = 28, left = 60, top = 30;
  auto t_end = static_cast<double>(r.samples.back().t_us) / 1e6;
  auto x = [&](double t) { return left + (width - left - 10) * t / std::max(t_end, 0.001); };
  auto rows = r.node_names.size();
  double height = top + row * static_cast<double>(rows + 1) + 30;
  static const char* colours[] = {"#2b7bb9", "#e07b24", "#3a9b4a", "#b9362b", "#7a4fb0"};
  std::fprintf(
      f,
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" "
      "height=\"100%%\" fill=\"white\"/>\n<text x=\"%.0f\" y=\"18\">Who answered ARP "
      "for the VIP (client view, 10 ms probes); lines: SIGKILL red, SIGTERM purple</text>\n",
      width, height, left);
  for (std::size_t n = 0; n < rows; ++n) {
    double y = top + row * static_cast<double>(n);
    std::fprintf(f, "<text x=\"5\" y=\"%.0f\">%s</text>\n", y + 18, r.node_names[n].c_str());
    // Merge consecutive samples answered by this node into bars.
    double start = -1, last = 0;
    for (auto& s : r.samples) {
      double t = static_cast<double>(s.t_us) / 1e6;
      bool on = std::find(s.macs.begin(), s.macs.end(), r.node_macs[n]) != s.macs.end();
      if (on && start < 0) start = t;
      if (!on && start >= 0) {
        std::fprintf(f, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"20\" fill=\"%s\"/>\n",
                     x(start), y + 4, std::max(1.0, x(t) - x(start)), colours[n % 5]);
        start = -1;
      }
      last = t;
    }
    if (start >= 0)
      std::fprintf(f, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"20\" fill=\"%s\"/>\n",
                   x(start), y + 4, std::max(1.0, x(last) - x(start)), colours[n % 5]);
  }
  double axis_y = top + row * static_cast<double>(rows) + 10;
  // Fault markers: red for SIGKILL, purple for SIGTERM; labelled when few
  // enough to read.
  for (auto& rd : r.rounds) {
    const char* colour = rd.kind == "SIGKILL" ? "#d62728" : "#9467bd";
    std::fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"%s\"/>\n",
                 x(rd.fault_s), top, x(rd.fault_s), axis_y, colour);
    if (r.rounds.size() <= 12)
      std::fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" fill=\"%s\" font-size=\"10\">%s %s</text>\n",
                   x(rd.fault_s) + 2, axis_y + 12, colour, rd.kind.c_str(), rd.from.c_str());
  }
  std::fprintf(f,
               "<text x=\"%.0f\" y=\"%.0f\">0 s</text><text x=\"%.0f\" y=\"%.0f\">%.1f s</text>\n",
               left, height - 4, width - 60, height - 4, t_end);
  std::fprintf(f, "</svg>\n");
  if (std::fclose(f) != 0) return net::make_error("cannot write " + path, errno);
  return net::ok();
}

} // namespace kvip::sim
