#pragma once
// Supervision messages.
//
// Producers → consumers:
//   signal thread (main)  → node         : signal_received
//   node                  → node         : restart_child (backoff timer)
//   node                  → every child  : dump_request, shutdown_request
//   every child           → node         : dump_reply, shutdown_done (replies)
//   node                  → telemetry    : children_status (to the directory's telemetry role)
//
// The node holds every child as a child_actor; children find each other
// through the typed directory it hands them (actors/directory.hpp).

#include <cstdint>
#include <string>

#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "messages/traced.hpp"

namespace kvip::msg {

/// A POSIX signal the daemon received (SIGTERM, SIGINT, SIGUSR1, SIGUSR2).
struct signal_received : traced {
  static constexpr const char* name = "signal_received";
  int signo = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, signal_received& x) {
  return f(caf::meta::type_name(signal_received::name), x.signo);
}

/// Timer: restart the named child now (its backoff has elapsed).
struct restart_child : traced {
  static constexpr const char* name = "restart_child";
  std::string child;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, restart_child& x) {
  return f(caf::meta::type_name(restart_child::name), x.child);
}

/// Ask an actor to describe its state for the SIGUSR1 dump.
struct dump_request : traced {
  static constexpr const char* name = "dump_request";
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dump_request&) {
  return f(caf::meta::type_name(dump_request::name));
}

/// One actor's state, human readable (one or more lines).
struct dump_reply : traced {
  static constexpr const char* name = "dump_reply";
  std::string actor;
  std::string text;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dump_reply& x) {
  return f(caf::meta::type_name(dump_reply::name), x.actor, x.text);
}

/// Orderly shutdown: undo what you did to the host, then reply.
struct shutdown_request : traced {
  static constexpr const char* name = "shutdown_request";
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shutdown_request&) {
  return f(caf::meta::type_name(shutdown_request::name));
}

/// Reply to shutdown_request: the actor has undone its host changes.
struct shutdown_done : traced {
  static constexpr const char* name = "shutdown_done";
  std::string actor;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shutdown_done& x) {
  return f(caf::meta::type_name(shutdown_done::name), x.actor);
}

/// How many of the supervisor's children are running (drives /readyz).
struct children_status : traced {
  static constexpr const char* name = "children_status";
  std::uint32_t up = 0;
  std::uint32_t total = 0;
  bool stopping = false;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, children_status& x) {
  return f(caf::meta::type_name(children_status::name), x.up, x.total, x.stopping);
}

// --- typed interfaces -------------------------------------------------------

/// What every supervised child answers: the SIGUSR1 dump and the orderly
/// shutdown. Each actor's own interface extends this one.
using child_actor = caf::typed_actor<caf::replies_to<dump_request>::with<dump_reply>,
                                     caf::replies_to<shutdown_request>::with<shutdown_done>>;

/// The telemetry actor: a child that also takes the children count.
using telemetry_actor = child_actor::extend<caf::reacts_to<children_status>>;

} // namespace kvip::msg
