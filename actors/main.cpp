// kvip: the command line (CLI11) and process wiring.
//   kvip manager [flags]   the daemon (kube-vip compatible flags and env vars)
//   kvip version           version and build information
//   kvip apiserver [flags] the embedded Kubernetes API server (simulation/)
//   kvip simulate [flags]  a simulated cluster (netns lab) and a failover scenario

#include <atomic>
#include <csignal>
#include <cstdio>
#include <deque>
#include <iostream>
#include <malloc.h>
#include <optional>
#include <thread>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "actors/memory_keeper.hpp"
#include "actors/node.hpp"
#include "actors/plan.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "k8s/services/annotations.hpp"
#include "messages/supervision.hpp"
#include "net/config/config.hpp"
#include "net/telemetry/kube_vip_metrics.hpp"
#include "net/telemetry/logging.hpp"
#include "net/telemetry/metrics.hpp"
#include "net/version.hpp"
#include "simulation/apiserver.hpp"
#include "simulation/report.hpp"
#include "simulation/scenario.hpp"
#include "simulation/simulate_flags.hpp"
#include "simulation/svc_bench.hpp"
#include "simulation/svc_bench_report.hpp"

extern char** environ;

namespace {

volatile bool simulate_stop = false;

int run_simulate(kvip::sim::scenario_options o) {
  char self[4096];
  auto n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    std::fprintf(stderr, "kvip simulate: cannot find my own binary\n");
    return 1;
  }
  self[n] = '\0';
  o.cluster.kvip_binary = self;
  if (::geteuid() != 0) {
    std::fprintf(stderr, "kvip simulate: needs root (network namespaces)\n");
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = [](int) { simulate_stop = true; };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  if (o.services > 0) {
    auto sr = kvip::sim::run_services_bench(o, &simulate_stop);
    std::printf("\n");
    kvip::sim::print_services_report(sr);
    if (!o.report_json.empty()) {
      if (auto w = kvip::sim::write_services_json(sr, o.report_json); !w)
        std::fprintf(stderr, "kvip simulate: %s\n", w.err().describe().c_str());
      else
        std::printf("report: %s\n", o.report_json.c_str());
    }
    if (!sr.error.empty()) std::fprintf(stderr, "kvip simulate: %s\n", sr.error.c_str());
    return !sr.error.empty() ? 1 : simulate_stop ? 130 : 0;
  }
  auto r = kvip::sim::run_scenario(o, &simulate_stop);
  std::printf("\n");
  kvip::sim::print_summary(r);
  if (!o.report_json.empty()) {
    if (auto w = kvip::sim::write_json(r, o, o.report_json); !w)
      std::fprintf(stderr, "kvip simulate: %s\n", w.err().describe().c_str());
    else
      std::printf("report: %s\n", o.report_json.c_str());
  }
  if (!o.report_svg.empty()) {
    if (auto w = kvip::sim::write_svg(r, o.report_svg); !w)
      std::fprintf(stderr, "kvip simulate: %s\n", w.err().describe().c_str());
    else
      std::printf("timeline: %s\n", o.report_svg.c_str());
  }
  if (!r.error.empty()) {
    std::fprintf(stderr, "kvip simulate: %s\n", r.error.c_str());
    return 1;
  }
  return simulate_stop ? 130 : 0;
}

/// The signals the daemon handles; blocked in every thread and taken by
/// sigwait in one thread, which turns them into messages for the node.
sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2})
    sigaddset(&set, s);
  return set;
}

/// Loads and validates the configuration, sets up logging and tracing;
/// nullopt (every problem printed) when the daemon must exit 2.
std::optional<kvip::net::config::settings>
load_settings(const std::map<std::string, std::string>& flags) {
  kvip::net::config::sources src;
  src.flags = flags;
  src.env = kvip::net::config::environment_from(environ);
  auto loaded = kvip::net::config::load(src);
  const auto& cfg = loaded.cfg;
  kvip::net::telemetry::setup_logging(cfg.log_level,
                                      std::string{kvip::net::config::to_string(cfg.log_output)});
  for (const auto& w : loaded.warnings)
    spdlog::warn("configuration: {}", w);
  if (!loaded.problems.empty()) {
    std::fprintf(stderr, "kvip: invalid configuration (%zu problem%s):\n", loaded.problems.size(),
                 loaded.problems.size() == 1 ? "" : "s");
    for (const auto& p : loaded.problems)
      std::fprintf(stderr, "  %s\n", kvip::net::config::to_string(p).c_str());
    return std::nullopt;
  }

  auto& sink = kvip::net::telemetry::trace_sink::instance();
  sink.set_node(cfg.node_name);
  if (!cfg.trace_path.empty()) {
    if (auto opened = sink.set_path(cfg.trace_path); !opened) {
      std::fprintf(stderr, "kvip: %s\n", opened.err().describe().c_str());
      return std::nullopt;
    }
    (void)sink.set_enabled(true); // a path is set
  }
  return cfg;
}

