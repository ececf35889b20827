// The node labels kvip writes with enable_node_labeling (reference
// kube-vip-behaviour.md §3.7): `kube-vip.io/has-ip=<VIP>` on the node holding
// the control-plane VIP, `service-provided.kube-vip.io/<svc>.<ns>=<addresses>`
// on each node announcing a Service. Pure: what this node owns -> the labels
// it should carry; those and its Node as read -> one JSON merge patch (null
// removes a key) or nothing. Every kvip label the node carries but should not
// is removed by prefix (is_kvip_node_label), so labels left by a crash, an
// older incarnation or kube-vip itself go at the first write (kube-vip removes
// exact keys only, weak spot 16). Plus one blocking write through the client
// (GET the Node, PATCH what differs), to run off the actor scheduler.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "k8s/services/types.hpp"

namespace kvip::k8s {
class client;
}

namespace kvip::k8s::services {

/// A Service this node announces, and the addresses of it this node holds (a
/// dual-stack Service's two addresses may be held by two nodes).
struct owned_service {
  std::string ns;
  std::string name;
  std::vector<std::string> addresses; ///< in the Service's order
  bool operator==(const owned_service&) const = default;
};

/// What this node owns now.
struct node_ownership {
  std::vector<std::string> control_plane; ///< control-plane VIPs this node holds
  std::vector<owned_service> services;
  bool operator==(const node_ownership&) const = default;
};

/// The labels a node owning `o` carries, and what could not be labelled.
struct desired_labels {
  std::map<std::string, std::string> labels;
  std::vector<std::string> problems; ///< one line each (a label left out)
};

/// The labels for `o`: has-ip = the control-plane VIPs' label values joined
/// by "_" (one VIP: the VIP; IPv6 as 32 hex digits); one service-provided
/// label per Service with addresses, its value the addresses joined by "_".
/// An unparsable address is skipped, a name or value too long for a label
/// leaves that label out; each is a problem.
desired_labels labels_for(const node_ownership& o);

/// The merge patch {"metadata":{"labels":{...}}} that makes `node` carry
/// `desired` and no other kvip label (every other label untouched), or
/// nullopt when it already does.
std::optional<boost::json::object> label_patch(const std::map<std::string, std::string>& desired,
                                               const boost::json::object& node);

/// How one write went.
enum class label_outcome { written, unchanged, failed };
const char* to_string(label_outcome o);

struct label_write_report {
  label_outcome result = label_outcome::failed;
  std::string detail; ///< the labels set and removed, or why not
};

/// Brings Node `node` to `desired` through `c` (blocking): GET, then a merge
/// patch of what differs (none when nothing does).
label_write_report write_node_labels(client& c, const std::string& node,
                                     const std::map<std::string, std::string>& desired);

} // namespace kvip::k8s::services
