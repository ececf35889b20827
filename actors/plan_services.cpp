#include "actors/plan_services.hpp"

#include <memory>

#include "actors/conntrack_flusher.hpp"
#include "actors/directory.hpp"
#include "actors/event_recorder.hpp"
#include "actors/ipam_allocator.hpp"
#include "actors/node_labeler.hpp"
#include "actors/service_watcher.hpp"
#include "actors/status_writer.hpp"
#include "caf/all.hpp"
#include "k8s/client.hpp"

namespace kvip {

void add_service_children(const net::config::settings& cfg, const k8s::connection_config& conn,
                          net::telemetry::registry& reg,
                          std::shared_ptr<net::telemetry::kube_vip_metrics> kube_vip,
                          node_plan& plan) {
  using sibling_directory = std::shared_ptr<const directory>;
  if (!cfg.disable_service_updates) {
    status_writer_options s;
    s.connection = conn;
    s.node_name = cfg.node_name;
    plan.children.push_back({"status_writer",
                             [s, &reg](caf::local_actor* parent, sibling_directory) {
                               return caf::actor_cast<msg::child_actor>(
                                   spawn_status_writer(parent, s, reg));
                             },
                             restart_policy::permanent, sibling_role::status_writer});
  } else {
    plan.notes.push_back("disable_service_updates=true: Service status and kube-vip.io/vipHost "
                         "are not written");
  }
  event_recorder_options ev;
  ev.client = std::make_shared<k8s::client>(conn, k8s::client_options{});
  ev.node_name = cfg.node_name;
  plan.children.push_back({"event_recorder",
                           [ev, &reg](caf::local_actor* parent, sibling_directory) {
                             return caf::actor_cast<msg::child_actor>(
                                 spawn_event_recorder(parent, ev, reg));
                           },
                           restart_policy::permanent, sibling_role::events});
  conntrack_flusher_options ct;
  ct.node_name = cfg.node_name;
  plan.children.push_back({"conntrack_flusher",
                           [ct, &reg](caf::local_actor* parent, sibling_directory) {
                             return caf::actor_cast<msg::child_actor>(
                                 spawn_conntrack_flusher(parent, ct, reg));
                           },
                           restart_policy::permanent, sibling_role::conntrack});
  if (cfg.ipam) {
    auto a =
        ipam_allocator_settings(cfg, std::make_shared<k8s::client>(conn, k8s::client_options{}));
    plan.children.push_back({"ipam_allocator",
                             [a, &reg](caf::local_actor* parent, sibling_directory dir) {
                               auto o = a;
                               o.siblings = std::move(dir); // Events to the recorder
                               return caf::actor_cast<msg::child_actor>(
                                   spawn_ipam_allocator(parent, o, reg));
                             },
                             restart_policy::permanent, sibling_role::none});
    plan.notes.push_back("address pools from ConfigMap " + cfg.ipam_config_map_namespace + "/" +
                         cfg.ipam_config_map + " (one allocator acts, elected by Lease " +
                         cfg.ipam_lease_name + ")");
  }
  auto w =
      service_watcher_settings(cfg, std::make_shared<k8s::client>(conn, k8s::client_options{}));
  w.metrics = &reg;
  w.kube_vip = std::move(kube_vip);
  // Every node watches; each reports a broken Service from its own name
  // (Events fold per node: one Event per node and reason, its count growing).
  w.report_events = true;
  plan.children.push_back({"service_watcher",
                           [w](caf::local_actor* parent, sibling_directory dir) {
                             auto o = w;
                             o.siblings = std::move(dir); // sets to the elector role
                             return caf::actor_cast<msg::child_actor>(
                                 spawn_service_watcher(parent, o));
                           },
                           restart_policy::permanent, sibling_role::none});
  plan.notes.push_back(
      "Services of type LoadBalancer" +
      (cfg.svc_namespace.empty() ? std::string{" in every namespace"}
                                 : " in namespace " + cfg.svc_namespace) +
      (cfg.enable_endpoints ? " (endpoints from core/v1 Endpoints)" : " (EndpointSlices)"));
}

void add_node_labeler(const net::config::settings& cfg, const k8s::connection_config& conn,
                      net::telemetry::registry& reg, node_plan& plan) {
  if (!cfg.enable_node_labeling) return;
  node_labeler_options o;
  o.connection = conn;
  o.node_name = cfg.node_name;
  o.expect_control_plane = cfg.control_plane;
  o.expect_services = cfg.services;
  plan.children.push_back({"node_labeler",
                           [o, &reg](caf::local_actor* parent, std::shared_ptr<const directory>) {
                             return caf::actor_cast<msg::child_actor>(
                                 spawn_node_labeler(parent, o, reg));
                           },
                           restart_policy::permanent, sibling_role::node_labeler});
  plan.notes.push_back("enable_node_labeling: Node " + cfg.node_name +
                       " labelled with kube-vip.io/has-ip and service-provided.kube-vip.io/* "
                       "for what it holds (stale kvip labels removed)");
}

} // namespace kvip