/// Runs the node supervisor until it stops; signals arrive as messages.
int run_node(kvip::node_plan plan, kvip::net::telemetry::registry& reg, sigset_t sigs) {
  int exit_code = 0;
  {
    caf::actor_system_config sys_cfg;
    // An idle CAF worker spins, then polls every 50 us for 500 rounds before
    // it waits on its condition variable (which an enqueue notifies). With
    // gossip frames every few ms the workers never got past the 50 us
    // polling: 15% of a core per idle node. Waiting right after the spin
    // costs one wake-up (tens of microseconds) per message.
    sys_cfg.set("work-stealing.moderate-poll-attempts", std::size_t{0});
    caf::actor_system sys{sys_cfg};
    auto children = std::move(plan.children);
    auto node = kvip::spawn_node(sys, std::move(children), kvip::supervisor_limits{}, reg);

    std::atomic<bool> done{false};
    std::thread signal_thread{[&] {
      timespec tick{0, 200 * 1000 * 1000};
      while (!done.load()) {
        int signo = sigtimedwait(&sigs, nullptr, &tick);
        if (signo <= 0) continue;
        kvip::msg::signal_received m;
        m.signo = signo;
        kvip::tell_anon(node, m);
      }
    }};

    caf::scoped_actor self{sys};
    self->monitor(node);
    self->receive([&](caf::down_msg& dm) {
      if (dm.reason && dm.reason != caf::exit_reason::normal) {
        spdlog::critical("kvip stopped: {}", sys.render(dm.reason));
        exit_code = 1;
      }
    });
    done = true;
    signal_thread.join();
  }
  return exit_code;
}

int run_manager(const std::map<std::string, std::string>& flags) {
  auto loaded = load_settings(flags);
  if (!loaded) return 2;
  const auto& cfg = *loaded;

  auto& reg = kvip::net::telemetry::default_registry();
  reg.gauge_family("kube_vip_build_info", "Build information of the running kvip.",
                   {"version", "build", "node"})
      .with({kvip::net::version_string, kvip::net::build_revision, cfg.node_name})
      .Set(1);

  // Two malloc arenas for every thread (before any starts; memory_keeper.hpp).
  ::mallopt(M_ARENA_MAX, kvip::malloc_arenas);

  // Block the handled signals before CAF starts its threads.
  sigset_t sigs = handled_signals();
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  // Host checks and the child table, before anything touches the network.
  auto plan = kvip::plan_node(cfg, reg);
  if (!plan.problems.empty()) {
    std::fprintf(stderr, "kvip: cannot start (%zu problem%s):\n", plan.problems.size(),
                 plan.problems.size() == 1 ? "" : "s");
    for (const auto& p : plan.problems)
      std::fprintf(stderr, "  %s\n", p.c_str());
    return 2;
  }

  // Whatever the configuration: the heap's housekeeping (memory_keeper.hpp).
  kvip::memory_keeper_options mopts;
  mopts.node_name = cfg.node_name;
  plan.children.push_back(
      {"memory_keeper",
       [mopts, &reg](caf::local_actor* parent, std::shared_ptr<const kvip::directory>) {
         return caf::actor_cast<kvip::msg::child_actor>(
             kvip::spawn_memory_keeper(parent, mopts, reg));
       },
       kvip::restart_policy::permanent, kvip::sibling_role::none});

  spdlog::info("kvip {} starting on node {}", kvip::net::version_string, cfg.node_name);
  for (const auto& n : plan.notes)
    spdlog::info("{}", n);
  for (const auto& w : plan.warnings)
    spdlog::warn("{}", w);
  int exit_code = run_node(std::move(plan), reg, sigs);
  spdlog::info("kvip stopped");
  return exit_code;
}

/// `kvip apiserver`: the embedded Kubernetes API server (simulation/apiserver.hpp).
CLI::App* add_apiserver_command(CLI::App& app, kvip::sim::apiserver_options& api_opts,
                                std::string& gen_certs_dir) {
  auto* apiserver_cmd = app.add_subcommand(
      "apiserver", "Run the embedded Kubernetes API server (in-memory, for simulations and tests)");
  apiserver_cmd->add_option("--listen", api_opts.listen, "API address [host]:port (port 0 = any)")
      ->capture_default_str();
  apiserver_cmd->add_option("--admin-listen", api_opts.admin_listen,
                            "Fault-injection admin address [host]:port (empty = none)");
  apiserver_cmd->add_option("--tls-dir", api_opts.tls_dir,
                            "Serve HTTPS with server.crt/server.key/ca.crt/token from DIR");
  apiserver_cmd->add_option("--gen-certs", gen_certs_dir,
                            "Create CA, certificates, token and kubeconfig in DIR (if missing) "
                            "and serve HTTPS with them");
  apiserver_cmd->add_option("--extra-san", api_opts.extra_sans,
                            "Extra server certificate SAN (IP or DNS name; repeatable)");
  apiserver_cmd->add_option("--snapshot", api_opts.snapshot,
                            "Load objects from FILE at start; save them on change and at exit");
  apiserver_cmd
      ->add_option("--kube-version", api_opts.kube_version,
                   "Kubernetes version /version reports (MAJOR.MINOR)")
      ->capture_default_str();
  apiserver_cmd->add_option("--history", api_opts.history, "Watch events kept for resumption")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  return apiserver_cmd;
}

