// Readiness of a system's nodes (simulation/systems.hpp): what `kvip
// simulate` waits for before each fault and after each restart of a rolling
// restart, so that a fault never strikes a node that is still joining.
#include <csignal>
#include <fstream>
#include <sstream>

#include "net/wait.hpp"
#include "simulation/systems.hpp"

namespace kvip::sim {

namespace {

using namespace std::chrono_literals;

std::streamoff file_size(const std::string& path) {
  std::ifstream in{path, std::ios::ate | std::ios::binary};
  return in ? static_cast<std::streamoff>(in.tellg()) : 0;
}

/// The last line of `path` after byte `from` that contains `needle`, or "".
std::string last_line_with(const std::string& path, std::streamoff from,
                           const std::string& needle) {
  std::ifstream in{path, std::ios::binary};
  in.seekg(from);
  std::string line, found;
  while (std::getline(in, line))
    if (line.find(needle) != std::string::npos) found = line;
  return found;
}

/// The "name=state" pairs of a gossip state dump's member list
/// ("gossip n1 port 7947: incarnation 3, members: n1=alive n2=alive; VIPs: ...").
std::map<std::string, std::string> dump_members(const std::string& line) {
  std::map<std::string, std::string> out;
  auto from = line.find("members:");
  if (from == std::string::npos) return out;
  auto to = line.find(';', from);
  std::istringstream in{line.substr(from + 8, to == std::string::npos ? line.npos : to - from - 8)};
  std::string pair;
  while (in >> pair)
    if (auto eq = pair.find('='); eq != std::string::npos)
      out[pair.substr(0, eq)] = pair.substr(eq + 1);
  return out;
}

} // namespace

std::string system_runner::gossip_not_ready(int i) {
  auto& nodes = c_.lab().nodes();
  const auto& name = nodes.at(static_cast<std::size_t>(i)).name;
  auto log = c_.node_log(i);
  auto before = file_size(log);
  if (!c_.signal_node(i, SIGUSR1)) return name + ": cannot signal its process";
  auto needle = "gossip " + name + " port ";
  std::string line;
  net::eventually(
      [&] {
        line = last_line_with(log, before, needle);
        return !line.empty();
      },
      2s, 20ms);
  if (line.empty()) return name + ": no gossip state dump in its log";
  auto members = dump_members(line);
  for (const auto& [member, state] : members)
    if (state == "unnamed") return name + ": peer " + member + " not named yet";
  for (std::size_t j = 0; j < nodes.size(); ++j) {
    if (static_cast<int>(j) == i) continue;
    auto it = members.find(nodes[j].name);
    if (it == members.end()) return name + ": does not know " + nodes[j].name + " yet";
    if (it->second != "alive") return name + ": sees " + nodes[j].name + " " + it->second;
  }
  return {};
}

std::string system_runner::not_ready(int i) {
  const auto& h = c_.lab().nodes().at(static_cast<std::size_t>(i));
  if (!c_.node_running(i)) return h.name + ": its process is not running";
  if (is_keepalived(id_)) return {};
  auto r = c_.lab().run(
      h, {"curl", "-sf", "--max-time", "1", "-o", "/dev/null", "http://127.0.0.1:2112/readyz"});
  if (!r.ok()) return h.name + ": /readyz does not answer 200";
  return id_ == system_id::gossip ? gossip_not_ready(i) : std::string{};
}

std::string system_runner::wait_all_ready(std::chrono::milliseconds budget,
                                          const volatile bool* stop) {
  std::string why;
  net::eventually(
      [&] {
        if (stop && *stop) return true;
        why.clear();
        for (int i = 0; i < static_cast<int>(c_.lab().nodes().size()) && why.empty(); ++i)
          why = not_ready(i);
        return why.empty();
      },
      budget, 100ms);
  return why;
}

} // namespace kvip::sim
