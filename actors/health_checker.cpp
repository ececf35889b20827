#include "actors/health_checker.hpp"

#include <memory>

#include <spdlog/spdlog.h>

#include "actors/directory.hpp"
#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "messages/election.hpp"
#include "messages/supervision.hpp"
#include "net/http/health_gate.hpp"
#include "net/http/probe.hpp"

namespace kvip {

namespace {

/// Timer of the health checker.
struct health_tick : msg::traced {
  static constexpr const char* name = "health_tick";
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, health_tick&) {
  return f(caf::meta::type_name(health_tick::name));
}

struct health_state {
  health_options opts;
  std::shared_ptr<const directory> siblings;
  std::unique_ptr<net::http::health_gate> gate;
  std::string last_detail;
  static inline const char* name = "health_checker";
};

/// The public interface plus the checker's own timer.
using health_impl = msg::health_actor::extend<caf::reacts_to<health_tick>>;
using health_pointer = health_impl::stateful_pointer<health_state>;

health_impl::behavior_type health_fn(health_pointer self, health_options opts,
                                     std::shared_ptr<const directory> siblings) {
  log_crashes(self, "health_checker");
  self->state.opts = std::move(opts);
  self->state.siblings = std::move(siblings);
  self->state.gate = std::make_unique<net::http::health_gate>(self->state.opts.url,
                                                              self->state.opts.failure_threshold);
  tell(self, caf::actor_cast<health_impl>(self), health_tick{});
  return {
      on(self,
         [self](const health_tick&) {
           auto& st = self->state;
           auto r = net::http::probe(st.opts.url, st.opts.timeout, st.opts.ca_path);
           st.last_detail = r.detail;
           auto v = st.gate->probed(r.healthy, r.detail);
           // Reported on every probe, not only on changes: an elector that
           // was restarted (or missed a report) learns the state at the next
           // probe.
           msg::health_status h;
           h.healthy = v.healthy;
           h.detail = v.detail;
           tell(self, st.siblings ? st.siblings->elector() : msg::elector_actor{}, h);
           tell_after(self, caf::actor_cast<health_impl>(self), st.opts.period, health_tick{});
         }),
      on(self,
         [self](const msg::dump_request&) {
           auto& st = self->state;
           msg::dump_reply r;
           r.actor = "health_checker";
           r.text =
               fmt::format("{} every {} ms: {}, {} consecutive failures, last: {}", st.opts.url,
                           st.opts.period.count(), st.gate->healthy() ? "healthy" : "unhealthy",
                           st.gate->failures(), st.last_detail);
           return r;
         }),
      on(self,
         [](const msg::shutdown_request&) {
           msg::shutdown_done d;
           d.actor = "health_checker";
           return d;
         }),
  };
}

} // namespace

caf::actor spawn_health_checker(caf::local_actor* parent, health_options opts,
                                std::shared_ptr<const directory> siblings) {
  return caf::actor_cast<caf::actor>(
      parent->spawn<caf::detached>(health_fn, std::move(opts), std::move(siblings)));
}

} // namespace kvip