/// `kvip simulate`: the netns lab and the failover benchmark (simulation/scenario.hpp,
/// simulation/simulate_flags.hpp).
CLI::App* add_simulate_command(CLI::App& app, kvip::sim::scenario_options& sim_opts,
                               kvip::sim::simulate_flags& f) {
  auto* cmd = app.add_subcommand(
      "simulate", "Build a simulated cluster (network namespaces, embedded API server, the "
                  "system under test on every node), inject faults into the VIP's owner, and "
                  "report the failovers as the client saw them");
  cmd->add_option("--nodes", f.nodes, "Nodes in the lab (3..9)")->capture_default_str();
  cmd->add_option("--faults", f.faults,
                  "Comma list: kill, stop, linkdown, term, partition-gossip, partition-api, "
                  "api-outage, loss, rolling, forge, forge-peers, delete-node (default "
                  "kill,term); none: the steady-state measurement only");
  cmd->add_option("--trials", f.trials, "Trials per fault and system")->capture_default_str();
  cmd->add_option("--kills", f.kills, "Same as kill with N trials");
  cmd->add_option("--terms", f.terms, "Same as term with N trials");
  cmd->add_option("--systems", f.systems,
                  "Systems under test: gossip, lease, keepalived, keepalived-100ms, "
                  "keepalived-20ms (default gossip,lease; gossip with --services)");
  cmd->add_option("--compare", f.compare, "Systems added to the run (e.g. lease,keepalived)");
  cmd->add_option("--stop-duration", f.stop_duration, "SIGSTOP length of the stop fault")
      ->capture_default_str();
  cmd->add_option("--outage", f.outage, "API outage length (api-outage)")->capture_default_str();
  cmd->add_option("--partition-duration", f.partition, "partition-gossip/partition-api length")
      ->capture_default_str();
  cmd->add_option("--loss", f.loss, "Packet loss on every node (loss fault)")
      ->capture_default_str();
  cmd->add_option("--fault-jitter", f.jitter, "Random wait before each fault, up to this")
      ->capture_default_str();
  cmd->add_option("--idle-window", f.idle_window,
                  "Steady-state window for packets/s per node and API writes/s (0 = skip; "
                  "default 5s, 20s with --services)");
  cmd->add_option("--switch-budget", f.switch_budget, "Give up waiting for a new owner after")
      ->capture_default_str();
  cmd->add_option("--restart-delay-ms", f.restart_delay_ms,
                  "How long a killed or stopped process stays down (the kubelet's restart)")
      ->capture_default_str();
  cmd->add_flag("--no-restart", f.no_restart,
                "kill/term: keep the process down until 3 s after the switch, then restart");
  cmd->add_flag("--peers-from-nodes", f.peers_from_nodes,
                "Create one Node object per lab node (InternalIP = its address) and start "
                "gossip without kvip_gossip_peers, so it takes its peers from the Nodes "
                "(needed by the delete-node fault)");
  cmd->add_option("--lease", sim_opts.cluster.lease_duration_s, "vip_leaseduration (s)")
      ->capture_default_str();
  cmd->add_option("--renew", sim_opts.cluster.renew_deadline_s, "vip_renewdeadline (s)")
      ->capture_default_str();
  cmd->add_option("--retry", sim_opts.cluster.retry_period_s, "vip_retryperiod (s)")
      ->capture_default_str();
  cmd->add_option("--vip", sim_opts.cluster.vips, "VIP address(es); the first is probed")
      ->capture_default_str();
  cmd->add_option("--vips", f.vips,
                  "Serve N control-plane VIPs (1..1000): the --vip one (probed), then "
                  "10.99.0.101-199, 10.99.1.1-254, ...")
      ->capture_default_str();
  cmd->add_option("--services", f.services,
                  "The Services benchmark instead of the failover trials: create N Services "
                  "(1..2000, addresses 10.99.1.1 up) at once on gossip nodes, measure creation "
                  "-> ARP answer, VIPs per node, steady API requests/writes and RSS, then "
                  "SIGKILL the node owning the most VIPs (restarted, then not)");
  cmd->add_option("--sweep-rate", f.sweep_rate,
                  "--services: ARP requests per second the client sends (to unanswered "
                  "addresses while measuring)")
      ->capture_default_str();
  cmd->add_option("--json,--report", sim_opts.report_json, "Write the JSON report here");
  cmd->add_option("--svg", sim_opts.report_svg, "Write the timeline picture (SVG) here");
  cmd->add_option("--node-env", f.node_env,
                  "KEY=VALUE added to every node's environment (repeatable), e.g. "
                  "kvip_gossip_takeover_wait=100 or vip_loglevel=-4");
  cmd->add_option("--workdir", sim_opts.cluster.workdir,
                  "Keep the nodes' logs and the kubeconfig in this directory (default: a new "
                  "/tmp directory, removed at the end)");
  return cmd;
}

