#include "simulation/report.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>

namespace kvip::sim {

namespace {

std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      out += ' ';
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

/// A file that closes itself; `ok()` once written and closed.
struct out_file {
  FILE* f = nullptr;
  explicit out_file(const std::string& path) : f(std::fopen(path.c_str(), "w")) {}
  ~out_file() {
    if (f) std::fclose(f);
  }
  bool close() {
    bool ok = std::fclose(f) == 0;
    f = nullptr;
    return ok;
  }
};

std::string json_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i)
    out += (i ? ", " : "") + json_str(v[i]);
  return out + "]";
}

/// ', "refused": {"bad_mac": 40, ...}' or "" (only the forge fault counts them).
std::string json_refused(const std::map<std::string, long>& refused) {
  if (refused.empty()) return "";
  std::string out = ", \"refused\": {";
  for (auto& [result, n] : refused)
    out += (out.back() == '{' ? "" : ", ") + json_str(result) + ": " + std::to_string(n);
  return out + "}";
}

void json_trials(FILE* f, const std::vector<trial_result>& trials) {
  std::fprintf(f, "  \"trials\": [\n");
  for (std::size_t i = 0; i < trials.size(); ++i) {
    auto& x = trials[i];
    std::fprintf(f,
                 "    {\"system\": %s, \"fault\": %s, \"nodes\": %d, \"trial\": %d, \"from\": %s, "
                 "\"to\": %s, \"fault_s\": %.3f, \"switch_ms\": %.1f, \"dual_mac_probes\": %d, "
                 "\"longest_silence_ms\": %.1f, \"unanswered_probes\": %d, \"probes\": %d, "
                 "\"window_s\": %.3f, \"dual_detail\": %s, \"note\": %s%s}%s\n",
                 json_str(x.system).c_str(), json_str(x.fault).c_str(), x.nodes, x.trial,
                 json_str(x.from).c_str(), json_str(x.to).c_str(), x.fault_s, x.switch_ms,
                 x.dual_mac_probes, x.silence_ms, x.unanswered_probes, x.probes, x.window_s,
                 json_list(x.dual_detail).c_str(), json_str(x.note).c_str(),
                 json_refused(x.refused).c_str(), i + 1 < trials.size() ? "," : "");
  }
  std::fprintf(f, "  ],\n");
}

void json_systems(FILE* f, const std::vector<system_run>& systems) {
  std::fprintf(f, "  \"systems\": [\n");
  for (std::size_t i = 0; i < systems.size(); ++i) {
    auto& s = systems[i];
    std::fprintf(f,
                 "    {\"system\": %s, \"start_s\": %.3f, \"end_s\": %.3f, \"error\": %s, "
                 "\"steady_tx\": [",
                 json_str(s.system).c_str(), s.start_s, s.end_s, json_str(s.error).c_str());
    for (std::size_t j = 0; j < s.tx.size(); ++j)
      std::fprintf(f, "%s{\"node\": %s, \"packets_per_s\": %.1f, \"bytes_per_s\": %.1f}",
                   j ? ", " : "", json_str(s.tx[j].node).c_str(), s.tx[j].packets_per_s,
                   s.tx[j].bytes_per_s);
    std::fprintf(f, "], \"api_writes_per_s\": %.3f", s.api_writes_per_s);
    for (auto [key, m] : {std::pair{"api_writes_by_resource", &s.api_writes_by_resource},
                          std::pair{"api_writes_by_node", &s.api_writes_by_node},
                          std::pair{"gossip_bytes_per_s", &s.gossip_bytes_per_s}}) {
      std::fprintf(f, ", \"%s\": {", key);
      const char* sep = "";
      for (auto& [k, v] : *m) {
        std::fprintf(f, "%s%s: %.3f", sep, json_str(k).c_str(), v);
        sep = ", ";
      }
      std::fprintf(f, "}");
    }
    std::fprintf(f, "}%s\n", i + 1 < systems.size() ? "," : "");
  }
  std::fprintf(f, "  ],\n");
}

void json_summary(FILE* f, const std::vector<trial_result>& trials) {
  auto rows = summarise(trials);
  std::fprintf(f, "  \"summary\": [\n");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& x = rows[i];
    std::fprintf(f,
                 "    {\"fault\": %s, \"system\": %s, \"trials\": %d, \"moved\": %d, \"p50_ms\": "
                 "%.1f, \"p95_ms\": %.1f, \"p99_ms\": %.1f, \"max_ms\": %.1f, "
                 "\"dual_mac_probes\": %d, \"dual_trials\": %d, \"unanswered_probes\": %d, "
                 "\"longest_silence_ms\": %.1f, \"failed\": %d}%s\n",
                 json_str(x.fault).c_str(), json_str(x.system).c_str(), x.trials, x.moved, x.p50_ms,
                 x.p95_ms, x.p99_ms, x.max_ms, x.dual_mac_probes, x.dual_trials,
                 x.unanswered_probes, x.longest_silence_ms, x.failed,
                 i + 1 < rows.size() ? "," : "");
  }
  std::fprintf(f, "  ]\n");
}

