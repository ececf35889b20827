#pragma once
// One trial of `kvip simulate`: one fault against the node whose MAC answers
// for the VIP, healed the way the fault says (restart, SIGCONT, link up,
// nftables table removed), measured from the client's probes from the fault
// until a single node has answered for `settle` again.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "simulation/cluster.hpp"
#include "simulation/lab_faults.hpp"
#include "simulation/systems.hpp"

namespace kvip::sim {

/// The timings of the faults.
struct trial_timing {
  std::chrono::milliseconds restart_delay{1000}; ///< kubelet restarting a killed/stopped process
  bool restart = true; ///< false: a killed process stays down for `observe` after the switch
  std::chrono::milliseconds observe{3000};        ///< see `restart`
  std::chrono::milliseconds stop_duration{5000};  ///< SIGSTOP .. SIGCONT
  std::chrono::milliseconds outage{60000};        ///< api-outage length
  std::chrono::milliseconds partition{10000};     ///< partition-gossip / partition-api length
  int loss_percent = 10;                          ///< loss: random drop on every node
  std::chrono::milliseconds loss_lead{1000};      ///< loss: drop this long before the kill
  std::chrono::milliseconds switch_budget{30000}; ///< give up waiting for a new owner
  /// Before each fault wait a random time up to this, so faults do not line
  /// up with the systems' own timers.
  std::chrono::milliseconds fault_jitter{3000};
  std::chrono::milliseconds settle{1000}; ///< one node answering this long ends a trial
};

/// One trial and what the client saw.
struct trial_result {
  std::string system;      ///< "lease", "keepalived-20ms", ...
  std::string fault;       ///< "kill", "partition-api", ...
  int nodes = 0;           ///< nodes in the lab
  int trial = 0;           ///< 1-based index within (system, fault)
  std::string from, to;    ///< old owner; first other node answering ("" = none)
  double fault_s = 0;      ///< seconds since probing started
  double switch_ms = -1;   ///< fault -> first probe answered by another MAC (-1: never)
  double silence_ms = 0;   ///< longest run of unanswered probes
  int dual_mac_probes = 0; ///< probes answered by two or more MACs
  std::vector<std::string> dual_detail; ///< when, and which MACs, for each of them
  int unanswered_probes = 0;            ///< probes nobody answered
  int probes = 0;                       ///< probes in the trial window
  double window_s = 0;                  ///< fault -> end of the trial
  std::string note;                     ///< "" or what went wrong
  /// forge: frames the nodes refused during the trial, by result ("bad_mac": 40).
  std::map<std::string, long> refused;
};

/// What a trial works with.
struct trial_env {
  cluster& c;
  prober& p;
  system_runner& sys;
  const trial_timing& t;
  const volatile bool* stop = nullptr;
};

/// Runs fault `f` against node `owner`; `index` is the trial's 1-based number.
trial_result run_trial(trial_env& env, fault_kind f, int owner, int index);

/// Waits until exactly one node has answered every probe for `stable`;
/// its index, or -1 after `budget`.
int wait_single_owner(cluster& c, prober& p, std::chrono::milliseconds stable,
                      std::chrono::milliseconds budget, const volatile bool* stop);

/// What one node sends on eth0 in steady state.
struct tx_rate {
  std::string node;
  double packets_per_s = 0;
  double bytes_per_s = 0;
};

/// Reads every node's eth0 tx counters over `window` while nothing happens;
/// the owner's answers to the prober's ARP requests are subtracted.
std::vector<tx_rate> measure_tx(cluster& c, prober& p, std::chrono::milliseconds window);

} // namespace kvip::sim
