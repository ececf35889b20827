#include "actors/plan.hpp"

#include <fstream>
#include <optional>
#include <random>
#include <sstream>

#include "actors/arp_broadcaster.hpp"
#include "actors/arp_responder.hpp"
#include "actors/gossip.hpp"
#include "actors/health_checker.hpp"
#include "actors/k8s_io.hpp"
#include "actors/lease_elector.hpp"
#include "actors/node_watcher.hpp"
#include "actors/plan_services.hpp"
#include "actors/service_elector.hpp"
#include "actors/telemetry.hpp"
#include "caf/all.hpp"
#include "k8s/client.hpp"
#include "k8s/gossip_key.hpp"
#include "k8s/kubeconfig.hpp"
#include "net/ip.hpp"
#include "net/l2/answer_table.hpp"
#include "net/l2/host.hpp"
#include "net/netlink/socket.hpp"
#include "net/telemetry/kube_vip_metrics.hpp"

namespace kvip {

namespace {

using sibling_directory = std::shared_ptr<const directory>;

const char* sa_namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// The interface of the IPv4 default route (kube-vip's default for
/// vip_interface), from /proc/net/route; "" if there is none.
std::string default_route_interface() {
  std::ifstream in{"/proc/net/route"};
  std::string line;
  std::getline(in, line); // header
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::string iface, dest, gateway, flags;
    fields >> iface >> dest >> gateway >> flags;
    if (dest == "00000000") return iface;
  }
  return {};
}

/// Lease namespace and name, kube-vip's rules: "ns/name" > service-account
/// namespace file > cp_namespace.
std::pair<std::string, std::string> lease_location(const net::config::settings& cfg) {
  if (auto slash = cfg.lease_name.find('/'); slash != std::string::npos)
    return {cfg.lease_name.substr(0, slash), cfg.lease_name.substr(slash + 1)};
  std::ifstream sa{sa_namespace_file};
  std::string ns;
  if (sa && std::getline(sa, ns) && !ns.empty()) return {ns, cfg.lease_name};
  return {cfg.cp_namespace, cfg.lease_name};
}

/// The VIP interface: vip_interface; else the one whose subnet holds the VIP;
/// else the default route's (kube-vip's default). "" with a problem noted.
std::string choose_interface(const net::config::settings& cfg, net::netlink::socket& nl,
                             node_plan& plan) {
  std::string iface = cfg.interface;
  for (const auto& a : cfg.address) {
    if (!iface.empty()) break;
    if (auto ip = net::ip_address::parse(a))
      if (auto l = nl.link_for(*ip); l && *l) iface = (*l)->name;
  }
  if (iface.empty()) iface = default_route_interface();
  if (iface.empty()) {
    plan.problems.push_back("vip_interface=\"\": no interface given and no default route to "
                            "take it from");
  } else if (auto link = nl.link_by_name(iface); !link) {
    plan.problems.push_back("vip_interface=" + iface + ": no such interface on this node");
  } else if (!link->oper_up && !cfg.allow_interface_not_up) {
    plan.problems.push_back("vip_interface=" + iface +
                            ": interface is down (set vip_allow_interface_not_up=true to start "
                            "anyway)");
  }
  return iface;
}

/// The control-plane VIPs on `iface`, each with its family's vip_subnet.
std::vector<msg::vip_spec> control_plane_vips(const net::config::settings& cfg,
                                              const std::string& iface, node_plan& plan) {
  std::vector<msg::vip_spec> vips;
  for (const auto& a : cfg.address) {
    auto ip = net::ip_address::parse(a);
    if (!ip) {
      plan.problems.push_back("address=" + a +
                              ": DNS-named control-plane VIPs are not supported by kvip yet; "
                              "use IP addresses");
      continue;
    }
    const auto& sub = ip->is_v4() ? cfg.subnet_v4 : cfg.subnet_v6;
    int bits = sub.automatic ? ip->max_prefix() : sub.bits;
    vips.push_back(msg::vip_spec{ip->to_string(), bits, iface});
  }
  if (vips.empty() && plan.problems.empty())
    plan.problems.push_back("address=\"\": the control-plane VIP needs at least one address");
  return vips;
}

/// The Kubernetes connection, kube-vip's order of sources.
std::optional<k8s::connection_config> api_connection(const net::config::settings& cfg,
                                                     node_plan& plan) {
  k8s::config_sources src;
  if (cfg.kubeconfig != "/etc/kubernetes/admin.conf" && cfg.kubeconfig != cfg.admin_conf)
    src.kubeconfig = cfg.kubeconfig;
  src.kubernetes_addr = cfg.kubernetes_addr;
  src.admin_conf = cfg.admin_conf;
  src.control_plane = cfg.control_plane;
  src.detect_control_plane = cfg.detect_control_plane;
  src.port = cfg.port;
  src.kubernetes_host = cfg.kubernetes_host;
  auto conn = k8s::select_config(src);
  if (!conn.ok()) {
    plan.problems.push_back("k8s_config_file=" + cfg.kubeconfig + ": " + conn.err().describe());
    return std::nullopt;
  }
  return std::move(conn).value();
}

/// k8s_io for the elector and k8s_events for Events (VIP conflicts), each
/// with its own connection so recording an Event never delays a renewal.
void add_api_children(const net::config::settings& cfg, const k8s::connection_config& conn,
                      node_plan& plan) {
  // A call never blocks k8s_io longer than its caller waits for the answer
  // (the elector's request timeout), so a partitioned API server cannot
  // queue stale requests behind a hung one.
  k8s::client_options copts;
  copts.request_timeout = std::min(cfg.renew_deadline, std::chrono::milliseconds{10000});
  plan.notes.push_back("Kubernetes API " + conn.server + " (" + conn.source + ")");
  auto node_name = cfg.node_name;
  for (auto [name, role] : {std::pair{"k8s_io", sibling_role::k8s_io},
                            std::pair{"k8s_events", sibling_role::k8s_events}}) {
    auto client = std::make_shared<k8s::client>(conn, copts);
    plan.children.push_back({name,
                             [client, node_name](caf::local_actor* parent, sibling_directory) {
                               return caf::actor_cast<msg::child_actor>(
                                   spawn_k8s_io(parent, client, node_name));
                             },
                             restart_policy::permanent, role});
  }
}

void add_announcer(const net::config::settings& cfg, const std::vector<msg::vip_spec>& vips,
                   net::telemetry::registry& reg, node_plan& plan) {
  arp_options aopts;
  aopts.refresh = cfg.arp_rate;
  aopts.node_name = cfg.node_name;
  for (const auto& v : vips)
    aopts.stale_vips.push_back(v.address);
  auto host = net::l2::make_kernel_host();
  plan.children.push_back({"announcer",
                           [aopts, host, &reg](caf::local_actor* parent, sibling_directory dir) {
                             auto o = aopts;
                             o.siblings = std::move(dir); // conflicts go to k8s_events
                             return caf::actor_cast<msg::child_actor>(
                                 spawn_arp_broadcaster(parent, o, host, reg));
                           },
                           restart_policy::permanent, sibling_role::announcer});
}

void add_elector(const net::config::settings& cfg, const std::vector<msg::vip_spec>& vips,
                 net::telemetry::registry& reg, node_plan& plan) {
  elector_options eopts;
  std::tie(eopts.lease_namespace, eopts.lease_name) = lease_location(cfg);
  eopts.timings.identity = cfg.node_name;
  eopts.timings.lease_duration = cfg.lease_duration;
  eopts.timings.renew_deadline = cfg.renew_deadline;
  eopts.timings.retry_period = cfg.retry_period;
  eopts.annotations = cfg.lease_annotations;
  eopts.vips = vips;
  eopts.request_timeout = std::min(cfg.renew_deadline, std::chrono::milliseconds{10000});
  plan.notes.push_back("control-plane VIP " + cfg.address.front() + " on " +
                       vips.front().interface + " (ARP/NDP), lease " + eopts.lease_namespace + "/" +
                       eopts.lease_name);
  plan.children.push_back({"elector",
                           [eopts, &reg](caf::local_actor* parent, sibling_directory dir) {
                             auto o = eopts;
                             o.siblings = std::move(dir); // k8s_io and announcer
                             return caf::actor_cast<msg::child_actor>(
                                 spawn_lease_elector(parent, o, reg));
                           },
                           restart_policy::permanent, sibling_role::elector});
}

void add_health_checker(const net::config::settings& cfg, node_plan& plan) {
  if (cfg.cp_health_check_address.empty()) return;
  health_options h;
  h.url = cfg.cp_health_check_address;
  h.ca_path = cfg.cp_health_check_ca_path;
  h.period = cfg.cp_health_check_period;
  h.timeout = cfg.cp_health_check_timeout;
  h.failure_threshold = cfg.cp_health_check_failure_threshold;
  plan.children.push_back({"health",
                           [h](caf::local_actor* parent, sibling_directory dir) {
                             return caf::actor_cast<msg::child_actor>(
                                 spawn_health_checker(parent, h, std::move(dir)));
                           },
                           restart_policy::permanent, sibling_role::health});
}

/// Lease mode (kube-vip's): the control-plane VIP (cp_enable) by the lease
/// elector and its announcer; Service IPs (svc_enable) by the service elector
/// (plndr-svcs-lock, or kubevip-<service> with svc_election).
void add_arp_lease_mode(const net::config::settings& cfg, net::telemetry::registry& reg,
                        node_plan& plan) {
  auto opened = net::netlink::socket::open();
  if (!opened) {
    plan.problems.push_back("netlink: " + opened.err().describe());
    return;
  }
  auto iface = choose_interface(cfg, **opened, plan);
  auto vips =
      cfg.control_plane ? control_plane_vips(cfg, iface, plan) : std::vector<msg::vip_spec>{};
  auto conn = api_connection(cfg, plan);
  if (!conn || !plan.problems.empty()) return;
  add_api_children(cfg, *conn, plan);
  add_node_labeler(cfg, *conn, reg, plan);
  if (cfg.control_plane) {
    add_announcer(cfg, vips, reg, plan);
    add_elector(cfg, vips, reg, plan);
    add_health_checker(cfg, plan);
  }
  if (!cfg.services) return;
  k8s::client_options copts; // a Lease call never outlasts the renew deadline
  copts.request_timeout = std::min(cfg.renew_deadline, std::chrono::milliseconds{10000});
  // vip_servicesinterface (a name) wins inside; "auto" falls back to `iface`.
  auto e = service_elector_settings(cfg, iface, std::make_shared<k8s::client>(*conn, copts));
  auto kube_vip = std::make_shared<net::telemetry::kube_vip_metrics>(reg, cfg.node_name);
  e.kube_vip = kube_vip;
  plan.children.push_back({"service_elector",
                           [e, &reg](caf::local_actor* parent, sibling_directory dir) {
                             auto o = e;
                             o.siblings = std::move(dir);
                             return caf::actor_cast<msg::child_actor>(
                                 spawn_service_elector(parent, o, reg));
                           },
                           restart_policy::permanent, sibling_role::service_elector});
  add_service_children(cfg, *conn, reg, std::move(kube_vip), plan);
  plan.notes.push_back(std::string{"Service IPs on "} + iface + " elected by " +
                       (cfg.services_election ? "a Lease per Service (kubevip-<service>)"
                                              : "Lease " + cfg.services_lease_name));
}

/// "host:port" of every configured gossip peer.
std::vector<std::string> gossip_peer_addresses(const net::config::settings& cfg) {
  std::vector<std::string> out;
  for (const auto& p : cfg.gossip_peers) {
    auto port = std::to_string(p.port != 0 ? p.port : cfg.gossip_port);
    out.push_back(p.host.find(':') != std::string::npos ? "[" + p.host + "]:" + port
                                                        : p.host + ":" + port);
  }
  return out;
}

gossip_options gossip_settings(const net::config::settings& cfg,
                               const std::vector<msg::vip_spec>& vips, node_plan& plan) {
  gossip_options g;
  g.node_name = cfg.node_name;
  g.vips = vips;
  g.interface = vips.empty() ? std::string{} : vips.front().interface;
  g.service_interface = cfg.services_interface;
  g.port = cfg.gossip_port;
  g.peer_addresses = gossip_peer_addresses(cfg);
  g.discover_nodes = g.peer_addresses.empty();
  g.membership.probe_period = cfg.gossip_probe_period;
  g.membership.probe_timeout = cfg.gossip_probe_timeout;
  g.membership.suspicion_timeout = cfg.gossip_suspicion_timeout;
  g.membership.seed = std::random_device{}();
  g.fence.fence_timeout = cfg.gossip_fence_timeout;
  g.fence.takeover_wait = cfg.gossip_takeover_wait;
  g.control_plane_check = !cfg.cp_health_check_address.empty();
  g.lease_namespace = cfg.cp_namespace;
  g.lease_duration = cfg.lease_duration;
  g.retry_period = cfg.retry_period;
  g.request_timeout = std::min(cfg.renew_deadline, std::chrono::milliseconds{10000});
  g.key_file = cfg.gossip_key_file;
  if (!cfg.gossip_key_file.empty()) // checked now so a bad file stops the start (exit 2)
    if (auto key = k8s::load_key_file(cfg.gossip_key_file); !key)
      plan.problems.push_back("kvip_gossip_key_file=" + cfg.gossip_key_file + ": " +
                              key.err().describe());
  g.answers = std::make_shared<net::l2::answer_table>();
  return g;
}

/// Gossip mode: the userspace responder answers for the VIPs this node owns
/// (held on lo), the gossip actor decides ownership of the control-plane VIP
/// (cp_enable) and of Service IPs (svc_enable); no Lease election and no
/// kernel-answered announcer.
void add_gossip(const net::config::settings& cfg, net::telemetry::registry& reg, node_plan& plan) {
  auto opened = net::netlink::socket::open();
  if (!opened) {
    plan.problems.push_back("netlink: " + opened.err().describe());
    return;
  }
  auto iface = choose_interface(cfg, **opened, plan);
  auto vips =
      cfg.control_plane ? control_plane_vips(cfg, iface, plan) : std::vector<msg::vip_spec>{};
  auto conn = api_connection(cfg, plan);
  auto g = gossip_settings(cfg, vips, plan);
  g.interface = iface;
  if (!conn || !plan.problems.empty()) return;
  add_api_children(cfg, *conn, plan);
  add_node_labeler(cfg, *conn, reg, plan);
  if (cfg.services) {
    g.kube_vip = std::make_shared<net::telemetry::kube_vip_metrics>(reg, cfg.node_name);
    add_service_children(cfg, *conn, reg, g.kube_vip, plan);
  }
  // Always: it serves the key (file or Secret), and the Nodes' addresses
  // when no peers are configured.
  node_watcher_options w;
  w.client = std::make_shared<k8s::client>(*conn, k8s::client_options{});
  w.node_name = cfg.node_name;
  w.family = !vips.empty() && vips.front().address.find(':') != std::string::npos
                 ? net::ip_address::family_t::v6
                 : net::ip_address::family_t::v4;
  w.key_namespace = cfg.cp_namespace;
  w.watch_nodes = g.discover_nodes;
  plan.children.push_back({"node_watcher",
                           [w](caf::local_actor* parent, sibling_directory dir) {
                             auto o = w;
                             o.siblings = std::move(dir); // peers go to the elector role
                             return caf::actor_cast<msg::child_actor>(
                                 spawn_node_watcher(parent, o));
                           },
                           restart_policy::permanent, sibling_role::node_watcher});
  responder_options r;
  r.interfaces = {iface};
  r.refresh = cfg.arp_rate;
  r.node_name = cfg.node_name;
  // One restore file per node name: several kvip nodes share a host's /run
  // in the simulation lab, and must never adopt each other's settings.
  r.host.restore_file = "/run/kvip/responder-" + cfg.node_name + ".restore";
  auto table = g.answers;
  plan.children.push_back({"responder",
                           [r, table](caf::local_actor* parent, sibling_directory) {
                             return caf::actor_cast<msg::child_actor>(
                                 spawn_arp_responder(parent, r, table));
                           },
                           restart_policy::permanent, sibling_role::responder});
  add_health_checker(cfg, plan);
  plan.notes.push_back((cfg.control_plane ? "control-plane VIP " + cfg.address.front() + " on "
                                          : std::string{"Service IPs on "}) +
                       iface + " (gossip on port " + std::to_string(cfg.gossip_port) +
                       ", userspace ARP/NDP responder)");
  plan.children.push_back({"gossip",
                           [g, &reg](caf::local_actor* parent, sibling_directory dir) {
                             auto o = g;
                             o.siblings = std::move(dir);
                             return caf::actor_cast<msg::child_actor>(spawn_gossip(parent, o, reg));
                           },
                           restart_policy::permanent, sibling_role::elector});
}

} // namespace

