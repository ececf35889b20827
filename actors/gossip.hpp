#pragma once
// gossip: the node's membership, failure detection and VIP ownership in
// gossip mode (issue 9, DESIGN.md §4). A thin driver of two pure cores —
// net/gossip/membership (SWIM) and net/gossip/ownership (claims, fencing) —
// that sends and receives their datagrams through net/gossip/transport
// (ZeroMQ, on an I/O thread this actor owns), keeps the shared answer table
// the userspace responder reads per request, asks the responder to announce,
// and records ownership in Kubernetes Leases through k8s_io:
//  - one Lease per VIP (`kvip-vip-<address>`), written only when this node's
//    claim is confirmed, with the claim's term in the `kvip.io/term`
//    annotation (a Lease with a higher term names the legitimate holder);
//  - for a Service IP also its Services' kube-vip Lease (`kubevip-<service>`
//    in their namespace, or kube-vip.io/leaseName), naming the owner, written
//    on a change of owner only;
//  - one node Lease (`kvip-node-<node>`), renewed every node_lease_period
//    (10 s): the only steady-state API write, whatever the number of VIPs.
// Neither is awaited: the API server may be down and ownership continues on
// gossip; failed writes are retried every retry period until they land.
//
// It plays the elector role: health_status from the health checker sets the
// control-plane health bit gossiped with membership.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "caf/fwd.hpp"
#include "messages/announce.hpp"
#include "net/gossip/fence.hpp"
#include "net/gossip/membership.hpp"

namespace kvip::net::telemetry {
class registry;
class kube_vip_metrics;
} // namespace kvip::net::telemetry
namespace kvip::net::l2 {
class answer_table;
}

namespace kvip {

class directory;

struct gossip_options {
  std::string node_name;
  std::vector<msg::vip_spec> vips; ///< every VIP this cluster serves (same list on every node)
  std::string interface;           ///< the VIPs' interface (its carrier is a health bit)
  /// Service IPs without kube-vip.io/serviceInterface: vip_servicesinterface
  /// (a name or "auto"), else `interface`.
  std::string service_interface;
  /// kube-vip's and kvip's Service families (owned Service IPs, Service
  /// change -> first announcement); null in tests that do not look.
  std::shared_ptr<net::telemetry::kube_vip_metrics> kube_vip;
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 7947;
  std::vector<std::string> peer_addresses; ///< "host:port" from kvip_gossip_peers
  bool discover_nodes = false;             ///< peers from the Nodes (node_watcher)
  std::string key_file;           ///< kvip_gossip_key_file ("" = the Secret); node_watcher reads it
  net::gossip::config membership; ///< timings (self, seed filled in)
  net::gossip::fence_config fence;  ///< timings
  bool control_plane_check = false; ///< a health checker reports control-plane health
  std::string lease_namespace = "kube-system";
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds retry_period{2000};
  /// This node's Lease: a record for people and tools (liveness is gossip's
  /// business; the 60 ms fence never waits on it), renewed as the kubelet
  /// renews its node Lease, so 5 nodes cost 0.5 writes/s.
  std::chrono::milliseconds node_lease_period{10000};
  std::chrono::milliseconds node_lease_duration{40000};
  std::chrono::milliseconds request_timeout{5000};
  std::shared_ptr<const directory> siblings;
  std::shared_ptr<net::l2::answer_table> answers;
};

/// Spawns the gossip actor (it speaks msg::elector_actor to its siblings).
caf::actor spawn_gossip(caf::local_actor* parent, gossip_options opts,
                        net::telemetry::registry& reg);

/// The VIP's Lease name: "kvip-vip-" + the address with '.' and ':' as '-'.
std::string vip_lease_name(const std::string& address);

} // namespace kvip
