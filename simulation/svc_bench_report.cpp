#include "simulation/svc_bench_report.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>

#include "net/file.hpp"
#include "net/number.hpp"
#include "simulation/report.hpp"

namespace kvip::sim {

namespace json = boost::json;

std::vector<std::string> service_addresses(int n) {
  std::vector<std::string> out;
  for (int net3 = 1; static_cast<int>(out.size()) < n && net3 <= 9; ++net3)
    for (int host = 1; host <= 254 && static_cast<int>(out.size()) < n; ++host)
      out.push_back("10.99." + std::to_string(net3) + "." + std::to_string(host));
  return out;
}

dist_ms distribution(const std::vector<double>& ms) {
  dist_ms d;
  d.n = ms.size();
  if (ms.empty()) return d;
  d.p50 = percentile(ms, 0.50);
  d.p99 = percentile(ms, 0.99);
  d.max = *std::max_element(ms.begin(), ms.end());
  return d;
}

rss_kib parse_proc_status(std::string_view text) {
  rss_kib r;
  while (!text.empty()) {
    auto eol = text.find('\n');
    auto line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto key = line.substr(0, colon);
    long* into = key == "VmRSS"     ? &r.vm_rss
                 : key == "RssAnon" ? &r.rss_anon
                 : key == "RssFile" ? &r.rss_file
                                    : nullptr;
    if (!into) continue;
    auto value = net::trim(line.substr(colon + 1)); // "1234 kB"
    if (auto sp = value.find(' '); sp != std::string_view::npos) value = value.substr(0, sp);
    if (auto v = net::parse_integer<long>(value)) *into = *v;
  }
  return r;
}

namespace {

int node_index(const net::mac_address& m, const std::vector<net::mac_address>& node_macs) {
  auto it = std::find(node_macs.begin(), node_macs.end(), m);
  return it == node_macs.end() ? -1 : static_cast<int>(it - node_macs.begin());
}

} // namespace

creation_summary summarise_creation(const std::vector<std::int64_t>& created_us,
                                    const std::vector<sweep_entry>& seen,
                                    const std::vector<net::mac_address>& node_macs) {
  creation_summary s;
  s.vips_per_node.assign(node_macs.size(), 0);
  std::vector<double> lag;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    const auto& e = seen[i];
    s.multi_mac_requests += e.multi_mac_requests;
    if (!e.first_answer_us) {
      ++s.unanswered;
      continue;
    }
    if (i < created_us.size())
      lag.push_back(
          static_cast<double>(std::max<std::int64_t>(0, *e.first_answer_us - created_us[i])) /
          1000.0);
    if (e.macs.size() > 1) ++s.several_macs;
    if (e.macs.size() == 1)
      if (auto n = node_index(e.macs.front(), node_macs); n >= 0)
        ++s.vips_per_node[static_cast<std::size_t>(n)];
  }
  s.latency = distribution(lag);
  if (!s.vips_per_node.empty()) {
    auto [lo, hi] = std::minmax_element(s.vips_per_node.begin(), s.vips_per_node.end());
    s.vips_min = *lo;
    s.vips_max = *hi;
  }
  return s;
}

std::vector<int> current_owners(const std::vector<sweep_entry>& seen,
                                const std::vector<net::mac_address>& node_macs) {
  std::vector<int> out;
  out.reserve(seen.size());
  for (const auto& e : seen)
    out.push_back(e.current.size() == 1 ? node_index(e.current.front(), node_macs) : -1);
  return out;
}

move_summary summarise_move(std::int64_t kill_us, const net::mac_address& dead,
                            const std::vector<sweep_entry>& seen,
                            const std::vector<net::mac_address>& node_macs) {
  move_summary s;
  s.vips = static_cast<int>(seen.size());
  s.to_node.assign(node_macs.size(), 0);
  std::vector<double> moved;
  for (const auto& e : seen) {
    s.multi_mac_requests += e.multi_mac_requests;
    std::optional<std::int64_t> first;
    int first_node = -1, others = 0;
    for (std::size_t k = 0; k < e.macs.size(); ++k) {
      if (e.macs[k] == dead) {
        ++s.dead_answered;
        continue;
      }
      ++others;
      auto at = k < e.macs_first_us.size() ? e.macs_first_us[k] : kill_us;
      if (!first || at < *first) {
        first = at;
        first_node = node_index(e.macs[k], node_macs);
      }
    }
    if (others > 1) ++s.several_macs;
    if (!first) {
      ++s.not_moved;
      continue;
    }
    moved.push_back(static_cast<double>(std::max<std::int64_t>(0, *first - kill_us)) / 1000.0);
    if (first_node >= 0) ++s.to_node[static_cast<std::size_t>(first_node)];
  }
  s.moved = distribution(moved);
  return s;
}

