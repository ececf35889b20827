#pragma once
// event_recorder: Kubernetes Events for every actor (msg::event_recorder_actor).
//
// Any actor sends msg::k8s_event and moves on. The recorder runs the Event
// core (k8s/events.hpp: identical Events fold into one whose count grows, a
// token bucket per object, messages capped at 1 kB) and performs the writes —
// a POST for a new Event, a merge PATCH of count and lastTimestamp for a
// repeat — through its writer, a detached actor linked to it that owns the
// blocking HTTP calls. The recorder itself is an ordinary scheduled actor
// that never waits: one write is in flight at a time, the rest wait in a
// bounded queue where a repeat of a queued write is merged into it (a burst
// of identical Events costs two writes). When the queue is full the oldest
// write is dropped and counted; when the API fails (no answer, timeout, 429,
// 5xx) the write is retried with exponential backoff, `max_attempts` times at
// most, while new Events keep queueing up to the bound: an API server that is
// down costs a bounded queue, never an unbounded buffer. A patch whose Event
// is gone (404: expired, deleted) creates it again with its count; a create
// that finds its name taken (the previous try was written but unanswered) is
// done. Other refusals (400, 403, 422) are dropped with a warning.
//
// One debug log line per write. Metrics:
//   kvip_events_total{result}             created | updated (a patch written) |
//                                         folded (merged into a queued write) |
//                                         rate_limited | invalid | queue_full |
//                                         rejected (refused by the API) |
//                                         failed (gave up after max_attempts)
//   kvip_event_write_retries_total        writes tried again after an API failure

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "caf/fwd.hpp"
#include "k8s/backoff.hpp"
#include "k8s/events.hpp"

namespace kvip::k8s {
class client;
}
namespace kvip::net::telemetry {
class registry;
}

namespace kvip {

/// What the event recorder needs.
struct event_recorder_options {
  std::shared_ptr<k8s::client> client;
  std::string node_name;         ///< source.host / reportingInstance of every Event
  k8s::event_policy policy;      ///< folding, per-object rate limit, bounds (instance := node_name)
  std::size_t queue_limit = 256; ///< writes waiting; beyond it the oldest is dropped
  k8s::backoff_policy retry{std::chrono::milliseconds{200}, std::chrono::milliseconds{30000}, 2.0,
                            0.2}; ///< waits between tries after an API failure
  int max_attempts = 12;          ///< tries of one write (client-go: 12)
  /// How long one write may take before it counts as failed; 0 = the client's
  /// request timeout plus 5 s (the client always answers within its own).
  std::chrono::milliseconds write_timeout{0};
  /// Wall clock for the Events' timestamps, folding and rate limit (null =
  /// the system clock).
  std::function<std::chrono::system_clock::time_point()> wall_clock;
};

/// Spawns the recorder (scheduled) and its writer (detached, linked to it).
/// The handle speaks msg::event_recorder_actor (messages/events.hpp);
/// actor_cast it to that type. `reg` must outlive the actor.
caf::actor spawn_event_recorder(caf::local_actor* parent, event_recorder_options opts,
                                net::telemetry::registry& reg);

} // namespace kvip
