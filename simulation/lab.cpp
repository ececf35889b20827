#include "simulation/lab.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <unistd.h>

namespace kvip::sim {

namespace {

constexpr const char* prefix = "kvl-";

std::string hex2(int v) {
  char b[3];
  std::snprintf(b, sizeof b, "%02x", v & 0xff);
  return b;
}

lab_host make_host(const std::string& run, const std::string& name, int octet) {
  lab_host h;
  h.name = name;
  h.netns = prefix + run + "-" + name;
  h.ifname = "eth0";
  h.ipv4 = *net::ip_address::parse("10.99.0." + std::to_string(octet));
  h.ipv6 = *net::ip_address::parse("fd99::" + hex2(octet));
  h.mac = net::mac_address{0x02, 0x99, 0, 0, 0, static_cast<std::uint8_t>(octet)};
  return h;
}

std::vector<std::string> in_ns(const std::string& ns, std::vector<std::string> argv) {
  std::vector<std::string> full{"ip", "netns", "exec", ns};
  full.insert(full.end(), argv.begin(), argv.end());
  return full;
}

/// SIGKILLs every process still inside namespace `ns`.
void kill_netns_pids(const std::string& ns) {
  auto pids = run_command({"ip", "netns", "pids", ns});
  for (std::size_t pos = 0; pos < pids.output.size();) {
    auto nl = pids.output.find('\n', pos);
    auto pid = std::atoi(pids.output.substr(pos, nl - pos).c_str());
    if (pid > 0) ::kill(pid, SIGKILL);
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
}

/// "a, b, c" of the addresses of one family.
std::string join_family(const std::vector<net::ip_address>& ips, bool v4) {
  std::string out;
  for (auto& ip : ips)
    if (ip.is_v4() == v4) out += (out.empty() ? "" : ", ") + ip.to_string();
  return out;
}

} // namespace

net::result<std::unique_ptr<lab>> lab::create(const lab_options& opts) {
  if (opts.nodes < 1 || opts.nodes > 150)
    return net::make_error("lab: nodes must be 1..150, got " + std::to_string(opts.nodes));
  cleanup_stale();
  std::unique_ptr<lab> l{new lab};
  char id[16];
  std::snprintf(id, sizeof id, "%x", static_cast<unsigned>(::getpid()));
  l->run_id_ = id;
  if (auto built = l->build(opts); !built) return built.err(); // l's destructor cleans up
  return l;
}

net::result<void> lab::build(const lab_options& opts) {
  infra_ = make_host(run_id_, "br", 254);
  infra_.ifname = "br0";
  infra_.ipv6 = *net::ip_address::parse("fd99::fe");
  created_.push_back(infra_.netns);
  if (auto e = run_checked({"ip", "netns", "add", infra_.netns}); !e) {
    created_.pop_back();
    return e;
  }
  for (auto& cmd : std::vector<std::vector<std::string>>{
           {"ip", "-n", infra_.netns, "link", "set", "lo", "up"},
           {"ip", "-n", infra_.netns, "link", "add", "br0", "type", "bridge"},
           {"ip", "-n", infra_.netns, "link", "set", "br0", "up"},
           {"ip", "-n", infra_.netns, "addr", "add", "10.99.0.254/24", "dev", "br0"},
           {"ip", "-n", infra_.netns, "addr", "add", "fd99::fe/64", "dev", "br0", "nodad"}})
    if (auto e = run_checked(cmd); !e) return e;
  for (int i = 1; i <= opts.nodes; ++i) {
    nodes_.push_back(make_host(run_id_, "n" + std::to_string(i), i));
    if (auto e = add_host(nodes_.back()); !e) return e;
  }
  client_ = make_host(run_id_, "c", 200);
  if (auto e = add_host(client_); !e) return e;
  if (opts.router) {
    router_ = make_host(run_id_, "r", 253);
    has_router_ = true;
    if (auto e = add_host(router_); !e) return e;
  }
  return net::ok();
}

net::result<void> lab::add_host(lab_host& h) {
  created_.push_back(h.netns);
  if (auto e = run_checked({"ip", "netns", "add", h.netns}); !e) {
    created_.pop_back();
    return e;
  }
  auto port = "p" + h.name;
  for (auto& cmd : std::vector<std::vector<std::string>>{
           {"ip", "-n", h.netns, "link", "set", "lo", "up"},
           {"ip", "-n", h.netns, "link", "add", "eth0", "address", net::to_string(h.mac), "type",
            "veth", "peer", "name", port, "netns", infra_.netns},
           {"ip", "-n", infra_.netns, "link", "set", port, "master", "br0"},
           {"ip", "-n", infra_.netns, "link", "set", port, "up"},
           {"ip", "-n", h.netns, "link", "set", "eth0", "up"},
           {"ip", "-n", h.netns, "addr", "add", h.ipv4.to_string() + "/24", "dev", "eth0"},
           {"ip", "-n", h.netns, "addr", "add", h.ipv6.to_string() + "/64", "dev", "eth0",
            "nodad"}})
    if (auto e = run_checked(cmd); !e) return e;
  return net::ok();
}

lab::~lab() {
  teardown();
}

void lab::teardown() {
  procs_.clear(); // SIGKILL + reap every process started in the lab
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    // Anything else still running in the namespace (e.g. started by a test
    // with exec) is killed before the namespace goes.
    kill_netns_pids(*it);
    run_command({"ip", "netns", "del", *it});
  }
  created_.clear();
}

std::vector<std::string> lab::namespaces() const {
  return created_;
}

net::result<void> lab::exec(const lab_host& h, std::vector<std::string> argv) const {
  return run_checked(in_ns(h.netns, std::move(argv)));
}

command_result lab::run(const lab_host& h, std::vector<std::string> argv) const {
  return run_command(in_ns(h.netns, std::move(argv)));
}

net::result<std::size_t> lab::start(const lab_host& h, std::vector<std::string> argv,
                                    const std::map<std::string, std::string>& env,
                                    const std::string& log_path) {
  auto p = process::start(in_ns(h.netns, std::move(argv)), env, log_path);
  if (!p) return p.err();
  procs_.push_back(std::move(*p));
  return procs_.size() - 1;
}

net::result<void> lab::set_link(const lab_host& h, bool up) const {
  return run_checked({"ip", "-n", h.netns, "link", "set", h.ifname, up ? "up" : "down"});
}

net::result<void> lab::isolate(const lab_host& h, const std::vector<net::ip_address>& peers,
                               bool block) const {
  // One table per host; replacing it keeps the call idempotent.
  run_command(in_ns(h.netns, {"nft", "delete", "table", "inet", "kvip_lab"}));
  if (!block || peers.empty()) return net::ok();
  auto v4 = join_family(peers, true);
  auto v6 = join_family(peers, false);
  std::string rules = "table inet kvip_lab {\n"
                      " chain in { type filter hook input priority -10; policy accept;\n";
  if (!v4.empty()) rules += "  ip saddr { " + v4 + " } drop\n";
  if (!v6.empty()) rules += "  ip6 saddr { " + v6 + " } drop\n";
  rules += " }\n chain out { type filter hook output priority -10; policy accept;\n";
  if (!v4.empty()) rules += "  ip daddr { " + v4 + " } drop\n";
  if (!v6.empty()) rules += "  ip6 daddr { " + v6 + " } drop\n";
  rules += " }\n}\n";
  return run_checked(in_ns(h.netns, {"nft", rules}));
}

int lab::cleanup_stale() {
  int removed = 0;
  DIR* d = ::opendir("/run/netns");
  if (!d) return 0;
  std::vector<std::string> stale;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind(prefix, 0) != 0) continue;
    auto dash = name.find('-', 4);
    if (dash == std::string::npos) continue;
    auto pid = static_cast<pid_t>(std::strtol(name.substr(4, dash - 4).c_str(), nullptr, 16));
    if (pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM)) continue; // owner alive
    stale.push_back(name);
  }
  ::closedir(d);
  for (auto& ns : stale) {
    kill_netns_pids(ns);
    if (run_command({"ip", "netns", "del", ns}).ok()) ++removed;
  }
  return removed;
}

} // namespace kvip::sim
