#pragma once
// node_watcher: where gossip peers and the cluster key come from when they are
// not configured (kvip_gossip_peers = "", kvip_gossip_key_file = "").
//
// A detached actor (msg::node_watcher_actor). Its own watch thread lists the
// cluster's Nodes and follows them (k8s::watcher: resumable watch, relist on
// 410), turning events into peer changes (k8s::node_peer_table), and reports
// the full peer list to the actor, which forwards it as msg::gossip_peers to the
// subscriber: once after the first list (even when empty), then on every
// change of the set (a kubelet heartbeat that leaves addresses alone is none).
//
//   gossip_key_request -> gossip_key_reply   the key file, else the Secret
//                                            kvip-gossip-key (k8s/gossip_key.hpp);
//                                            blocks this detached actor only
//
// The watch thread stops and is joined when the actor exits.

#include <memory>
#include <string>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "k8s/watch.hpp"
#include "net/ip.hpp"

namespace kvip::k8s {
class client;
}

namespace kvip {

/// What the node watcher needs.
struct node_watcher_options {
  std::shared_ptr<k8s::client> client;
  std::string node_name;                     ///< this node (never a peer)
  net::ip_address::family_t family =         ///< the VIPs' family: the InternalIP
      net::ip_address::family_t::v4;         ///< family preferred for peers
  std::string key_namespace = "kube-system"; ///< cp_namespace: the key Secret's home
  caf::actor subscriber;                     ///< gets msg::gossip_peers
  k8s::watch_options watch;                  ///< timeouts and backoff of the Node watch
};

/// Spawns the detached node watcher. The handle speaks msg::node_watcher_actor
/// (messages/gossip_peers.hpp); actor_cast it to that type.
caf::actor spawn_node_watcher(caf::local_actor* parent, node_watcher_options opts);

} // namespace kvip
