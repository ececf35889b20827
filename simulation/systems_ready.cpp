// Readiness of a system's nodes (simulation/systems.hpp): what `kvip
// simulate` waits for before each fault and after each restart of a rolling
// restart, so that a fault never strikes a node that is still joining.
#include <map>

#include "net/wait.hpp"
#include "simulation/prom_text.hpp"
#include "simulation/systems.hpp"

namespace kvip::sim {

namespace {

using namespace std::chrono_literals;

} // namespace

std::string system_runner::gossip_not_ready(int i) {
  auto& nodes = c_.lab().nodes();
  const auto& name = nodes.at(static_cast<std::size_t>(i)).name;
  // From /metrics, not a state dump: at 1000 VIPs a dump per poll is
  // megabytes of log and real work for the node under test.
  auto text = c_.node_metrics(i);
  if (text.empty()) return name + ": /metrics does not answer";
  for (const auto& s : prom_samples(text, "kvip_gossip_unnamed_peers"))
    if (s.value > 0)
      return name + ": " + std::to_string(static_cast<long>(s.value)) + " peer(s) not named yet";
  std::map<std::string, double> alive;
  for (const auto& s : prom_samples(text, "kvip_gossip_member_alive"))
    alive[prom_label(s.labels, "member")] = s.value;
  for (std::size_t j = 0; j < nodes.size(); ++j) {
    if (static_cast<int>(j) == i) continue;
    auto it = alive.find(nodes[j].name);
    if (it == alive.end()) return name + ": does not know " + nodes[j].name + " yet";
    if (it->second < 1) return name + ": does not see " + nodes[j].name + " alive";
  }
  // Settled: every ownership change is recorded in its VIP's Lease (at 1000
  // VIPs the first owners take seconds to write; a steady-state window or a
  // fault must not start before).
  for (const auto& s : prom_samples(text, "kvip_gossip_vip_lease_writes_pending"))
    if (s.value > 0)
      return name + ": " + std::to_string(static_cast<long>(s.value)) + " VIP Lease writes pending";
  return {};
}

std::string system_runner::listed_by_others(int i) {
  auto& nodes = c_.lab().nodes();
  const auto& name = nodes.at(static_cast<std::size_t>(i)).name;
  std::string out;
  for (std::size_t j = 0; j < nodes.size(); ++j) {
    if (static_cast<int>(j) == i || !c_.node_running(static_cast<int>(j))) continue;
    auto text = c_.node_metrics(static_cast<int>(j));
    bool listed = text.empty(); // unreadable: not known to have dropped it
    for (const auto& s : prom_samples(text, "kvip_gossip_member_alive"))
      listed |= prom_label(s.labels, "member") == name;
    if (listed) out += (out.empty() ? "" : ", ") + nodes[j].name;
  }
  return out.empty() ? out : out + " still list" + (out.find(',') == out.npos ? "s " : " ") + name;
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
      budget, 200ms);
  return why;
}

} // namespace kvip::sim
