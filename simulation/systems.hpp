#pragma once
// The systems `kvip simulate` measures on one lab (issue 9, "Benchmark"):
//
//   gossip            kvip with kvip_gossip=true, peers = the other nodes, a key file
//                     (with --peers-from-nodes: no peers given, so kvip takes them from
//                     the Node objects the cluster created, and follows them by watch)
//   lease             kvip Lease-only (kvip_gossip=false), kube-vip's 5/3/1 timings
//   keepalived-100ms  keepalived, VRRPv3, advert_int 0.1, nopreempt, one priority per node
//   keepalived-20ms   the same with advert_int 0.02
//
// A system_runner starts a system's process on each node (as the node's
// process in the cluster, so the lab kills it on teardown), delivers fault
// signals to all of that process's children, and stops and cleans every node
// before the next system takes the lab. Who owns the VIP is never asked of
// the system: the prober sees which MAC answers.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "simulation/cluster.hpp"

namespace kvip::sim {

enum class system_id { gossip, lease, keepalived_100ms, keepalived_20ms };

/// "gossip", "lease", "keepalived-100ms", "keepalived-20ms".
std::string_view to_string(system_id s);
/// A comma list of system names; "keepalived" means both keepalived variants.
/// The error names `flag`, the bad entry and the known names.
net::result<std::vector<system_id>> parse_systems(std::string_view flag, std::string_view list);
bool is_keepalived(system_id s);

class system_runner {
public:
  system_runner(cluster& c, system_id id) : c_(c), id_(id) {}
  system_id id() const { return id_; }

  /// Starts the system on every node.
  net::result<void> start_all();
  /// Starts (or restarts) node i's process.
  net::result<void> start(int i);
  /// Signals node i's process: SIGKILL, SIGSTOP and SIGCONT reach every
  /// process of the system on the node (keepalived's VRRP child first),
  /// SIGTERM only the main process (its graceful stop).
  bool signal(int i, int signo);
  /// Waits for node i's main process to exit: its exit code, -1 on timeout.
  int wait_exit(int i, std::chrono::milliseconds timeout);
  /// Stops every node (SIGTERM, then SIGKILL), then removes the VIPs, resets
  /// the ARP sysctls and brings eth0 up on every node: the lab as it was.
  void stop_all();
  /// nft matches for the system's node-to-node traffic (partition-gossip).
  std::vector<std::string> peer_traffic() const;

  /// One readiness check of node i (simulation/systems_ready.cpp): its
  /// process runs; kvip answers /readyz on :2112 from the node's namespace;
  /// with gossip its /metrics show every other node alive, no unnamed peer
  /// and no VIP Lease write pending. "" when ready, else why not.
  std::string not_ready(int i);
  /// Waits until every node is ready at once (a restarted node has joined
  /// and every other node sees it). "" or why not after `budget`.
  std::string wait_all_ready(std::chrono::milliseconds budget, const volatile bool* stop);
  /// gossip: "" when no other running node lists node i as a member on its
  /// /metrics (kvip_gossip_member_alive), else who still does.
  std::string listed_by_others(int i);

private:
  std::string file(int i, const std::string& suffix) const;
  net::result<void> write_keepalived_conf(int i) const;
  std::vector<int> child_pids(int i) const;
  std::string gossip_not_ready(int i);

  cluster& c_;
  system_id id_;
};

} // namespace kvip::sim
