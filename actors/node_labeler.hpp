#pragma once
// node_labeler (enable_node_labeling): keeps this node's Node labelled with
// what it owns, as kube-vip does (reference §3.7): `kube-vip.io/has-ip=<VIP>`
// while it holds the control-plane VIP, `service-provided.kube-vip.io/<svc>.<ns>
// =<addresses>` for each Service it announces. The decisions are pure
// (k8s/services/node_labels.hpp); this actor only drives them.
//
//   owned_control_plane (gossip actor / lease elector) -> the has-ip part
//   owned_services (gossip actor / service elector)    -> the service part
//   dump_request -> dump_reply; shutdown_request -> shutdown_done
//
// Nobody waits for it and nothing waits in it:
//  - the write (GET the Node, merge-PATCH what differs) runs on one detached
//    worker with its own API connection and rate limiter;
//  - coalescing: at most one write in flight; reports that arrive meanwhile
//    only change the desired labels, written when the write in flight ends
//    (the latest state wins, intermediate ones are never written);
//  - a failed write is retried after a backoff (the desired labels at that
//    time);
//  - start: no write until every expected part has been reported once (its
//    owner reports at start, also "nothing") or `startup_grace` passed; the
//    first write then removes every kvip label this node carries but does
//    not own any more (crash leftovers, by prefix: kube-vip never does).
// At shutdown the labels stay (the next owner or the next start fixes them).
// Metric: kvip_node_label_writes_total{node,outcome}.

#include <chrono>
#include <string>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "k8s/backoff.hpp"
#include "k8s/client.hpp"

namespace kvip::net::telemetry {
class registry;
}

namespace kvip {

struct node_labeler_options {
  k8s::connection_config connection; ///< the worker opens its own connection
  k8s::client_options client;
  std::string node_name;             ///< the Node to label (vip_nodename)
  bool expect_control_plane = false; ///< wait for an owned_control_plane report (cp_enable)
  bool expect_services = false;      ///< wait for an owned_services report (svc_enable)
  std::chrono::milliseconds startup_grace{10000};
  k8s::backoff_policy retry{std::chrono::milliseconds{500}, std::chrono::milliseconds{30000}, 2.0,
                            0.5};
};

/// Spawns the labeler. The handle speaks msg::node_labeler_actor
/// (messages/node_labels.hpp); actor_cast it to that type.
caf::actor spawn_node_labeler(caf::local_actor* parent, node_labeler_options opts,
                              net::telemetry::registry& reg);

} // namespace kvip
