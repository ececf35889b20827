#include "simulation/trial.hpp"

#include <algorithm>
#include <csignal>
#include <random>
#include <sstream>
#include <thread>

#include "net/wait.hpp"
#include "simulation/forge.hpp"

namespace kvip::sim {

namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

std::int64_t ms_since(const prober& p, std::int64_t since_us) {
  return (p.now_us() - since_us) / 1000;
}

constexpr milliseconds forge_duration{2000};

/// Sends forged gossip frames to every node from the client's namespace for
/// forge_duration (simulation/forge.hpp).
net::result<void> forge(trial_env& e, int owner, bool take_over) {
  auto& l = e.c.lab();
  forge_plan plan;
  plan.netns = l.client().netns;
  for (auto& h : l.nodes()) {
    plan.names.push_back(h.name);
    plan.addresses.push_back(h.ipv4.to_string() + ":7947");
  }
  plan.owner = owner;
  auto vip = net::ip_address::parse(e.c.options().vips.at(0));
  if (!vip) return net::make_error("forge: the VIP is not an address");
  plan.vip = *vip;
  plan.key_file = e.c.workdir() + "/gossip.key";
  plan.duration = forge_duration;
  plan.take_over = take_over;
  auto sent = send_forgeries(plan);
  if (!sent) return sent.err();
  return net::ok();
}

/// Every node's /metrics text.
std::vector<std::string> all_metrics(cluster& c) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < c.lab().nodes().size(); ++i)
    out.push_back(c.node_metrics(static_cast<int>(i)));
  return out;
}

/// forge: what a node must have refused, and what must not have happened.
std::string forge_verdict(const trial_result& r) {
  std::string note = r.note.empty() ? "" : r.note + "; ";
  if (!r.to.empty()) note += "the VIP moved to " + r.to + "; ";
  if (r.dual_mac_probes > 0) note += std::to_string(r.dual_mac_probes) + " dual-MAC probes; ";
  if (r.unanswered_probes > 0) note += std::to_string(r.unanswered_probes) + " unanswered probes; ";
  for (const char* kind : {"bad_mac", "truncated", "replayed", "too_old", "wrong_sender"})
    if (r.refused.count(kind) == 0) note += std::string{"no "} + kind + " refusal; ";
  if (!note.empty()) note.resize(note.size() - 2);
  return note;
}

/// Injects fault `f` against node `owner`; network faults add their tables to `guards`.
net::result<void> inject(trial_env& e, fault_kind f, int owner, std::vector<nft_guard>& guards) {
  auto& l = e.c.lab();
  auto& h = l.nodes().at(static_cast<std::size_t>(owner));
  auto add = [&](const lab_host& host, std::string body) -> net::result<void> {
    auto g = nft_guard::add(l, host, nft_table_name(l, to_string(f)), body);
    if (!g) return g.err();
    guards.push_back(std::move(*g));
    return net::ok();
  };
  auto sig = [&](int signo) -> net::result<void> {
    if (e.sys.signal(owner, signo)) return net::ok();
    return net::make_error("cannot signal " + h.name + "'s process (not running?)");
  };
  const std::string api = cluster::api_address();
  const std::string port = std::to_string(cluster::api_port());
  switch (f) {
  case fault_kind::kill:
  case fault_kind::loss:
    return sig(SIGKILL);
  case fault_kind::term:
    return sig(SIGTERM);
  case fault_kind::stop:
    return sig(SIGSTOP);
  case fault_kind::linkdown:
    return l.set_link(h, false);
  case fault_kind::partition_gossip:
    return add(h, nft_drop_body(e.sys.peer_traffic()));
  case fault_kind::partition_api:
    return add(h, nft_drop_body({"ip daddr " + api, "ip saddr " + api}));
  case fault_kind::api_outage:
    return add(l.infra(), nft_drop_body({"tcp dport " + port, "tcp sport " + port}));
  case fault_kind::rolling:
    break; // run_rolling
  case fault_kind::forge:
  case fault_kind::forge_peers:
    return forge(e, owner, f == fault_kind::forge_peers);
  case fault_kind::delete_node:
    return e.c.delete_node_object(owner);
  }
  return net::make_error("unknown fault");
}

/// Milliseconds after the fault at which it is healed, given when another
/// MAC first answered (-1: not yet).
std::int64_t heal_after_ms(const trial_timing& t, fault_kind f, std::int64_t switch_ms) {
  auto budget = t.switch_budget.count();
  switch (f) {
  case fault_kind::kill:
  case fault_kind::loss:
  case fault_kind::term:
    if (switch_ms < 0) return budget;
    return switch_ms + (t.restart ? t.restart_delay : t.observe).count();
  case fault_kind::stop:
    return t.stop_duration.count();
  case fault_kind::linkdown:
  case fault_kind::delete_node:
    return switch_ms < 0 ? budget : switch_ms + t.settle.count();
  case fault_kind::partition_gossip:
  case fault_kind::partition_api:
    return t.partition.count();
  case fault_kind::api_outage:
    return t.outage.count();
  case fault_kind::rolling:
    break;
  case fault_kind::forge:
  case fault_kind::forge_peers:
    return forge_duration.count() + t.settle.count();
  }
  return budget;
}

