#include "simulation/systems.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fstream>

#include "net/number.hpp"

namespace kvip::sim {

namespace {

using namespace std::chrono_literals;

struct system_name {
  system_id id;
  std::string_view name;
};

constexpr system_name system_names[] = {
    {system_id::gossip, "gossip"},
    {system_id::lease, "lease"},
    {system_id::keepalived_100ms, "keepalived-100ms"},
    {system_id::keepalived_20ms, "keepalived-20ms"},
};

constexpr int gossip_port = 7947;

void add_unique(std::vector<system_id>& v, system_id s) {
  for (auto x : v)
    if (x == s) return;
  v.push_back(s);
}

std::string read_first_line(const std::string& path) {
  std::ifstream in{path};
  std::string line;
  std::getline(in, line);
  return line;
}

} // namespace

std::string_view to_string(system_id s) {
  for (auto& n : system_names)
    if (n.id == s) return n.name;
  return "?";
}

bool is_keepalived(system_id s) {
  return s == system_id::keepalived_100ms || s == system_id::keepalived_20ms;
}

net::result<std::vector<system_id>> parse_systems(std::string_view flag, std::string_view list) {
  std::vector<system_id> out;
  std::size_t pos = 0;
  for (;;) {
    auto comma = list.find(',', pos);
    auto item = list.substr(pos, comma == std::string_view::npos ? list.npos : comma - pos);
    bool found = false;
    if (item == "keepalived") {
      add_unique(out, system_id::keepalived_100ms);
      add_unique(out, system_id::keepalived_20ms);
      found = true;
    }
    for (auto& n : system_names)
      if (n.name == item) {
        add_unique(out, n.id);
        found = true;
      }
    if (!found)
      return net::make_error(std::string{flag} + ": unknown system '" + std::string{item} +
                             "' (known: gossip, lease, keepalived, keepalived-100ms, "
                             "keepalived-20ms)");
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::string system_runner::file(int i, const std::string& suffix) const {
  return c_.workdir() + "/" + c_.lab().nodes().at(static_cast<std::size_t>(i)).name + "." +
         std::string{to_string(id_)} + suffix;
}

net::result<void> system_runner::write_keepalived_conf(int i) const {
  auto path = file(i, ".conf");
  std::ofstream out{path};
  auto n = static_cast<int>(c_.lab().nodes().size());
  // Every node starts as BACKUP and does not preempt (as kvip: a healthy
  // owner keeps the VIP); distinct priorities decide the first election.
  out << "global_defs {\n  router_id " << c_.lab().nodes().at(static_cast<std::size_t>(i)).name
      << "\n  vrrp_version 3\n}\n"
      << "vrrp_instance kvip_sim {\n  state BACKUP\n  nopreempt\n  interface eth0\n"
      << "  virtual_router_id 51\n  priority " << 100 + n - i << "\n  advert_int "
      << (id_ == system_id::keepalived_20ms ? "0.02" : "0.1") << "\n  virtual_ipaddress {\n";
  for (auto& v : c_.options().vips)
    out << "    " << v << (v.find(':') == std::string::npos ? "/32" : "/128") << "\n";
  out << "  }\n}\n";
  out.close();
  if (!out) return net::make_error("cannot write " + path, errno);
  return net::ok();
}

net::result<void> system_runner::start_all() {
  if (id_ == system_id::gossip) {
    // The cluster key every node shares: 32 random bytes.
    auto key = c_.workdir() + "/gossip.key";
    auto made = run_command({"dd", "if=/dev/urandom", "of=" + key, "bs=32", "count=1"});
    if (made.ok()) made = run_command({"chmod", "600", key}); // kvip refuses a readable key
    if (!made.ok())
      return net::make_error("cannot write the gossip key " + key + ": " + made.output);
  }
  for (int i = 0; i < static_cast<int>(c_.lab().nodes().size()); ++i)
    if (auto s = start(i); !s) return s;
  return net::ok();
}

net::result<void> system_runner::start(int i) {
  {
    std::ofstream log{c_.node_log(i), std::ios::app};
    log << "=== kvip simulate: starting " << to_string(id_) << " ===\n";
  }
  if (is_keepalived(id_)) {
    if (auto w = write_keepalived_conf(i); !w) return w;
    // A SIGKILLed keepalived leaves its pid files; a new one refuses to start
    // while they name a process that still exists (a zombie does).
    for (auto* s : {".pid", ".vrrp.pid", ".checkers.pid"})
      std::remove(file(i, s).c_str());
    return c_.start_program(i,
                            {"keepalived", "-n", "-l", "-D", "-f", file(i, ".conf"), "-p",
                             file(i, ".pid"), "-r", file(i, ".vrrp.pid"), "-c",
                             file(i, ".checkers.pid")},
                            {});
  }
  std::map<std::string, std::string> env{{"kvip_gossip", "false"}};
  if (id_ == system_id::gossip) {
    // With --peers-from-nodes none: the peers are the Node objects' InternalIPs.
    std::string peers;
    auto& nodes = c_.lab().nodes();
    for (std::size_t j = 0; j < nodes.size() && !c_.options().peers_from_nodes; ++j)
      if (static_cast<int>(j) != i) peers += (peers.empty() ? "" : ",") + nodes[j].ipv4.to_string();
    env = {{"kvip_gossip", "true"},
           {"kvip_gossip_peers", peers},
           {"kvip_gossip_key_file", c_.workdir() + "/gossip.key"}};
  }
  return c_.start_node(i, env);
}

std::vector<int> system_runner::child_pids(int i) const {
  std::vector<int> out;
  if (!is_keepalived(id_)) return out;
  for (auto* s : {".vrrp.pid", ".checkers.pid"}) {
    auto pid = net::parse_integer<int>(read_first_line(file(i, s)));
    if (pid && *pid > 1) out.push_back(*pid);
  }
  return out;
}

bool system_runner::signal(int i, int signo) {
  if (signo == SIGTERM) return c_.signal_node(i, signo);
  // Children first: a keepalived child that saw its parent die first could
  // still run its graceful shutdown.
  int main_pid = c_.node_pid(i);
  for (int pid : child_pids(i))
    if (pid != main_pid) ::kill(pid, signo);
  return c_.signal_node(i, signo);
}

int system_runner::wait_exit(int i, std::chrono::milliseconds timeout) {
  return c_.wait_node(i, timeout);
}

void system_runner::stop_all() {
  auto& l = c_.lab();
  auto n = static_cast<int>(l.nodes().size());
  for (int i = 0; i < n; ++i) {
    signal(i, SIGCONT);
    c_.signal_node(i, SIGTERM);
  }
  for (int i = 0; i < n; ++i) {
    if (c_.node_running(i) && c_.wait_node(i, 10s) < 0) signal(i, SIGKILL);
    c_.wait_node(i, 2s);
    for (int pid : child_pids(i)) // children a killed keepalived left running
      ::kill(pid, SIGKILL);
  }
  // One `ip -batch` per node removes every VIP (there may be a thousand).
  auto batch = c_.workdir() + "/remove-vips.batch";
  {
    std::ofstream out{batch};
    for (auto& v : c_.options().vips)
      for (const char* dev : {"eth0", "lo"})
        out << "addr del " << v << (v.find(':') == std::string::npos ? "/32" : "/128") << " dev "
            << dev << "\n";
  }
  for (auto& h : l.nodes()) {
    (void)l.set_link(h, true);
    run_command({"ip", "-n", h.netns, "-force", "-batch", batch});
    for (const char* conf : {"all", "eth0"})
      for (const char* knob : {"arp_ignore", "arp_announce"})
        l.run(h, {"sysctl", "-q", "-w", std::string{"net.ipv4.conf."} + conf + "." + knob + "=0"});
  }
}

std::vector<std::string> system_runner::peer_traffic() const {
  if (is_keepalived(id_)) return {"meta l4proto 112"}; // VRRP
  auto port = std::to_string(gossip_port);
  return {"tcp dport " + port, "tcp sport " + port};
}

} // namespace kvip::sim
