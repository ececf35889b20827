#pragma once
// The status writer's own messages (actors/status_writer; its public
// interface, msg::status_writer_actor, is in messages/services.hpp).
//
// Producers → consumers:
//   status_writer → status_writer : status_retry_tick (its one timer: the
//                                   earliest Service whose retry is due)
//   status_writer → its workers   : service_status (one write to make)
//   a worker      → status_writer : status_write_done (the reply)

#include <cstdint>
#include <string>

#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "messages/services.hpp"
#include "messages/traced.hpp"

namespace kvip::msg {

/// Timer: writes whose backoff has ended may start.
struct status_retry_tick : traced {
  static constexpr const char* name = "status_retry_tick";
  std::uint64_t generation = 0; ///< only the latest armed tick counts
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, status_retry_tick& x) {
  return f(caf::meta::type_name(status_retry_tick::name), x.generation);
}

/// How one write of a Service's status went (k8s/status/write.hpp).
struct status_write_done : traced {
  static constexpr const char* name = "status_write_done";
  std::string ns;
  std::string service;
  std::uint8_t outcome = 0; ///< k8s::status::outcome
  std::int32_t reads = 0;
  std::int32_t writes = 0;
  std::int32_t conflicts = 0;
  std::string detail;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, status_write_done& x) {
  return f(caf::meta::type_name(status_write_done::name), x.ns, x.service, x.outcome, x.reads,
           x.writes, x.conflicts, x.detail);
}

/// A status writer's worker: blocks on the API for one write at a time.
using status_worker_actor =
    caf::typed_actor<caf::replies_to<service_status>::with<status_write_done>>;

/// The status writer as implemented: its interface plus its timer.
using status_writer_impl_actor = status_writer_actor::extend<caf::reacts_to<status_retry_tick>>;

} // namespace kvip::msg
