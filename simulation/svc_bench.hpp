#pragma once
// `kvip simulate --services N`: the Services benchmark (issue 10, "Tests and
// benchmark") on the netns lab. kvip with gossip and svc_enable=true on every
// node (kvip_ipam off: every Service names its address with
// kube-vip.io/loadbalancerIPs, service_addresses()). Then:
//  1. creates N Services, each with an EndpointSlice with an endpoint on every
//     node, through the embedded API server at once (8 clients); the client
//     namespace asks by ARP for every Service address as soon as it is
//     created, and keeps asking only the addresses nobody answered yet
//     (arp_sweeper::set_pending_only), so the resolution is
//     unanswered / --sweep-rate. Service created -> first ARP answer, and
//     VIPs per node from each answering MAC; then two full sweeps to see
//     that every address is answered by one MAC;
//  2. once every node is ready (no VIP Lease write pending; the time it
//     took is reported), steady state over --idle-window (default 20 s, the sweep quiet): API
//     requests/s and writes/s at the API server (by resource and node), and
//     kvip's VmRSS/RssAnon/RssFile per node (also measured before any Service);
//  3. twice (restarted --restart-delay-ms later, then not restarted): finds
//     the node owning the most VIPs by a full sweep, sweeps only its VIPs,
//     SIGKILLs it, and measures the kill -> each VIP's first answer from
//     another MAC; then sweeps them all for a second (and 2 s past the
//     restart) to count requests answered by two MACs.
// The figures and the targets: simulation/svc_bench_report.hpp.

#include "simulation/scenario.hpp"
#include "simulation/svc_bench_report.hpp"

namespace kvip::sim {

/// Runs the benchmark with o.services Services on o.cluster.nodes nodes;
/// `stop` is polled so Ctrl-C ends it early (teardown still runs).
services_bench_result run_services_bench(const scenario_options& o,
                                         const volatile bool* stop = nullptr);

} // namespace kvip::sim
