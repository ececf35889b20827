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
//                                            blocks this detached actor only;
//                                            the current peer list (when there
//                                            is one) is sent again right after,
//                                            so a restarted gossip actor, which
//                                            asks for the key first, gets it
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

class directory;

/// What the node watcher needs.
struct node_watcher_options {
  std::shared_ptr<k8s::client> client;
  std::string node_name;                     ///< this node (never a peer)
  net::ip_address::family_t family =         ///< the VIPs' family: the InternalIP
      net::ip_address::family_t::v4;         ///< family preferred for peers
  std::string key_namespace = "kube-system"; ///< cp_namespace: the key Secret's home
  caf::actor subscriber;                     ///< gets msg::gossip_peers
  /// When set, peer lists go to the directory's elector role (the gossip
  /// actor, whichever incarnation runs) instead of `subscriber`.
  std::shared_ptr<const directory> siblings;
  bool watch_nodes = true;  ///< false: kvip_gossip_peers is set, only the key is served
  k8s::watch_options watch; ///< timeouts and backoff of the Node watch
};

/// Spawns the detached node watcher. The handle speaks msg::node_watcher_actor
/// (messages/gossip_peers.hpp); actor_cast it to that type.
caf::actor spawn_node_watcher(caf::local_actor* parent, node_watcher_options opts);

} // namespace kvip