/// delete-node healed: every other node must have dropped the owner from
/// its membership (its /metrics); then its Node is created again and every
/// node must see it rejoin. "" or what went wrong.
std::string recreate_node(trial_env& e, int owner) {
  std::string note, why;
  auto dropped = [&] {
    return (e.stop && *e.stop) || (why = e.sys.listed_by_others(owner)).empty();
  };
  if (!net::eventually(dropped, e.t.switch_budget, 50ms))
    note = why + " " + std::to_string(e.t.switch_budget.count() / 1000) + " s after its deletion";
  auto add = [&](const std::string& s) { note += (note.empty() ? "" : "; ") + s; };
  if (auto made = e.c.create_node_object(owner); !made) {
    add(made.err().describe());
    return note;
  }
  if (auto w = e.sys.wait_all_ready(e.t.switch_budget, e.stop); !w.empty())
    add("not rejoined after its Node came back: " + w);
  return note;
}

/// Undoes fault `f`: restarts the process (as the kubelet would), SIGCONT,
/// link up, the Node object back, or removes the tables. "" or what went wrong.
std::string heal(trial_env& e, fault_kind f, int owner, std::vector<nft_guard>& guards) {
  std::string note;
  switch (f) {
  case fault_kind::kill:
  case fault_kind::loss:
  case fault_kind::term:
    if (e.sys.wait_exit(owner, f == fault_kind::term ? 10s : 2s) < 0) {
      note = "the process did not exit; killed";
      e.sys.signal(owner, SIGKILL);
      e.sys.wait_exit(owner, 2s);
    }
    if (auto s = e.sys.start(owner); !s) note = "restart failed: " + s.err().describe();
    break;
  case fault_kind::stop:
    e.sys.signal(owner, SIGCONT);
    break;
  case fault_kind::delete_node:
    note = recreate_node(e, owner);
    break;
  case fault_kind::linkdown:
    if (auto up = e.c.lab().set_link(e.c.lab().nodes().at(static_cast<std::size_t>(owner)), true);
        !up)
      note = up.err().describe();
    break;
  default:
    guards.clear();
  }
  return note;
}

void fill_measurements(trial_result& r, trial_env& e, std::int64_t fault_us) {
  auto f = analyse_failover(e.p.samples_since(fault_us - 1000000), fault_us, e.p.now_us());
  if (f.switch_us) r.switch_ms = static_cast<double>(*f.switch_us) / 1000.0;
  if (f.after) {
    int n = e.c.node_of(*f.after);
    r.to = n >= 0 ? e.c.lab().nodes()[static_cast<std::size_t>(n)].name : net::to_string(*f.after);
  }
  r.silence_ms = static_cast<double>(f.longest_silence_us) / 1000.0;
  r.dual_mac_probes = f.dual_mac_probes;
  r.dual_detail = f.dual_detail;
  r.unanswered_probes = f.unanswered_probes;
  r.probes = f.probes;
  r.window_s = static_cast<double>(e.p.now_us() - fault_us) / 1e6;
}

/// SIGTERM, restart after restart_delay, wait until it rejoined: node i.
/// "" or what went wrong.
std::string restart_node(trial_env& e, int i) {
  std::string note;
  const auto& name = e.c.lab().nodes().at(static_cast<std::size_t>(i)).name;
  if (!e.sys.signal(i, SIGTERM)) return "cannot signal " + name + "'s process";
  if (e.sys.wait_exit(i, 10s) < 0) {
    note = name + " did not exit on SIGTERM; killed";
    e.sys.signal(i, SIGKILL);
    e.sys.wait_exit(i, 2s);
  }
  std::this_thread::sleep_for(e.t.restart_delay);
  if (auto s = e.sys.start(i); !s) return "restart of " + name + " failed: " + s.err().describe();
  if (auto why = e.sys.wait_all_ready(e.t.switch_budget, e.stop); !why.empty())
    return name + " did not rejoin within " + std::to_string(e.t.switch_budget.count() / 1000) +
           " s: " + why;
  return note;
}

/// The rolling restart: every node once, the owner last, measured as one
/// trial from the first SIGTERM until a single node answers after the last.
void run_rolling(trial_env& e, int owner, trial_result& r) {
  std::vector<int> order;
  for (int i = 0; i < r.nodes; ++i)
    if (i != owner) order.push_back(i);
  order.push_back(owner);
  for (int i : order) {
    if (e.stop && *e.stop) break;
    auto note = restart_node(e, i);
    if (!note.empty()) r.note += (r.note.empty() ? "" : "; ") + note;
  }
}

} // namespace

