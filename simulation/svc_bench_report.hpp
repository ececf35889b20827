#pragma once
// The Services benchmark of `kvip simulate --services N` (issue 10, "Tests
// and benchmark"), its pure part: what the client's ARP sweep saw turned
// into figures (Service creation -> VIP answering, VIPs per node, a killed
// node's VIPs answered elsewhere), kvip's memory from /proc/<pid>/status,
// the targets beside the numbers, the printed report and the JSON.
// The lab side (simulation/svc_bench.cpp) fills services_bench_result.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "net/ip.hpp"
#include "net/result.hpp"
#include "simulation/arp_sweeper.hpp"

namespace kvip::sim {

/// The targets.
inline constexpr double target_create_p99_ms = 200;
inline constexpr double target_steady_writes_per_s = 1;
inline constexpr double target_rss_mib = 20;
/// The single-VIP SIGKILL target (p99 150 ms) + 100 ms.
inline constexpr double target_dead_node_ms = 250;

/// The most Services --services makes (their addresses: service_addresses).
constexpr int max_services = 2000;

/// n Service addresses: 10.99.1.1-254, 10.99.2.1-254, ... (outside the lab's
/// hosts and the control-plane VIP, 10.99.0.x). n is at most max_services.
std::vector<std::string> service_addresses(int n);

/// p50 / p99 / max (nearest rank) of `ms`; n = how many.
struct dist_ms {
  std::size_t n = 0;
  double p50 = 0, p99 = 0, max = 0;
};
dist_ms distribution(const std::vector<double>& ms);

/// kvip's resident memory in KiB (-1: not in the text).
struct rss_kib {
  long vm_rss = -1, rss_anon = -1, rss_file = -1;
};
/// VmRSS, RssAnon and RssFile from the text of /proc/<pid>/status.
rss_kib parse_proc_status(std::string_view text);

/// Creation -> answering over every Service.
struct creation_summary {
  dist_ms latency;                      ///< Service (and slice) created -> first ARP answer
  int unanswered = 0;                   ///< Services nobody answered
  int several_macs = 0;                 ///< Services answered by two or more MACs since creation
  std::uint64_t multi_mac_requests = 0; ///< requests two or more MACs answered
  std::vector<int> vips_per_node;       ///< by node index: Services its MAC alone answered
  int vips_min = 0, vips_max = 0;
};
/// `created_us[i]` is when Service i was created, `seen[i]` what the sweep saw
/// for its address since the mark; `node_macs` the lab nodes' MACs in order.
creation_summary summarise_creation(const std::vector<std::int64_t>& created_us,
                                    const std::vector<sweep_entry>& seen,
                                    const std::vector<net::mac_address>& node_macs);

/// The node alone answering each address now (`current`), -1 for none or several.
std::vector<int> current_owners(const std::vector<sweep_entry>& seen,
                                const std::vector<net::mac_address>& node_macs);

/// A killed node's VIPs answered elsewhere.
struct move_summary {
  int vips = 0;
  dist_ms moved;                        ///< kill -> first answer from another MAC
  int not_moved = 0;                    ///< VIPs no other MAC answered
  int several_macs = 0;                 ///< VIPs two or more other MACs answered since the kill
  int dead_answered = 0;                ///< VIPs the killed node's MAC answered since the kill
  std::uint64_t multi_mac_requests = 0; ///< requests two or more MACs answered
  std::vector<int> to_node;             ///< by node index: VIPs it answered first
};
/// `seen`: the killed node's VIPs since the mark (taken at the kill, `kill_us`).
move_summary summarise_move(std::int64_t kill_us, const net::mac_address& dead,
                            const std::vector<sweep_entry>& seen,
                            const std::vector<net::mac_address>& node_macs);

/// One SIGKILL of the node owning the most VIPs.
struct kill_run {
  bool restart = true; ///< the killed kvip was restarted restart_delay_ms later
  std::string node;    ///< the killed node
  move_summary move;
  std::string note; ///< "" or what went wrong
};

/// Steady state at the API server over the window.
struct api_rates {
  double requests_per_s = -1, writes_per_s = -1; ///< -1: not measured
  std::map<std::string, double> requests_by_resource, writes_by_resource;
  std::map<std::string, double> writes_by_node;
};

struct services_bench_result {
  int nodes = 0, services = 0;
  double sweep_rate = 0; ///< ARP requests/s of the client's sweep
  int restart_delay_ms = 0;
  std::vector<std::string> node_names;
  std::vector<rss_kib> rss_idle; ///< per node, before any Service
  double create_s = 0;           ///< first request sent -> last answered
  int create_errors = 0;         ///< Services the API server refused
  std::string first_create_error;
  creation_summary creation;
  double settle_s = 0; ///< every address answered -> every node ready (Leases written)
  double window_s = 0; ///< steady-state window
  api_rates api;
  std::vector<rss_kib> rss_steady; ///< per node, at the end of the window
  std::vector<kill_run> kills;
  std::string error; ///< "" or why the run stopped early
};

/// A target beside its number.
struct target_check {
  std::string what;
  double value = 0, limit = 0;
  std::string unit;
  bool measured = false, met = false;
};
std::vector<target_check> check_targets(const services_bench_result& r);

/// The report on stdout.
void print_services_report(const services_bench_result& r);
/// The JSON report (every figure, the targets).
boost::json::object services_json(const services_bench_result& r);
net::result<void> write_services_json(const services_bench_result& r, const std::string& path);

} // namespace kvip::sim
