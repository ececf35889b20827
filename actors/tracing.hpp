#pragma once
// CAF glue for message tracing (DESIGN.md §6).
//
// Two conventions make every kvip message traceable:
//  - send with `tell` / `tell_after` / `tell_anon` (never `self->send` directly):
//    they stamp the message's cause and write a trace record when tracing is on;
//  - wrap handlers with `on(self, fn)`: while `fn` runs, the handled message's
//    cause is the "current" one, so whatever `fn` sends carries it forward; a
//    reply returned by `fn` is stamped and recorded too.
// With tracing off, the extra cost of a send is one relaxed atomic load.

#include <chrono>
#include <string>
#include <type_traits>
#include <utility>

#include "caf/actor_addr.hpp"
#include "caf/deep_to_string.hpp"
#include "caf/scheduled_actor.hpp"
#include "caf/send.hpp"
#include "messages/traced.hpp"
#include "net/telemetry/trace_sink.hpp"

namespace kvip {

namespace detail {

/// The cause of the message being handled on this thread (0 = none).
inline thread_local net::telemetry::cause_id current_cause = 0;

template <class F>
struct handler_sig : handler_sig<decltype(&F::operator())> {};
template <class C, class R, class A>
struct handler_sig<R (C::*)(A) const> {
  using arg = std::decay_t<A>;
  using result = R;
};
template <class C, class R, class A>
struct handler_sig<R (C::*)(A)> {
  using arg = std::decay_t<A>;
  using result = R;
};

template <class T>
constexpr bool is_traced_v = std::is_base_of_v<msg::traced, std::decay_t<T>>;

template <class Msg>
void stamp(Msg& m) {
  if (m.cause == 0)
    m.cause =
        current_cause != 0 ? current_cause : net::telemetry::trace_sink::instance().next_cause();
}

template <class Msg>
void record(std::uint64_t from, std::uint64_t to, const Msg& m) {
  auto& s = net::telemetry::trace_sink::instance();
  auto from_name = from == 0 ? std::string{"external"} : s.actor_name(from);
  auto to_name = s.actor_name(to);
  auto summary = caf::deep_to_string(m);
  s.write({from_name, to_name, Msg::name, summary, m.cause});
}

/// The id of a handle, 0 for an invalid one.
template <class Handle>
std::uint64_t id_of(const Handle& h) {
  return h ? h.id() : 0;
}

/// Restores the previous current cause when a handler returns.
struct cause_scope {
  explicit cause_scope(net::telemetry::cause_id c) : saved_(current_cause) { current_cause = c; }
  ~cause_scope() { current_cause = saved_; }
  cause_scope(const cause_scope&) = delete;
  cause_scope& operator=(const cause_scope&) = delete;

private:
  net::telemetry::cause_id saved_;
};

} // namespace detail

/// The cause of the message being handled right now (0 outside handlers).
inline net::telemetry::cause_id current_cause() {
  return detail::current_cause;
}

/// Sends `m` from `self` to `dest`, stamping and tracing it.
template <class Self, class Handle, class Msg>
void tell(Self* self, const Handle& dest, Msg m) {
  static_assert(detail::is_traced_v<Msg>, "kvip messages derive from msg::traced");
  detail::stamp(m);
  if (net::telemetry::trace_sink::instance().enabled())
    detail::record(self->id(), detail::id_of(dest), m);
  self->send(dest, std::move(m));
}

/// Like tell, delivered after `delay` (virtual time under the test coordinator).
template <class Self, class Handle, class Msg>
void tell_after(Self* self, const Handle& dest, caf::timespan delay, Msg m) {
  static_assert(detail::is_traced_v<Msg>, "kvip messages derive from msg::traced");
  detail::stamp(m);
  if (net::telemetry::trace_sink::instance().enabled())
    detail::record(self->id(), detail::id_of(dest), m);
  self->delayed_send(dest, delay, std::move(m));
}

/// Sends from a non-actor thread (signal handler thread, I/O threads).
template <class Handle, class Msg>
void tell_anon(const Handle& dest, Msg m) {
  static_assert(detail::is_traced_v<Msg>, "kvip messages derive from msg::traced");
  detail::stamp(m);
  if (net::telemetry::trace_sink::instance().enabled()) detail::record(0, detail::id_of(dest), m);
  caf::anon_send(dest, std::move(m));
}

/// Sends a request from `self` to `dest`, stamping and tracing it; returns
/// CAF's response handle (`.then(on(self, ...), on_error)`).
template <class Self, class Handle, class Msg>
auto ask(Self* self, const Handle& dest, caf::timespan timeout, Msg m) {
  static_assert(detail::is_traced_v<Msg>, "kvip messages derive from msg::traced");
  detail::stamp(m);
  if (net::telemetry::trace_sink::instance().enabled())
    detail::record(self->id(), detail::id_of(dest), m);
  return self->request(dest, timeout, std::move(m));
}

/// Wraps a one-argument handler so the handled message's cause becomes the
/// current cause while it runs; a traced reply it returns is stamped and
/// recorded as a message from `self` to the sender.
template <class Self, class F>
auto on(Self* self, F f) {
  using sig = detail::handler_sig<F>;
  using arg = typename sig::arg;
  using result = typename sig::result;
  return [self, f](const arg& m) mutable -> result {
    net::telemetry::cause_id c = 0;
    if constexpr (detail::is_traced_v<arg>) c = m.cause;
    if (c == 0) c = net::telemetry::trace_sink::instance().next_cause();
    detail::cause_scope scope{c};
    if constexpr (std::is_void_v<result>) {
      f(m);
    } else if constexpr (detail::is_traced_v<result>) {
      result r = f(m);
      detail::stamp(r);
      if (net::telemetry::trace_sink::instance().enabled()) {
        auto sender = self->current_sender();
        detail::record(self->id(), sender ? sender->id() : 0, r);
      }
      return r;
    } else {
      return f(m);
    }
  };
}

/// Names an actor in traces and dumps.
inline void name_actor(const caf::actor_addr& a, std::string name) {
  net::telemetry::trace_sink::instance().name_actor(a.id(), std::move(name));
}

} // namespace kvip
