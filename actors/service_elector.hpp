#pragma once
// service_elector: who announces the Service IPs when gossip is off — kube-vip's
// Lease-based Service election in ARP mode (issue 10, reference §3.3, §3.5,
// §3.6, §3.8). A thin driver: the decisions are the pure state machine
// k8s/services/lease_election.hpp (one k8s/election_policy per Lease); this
// actor performs its effects and feeds the answers back.
//
//   service_ips (from the service watcher) -> the IPs and their Leases
//   dump_request     -> dump_reply (each Lease's candidacy, the IPs held)
//   shutdown_request -> withdraws every IP, then releases every Lease held
//                       (never the other way round) -> shutdown_done
//
// Modes: svc_election=false: one Lease (svc_leasename, default
// plndr-svcs-lock; namespace as for the control-plane Lease: "ns/name" >
// the pod's service-account namespace > cp_namespace); its holder announces
// every Service IP it may serve (externalTrafficPolicy Local: only where this
// node has a ready local endpoint), the others none. Unlike kube-vip, losing
// that Lease does NOT exit the process: the IPs are withdrawn and the node
// campaigns again. svc_election=true: one Lease per IP's Service
// (kubevip-<service> in its namespace, or kube-vip.io/leaseName), contested
// only while this node may announce the IP; when it stops being eligible the
// node withdraws the IP and releases the Lease so an eligible node takes it.
// Services sharing an IP share its Lease, so one owner (weak spot 4c).
//
// Effects:
//  - Lease requests go through a k8s_io actor (blocking HTTP on its own
//    thread): its own, linked, around `client` (so a thousand per-Service
//    Leases never delay the control-plane Lease's renewals), or the
//    directory's k8s_io when `client` is null.
//  - The IPs are held and announced by an announcer of its own, linked
//    (actors/arp_broadcaster: kernel address on the interface + gratuitous
//    ARP / unsolicited NA, burst then every vip_arpRate), separate from the
//    control-plane announcer, which keeps its own desired set. The IP's
//    interface is kube-vip.io/serviceInterface, else `interface`. When this
//    actor ends for any reason its announcer is told to exit and removes
//    every address it holds; a crashed announcer takes this actor down (the
//    supervisor restarts it, which campaigns again from "following").
//  - On becoming owner of an IP (the announcer holds it) and when the
//    Services on an owned IP change: msg::service_status for each Service on
//    it to the directory's status_writer (status.loadBalancer.ingress and
//    kube-vip.io/vipHost), unless `write_status` is off
//    (disable_service_updates).
//  - A Service IP equal to a control-plane VIP is not elected here: it is the
//    control-plane Lease's, announced by the control-plane announcer with
//    that VIP (one owner; kube-vip elects it twice, weak spot 4c). While the
//    lease elector says this node holds the control-plane Lease
//    (msg::control_plane_held), this actor writes the status of the Services
//    on it and reports them to the node labeler.
//  - Metrics: kube_vip_is_leader{node,lease_name} and
//    kube_vip_leader_election_transitions{lease_name} per Lease (kube-vip
//    sets them for the Service Leases). Per-Service mode, for every Service
//    on a Lease's IPs: kube_vip_service_election_loops 1 while its Lease is
//    contested or held (absent otherwise), _attempts_total +1 per acquire try
//    (its GET) while not holding it, _errors_total{reason="api_error"} per
//    failed or timed-out Lease request.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actors/arp_broadcaster.hpp"
#include "caf/fwd.hpp"
#include "k8s/services/lease_election.hpp"
#include "messages/announce.hpp"

namespace kvip::k8s {
class client;
}
namespace kvip::net::config {
struct settings;
}
namespace kvip::net::telemetry {
class registry;
class kube_vip_metrics;
} // namespace kvip::net::telemetry

namespace kvip {

class directory;

struct service_elector_options {
  /// Mode, Leases, timings (identity = the node), default interface, prefixes.
  k8s::services::election_config election;
  /// The Lease requests' own API client (null = the directory's k8s_io).
  std::shared_ptr<k8s::client> client;
  std::chrono::milliseconds request_timeout{5000}; ///< Lease requests and announce sets
  std::shared_ptr<const directory> siblings;       ///< status_writer (and k8s_io)
  bool write_status = true;                        ///< false: disable_service_updates
  /// Makes the announcer (linked to the elector); null = an arp_broadcaster
  /// on the kernel with `announce`.
  std::function<msg::announcer_actor(caf::local_actor*, net::telemetry::registry&)> make_announcer;
  arp_options announce;
  /// Wall clock for the Leases' times (null = the system clock).
  std::function<std::chrono::system_clock::time_point()> wall_clock;
  std::optional<std::uint64_t> random_seed; ///< of the retry jitter (nullopt = random)
  /// Per-Service mode: kube_vip_service_election_loops / _attempts_total /
  /// _errors_total of the Services on each Lease (null = not recorded).
  std::shared_ptr<net::telemetry::kube_vip_metrics> kube_vip;
  /// The control-plane VIPs known from the configuration (cp_enable, IP
  /// literals); msg::control_plane_held from the lease elector replaces them.
  std::vector<std::string> control_plane_vips;
};

/// The options as the configuration asks: svc_election, svc_leasename (and
/// its namespace), vip_leaseduration / renewdeadline / retryperiod,
/// vip_nodename, vip_subnet, vip_arpRate, vip_servicesinterface (a name; "" or
/// "auto" = `interface`), disable_service_updates. `interface` is the VIP
/// interface the plan chose; `client` may be null (then the directory's
/// k8s_io is used).
service_elector_options service_elector_settings(const net::config::settings& cfg,
                                                 std::string interface,
                                                 std::shared_ptr<k8s::client> client);

/// Spawns the elector. The handle speaks msg::service_elector_actor
/// (messages/services.hpp); actor_cast it to that type.
caf::actor spawn_service_elector(caf::local_actor* parent, service_elector_options opts,
                                 net::telemetry::registry& reg);

} // namespace kvip
