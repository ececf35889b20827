#include "actors/memory_keeper.hpp"

#include <malloc.h>

#include <spdlog/spdlog.h>

#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

namespace {

/// Timer of the memory keeper.
struct memory_tick : msg::traced {
  static constexpr const char* name = "memory_tick";
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, memory_tick&) {
  return f(caf::meta::type_name(memory_tick::name));
}

struct memory_state {
  memory_keeper_options opts;
  net::telemetry::registry* reg = nullptr;
  std::size_t in_use = 0; ///< after the last trim
  std::size_t free = 0;
  std::size_t trims = 0; ///< that returned memory
  static inline const char* name = "memory_keeper";
};

using memory_impl = msg::child_actor::extend<caf::reacts_to<memory_tick>>;
using memory_pointer = memory_impl::stateful_pointer<memory_state>;

void trim(memory_state& st) {
  bool returned = ::malloc_trim(0) != 0;
  auto mi = ::mallinfo2();
  st.in_use = mi.uordblks;
  st.free = mi.fordblks;
  auto& bytes = st.reg->gauge_family(
      "kvip_heap_bytes",
      "The malloc heap after the latest trim: bytes in use and free (kept by malloc).",
      {"node", "kind"});
  bytes.with({st.opts.node_name, "in_use"}).Set(static_cast<double>(st.in_use));
  bytes.with({st.opts.node_name, "free"}).Set(static_cast<double>(st.free));
  auto& trims =
      st.reg->counter_family("kvip_heap_trimmed_total",
                             "Periodic malloc trims that returned memory to the kernel.", {"node"});
  if (returned) {
    ++st.trims;
    trims.with({st.opts.node_name}).Increment();
  }
}

memory_impl::behavior_type memory_fn(memory_pointer self, memory_keeper_options opts,
                                     net::telemetry::registry* reg) {
  log_crashes(self, "memory_keeper");
  self->state.opts = std::move(opts);
  self->state.reg = reg;
  tell(self, caf::actor_cast<memory_impl>(self), memory_tick{});
  return {
      on(self,
         [self](const memory_tick&) {
           trim(self->state);
           tell_after(self, caf::actor_cast<memory_impl>(self), self->state.opts.period,
                      memory_tick{});
         }),
      on(self,
         [self](const msg::dump_request&) {
           auto& st = self->state;
           msg::dump_reply r;
           r.actor = "memory_keeper";
           r.text = fmt::format("heap after the last trim: {} bytes in use, {} free; {} trims "
                                "returned memory; every {} ms",
                                st.in_use, st.free, st.trims, st.opts.period.count());
           return r;
         }),
      on(self,
         [](const msg::shutdown_request&) {
           msg::shutdown_done d;
           d.actor = "memory_keeper";
           return d;
         }),
  };
}

} // namespace

caf::actor spawn_memory_keeper(caf::local_actor* parent, memory_keeper_options opts,
                               net::telemetry::registry& reg) {
  return caf::actor_cast<caf::actor>(parent->spawn(memory_fn, std::move(opts), &reg));
}

} // namespace kvip
