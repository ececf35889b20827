#pragma once
// Shared set-up for actor tests: CAF's deterministic test coordinator
// (virtual time; nothing runs until the test says so).
//
// Note: the fixture's run() also fires pending timeouts, so tests of timing
// use sched.run() (messages only) together with advance_time().

// 0.17.6 bug: test_coordinator_fixture::request<T>() calls an undefined FAIL().
#define FAIL(msg) CAF_FAIL(msg)
#include "caf/test/dsl.hpp"

#include <memory>

#include "caf/all.hpp"

namespace kvip::test {

/// Records how an observed actor ended.
struct exit_record {
  bool down = false;
  caf::error reason;
};

/// Spawns an actor that monitors `target` and fills `out` when it goes down.
inline caf::actor observe_exit(caf::actor_system& sys, const caf::actor& target,
                               std::shared_ptr<exit_record> out) {
  return sys.spawn([target, out](caf::event_based_actor* self) -> caf::behavior {
    self->monitor(target);
    self->set_down_handler([self, out](caf::down_msg& dm) {
      out->down = true;
      out->reason = dm.reason;
      self->quit();
    });
    return {[](int) {}};
  });
}

} // namespace kvip::test
