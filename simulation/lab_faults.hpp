#pragma once
// The faults `kvip simulate` injects into the lab (DESIGN.md §5, issue 9
// "Proof"), their names on the command line, and the nftables tables the
// network faults install. (simulation/faults.hpp is the embedded API
// server's own admin fault switch; these act on the lab around it.)
//
//   kill              SIGKILL of the owner's process(es); restarted after --restart-delay-ms
//   stop              SIGSTOP for --stop-duration, then SIGCONT
//   linkdown          the owner's eth0 down; up again once another node answers
//   term              SIGTERM (graceful stop); restarted as after kill
//   partition-gossip  the owner drops its gossip traffic (TCP port 7947; VRRP for keepalived)
//   partition-api     the owner drops all traffic to and from the API server's address
//   api-outage        the infra namespace drops the API port for --outage
//   loss              every node drops --loss % of its IP packets from 1 s before a kill
//                     of the owner until it is restarted
//   rolling           every node in turn, the owner last: SIGTERM, --restart-delay-ms,
//                     restart, wait until every node sees it joined (a rolling upgrade)
//   forge             forged, unsigned, replayed and misaddressed gossip frames to every
//                     node while the owner holds the VIP (simulation/forge.hpp); nothing moves
//   forge-peers       forge, the forged frames over connections under the real peers' names
//   delete-node       the owner's Node object deleted while its process runs on (gossip with
//                     --peers-from-nodes): the others remove it from their membership and
//                     take the VIP over; the Node is created again once another node answers
//                     and no other node's /metrics lists it, and the trial waits for it to
//                     rejoin
//
// "--faults none" runs no fault: the steady-state measurement only.
//
// Every table is named kvip_sim_<run id>_<fault>, lives in a lab namespace
// and is removed by its guard (trial end, failure, Ctrl-C: the guard goes
// out of scope). Leftovers of a crashed run go with its namespaces
// (lab::cleanup_stale deletes them, and with them their tables).

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "net/result.hpp"
#include "simulation/lab.hpp"

namespace kvip::sim {

enum class fault_kind {
  kill,
  stop,
  linkdown,
  term,
  partition_gossip,
  partition_api,
  api_outage,
  loss,
  rolling,
  forge,
  forge_peers,
  delete_node
};

/// The command-line name ("partition-gossip").
std::string_view to_string(fault_kind f);
/// Every fault, in the order of the list above.
const std::vector<fault_kind>& all_faults();
/// A comma list of fault names; the error names the bad entry and the known names.
net::result<std::vector<fault_kind>> parse_faults(std::string_view list);

/// "5s", "500ms", "1m", "1.5s" or bare milliseconds; the error names `flag` and the value.
net::result<std::chrono::milliseconds> parse_duration_flag(std::string_view flag,
                                                           std::string_view text);
/// "10%" or "10" (0..100); the error names `flag` and the value.
net::result<int> parse_percent_flag(std::string_view flag, std::string_view text);

/// One nftables table in one lab namespace; deleted when the guard goes.
class nft_guard {
public:
  nft_guard() = default;
  /// Adds `table inet <name> { <body> }` in h's namespace.
  static net::result<nft_guard> add(const lab& l, const lab_host& h, const std::string& name,
                                    const std::string& body);
  ~nft_guard();
  nft_guard(nft_guard&& o) noexcept;
  nft_guard& operator=(nft_guard&& o) noexcept;
  nft_guard(const nft_guard&) = delete;
  nft_guard& operator=(const nft_guard&) = delete;
  /// Deletes the table now (idempotent).
  void remove();

private:
  std::string netns_, name_;
};

/// "kvip_sim_<run id>_<what>".
std::string nft_table_name(const lab& l, std::string_view what);

/// Chains dropping every packet matching `match` (an nft expression such as
/// "tcp dport 7947") in input and output.
std::string nft_drop_body(const std::vector<std::string>& matches);
/// Chains dropping `percent` % of IP packets in both directions at random.
std::string nft_loss_body(int percent);

} // namespace kvip::sim
