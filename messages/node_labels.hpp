#pragma once
// The node labeler's messages (enable_node_labeling; actors/node_labeler).
//
// Producers → consumers:
//   control-plane VIP owner → node_labeler : owned_control_plane (the
//                                            control-plane VIPs this node
//                                            holds; gossip: the gossip actor,
//                                            Lease mode: the lease elector)
//   Service IP owner        → node_labeler : owned_services (the Services
//                                            this node announces; gossip: the
//                                            gossip actor, Lease mode: the
//                                            service elector)
//   node_labeler            → node_labeler : node_label_tick (its one timer)
//   node_labeler            → its worker   : node_labels_wanted (one write)
//   its worker              → node_labeler : node_labels_done (the reply)
//
// Each report is the whole current state of its part (the latest wins); a
// sender sends it when it changes and again to a new labeler incarnation.

#include <cstdint>
#include <string>
#include <vector>

#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "messages/supervision.hpp"
#include "messages/traced.hpp"

namespace kvip::msg {

/// The control-plane VIPs this node holds now (none: it holds none).
struct owned_control_plane : traced {
  static constexpr const char* name = "owned_control_plane";
  std::vector<std::string> addresses;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, owned_control_plane& x) {
  return f(caf::meta::type_name(owned_control_plane::name), x.addresses);
}

/// A Service this node announces and the addresses of it it holds.
struct owned_service {
  std::string ns;
  std::string name;
  std::vector<std::string> addresses;
  bool operator==(const owned_service&) const = default;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, owned_service& x) {
  return f(caf::meta::type_name("owned_service"), x.ns, x.name, x.addresses);
}

/// The Services this node announces now, sorted by namespace and name.
struct owned_services : traced {
  static constexpr const char* name = "owned_services";
  std::vector<owned_service> services;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, owned_services& x) {
  return f(caf::meta::type_name(owned_services::name), x.services);
}

/// Timer: the startup grace ended, or a failed write's backoff did.
struct node_label_tick : traced {
  static constexpr const char* name = "node_label_tick";
  std::uint64_t generation = 0; ///< only the latest armed tick counts
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_label_tick& x) {
  return f(caf::meta::type_name(node_label_tick::name), x.generation);
}

/// One label of a Node.
struct node_label {
  std::string key;
  std::string value;
  bool operator==(const node_label&) const = default;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_label& x) {
  return f(caf::meta::type_name("node_label"), x.key, x.value);
}

/// The kvip labels the Node should carry (every other kvip label goes).
struct node_labels_wanted : traced {
  static constexpr const char* name = "node_labels_wanted";
  std::vector<node_label> labels;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_labels_wanted& x) {
  return f(caf::meta::type_name(node_labels_wanted::name), x.labels);
}

/// How one write went (k8s::services::label_outcome).
struct node_labels_done : traced {
  static constexpr const char* name = "node_labels_done";
  std::uint8_t outcome = 0;
  std::string detail;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_labels_done& x) {
  return f(caf::meta::type_name(node_labels_done::name), x.outcome, x.detail);
}

/// The node labeler (actors/node_labeler).
using node_labeler_actor =
    child_actor::extend<caf::reacts_to<owned_control_plane>, caf::reacts_to<owned_services>>;

/// Its worker: blocks on the API for one write at a time.
using node_label_worker_actor =
    caf::typed_actor<caf::replies_to<node_labels_wanted>::with<node_labels_done>>;

/// The labeler as implemented: its interface plus its timer.
using node_labeler_impl_actor = node_labeler_actor::extend<caf::reacts_to<node_label_tick>>;

} // namespace kvip::msg