int wait_single_owner(cluster& c, prober& p, milliseconds stable, milliseconds budget,
                      const volatile bool* stop) {
  int owner = -1;
  net::eventually(
      [&] {
        if (stop && *stop) return true;
        auto window = p.samples_since(p.now_us() - stable.count() * 1000);
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

trial_result run_trial(trial_env& e, fault_kind f, int owner, int index) {
  static std::mt19937 rng{std::random_device{}()};
  trial_result r;
  r.system = std::string{to_string(e.sys.id())};
  r.fault = std::string{to_string(f)};
  r.nodes = static_cast<int>(e.c.lab().nodes().size());
  r.trial = index;
  r.from = e.c.lab().nodes().at(static_cast<std::size_t>(owner)).name;
  std::this_thread::sleep_for(milliseconds{std::uniform_int_distribution<long>{
      0, std::max(0L, static_cast<long>(e.t.fault_jitter.count()))}(rng)});
  std::vector<nft_guard> loss, guards; // removed when the trial ends, however it ends
  if (f == fault_kind::loss) {
    for (auto& h : e.c.lab().nodes()) {
      auto g = nft_guard::add(e.c.lab(), h, nft_table_name(e.c.lab(), "loss"),
                              nft_loss_body(e.t.loss_percent));
      if (!g) {
        r.note = g.err().describe();
        return r;
      }
      loss.push_back(std::move(*g));
    }
    std::this_thread::sleep_for(e.t.loss_lead);
  }
  // Strike whoever answers now (the owner may have moved since the trial
  // was planned, e.g. under loss).
  if (auto s = e.p.latest(); s && s->macs.size() == 1 && e.c.node_of(s->macs[0]) >= 0) {
    owner = e.c.node_of(s->macs[0]);
    r.from = e.c.lab().nodes().at(static_cast<std::size_t>(owner)).name;
  }
  const bool forging = f == fault_kind::forge || f == fault_kind::forge_peers;
  std::vector<std::string> metrics_before;
  if (forging) metrics_before = all_metrics(e.c);
  auto fault_us = e.p.now_us();
  r.fault_s = static_cast<double>(fault_us) / 1e6;
  if (f == fault_kind::rolling) {
    run_rolling(e, owner, r);
    if (!(e.stop && *e.stop) &&
        wait_single_owner(e.c, e.p, e.t.settle, e.t.switch_budget, e.stop) < 0 && r.note.empty())
      r.note = "no single node answered after the rolling restart";
    fill_measurements(r, e, fault_us);
    return r;
  }
  if (auto in = inject(e, f, owner, guards); !in) {
    r.note = "cannot inject: " + in.err().describe();
    heal(e, f, owner, guards);
    return r;
  }
  std::int64_t switch_ms = -1;
  net::eventually(
      [&] {
        auto elapsed = ms_since(e.p, fault_us);
        if (auto s = e.p.latest(); s && switch_ms < 0)
          for (auto& m : s->macs)
            if (int n = e.c.node_of(m); n >= 0 && n != owner) switch_ms = elapsed;
        return (e.stop && *e.stop) || elapsed >= heal_after_ms(e.t, f, switch_ms);
      },
      24h, 10ms);
  r.note = heal(e, f, owner, guards);
  loss.clear(); // the loss ends with the trial's fault window
  if (!(e.stop && *e.stop) &&
      wait_single_owner(e.c, e.p, e.t.settle, e.t.switch_budget, e.stop) < 0 && r.note.empty())
    r.note = "no single node answered for " + std::to_string(e.t.settle.count()) + " ms within " +
             std::to_string(e.t.switch_budget.count() / 1000) + " s after healing";
  fill_measurements(r, e, fault_us);
  if (forging) {
    r.refused = refused_between(metrics_before, all_metrics(e.c));
    r.note = forge_verdict(r);
  }
  return r;
}

std::vector<tx_rate> measure_tx(cluster& c, prober& p, milliseconds window) {
  auto& l = c.lab();
  auto read = [&](const lab_host& h) {
    auto out = l.run(h, {"cat", "/sys/class/net/eth0/statistics/tx_packets",
                         "/sys/class/net/eth0/statistics/tx_bytes"});
    std::istringstream in{out.output};
    double packets = 0, bytes = 0;
    in >> packets >> bytes;
    return std::pair{packets, bytes};
  };
  std::vector<std::pair<double, double>> before;
  auto t0 = p.now_us();
  for (auto& h : l.nodes())
    before.push_back(read(h));
  std::this_thread::sleep_for(window);
  auto t1 = p.now_us();
  auto answered = p.samples_since(t0);
  std::vector<tx_rate> out;
  double secs = static_cast<double>(t1 - t0) / 1e6;
  for (std::size_t i = 0; i < l.nodes().size(); ++i) {
    auto after = read(l.nodes()[i]);
    // ARP replies to the prober: one 42-byte frame per answered probe.
    double replies = 0;
    for (auto& s : answered)
      if (s.t_us <= t1 && std::find(s.macs.begin(), s.macs.end(), l.nodes()[i].mac) != s.macs.end())
        ++replies;
    tx_rate r;
    r.node = l.nodes()[i].name;
    r.packets_per_s = std::max(0.0, (after.first - before[i].first - replies) / secs);
    r.bytes_per_s = std::max(0.0, (after.second - before[i].second - 42 * replies) / secs);
    out.push_back(r);
  }
  return out;
}

} // namespace kvip::sim
