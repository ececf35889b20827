// The gossip actor's peers from the cluster's Node objects (kvip_gossip_peers
// empty: actors/node_watcher sends the whole list after the first list and
// on every change). Every listed Node is learnt (its address, a transport
// connection, a membership join). A Node an earlier list named and this one
// does not (deleted, lost its InternalIP, ...) is forgotten: membership
// drops it (membership::forget: removed, not dead, and ignored from then on,
// its frames included: see on_frame), the transport closes its connection,
// its address and per-member state go, its kvip_gossip_member_alive series
// is removed, and ownership gets the new member list (run_membership), so
// the majority is counted over one node fewer. What that means for safety is
// in net/gossip/membership.hpp. Peers configured with kvip_gossip_peers are
// never forgotten: the Node list is not watched then.

#include <spdlog/spdlog.h>

#include "actors/gossip_state.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip::gossip_actor {

namespace {

void forget_peer(pointer self, const std::string& name) {
  auto& st = self->state;
  std::string address = "no address";
  if (auto it = st.address_of.find(name); it != st.address_of.end()) {
    address = it->second;
    if (st.tx) st.tx->forget(it->second);
    st.address_of.erase(it);
  }
  spdlog::info("gossip: peer {} ({}) removed: its Node is gone or no longer a peer", name, address);
  st.echo_from.erase(name);
  st.answers_for.erase(name);
  // A member no longer in the cluster has no series (rather than a 0, which
  // reads as a dead member).
  st.reg
      ->gauge_family(
          "kvip_gossip_member_alive",
          "1 while this node sees the member alive (not suspect, dead or left) (gossip mode).",
          {"node", "member"})
      .remove({st.opts.node_name, name});
  run_membership(self, st.members->forget(now(self), name));
}

} // namespace

void nodes_listed(pointer self, const std::vector<msg::gossip_peer_info>& peers) {
  auto& st = self->state;
  if (!st.members) return; // no cluster key yet: the watcher sends the list again
  std::set<std::string> listed;
  for (const auto& p : peers)
    if (!p.name.empty() && p.name != st.opts.node_name) listed.insert(p.name);
  if (st.opts.discover_nodes) {
    // Forgotten before the others are learnt: a Node renamed at the same
    // address is then connected afresh.
    auto before = st.from_nodes;
    for (const auto& name : before)
      if (!listed.contains(name)) forget_peer(self, name);
    st.from_nodes = std::move(listed);
  }
  // Node addresses come without a port: every node gossips on the cluster's
  // kvip_gossip_port.
  for (const auto& p : peers)
    learn_peer(self, p.name, gossip_address(p.address, st.opts.port));
}

} // namespace kvip::gossip_actor
