#include "actors/node.hpp"

#include <csignal>
#include <deque>
#include <map>
#include <memory>

#include <spdlog/spdlog.h>

#include "actors/siblings.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

namespace {

struct running_child {
  caf::actor handle;
  std::size_t spec_index = 0;
};

struct node_state {
  std::vector<child_spec> specs;
  supervisor_limits limits;
  net::telemetry::registry* reg = nullptr;
  std::map<std::string, running_child> running;                             // by child name
  std::map<caf::actor_addr, std::string> names;                             // address -> child name
  std::map<std::string, std::deque<caf::actor_clock::time_point>> restarts; // per child
  std::deque<caf::actor_clock::time_point> all_restarts;                    // intensity window
  std::vector<std::string> stop_order; // remaining, during shutdown
  bool stopping = false;
  bool failed = false;
  caf::actor_clock::time_point started_at;
  static inline const char* name = "node";
};

using node_actor = caf::stateful_actor<node_state>;

const char* policy_name(restart_policy p) {
  switch (p) {
  case restart_policy::permanent:
    return "permanent";
  case restart_policy::transient:
    return "transient";
  case restart_policy::temporary:
    return "temporary";
  }
  return "?";
}

void publish_status(node_actor* self) {
  auto& st = self->state;
  auto up = static_cast<std::uint32_t>(st.running.size());
  auto total = static_cast<std::uint32_t>(st.specs.size());
  st.reg
      ->gauge_family("kvip_supervisor_children_up", "Children of the node supervisor running.", {})
      .with({})
      .Set(up);
  for (auto& [name, child] : st.running) {
    if (!st.specs[child.spec_index].wants_status) continue;
    msg::children_status m;
    m.up = up;
    m.total = total;
    m.stopping = st.stopping;
    tell(self, child.handle, m);
  }
}

void start_child(node_actor* self, std::size_t index) {
  auto& st = self->state;
  const auto& spec = st.specs[index];
  caf::actor child = spec.start(self);
  if (!child) {
    spdlog::error("supervisor: starting {} returned no actor", spec.name);
    return;
  }
  self->monitor(child);
  name_actor(child.address(), spec.name);
  if (spec.name.size() <= 10) register_sibling(self->system(), spec.name, child);
  st.running[spec.name] = running_child{child, index};
  st.names[child.address()] = spec.name;
  spdlog::debug("supervisor: started {}", spec.name);
  publish_status(self);
}

void stop_next(node_actor* self);

void begin_shutdown(node_actor* self, bool failed) {
  auto& st = self->state;
  if (st.stopping) return;
  st.stopping = true;
  st.failed = failed;
  // Stop in reverse start order.
  st.stop_order.clear();
  for (auto i = st.specs.rbegin(); i != st.specs.rend(); ++i)
    if (st.running.count(i->name) != 0) st.stop_order.push_back(i->name);
  spdlog::info("supervisor: stopping {} children", st.stop_order.size());
  publish_status(self);
  stop_next(self);
}

void finish_shutdown(node_actor* self) {
  auto& st = self->state;
  for (auto& [name, child] : st.running)
    self->send_exit(child.handle, caf::exit_reason::user_shutdown);
  // The registry holds strong references: a detached child registered there
  // would never be destroyed, and the actor system would wait for it forever.
  for (const auto& spec : st.specs)
    if (spec.name.size() <= 10) unregister_sibling(self->system(), spec.name);
  if (st.failed) {
    self->quit(caf::make_error(caf::sec::runtime_error, intensity_exceeded));
  } else {
    spdlog::info("supervisor: all children stopped");
    self->quit();
  }
}

void stop_next(node_actor* self) {
  auto& st = self->state;
  while (!st.stop_order.empty() && st.running.count(st.stop_order.front()) == 0)
    st.stop_order.erase(st.stop_order.begin());
  if (st.stop_order.empty()) {
    finish_shutdown(self);
    return;
  }
  auto name = st.stop_order.front();
  st.stop_order.erase(st.stop_order.begin());
  auto handle = st.running[name].handle;
  ask(self, handle, st.limits.shutdown_timeout, msg::shutdown_request{})
      .then(on(self,
               [self, name](const msg::shutdown_done&) {
                 spdlog::debug("supervisor: {} stopped cleanly", name);
                 stop_next(self);
               }),
            [self, name](caf::error& err) {
              spdlog::warn("supervisor: {} did not confirm shutdown: {}", name,
                           self->system().render(err));
              stop_next(self);
            });
}

void on_child_down(node_actor* self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto it = st.names.find(dm.source);
  if (it == st.names.end()) return;
  auto name = it->second;
  st.names.erase(it);
  auto run = st.running.find(name);
  if (run == st.running.end()) return;
  auto index = run->second.spec_index;
  st.running.erase(run);
  net::telemetry::trace_sink::instance().forget_actor(dm.source.id());
  if (name.size() <= 10 && sibling(self->system(), name).address() == dm.source)
    unregister_sibling(self->system(), name);
  bool abnormal = dm.reason && dm.reason != caf::exit_reason::normal;
  auto reason = self->system().render(dm.reason);
  if (st.stopping) {
    spdlog::debug("supervisor: {} exited during shutdown ({})", name, reason);
    publish_status(self);
    if (!st.stop_order.empty() || st.running.empty()) stop_next(self);
    return;
  }
  const auto& spec = st.specs[index];
  bool restart = spec.policy == restart_policy::permanent ||
                 (spec.policy == restart_policy::transient && abnormal);
  if (abnormal)
    spdlog::error("supervisor: {} crashed: {}", name, reason);
  else
    spdlog::info("supervisor: {} exited", name);
  publish_status(self);
  if (!restart) {
    spdlog::info("supervisor: not restarting {} ({})", name, policy_name(spec.policy));
    return;
  }
  // Intensity: more than max_restarts restarts within period stops the node.
  auto now = self->clock().now();
  auto& window = st.all_restarts;
  while (!window.empty() && now - window.front() > st.limits.period)
    window.pop_front();
  window.push_back(now);
  if (static_cast<int>(window.size()) > st.limits.max_restarts) {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(st.limits.period).count();
    spdlog::critical("supervisor: {} restarts within {}s exceed the limit of {} (last: {} "
                     "crashed: {}); stopping the node",
                     window.size(), secs, st.limits.max_restarts, name, reason);
    begin_shutdown(self, true);
    return;
  }
  // Backoff doubles with each recent restart of this child.
  auto& mine = st.restarts[name];
  while (!mine.empty() && now - mine.front() > st.limits.period)
    mine.pop_front();
  mine.push_back(now);
  auto backoff = st.limits.backoff_initial;
  for (std::size_t i = 1; i < mine.size() && backoff < st.limits.backoff_max; ++i)
    backoff *= 2;
  if (backoff > st.limits.backoff_max) backoff = st.limits.backoff_max;
  st.reg
      ->counter_family("kvip_supervisor_restarts_total",
                       "Restarts of crashed children by the node supervisor.", {"child"})
      .with({name})
      .Increment();
  spdlog::warn("supervisor: restarting {} in {} ms", name,
               std::chrono::duration_cast<std::chrono::milliseconds>(backoff).count());
  msg::restart_child m;
  m.child = name;
  tell_after(self, caf::actor{self}, backoff, m);
}

void dump(node_actor* self) {
  auto& st = self->state;
  auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(self->clock().now() - st.started_at);
  std::string text =
      fmt::format("node: {} of {} children running, uptime {}s, restarts in "
                  "window {}, tracing {}",
                  st.running.size(), st.specs.size(), uptime.count(), st.all_restarts.size(),
                  net::telemetry::trace_sink::instance().enabled() ? "on" : "off");
  for (const auto& spec : st.specs) {
    auto r = st.restarts.find(spec.name);
    text += fmt::format("\n  child {} ({}): {}, recent restarts {}", spec.name,
                        policy_name(spec.policy), st.running.count(spec.name) ? "running" : "down",
                        r == st.restarts.end() ? 0 : r->second.size());
  }
  spdlog::info("state dump:\n{}", text);
  for (auto& [name, child] : st.running) {
    auto child_name = name;
    ask(self, child.handle, st.limits.dump_timeout, msg::dump_request{})
        .then(on(self,
                 [](const msg::dump_reply& r) {
                   spdlog::info("state dump: {}:\n{}", r.actor, r.text);
                 }),
              [self, child_name](caf::error& err) {
                spdlog::warn("state dump: {} did not answer: {}", child_name,
                             self->system().render(err));
              });
  }
}

caf::behavior node_fn(node_actor* self, std::vector<child_spec> children, supervisor_limits limits,
                      net::telemetry::registry* reg) {
  auto& st = self->state;
  st.specs = std::move(children);
  st.limits = limits;
  st.reg = reg;
  st.started_at = self->clock().now();
  name_actor(self->address(), "node");
  self->set_down_handler([self](caf::down_msg& dm) { on_child_down(self, dm); });
  // The node traps exits so that an exit message from outside turns into an
  // orderly shutdown rather than leaving children behind.
  self->set_exit_handler([self](caf::exit_msg& em) {
    spdlog::info("supervisor: exit requested ({})", self->system().render(em.reason));
    begin_shutdown(self, false);
  });
  reg->counter_family("kvip_supervisor_restarts_total",
                      "Restarts of crashed children by the node supervisor.", {"child"});
  for (std::size_t i = 0; i < st.specs.size(); ++i)
    start_child(self, i);
  return {
      on(self,
         [self](const msg::restart_child& m) {
           auto& st = self->state;
           if (st.stopping || st.running.count(m.child) != 0) return;
           for (std::size_t i = 0; i < st.specs.size(); ++i)
             if (st.specs[i].name == m.child) start_child(self, i);
         }),
      on(self,
         [self](const msg::signal_received& m) {
           switch (m.signo) {
           case SIGTERM:
           case SIGINT:
             spdlog::info("received {}, shutting down", m.signo == SIGTERM ? "SIGTERM" : "SIGINT");
             begin_shutdown(self, false);
             break;
           case SIGUSR1:
             dump(self);
             break;
           case SIGUSR2: {
             auto& sink = net::telemetry::trace_sink::instance();
             bool on = sink.toggle();
             if (on)
               spdlog::info("message tracing on, writing to {}", sink.path());
             else if (sink.path().empty())
               spdlog::warn("SIGUSR2: message tracing needs --trace FILE or kvip_trace");
             else
               spdlog::info("message tracing off");
             break;
           }
           default:
             spdlog::debug("ignoring signal {}", m.signo);
           }
         }),
      on(self, [self](const msg::dump_request&) { dump(self); }),
  };
}

} // namespace

caf::actor spawn_node(caf::actor_system& sys, std::vector<child_spec> children,
                      supervisor_limits limits, net::telemetry::registry& reg) {
  return sys.spawn(node_fn, std::move(children), limits, &reg);
}

void log_crashes(caf::scheduled_actor* self, std::string name) {
  self->set_exception_handler([name](caf::scheduled_actor*, std::exception_ptr& eptr) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(eptr);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {}
    spdlog::error("{}: unhandled exception: {}", name, what);
    return caf::make_error(caf::sec::runtime_error, name + ": " + what);
  });
}

} // namespace kvip
