// Gossip peers from the cluster's Node objects (kvip_gossip_peers = ""): each
// Node other than this one, by name, at one of its InternalIP addresses.
//
// Address choice: the first InternalIP of the preferred family (the family of
// the cluster's VIPs), else the first InternalIP of the other family (gossip
// works over either; a single-stack IPv6 node still gossips in an IPv4-VIP
// cluster). Nodes without a usable InternalIP are skipped with a reason, and
// this node is skipped as itself; skipped Nodes are counted, never fatal.
//
// node_peer_table follows a Node watch (k8s/watch.hpp): every event becomes an
// added / removed / changed peer, or nothing (a kubelet status heartbeat that
// leaves the address alone).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "k8s/result.hpp"
#include "k8s/watch_event.hpp"
#include "net/ip.hpp"

namespace kvip::k8s {

class client;

using ip_family = net::ip_address::family_t;

/// One gossip peer: a Node's name and the address to gossip with.
struct node_peer {
  std::string name;
  std::string address; ///< canonical text ("10.0.0.2", "fd00::2")
  bool operator==(const node_peer&) const = default;
};

/// What one Node object gives: a peer, or why it gives none.
struct node_reading {
  std::string name;
  std::optional<node_peer> peer;
  std::string skip_reason; ///< set when !peer
};

/// Reads one Node: its name and the address to use (see the header comment).
/// `self` (this node's name) is skipped with reason "this node".
node_reading read_node(const boost::json::object& node, const std::string& self, ip_family prefer);

/// Peers of a Node list, sorted by name, and the skipped Nodes with reasons.
struct node_peer_list {
  std::vector<node_peer> peers;
  std::map<std::string, std::string> skipped; ///< Node name -> reason
};

/// Reads every Node of a list.
node_peer_list node_peers_from(const std::vector<boost::json::object>& nodes,
                               const std::string& self, ip_family prefer);

/// LISTs the cluster's Nodes and reads them; an API error as the client classified it,
/// with the RBAC kvip needs named for 401/403.
result<node_peer_list> list_node_peers(client& c, const std::string& self, ip_family prefer);

/// What one watch event did to the peer set.
struct peer_change {
  enum class kind { none, added, removed, changed };
  kind what = kind::none;
  std::string name;
  std::string address;  ///< the new address (added, changed)
  std::string previous; ///< the old address (removed, changed)
  std::string reason;   ///< why a Node is not (or no longer) a peer, when skipped
};

/// "none", "added", "removed", "changed".
const char* to_string(peer_change::kind k);

/// The current peers of a Node watch.
class node_peer_table {
public:
  node_peer_table(std::string self, ip_family prefer) : self_(std::move(self)), prefer_(prefer) {}

  /// Applies ADDED / MODIFIED / DELETED of a Node; BOOKMARK and ERROR change nothing.
  peer_change apply(const watch_event& e);

  /// Current peers, sorted by name.
  std::vector<node_peer> peers() const;
  /// Nodes seen that are not peers, with the reason.
  const std::map<std::string, std::string>& skipped() const { return skipped_; }

private:
  peer_change remove(const std::string& name, std::string reason);

  std::string self_;
  ip_family prefer_;
  std::map<std::string, std::string> peers_; ///< name -> address
  std::map<std::string, std::string> skipped_;
};

} // namespace kvip::k8s