std::vector<target_check> check_targets(const services_bench_result& r) {
  std::vector<target_check> out;
  auto add = [&](std::string what, double value, double limit, std::string unit, bool measured) {
    out.push_back(
        {std::move(what), value, limit, std::move(unit), measured, measured && value <= limit});
  };
  const auto& c = r.creation;
  add("creation -> answering p99", c.latency.p99, target_create_p99_ms, "ms",
      c.latency.n > 0 && c.unanswered == 0);
  add("steady API writes/s", r.api.writes_per_s, target_steady_writes_per_s, "/s",
      r.api.writes_per_s >= 0);
  long rss = -1;
  for (const auto& m : r.rss_steady)
    rss = std::max(rss, m.vm_rss);
  add("kvip RSS per node (max)", static_cast<double>(rss) / 1024.0, target_rss_mib, "MiB",
      rss >= 0);
  for (const auto& k : r.kills)
    add(std::string{"dead node's VIPs answered elsewhere, max ("} +
            (k.restart ? "restarted" : "no restart") + ")",
        k.move.moved.max, target_dead_node_ms, "ms",
        k.move.vips > 0 && k.move.not_moved == 0 && k.note.empty());
  return out;
}

namespace {

std::string rss_text(const rss_kib& m) {
  char b[128];
  std::snprintf(b, sizeof b, "%.1f MiB (anon %.1f, file %.1f)",
                static_cast<double>(m.vm_rss) / 1024.0, static_cast<double>(m.rss_anon) / 1024.0,
                static_cast<double>(m.rss_file) / 1024.0);
  return b;
}

std::string rates_text(const std::map<std::string, double>& m) {
  std::string out;
  for (const auto& [k, v] : m) {
    char b[96];
    std::snprintf(b, sizeof b, "%s%s %.2f", out.empty() ? "" : ", ", k.c_str(), v);
    out += b;
  }
  return out.empty() ? "none" : out;
}

void print_move(const services_bench_result& r, const kill_run& k) {
  const auto& m = k.move;
  std::printf("SIGKILL %s (%s): %d VIPs; answered elsewhere after p50 %.0f / p99 %.0f / max "
              "%.0f ms; not moved %d; answered by two+ other MACs %d; two-MAC requests %llu; "
              "the killed node's MAC answered %d%s%s\n",
              k.node.c_str(),
              k.restart ? ("restarted " + std::to_string(r.restart_delay_ms) + " ms later").c_str()
                        : "not restarted",
              m.vips, m.moved.p50, m.moved.p99, m.moved.max, m.not_moved, m.several_macs,
              static_cast<unsigned long long>(m.multi_mac_requests), m.dead_answered,
              k.note.empty() ? "" : "; ", k.note.c_str());
  std::string to;
  for (std::size_t i = 0; i < m.to_node.size() && i < r.node_names.size(); ++i)
    if (m.to_node[i] > 0) to += " " + r.node_names[i] + " " + std::to_string(m.to_node[i]);
  std::printf("  taken over by:%s\n", to.empty() ? " nobody" : to.c_str());
}

} // namespace

void print_services_report(const services_bench_result& r) {
  const auto& c = r.creation;
  std::printf("Services benchmark: %d Services on %d nodes (gossip), ARP sweep %.0f requests/s\n",
              r.services, r.nodes, r.sweep_rate);
  std::printf("created in %.2f s (%d refused%s%s)\n", r.create_s, r.create_errors,
              r.first_create_error.empty() ? "" : ": ", r.first_create_error.c_str());
  std::printf("creation -> answering ARP: p50 %.0f / p99 %.0f / max %.0f ms over %zu Services; "
              "unanswered %d; answered by two+ MACs %d; two-MAC requests %llu\n",
              c.latency.p50, c.latency.p99, c.latency.max, c.latency.n, c.unanswered,
              c.several_macs, static_cast<unsigned long long>(c.multi_mac_requests));
  std::string per;
  for (std::size_t i = 0; i < c.vips_per_node.size() && i < r.node_names.size(); ++i)
    per += " " + r.node_names[i] + " " + std::to_string(c.vips_per_node[i]);
  std::printf("VIPs per node: min %d, max %d (%s)\n", c.vips_min, c.vips_max,
              per.empty() ? "none" : per.c_str() + 1);
  std::printf("settled (every node ready, every VIP Lease written) %.1f s after the last "
              "answer\n",
              r.settle_s);
  std::printf("steady state over %.0f s at the API server: %.2f requests/s (%s), %.2f writes/s "
              "(%s; by node: %s)\n",
              r.window_s, r.api.requests_per_s, rates_text(r.api.requests_by_resource).c_str(),
              r.api.writes_per_s, rates_text(r.api.writes_by_resource).c_str(),
              rates_text(r.api.writes_by_node).c_str());
  for (std::size_t i = 0; i < r.node_names.size(); ++i) {
    auto idle = i < r.rss_idle.size() ? rss_text(r.rss_idle[i]) : std::string{"?"};
    auto busy = i < r.rss_steady.size() ? rss_text(r.rss_steady[i]) : std::string{"?"};
    std::printf("kvip RSS %s: %s with %d Services; %s with none\n", r.node_names[i].c_str(),
                busy.c_str(), r.services, idle.c_str());
  }
  for (const auto& k : r.kills)
    print_move(r, k);
  std::printf("targets:\n");
  for (const auto& t : check_targets(r))
    std::printf("  %-55s %10.2f %-3s <= %6.0f %s  %s\n", t.what.c_str(), t.value, t.unit.c_str(),
                t.limit, t.unit.c_str(),
                !t.measured ? "NOT MEASURED"
                : t.met     ? "met"
                            : "MISSED");
  if (!r.error.empty()) std::printf("error: %s\n", r.error.c_str());
}

