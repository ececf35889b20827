#pragma once
// The typed directory of sibling actors. The node supervisor owns one and
// hands it to every child it starts; it publishes each child that plays a
// sibling role when the child starts (also after a restart) and withdraws it
// when that incarnation goes down. A child reads its siblings at send time,
// so it always reaches the current incarnation, and a sibling that is down
// reads as an invalid handle (a send to it is dropped).
//
// Slots hold weak references: the directory never keeps an actor alive.
// Thread-safe: detached children read it from their own threads.

#include <cstddef>
#include <mutex>

#include "caf/actor.hpp"
#include "caf/actor_addr.hpp"
#include "caf/actor_cast.hpp"
#include "messages/announce.hpp"
#include "messages/conntrack.hpp"
#include "messages/election.hpp"
#include "messages/events.hpp"
#include "messages/node_labels.hpp"
#include "messages/responder.hpp"
#include "messages/services.hpp"
#include "messages/supervision.hpp"

namespace kvip {

/// The part a child plays for its siblings (none: nobody looks it up).
enum class sibling_role {
  none,
  k8s_io,          ///< Kubernetes API calls of the elector (msg::k8s_io_actor)
  k8s_events,      ///< Kubernetes Events, on their own connection (msg::k8s_io_actor)
  announcer,       ///< ARP/NDP announcer (msg::announcer_actor)
  elector,         ///< lease elector (msg::elector_actor)
  health,          ///< control-plane health checker (msg::health_actor)
  responder,       ///< userspace ARP/NDP responder, gossip mode (msg::responder_actor)
  node_watcher,    ///< Nodes -> gossip peers, the gossip key (dynamically typed: caf::actor)
  status_writer,   ///< Service status and kube-vip.io/vipHost (msg::status_writer_actor)
  events,          ///< Event recorder: folded, rate-limited Events (msg::event_recorder_actor)
  service_elector, ///< Service IPs' Lease election, gossip off (msg::service_elector_actor)
  node_labeler,    ///< this node's kvip labels, enable_node_labeling (msg::node_labeler_actor)
  conntrack,       ///< kube-vip.io/flush-conntrack (msg::conntrack_actor)
  telemetry,       ///< HTTP endpoints, takes children_status (msg::telemetry_actor); keep last
};

class directory {
public:
  msg::k8s_io_actor k8s_io() const { return get<msg::k8s_io_actor>(sibling_role::k8s_io); }
  msg::k8s_io_actor k8s_events() const { return get<msg::k8s_io_actor>(sibling_role::k8s_events); }
  msg::announcer_actor announcer() const {
    return get<msg::announcer_actor>(sibling_role::announcer);
  }
  msg::elector_actor elector() const { return get<msg::elector_actor>(sibling_role::elector); }
  msg::health_actor health() const { return get<msg::health_actor>(sibling_role::health); }
  msg::responder_actor responder() const {
    return get<msg::responder_actor>(sibling_role::responder);
  }
  caf::actor node_watcher() const { return get<caf::actor>(sibling_role::node_watcher); }
  msg::status_writer_actor status_writer() const {
    return get<msg::status_writer_actor>(sibling_role::status_writer);
  }
  msg::event_recorder_actor events() const {
    return get<msg::event_recorder_actor>(sibling_role::events);
  }
  msg::service_elector_actor service_elector() const {
    return get<msg::service_elector_actor>(sibling_role::service_elector);
  }
  msg::node_labeler_actor node_labeler() const {
    return get<msg::node_labeler_actor>(sibling_role::node_labeler);
  }
  msg::conntrack_actor conntrack() const {
    return get<msg::conntrack_actor>(sibling_role::conntrack);
  }
  msg::telemetry_actor telemetry() const {
    return get<msg::telemetry_actor>(sibling_role::telemetry);
  }

  /// `a` is now the running incarnation playing `r` (replaces the previous).
  void publish(sibling_role r, const caf::actor_addr& a) {
    if (r == sibling_role::none) return;
    std::lock_guard<std::mutex> lock{mutex_};
    slots_[index(r)] = a;
  }

  /// The incarnation `a` of `r` went down; a newer incarnation stays.
  void withdraw(sibling_role r, const caf::actor_addr& a) {
    if (r == sibling_role::none) return;
    std::lock_guard<std::mutex> lock{mutex_};
    if (slots_[index(r)] == a) slots_[index(r)] = caf::actor_addr{};
  }

  /// Empties every slot (the supervisor stopped).
  void clear() {
    std::lock_guard<std::mutex> lock{mutex_};
    for (auto& s : slots_)
      s = caf::actor_addr{};
  }

private:
  static constexpr std::size_t slot_count = static_cast<std::size_t>(sibling_role::telemetry) + 1;
  static std::size_t index(sibling_role r) { return static_cast<std::size_t>(r); }

  /// The live actor in slot `r` as `Handle` (the role's interface), or an
  /// invalid handle when the slot is empty or its actor is gone.
  template <class Handle>
  Handle get(sibling_role r) const {
    std::lock_guard<std::mutex> lock{mutex_};
    return caf::actor_cast<Handle>(slots_[index(r)]);
  }

  mutable std::mutex mutex_;
  caf::actor_addr slots_[slot_count];
};

} // namespace kvip
