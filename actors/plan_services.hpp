#pragma once
// The Service children of a node's plan (svc_enable, issue 10): the service
// watcher, which feeds the desired Service IPs to the elector role (the gossip
// actor in gossip mode), and the status writer, which writes
// status.loadBalancer and kube-vip.io/vipHost for the Services this node owns.

#include <memory>

#include "actors/plan.hpp"
#include "k8s/connection.hpp"

namespace kvip::net::telemetry {
class kube_vip_metrics;
}

namespace kvip {

/// Appends the service watcher and (unless disable_service_updates) the
/// status writer to `plan`; the watcher updates `kube_vip`.
void add_service_children(const net::config::settings& cfg, const k8s::connection_config& conn,
                          net::telemetry::registry& reg,
                          std::shared_ptr<net::telemetry::kube_vip_metrics> kube_vip,
                          node_plan& plan);

/// enable_node_labeling: appends the node labeler (kube-vip.io/has-ip and
/// service-provided.kube-vip.io/<svc>.<ns> on this node's Node), before the
/// owners that report to it; nothing when the knob is off.
void add_node_labeler(const net::config::settings& cfg, const k8s::connection_config& conn,
                      net::telemetry::registry& reg, node_plan& plan);

} // namespace kvip