namespace {

json::object dist_json(const dist_ms& d) {
  return {{"n", d.n}, {"p50_ms", d.p50}, {"p99_ms", d.p99}, {"max_ms", d.max}};
}

json::object rss_json(const rss_kib& m) {
  return {{"vm_rss_kib", m.vm_rss}, {"rss_anon_kib", m.rss_anon}, {"rss_file_kib", m.rss_file}};
}

json::object map_json(const std::map<std::string, double>& m) {
  json::object o;
  for (const auto& [k, v] : m)
    o[k] = v;
  return o;
}

json::array by_node(const services_bench_result& r, const std::vector<int>& v) {
  json::array a;
  for (std::size_t i = 0; i < v.size(); ++i)
    a.push_back(
        json::object{{"node", i < r.node_names.size() ? r.node_names[i] : "?"}, {"vips", v[i]}});
  return a;
}

json::object kill_json(const services_bench_result& r, const kill_run& k) {
  const auto& m = k.move;
  return {{"restart", k.restart},
          {"node", k.node},
          {"vips", m.vips},
          {"moved", dist_json(m.moved)},
          {"not_moved", m.not_moved},
          {"several_macs", m.several_macs},
          {"dead_answered", m.dead_answered},
          {"multi_mac_requests", m.multi_mac_requests},
          {"to_node", by_node(r, m.to_node)},
          {"note", k.note}};
}

} // namespace

json::object services_json(const services_bench_result& r) {
  const auto& c = r.creation;
  json::array nodes, kills, targets;
  for (std::size_t i = 0; i < r.node_names.size(); ++i)
    nodes.push_back(json::object{
        {"node", r.node_names[i]},
        {"rss_idle", i < r.rss_idle.size() ? rss_json(r.rss_idle[i]) : json::object{}},
        {"rss_steady", i < r.rss_steady.size() ? rss_json(r.rss_steady[i]) : json::object{}}});
  for (const auto& k : r.kills)
    kills.push_back(kill_json(r, k));
  for (const auto& t : check_targets(r))
    targets.push_back(json::object{{"what", t.what},
                                   {"value", t.value},
                                   {"limit", t.limit},
                                   {"unit", t.unit},
                                   {"measured", t.measured},
                                   {"met", t.met}});
  return {{"mode", "services"},
          {"nodes", r.nodes},
          {"services", r.services},
          {"sweep_rate", r.sweep_rate},
          {"restart_delay_ms", r.restart_delay_ms},
          {"create_s", r.create_s},
          {"create_errors", r.create_errors},
          {"creation",
           {{"latency", dist_json(c.latency)},
            {"unanswered", c.unanswered},
            {"several_macs", c.several_macs},
            {"multi_mac_requests", c.multi_mac_requests},
            {"vips_min", c.vips_min},
            {"vips_max", c.vips_max},
            {"vips_per_node", by_node(r, c.vips_per_node)}}},
          {"settle_s", r.settle_s},
          {"steady",
           {{"window_s", r.window_s},
            {"requests_per_s", r.api.requests_per_s},
            {"writes_per_s", r.api.writes_per_s},
            {"requests_by_resource", map_json(r.api.requests_by_resource)},
            {"writes_by_resource", map_json(r.api.writes_by_resource)},
            {"writes_by_node", map_json(r.api.writes_by_node)}}},
          {"per_node", std::move(nodes)},
          {"kills", std::move(kills)},
          {"targets", std::move(targets)},
          {"error", r.error}};
}

net::result<void> write_services_json(const services_bench_result& r, const std::string& path) {
  std::ofstream out{path};
  out << json::serialize(services_json(r)) << "\n";
  out.close();
  if (!out) return net::make_error("cannot write " + path, errno);
  return net::ok();
}

} // namespace kvip::sim
