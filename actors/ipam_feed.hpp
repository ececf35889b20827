#pragma once
// The detached parts of the IPAM allocator (actors/ipam_allocator.hpp): where
// its blocking HTTP calls happen, so the allocator itself never waits.
//
// - The feed (msg::ipam_feed_actor, detached): while this node holds the IPAM
//   Lease, two threads list and watch Services (all namespaces) and the pool
//   ConfigMap (by name, in its namespace) with k8s::watcher, each on a client of
//   its own, and send every event (msg::ipam_object) and every completed
//   (re)list (msg::ipam_synced) to the allocator, stamped with the leadership
//   term. The threads stop and are joined when the feed exits.
// - A writer (msg::ipam_writer_actor, detached): one merge PATCH of a Service at
//   a time on a client of its own.

#include <cstdint>
#include <memory>
#include <string>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "k8s/client.hpp"
#include "k8s/watch.hpp"

namespace kvip {

/// What the feed watches.
struct ipam_feed_options {
  k8s::connection_config connection;
  k8s::client_options client;
  std::string config_map_namespace = "kube-system";
  std::string config_map_name = "kubevip";
  k8s::watch_options watch; ///< timeouts and backoff of both watches
};

/// Spawns the feed for leadership `term`, reporting to `allocator` (linked to `parent`).
caf::actor spawn_ipam_feed(caf::local_actor* parent, ipam_feed_options opts, std::uint64_t term,
                           caf::actor allocator);

/// Spawns a writer with its own connection (linked to `parent`).
caf::actor spawn_ipam_writer(caf::local_actor* parent, std::shared_ptr<k8s::client> client);

} // namespace kvip