/// One string option per knob on `kvip manager`. Booleans are flags as in kube-vip (cobra):
/// `--arp` means true, `--arp=false` sets a value; the value is validated
/// with every other value by net::config::load.
void add_manager_flags(CLI::App* manager_cmd, std::deque<std::string>& values,
                       std::vector<std::pair<std::string, CLI::Option*>>& options) {
  for (const auto& k : kvip::net::config::knobs()) {
    if (k.flag.empty()) continue;
    std::string names = "--" + k.flag;
    if (!k.short_flag.empty()) names = "-" + k.short_flag + "," + names;
    std::string help = k.help + " [env " + k.env + "]";
    if (k.ignored && help.find("no effect") == std::string::npos) help += " (accepted, no effect)";
    CLI::Option* opt = nullptr;
    if (k.kind == kvip::net::config::knob_kind::boolean) {
      opt = manager_cmd->add_flag(names, values.emplace_back(), help);
      opt->option_text("[=BOOL]   default " + k.default_text);
    } else {
      opt = manager_cmd->add_option(names, values.emplace_back(), help);
      if (k.kind == kvip::net::config::knob_kind::duration) opt->type_name("DURATION");
      if (k.kind == kvip::net::config::knob_kind::integer) opt->type_name("INT");
    }
    opt->default_str(k.default_text);
    options.emplace_back(k.flag, opt);
  }
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "kvip: highly available virtual IPs for bare-metal Kubernetes (kube-vip compatible)"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");

  auto* version_cmd = app.add_subcommand("version", "Print version and build information");
  std::string docs_table;
  auto* docs_cmd = app.add_subcommand(
      "docs", "Print a reference table as Markdown (the README's copy is checked against it)");
  docs_cmd
      ->add_option("table", docs_table,
                   "annotations (every kube-vip annotation and label) or "
                   "metrics (every metric family)")
      ->required()
      ->check(CLI::IsMember({"annotations", "metrics"}));
  auto* manager_cmd = app.add_subcommand(
      "manager", "Run the kvip daemon. Every flag also reads its kube-vip environment variable; "
                 "precedence is flag > environment > config file > default.");

  kvip::sim::apiserver_options api_opts;
  std::string gen_certs_dir;
  auto* apiserver_cmd = add_apiserver_command(app, api_opts, gen_certs_dir);
  kvip::sim::scenario_options sim_opts;
  kvip::sim::simulate_flags sim_flags;
  auto* simulate_cmd = add_simulate_command(app, sim_opts, sim_flags);
  std::deque<std::string> values;
  std::vector<std::pair<std::string, CLI::Option*>> options;
  add_manager_flags(manager_cmd, values, options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (version_cmd->parsed()) {
    std::printf("kvip %s (build %s, CAF %d)\n", kvip::net::version_string,
                kvip::net::build_revision, CAF_VERSION);
    return 0;
  }
  if (docs_cmd->parsed()) {
    std::fputs(docs_table == "annotations"
                   ? kvip::k8s::services::annotation_table_markdown().c_str()
                   : kvip::net::telemetry::metrics_table_markdown().c_str(),
               stdout);
    return 0;
  }
  if (simulate_cmd->parsed()) {
    if (auto applied = kvip::sim::apply_simulate_flags(sim_flags, sim_opts); !applied) {
      std::fprintf(stderr, "kvip simulate: %s\n", applied.err().describe().c_str());
      return 2;
    }
    return run_simulate(sim_opts);
  }
  if (apiserver_cmd->parsed()) {
    if (!gen_certs_dir.empty()) {
      api_opts.tls_dir = gen_certs_dir;
      api_opts.gen_certs = true;
    }
    return kvip::sim::run_apiserver(api_opts);
  }
  std::map<std::string, std::string> flags;
  for (auto& [flag, opt] : options) {
    if (opt->count() == 0) continue;
    flags[flag] = opt->results().empty() ? std::string{} : opt->results().back();
  }
  return run_manager(flags);
}
