#pragma once
// A simulated cluster on the netns lab: the embedded API server in the infra
// namespace, the real `kvip manager` in every node namespace with a
// kube-vip style environment, and a prober in the client namespace. Used by
// `kvip simulate`, the failover benchmark and the netns integration tests.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "simulation/lab.hpp"
#include "simulation/prober.hpp"

namespace kvip::sim {

struct cluster_options {
  int nodes = 3;
  std::string kvip_binary;                      ///< path of the kvip executable
  std::string workdir;                          ///< logs and kubeconfig ("" = a new /tmp dir)
  std::vector<std::string> vips{"10.99.0.100"}; ///< the control-plane VIP(s)
  int lease_duration_s = 5;                     ///< kube-vip's e2e timings 5/3/1
  int renew_deadline_s = 3;
  int retry_period_s = 1;
  std::map<std::string, std::string> extra_env; ///< added to every node's environment
  /// One Node object per lab node (its name, its IPv4 address as InternalIP)
  /// in the API server; gossip nodes take their peers from them
  /// (kvip_gossip_peers empty). `kvip simulate --peers-from-nodes`.
  bool peers_from_nodes = false;
  bool start_nodes = true; ///< false: the caller starts them with start_node()
};

/// The API server's write counters (POST/PUT/PATCH/DELETE since it started).
struct api_write_counts {
  std::uint64_t total = 0;
  std::map<std::string, std::uint64_t> by_resource; ///< "leases", "leases/status", ...
  std::map<std::string, std::uint64_t> by_client;   ///< the client's IP address
  std::uint64_t requests = 0;                       ///< every request (reads, lists, watches too)
  std::map<std::string, std::uint64_t> requests_by_resource;
};

class cluster {
public:
  /// Builds the lab, starts the API server and every node.
  static net::result<std::unique_ptr<cluster>> create(const cluster_options& opts);
  ~cluster();

  sim::lab& lab() { return *lab_; }
  const cluster_options& options() const { return opts_; }
  const std::string& workdir() const { return workdir_; }
  const std::string& kubeconfig() const { return kubeconfig_; }

  /// Starts (or restarts) kvip on node i (0-based) with extra environment.
  net::result<void> start_node(int i, const std::map<std::string, std::string>& env = {});
  /// Starts (or restarts) another program (keepalived ...) as node i's process,
  /// logging to node_log(i); signal_node, wait_node and node_running act on it.
  net::result<void> start_program(int i, std::vector<std::string> argv,
                                  const std::map<std::string, std::string>& env);
  /// The process id of node i's process (-1 when none was started).
  int node_pid(int i);
  /// Sends a signal to node i's kvip (SIGKILL, SIGTERM, SIGSTOP, SIGCONT).
  bool signal_node(int i, int signo);
  /// Waits for node i's kvip to exit; its exit code or -1 on timeout.
  int wait_node(int i, std::chrono::milliseconds timeout);
  bool node_running(int i);
  /// Node i's log file.
  std::string node_log(int i) const;
  /// Node i's /metrics text ("" when unreachable).
  std::string node_metrics(int i);
  /// The node (0-based) whose MAC is `mac`, or -1.
  int node_of(const net::mac_address& mac) const;

  /// The API server's address and port on the lab's bridge.
  static const char* api_address();
  static int api_port();

  /// Starts a prober for `vip` from the client namespace.
  net::result<std::unique_ptr<prober>> probe(const std::string& vip);

  /// Creates node i's Node object (name, InternalIP) in the API server.
  net::result<void> create_node_object(int i);
  /// Deletes node i's Node object (as `kubectl delete node` does).
  net::result<void> delete_node_object(int i);

  /// Asks the API server's admin port for a fault ("outage?mode=503" ...).
  net::result<void> api_fault(const std::string& path);
  /// Reads the API server's write counters from its admin port (/stats).
  net::result<api_write_counts> api_writes();

private:
  cluster() = default;
  cluster_options opts_;
  std::unique_ptr<sim::lab> lab_;
  std::string workdir_;
  std::string kubeconfig_;
  bool own_workdir_ = false;
  std::optional<std::size_t> api_proc_;
  std::vector<std::optional<std::size_t>> node_procs_;
};

} // namespace kvip::sim
