#include "simulation/simulate_flags.hpp"

#include <algorithm>

#include "simulation/svc_bench_report.hpp"

namespace kvip::sim {

namespace {

net::result<void> apply_faults(const simulate_flags& f, scenario_options& o) {
  if (f.trials < 1 || f.trials > 10000)
    return net::make_error("--trials: " + std::to_string(f.trials) + " is not from 1 to 10000");
  for (auto [name, v] : {std::pair{"--kills", f.kills}, std::pair{"--terms", f.terms}})
    if (v && (*v < 0 || *v > 10000))
      return net::make_error(std::string{name} + ": " + std::to_string(*v) +
                             " is not from 0 to 10000");
  o.faults.clear();
  if (f.faults == "none") {
    if (f.kills || f.terms) return net::make_error("--faults none: no --kills or --terms with it");
    return net::ok(); // the steady-state measurement only
  }
  if (!f.faults.empty()) {
    auto kinds = parse_faults(f.faults);
    if (!kinds) return kinds.err();
    for (auto k : *kinds)
      o.faults.push_back({k, f.trials});
  } else if (!f.kills && !f.terms) {
    o.faults = {{fault_kind::kill, f.trials}, {fault_kind::term, f.trials}};
  }
  // --kills/--terms set (or add) the number of kill/term trials.
  for (auto [kind, v] :
       {std::pair{fault_kind::kill, f.kills}, std::pair{fault_kind::term, f.terms}}) {
    if (!v) continue;
    bool found = false;
    for (auto& p : o.faults)
      if (p.kind == kind) {
        p.trials = *v;
        found = true;
      }
    if (!found) o.faults.push_back({kind, *v});
  }
  std::erase_if(o.faults, [](const fault_plan& p) { return p.trials == 0; });
  if (o.faults.empty()) return net::make_error("no trials to run (--kills 0 --terms 0)");
  return net::ok();
}

net::result<void> apply_durations(const simulate_flags& f, scenario_options& o) {
  auto idle = f.idle_window.empty() ? std::string{f.services > 0 ? "20s" : "5s"} : f.idle_window;
  struct item {
    const char* flag;
    const std::string& text;
    std::chrono::milliseconds& into;
    bool zero_ok;
  };
  for (auto& it : {item{"--stop-duration", f.stop_duration, o.timing.stop_duration, false},
                   item{"--outage", f.outage, o.timing.outage, false},
                   item{"--partition-duration", f.partition, o.timing.partition, false},
                   item{"--fault-jitter", f.jitter, o.timing.fault_jitter, true},
                   item{"--idle-window", idle, o.idle_window, true},
                   item{"--switch-budget", f.switch_budget, o.timing.switch_budget, false}}) {
    auto d = parse_duration_flag(it.flag, it.text);
    if (!d) return d.err();
    if (d->count() == 0 && !it.zero_ok)
      return net::make_error(std::string{it.flag} + ": '" + it.text + "' must be more than 0");
    it.into = *d;
  }
  auto loss = parse_percent_flag("--loss", f.loss);
  if (!loss) return loss.err();
  o.timing.loss_percent = *loss;
  if (f.restart_delay_ms < 0 || f.restart_delay_ms > 600000)
    return net::make_error("--restart-delay-ms: " + std::to_string(f.restart_delay_ms) +
                           " is not from 0 to 600000");
  o.timing.restart_delay = std::chrono::milliseconds{f.restart_delay_ms};
  o.timing.restart = !f.no_restart;
  return net::ok();
}

/// --vips N: the first VIP (--vip, default 10.99.0.100) and N-1 more from
/// 10.99.0.101 to .199 (the lab's hosts are .1-.9, .200, .253, .254), then
/// 10.99.1.1-.254, 10.99.2.1-.254 ... (not routed to the client: only the
/// first VIP is probed).
net::result<void> apply_vips(const simulate_flags& f, scenario_options& o) {
  if (f.vips < 1 || f.vips > max_vips)
    return net::make_error("--vips: " + std::to_string(f.vips) + " is not from 1 to " +
                           std::to_string(max_vips));
  if (f.vips == 1) return net::ok();
  if (o.cluster.vips.size() > 1)
    return net::make_error("--vips " + std::to_string(f.vips) +
                           ": give either a list with --vip or a count with --vips");
  auto first = o.cluster.vips.empty() ? std::string{"10.99.0.100"} : o.cluster.vips.front();
  std::vector<std::string> vips{first};
  auto add = [&](const std::string& v) {
    if (static_cast<int>(vips.size()) < f.vips && v != first) vips.push_back(v);
  };
  for (int host = 100; host <= 199; ++host)
    add("10.99.0." + std::to_string(host));
  for (int net3 = 1; net3 <= 9 && static_cast<int>(vips.size()) < f.vips; ++net3)
    for (int host = 1; host <= 254; ++host)
      add("10.99." + std::to_string(net3) + "." + std::to_string(host));
  o.cluster.vips = std::move(vips);
  return net::ok();
}

/// delete-node deletes a Node object: only gossip with peers from the Nodes
/// reads them.
net::result<void> check_node_faults(const simulate_flags& f, const scenario_options& o) {
  bool deletes = std::any_of(o.faults.begin(), o.faults.end(),
                             [](const fault_plan& p) { return p.kind == fault_kind::delete_node; });
  if (!deletes) return net::ok();
  if (!f.peers_from_nodes)
    return net::make_error("--faults delete-node: needs --peers-from-nodes (the nodes must take "
                           "their peers from the Node objects)");
  for (auto s : o.systems)
    if (s != system_id::gossip)
      return net::make_error("--faults delete-node: only with --systems gossip (" +
                             std::string{to_string(s)} + " does not read the Node objects)");
  return net::ok();
}

/// --services N: the Services benchmark, gossip only, its own addresses.
net::result<void> apply_services(const simulate_flags& f, scenario_options& o) {
  if (f.services < 0 || f.services > max_services)
    return net::make_error("--services: " + std::to_string(f.services) + " is not from 1 to " +
                           std::to_string(max_services));
  if (!(f.sweep_rate >= 100 && f.sweep_rate <= 100000))
    return net::make_error("--sweep-rate: " + std::to_string(f.sweep_rate) +
                           " is not from 100 to 100000");
  o.services = f.services;
  o.sweep_rate = f.sweep_rate;
  if (f.services == 0) return net::ok();
  if (o.systems != std::vector<system_id>{system_id::gossip})
    return net::make_error("--services: only with --systems gossip (Service addresses are "
                           "announced by gossip here)");
  if (o.cluster.vips.size() > 1)
    return net::make_error("--services: no --vips with it (one control-plane VIP)");
  return net::ok();
}

} // namespace

net::result<void> apply_simulate_flags(const simulate_flags& f, scenario_options& o) {
  if (f.nodes < 3 || f.nodes > 9)
    return net::make_error("--nodes: " + std::to_string(f.nodes) + " is not from 3 to 9");
  o.cluster.nodes = f.nodes;
  o.cluster.peers_from_nodes = f.peers_from_nodes;
  for (const auto& kv : f.node_env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return net::make_error("--node-env: \"" + kv + "\" is not KEY=VALUE");
    o.cluster.extra_env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (auto a = apply_faults(f, o); !a) return a;
  if (auto a = apply_durations(f, o); !a) return a;
  if (auto a = apply_vips(f, o); !a) return a;
  auto systems = parse_systems(
      "--systems", f.systems.empty() ? (f.services > 0 ? "gossip" : "gossip,lease") : f.systems);
  if (!systems) return systems.err();
  o.systems = *systems;
  if (!f.compare.empty()) {
    auto more = parse_systems("--compare", f.compare);
    if (!more) return more.err();
    for (auto s : *more)
      if (std::find(o.systems.begin(), o.systems.end(), s) == o.systems.end())
        o.systems.push_back(s);
  }
  if (auto a = check_node_faults(f, o); !a) return a;
  return apply_services(f, o);
}

} // namespace kvip::sim
