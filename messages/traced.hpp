#pragma once
// The base of every kvip message: a causal id (DESIGN.md §6).
//
// Producers → consumers: every actor → every actor.
//
// A message handled inside a traced handler (actors/tracing.hpp) makes every
// message sent from that handler carry the same cause; a message sent from
// outside any handler (a timer, a signal, an I/O thread) starts a new cause.
// The cause is deliberately left out of `inspect`, so payload summaries stay
// short; it travels as a plain field.

#include <cstdint>

namespace kvip::msg {

/// Base of all kvip message structs. Every derived struct also declares
/// `static constexpr const char* name`, the type name used in traces.
struct traced {
  std::uint64_t cause = 0; ///< causal id; 0 = stamp from the current handler
};

} // namespace kvip::msg