void print_steady(const std::vector<system_run>& systems) {
  bool any = false;
  for (auto& s : systems)
    any |= !s.tx.empty();
  if (!any) return;
  std::printf("steady state, sent on eth0 per node (ARP answers to the prober excluded), and "
              "writes/s at the API server:\n");
  for (auto& s : systems) {
    if (s.tx.empty()) continue;
    std::printf("  %-18s", s.system.c_str());
    for (auto& t : s.tx)
      std::printf("  %s %6.1f pkt/s %7.0f B/s", t.node.c_str(), t.packets_per_s, t.bytes_per_s);
    if (s.api_writes_per_s >= 0) std::printf("  API %.2f writes/s", s.api_writes_per_s);
    std::printf("\n");
    if (!s.gossip_bytes_per_s.empty()) {
      std::printf("  %-18s", "  gossip frames");
      for (auto& [node, b] : s.gossip_bytes_per_s)
        std::printf("  %s %7.0f B/s", node.c_str(), b);
      std::printf("  (kvip_gossip_bytes_total sent, without TCP/IP)\n");
    }
  }
  std::printf("\n");
}

} // namespace

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::vector<summary_row> summarise(const std::vector<trial_result>& trials) {
  std::vector<summary_row> rows;
  std::vector<std::string> faults;
  for (auto& t : trials)
    if (std::find(faults.begin(), faults.end(), t.fault) == faults.end()) faults.push_back(t.fault);
  for (auto& fault : faults) {
    std::vector<std::string> systems;
    for (auto& t : trials)
      if (t.fault == fault && std::find(systems.begin(), systems.end(), t.system) == systems.end())
        systems.push_back(t.system);
    for (auto& system : systems) {
      summary_row row{fault, system};
      std::vector<double> sw;
      for (auto& t : trials) {
        if (t.fault != fault || t.system != system) continue;
        ++row.trials;
        if (t.switch_ms >= 0) sw.push_back(t.switch_ms);
        row.dual_mac_probes += t.dual_mac_probes;
        row.dual_trials += t.dual_mac_probes > 0;
        row.unanswered_probes += t.unanswered_probes;
        row.longest_silence_ms = std::max(row.longest_silence_ms, t.silence_ms);
        row.failed += !t.note.empty();
      }
      row.moved = static_cast<int>(sw.size());
      row.p50_ms = percentile(sw, 0.5);
      row.p95_ms = percentile(sw, 0.95);
      row.p99_ms = percentile(sw, 0.99);
      row.max_ms = sw.empty() ? 0 : *std::max_element(sw.begin(), sw.end());
      rows.push_back(row);
    }
  }
  return rows;
}

void print_summary(const scenario_result& r) {
  print_steady(r.systems);
  auto rows = summarise(r.trials);
  if (rows.empty()) return;
  std::printf("%-16s %-17s %6s %5s %8s %8s %8s %8s %9s %7s %10s %10s\n", "fault", "system",
              "trials", "moved", "p50 ms", "p95 ms", "p99 ms", "max ms", "dual-MAC", "(trials)",
              "unanswered", "silence ms");
  for (auto& x : rows) {
    std::printf("%-16s %-17s %6d %5d %8.0f %8.0f %8.0f %8.0f %9d %7d %10d %10.0f%s\n",
                x.fault.c_str(), x.system.c_str(), x.trials, x.moved, x.p50_ms, x.p95_ms, x.p99_ms,
                x.max_ms, x.dual_mac_probes, x.dual_trials, x.unanswered_probes,
                x.longest_silence_ms,
                x.failed ? ("  (" + std::to_string(x.failed) + " with notes)").c_str() : "");
  }
  std::printf("switch: fault -> first probe answered by another MAC (of the trials that moved); "
              "dual-MAC: probes answered by two MACs; silence: longest run of unanswered "
              "probes\n");
}

net::result<void> write_json(const scenario_result& r, const scenario_options& o,
                             const std::string& path) {
  out_file out{path};
  FILE* f = out.f;
  if (!f) return net::make_error("cannot write " + path, errno);
  std::fprintf(f,
               "{\n  \"nodes\": %d,\n  \"vip\": %s,\n  \"vips\": %zu,\n  \"lease\": [%d, %d, "
               "%d],\n",
               o.cluster.nodes, json_str(o.cluster.vips.front()).c_str(), o.cluster.vips.size(),
               o.cluster.lease_duration_s, o.cluster.renew_deadline_s, o.cluster.retry_period_s);
  auto& t = o.timing;
  std::fprintf(f,
               "  \"timing\": {\"restart_delay_ms\": %ld, \"restart\": %s, \"stop_ms\": %ld, "
               "\"outage_ms\": %ld, \"partition_ms\": %ld, \"loss_percent\": %d},\n",
               static_cast<long>(t.restart_delay.count()), t.restart ? "true" : "false",
               static_cast<long>(t.stop_duration.count()), static_cast<long>(t.outage.count()),
               static_cast<long>(t.partition.count()), t.loss_percent);
  std::fprintf(f, "  \"error\": %s,\n", json_str(r.error).c_str());
  json_systems(f, r.systems);
  json_trials(f, r.trials);
  json_summary(f, r.trials);
  std::fprintf(f, "}\n");
  if (!out.close()) return net::make_error("cannot write " + path, errno);
  return net::ok();
}

} // namespace kvip::sim
