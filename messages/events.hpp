#pragma once
// Kubernetes Events (actors/event_recorder).
//
// Producers → consumers:
//   any actor       → event_recorder : k8s_event (fire and forget, no reply)
//   event_recorder  → event_recorder : event_retry_tick (timer: retry a failed write)
//   event_recorder  → its writer     : event_write (reply: event_written)
//
// The recorder folds identical Events into one (count), rate-limits each
// object and bounds its queue (k8s/events.hpp); a sender never waits for the
// API server and never learns whether its Event was written.

#include <cstdint>
#include <string>

#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "k8s/result.hpp"
#include "messages/supervision.hpp"
#include "messages/traced.hpp"

namespace kvip::msg {

/// Record a Kubernetes Event about an object. `kubectl describe <kind>
/// <object>` shows it (matched on namespace, name, kind and, when set, uid).
struct k8s_event : traced {
  static constexpr const char* name = "k8s_event";
  std::string api_version = "v1"; ///< of the involved object
  std::string kind;               ///< "Service", "Node", ...
  std::string ns;                 ///< "" for cluster-scoped objects (the Event goes to default)
  std::string object;             ///< the object's name
  std::string uid;                ///< the object's metadata.uid (optional)
  std::string type = "Normal";    ///< Normal | Warning
  std::string reason;             ///< CamelCase: "LoadBalancerIPConflict"
  std::string message;            ///< cut to 1 kB
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, k8s_event& x) {
  return f(caf::meta::type_name(k8s_event::name), x.api_version, x.kind, x.ns, x.object, x.uid,
           x.type, x.reason, x.message);
}

// --- the recorder's writes (internal: event_recorder and its writer) ---------

/// Timer: the API failed, try the write at the head of the queue again.
struct event_retry_tick : traced {
  static constexpr const char* name = "event_retry_tick";
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_retry_tick&) {
  return f(caf::meta::type_name(event_retry_tick::name));
}

/// One write: POST the Event `body` (create) or merge-PATCH Event ns/name.
struct event_write : traced {
  static constexpr const char* name = "event_write";
  std::uint64_t id = 0; ///< echoed in event_written
  bool create = true;
  std::string ns;
  std::string event; ///< the Event's name
  std::string body;  ///< JSON: the whole Event (create) or the merge patch
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_write& x) {
  return f(caf::meta::type_name(event_write::name), x.id, x.create, x.ns, x.event);
}

/// Reply to event_write: done, or the API error as the client classified it.
struct event_written : traced {
  static constexpr const char* name = "event_written";
  std::uint64_t id = 0;
  bool ok = false;
  k8s::error_kind error = k8s::error_kind::transport; ///< !ok
  int http_status = 0;                                ///< !ok; 0 when no response arrived
  std::string error_text;                             ///< !ok: k8s::error::describe()
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_written& x) {
  return f(caf::meta::type_name(event_written::name), x.id, x.ok, x.error, x.http_status,
           x.error_text);
}

// --- typed interfaces -------------------------------------------------------

/// The event recorder (actors/event_recorder): a child that takes Events.
using event_recorder_actor = child_actor::extend<caf::reacts_to<k8s_event>>;

/// Its implementation: the interface plus its retry timer. Only
/// actors/event_recorder uses it.
using event_recorder_impl_actor = event_recorder_actor::extend<caf::reacts_to<event_retry_tick>>;

/// Its writer (a detached actor inside actors/event_recorder): the only place
/// the recorder's HTTP calls block.
using event_writer_actor = caf::typed_actor<caf::replies_to<event_write>::with<event_written>>;

} // namespace kvip::msg
