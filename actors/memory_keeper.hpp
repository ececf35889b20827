#pragma once
// memory_keeper: the process's heap. glibc keeps the pages that freed
// memory leaves inside its arenas (a burst of 1000 Services frees megabytes
// of parsed objects that stay resident), so every `period` it asks malloc to
// give free pages back to the kernel (malloc_trim) and reports the heap as
// malloc sees it: kvip_heap_bytes{node,kind="in_use"|"free"} (mallinfo2,
// after the trim) and kvip_heap_trimmed_total{node} (trims that returned
// memory). malloc_trim is a walk of the arenas in memory (no I/O: fine on a
// scheduled actor). The arena limit (M_ARENA_MAX) is set once in main,
// before any thread starts.

#include <chrono>
#include <string>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

namespace kvip::net::telemetry {
class registry;
}

namespace kvip {

struct memory_keeper_options {
  std::string node_name;
  std::chrono::milliseconds period{10000};
};

/// malloc arenas kvip allows (mallopt M_ARENA_MAX), set by main before CAF
/// starts its threads: every detached actor and I/O thread would otherwise
/// get an arena of its own (up to 8 per core), each holding freed memory.
inline constexpr int malloc_arenas = 2;

caf::actor spawn_memory_keeper(caf::local_actor* parent, memory_keeper_options opts,
                               net::telemetry::registry& reg);

} // namespace kvip
