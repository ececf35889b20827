#pragma once
// Gossip peers and the cluster key, from Kubernetes (actors/node_watcher).
//
// Producers → consumers:
//   node_watcher → subscriber    : gossip_peers (the full peer list, after the first
//                                  list of Nodes and on every change)
//   node_watcher → node_watcher  : gossip_peers (its watch thread's report, forwarded)
//   any actor    → node_watcher  : gossip_key_request (reply: gossip_key_reply)
//
// The key never appears in traces or logs: gossip_key_reply's `inspect` leaves
// it out (these messages stay on the local node).

#include <string>
#include <vector>

#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "messages/supervision.hpp"
#include "messages/traced.hpp"

namespace kvip::msg {

/// One gossip peer: a Node's name and the address to gossip with.
struct gossip_peer_info {
  std::string name;    ///< the Node's name
  std::string address; ///< canonical IPv4 or IPv6 text, no port
  bool operator==(const gossip_peer_info&) const = default;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gossip_peer_info& x) {
  return f(caf::meta::type_name("gossip_peer_info"), x.name, x.address);
}

/// Every current peer (this node excluded), sorted by node name.
struct gossip_peers : traced {
  static constexpr const char* name = "gossip_peers";
  std::vector<gossip_peer_info> peers;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gossip_peers& x) {
  return f(caf::meta::type_name(gossip_peers::name), x.peers);
}

/// Load the cluster key: from `key_file` when set (kvip_gossip_key_file), else from
/// the Secret kvip-gossip-key in the watcher's namespace, creating it when missing.
/// Blocks the (detached) node_watcher for the API calls.
struct gossip_key_request : traced {
  static constexpr const char* name = "gossip_key_request";
  std::string key_file;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gossip_key_request& x) {
  return f(caf::meta::type_name(gossip_key_request::name), x.key_file);
}

/// The key (32 raw bytes) and where it came from, or why there is none.
struct gossip_key_reply : traced {
  static constexpr const char* name = "gossip_key_reply";
  bool ok = false;
  std::string key;        ///< ok: 32 raw bytes (never inspected, never logged)
  std::string source;     ///< "file /path" or "Secret ns/kvip-gossip-key"
  std::string error_text; ///< !ok: names the file or Secret and what is wrong
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gossip_key_reply& x) {
  return f(caf::meta::type_name(gossip_key_reply::name), x.ok, x.source, x.error_text);
}

/// The node watcher (actors/node_watcher): a child that answers key requests and
/// takes its watch thread's peer reports.
using node_watcher_actor =
    child_actor::extend<caf::replies_to<gossip_key_request>::with<gossip_key_reply>,
                        caf::reacts_to<gossip_peers>>;

} // namespace kvip::msg