/// Knobs that parse but whose behaviour kvip does not have yet: a user who
/// sets one is told so at start-up instead of silently getting nothing.
void warn_unimplemented(const net::config::settings& cfg, node_plan& plan) {
  const std::pair<bool, const char*> knobs[] = {
      {cfg.preserve_on_leadership_loss, "vip_preserve_on_leadership_loss"},
      {cfg.lose_leadership, "vip_loseleadership"},
      {cfg.ddns, "vip_ddns"},
      {cfg.lb_enable, "lb_enable"},
      {cfg.enable_upnp, "enable_upnp"},
      {!cfg.mirror_dest_interface.empty(), "mirror_dest_interface"},
      {cfg.election == net::config::election_backend::etcd, "leaderElectionType=etcd"},
  };
  for (auto& [set, name] : knobs)
    if (set)
      plan.warnings.push_back(std::string{name} +
                              " is accepted but not implemented in kvip yet; it has no effect");
  if (cfg.interface == "lo")
    plan.warnings.push_back("vip_interface=lo: ARP/NDP mode announces on the VIP's interface; on "
                            "lo nothing is announced to the network");
}

node_plan plan_node(const net::config::settings& cfg, net::telemetry::registry& reg) {
  node_plan plan;
  warn_unimplemented(cfg, plan);
  if (!cfg.prometheus_server.empty()) {
    telemetry_options topts;
    topts.listen = cfg.prometheus_server;
    plan.children.push_back({"telemetry",
                             [topts, &reg](caf::local_actor* parent, sibling_directory) {
                               return msg::child_actor{spawn_telemetry(parent, topts, reg)};
                             },
                             restart_policy::permanent, sibling_role::telemetry});
  }
  if (cfg.health_check_port != 0) { // kube-vip: its own listener on every address
    telemetry_options hopts;
    hopts.listen = ":" + std::to_string(cfg.health_check_port);
    hopts.healthz_only = true;
    plan.children.push_back({"healthz",
                             [hopts, &reg](caf::local_actor* parent, sibling_directory) {
                               return msg::child_actor{spawn_telemetry(parent, hopts, reg)};
                             },
                             restart_policy::permanent, sibling_role::none});
  }
  if (cfg.bgp) plan.problems.push_back("bgp_enable=true: BGP mode is not implemented in kvip yet");
  if (cfg.routing_table)
    plan.problems.push_back("vip_routingtable=true: routing-table mode is not implemented in kvip "
                            "yet");
  if (cfg.wireguard)
    plan.problems.push_back("vip_wireguard=true: WireGuard mode is not implemented in kvip yet");
  if (cfg.services && !cfg.arp)
    plan.warnings.push_back("svc_enable=true: Services are announced in ARP/NDP mode only "
                            "(vip_arp=true) in kvip so far; BGP, routing-table and WireGuard "
                            "modes are later issues");
  if (cfg.arp && (cfg.control_plane || cfg.services)) {
    if (cfg.gossip)
      add_gossip(cfg, reg, plan);
    else
      add_arp_lease_mode(cfg, reg, plan);
  }
  return plan;
}

} // namespace kvip
