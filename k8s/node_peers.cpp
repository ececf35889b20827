#include "k8s/node_peers.hpp"

#include <algorithm>

#include "k8s/client.hpp"
#include "k8s/objects.hpp"
#include "k8s/resource.hpp"

namespace kvip::k8s {

namespace json = boost::json;

node_reading read_node(const json::object& obj, const std::string& self, ip_family prefer) {
  node n{obj};
  node_reading out;
  out.name = n.name();
  if (out.name.empty()) {
    out.skip_reason = "Node without metadata.name";
    return out;
  }
  if (out.name == self) {
    out.skip_reason = "this node";
    return out;
  }
  std::optional<net::ip_address> first_other;
  std::vector<std::string> unparsed;
  for (auto& a : n.addresses()) {
    if (a.type != "InternalIP") continue;
    auto ip = net::ip_address::parse(a.address);
    if (!ip) {
      unparsed.push_back(a.address);
      continue;
    }
    if (ip->family == prefer) {
      out.peer = node_peer{out.name, ip->to_string()};
      return out;
    }
    if (!first_other) first_other = ip;
  }
  if (first_other) {
    out.peer = node_peer{out.name, first_other->to_string()};
    return out;
  }
  if (unparsed.empty()) {
    out.skip_reason = "no InternalIP in status.addresses";
  } else {
    out.skip_reason = "InternalIP \"" + unparsed.front() + "\" is not an IP address";
  }
  return out;
}

node_peer_list node_peers_from(const std::vector<json::object>& nodes, const std::string& self,
                               ip_family prefer) {
  node_peer_list out;
  for (auto& obj : nodes) {
    auto r = read_node(obj, self, prefer);
    if (r.peer) {
      out.peers.push_back(std::move(*r.peer));
    } else {
      out.skipped[r.name] = r.skip_reason;
    }
  }
  std::sort(out.peers.begin(), out.peers.end(),
            [](const node_peer& a, const node_peer& b) { return a.name < b.name; });
  return out;
}

result<node_peer_list> list_node_peers(client& c, const std::string& self, ip_family prefer) {
  auto nodes = c.list(resources::nodes, "");
  if (!nodes) {
    auto e = nodes.err();
    e.message = "list Nodes: " + e.message;
    if (e.kind == error_kind::unauthorized) e.message += " (kvip needs list and watch on nodes)";
    return e;
  }
  return node_peers_from(nodes->items, self, prefer);
}

const char* to_string(peer_change::kind k) {
  switch (k) {
  case peer_change::kind::none:
    return "none";
  case peer_change::kind::added:
    return "added";
  case peer_change::kind::removed:
    return "removed";
  case peer_change::kind::changed:
    return "changed";
  }
  return "?";
}

peer_change node_peer_table::remove(const std::string& name, std::string reason) {
  peer_change ch;
  ch.name = name;
  ch.reason = std::move(reason);
  auto it = peers_.find(name);
  if (it == peers_.end()) return ch;
  ch.what = peer_change::kind::removed;
  ch.previous = it->second;
  peers_.erase(it);
  return ch;
}

peer_change node_peer_table::apply(const watch_event& e) {
  if (e.type == event_type::bookmark || e.type == event_type::error) return {};
  if (e.type == event_type::deleted) {
    auto name = node{e.object}.name();
    skipped_.erase(name);
    return remove(name, "Node deleted");
  }
  auto r = read_node(e.object, self_, prefer_);
  if (!r.peer) {
    if (!r.name.empty()) skipped_[r.name] = r.skip_reason;
    return remove(r.name, r.skip_reason);
  }
  skipped_.erase(r.name);
  peer_change ch;
  ch.name = r.name;
  ch.address = r.peer->address;
  auto [it, inserted] = peers_.try_emplace(r.name, r.peer->address);
  if (inserted) {
    ch.what = peer_change::kind::added;
  } else if (it->second != r.peer->address) {
    ch.what = peer_change::kind::changed;
    ch.previous = it->second;
    it->second = r.peer->address;
  }
  return ch;
}

std::vector<node_peer> node_peer_table::peers() const {
  std::vector<node_peer> out;
  out.reserve(peers_.size());
  for (auto& [name, address] : peers_)
    out.push_back({name, address});
  return out;
}

} // namespace kvip::k8s
