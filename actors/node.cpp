#include "actors/node.hpp"

#include <csignal>
#include <map>
#include <memory>

#include <spdlog/spdlog.h>

#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

namespace {

namespace sv = supervision;

struct node_state {
  std::vector<child_spec> specs;
  supervisor_limits limits;
  net::telemetry::registry* reg = nullptr;
  std::unique_ptr<sv::machine> machine;
  std::shared_ptr<directory> siblings;
  std::vector<msg::child_actor> handles;        // by child index; invalid while down
  std::map<caf::actor_addr, std::size_t> index; // running incarnation -> child index
  caf::actor_clock::time_point started_at;
  static inline const char* name = "node";
};

using node_actor = caf::stateful_actor<node_state>;

void perform(node_actor* self, const std::vector<sv::effect>& effects);

void publish_status(node_actor* self) {
  auto& st = self->state;
  auto up = static_cast<std::uint32_t>(st.machine->up_count());
  st.reg
      ->gauge_family("kvip_supervisor_children_up", "Children of the node supervisor running.", {})
      .with({})
      .Set(up);
  auto telemetry = st.siblings->telemetry();
  if (!telemetry) return;
  msg::children_status m;
  m.up = up;
  m.total = static_cast<std::uint32_t>(st.specs.size());
  m.stopping = st.machine->current() != sv::state::running;
  tell(self, telemetry, m);
}

void start_child(node_actor* self, std::size_t i) {
  auto& st = self->state;
  const auto& spec = st.specs[i];
  auto child = spec.start(self, st.siblings);
  if (!child) {
    spdlog::error("supervisor: starting {} returned no actor", spec.name);
    return;
  }
  self->monitor(child);
  name_actor(child.address(), spec.name);
  st.handles[i] = child;
  st.index[child.address()] = i;
  st.siblings->publish(spec.role, child.address());
  perform(self, st.machine->started(i));
}

void ask_shutdown(node_actor* self, std::size_t i) {
  auto& st = self->state;
  auto name = st.specs[i].name;
  ask(self, st.handles[i], st.limits.shutdown_timeout, msg::shutdown_request{})
      .then(on(self,
               [self, i, name](const msg::shutdown_done&) {
                 spdlog::debug("supervisor: {} stopped cleanly", name);
                 perform(self, self->state.machine->shutdown_answered(i));
               }),
            [self, i, name](caf::error& err) {
              spdlog::warn("supervisor: {} did not confirm shutdown: {}", name,
                           self->system().render(err));
              perform(self, self->state.machine->shutdown_answered(i));
            });
}

void finish(node_actor* self, bool failed) {
  auto& st = self->state;
  st.siblings->clear();
  if (failed) {
    self->quit(caf::make_error(caf::sec::runtime_error, intensity_exceeded));
  } else {
    spdlog::info("supervisor: all children stopped");
    self->quit();
  }
}

void perform(node_actor* self, const std::vector<sv::effect>& effects) {
  auto& st = self->state;
  for (const auto& e : effects) {
    switch (e.what) {
    case sv::effect::kind::start_child:
      start_child(self, e.child);
      break;
    case sv::effect::kind::schedule_restart: {
      const auto& name = st.specs[e.child].name;
      st.reg
          ->counter_family("kvip_supervisor_restarts_total",
                           "Restarts of crashed children by the node supervisor.", {"child"})
          .with({name})
          .Increment();
      msg::restart_child m;
      m.child = name;
      tell_after(self, caf::actor{self}, e.delay, m);
      break;
    }
    case sv::effect::kind::publish_status:
      publish_status(self);
      break;
    case sv::effect::kind::ask_shutdown:
      ask_shutdown(self, e.child);
      break;
    case sv::effect::kind::kill_remaining:
      for (auto& h : st.handles)
        if (h) self->send_exit(h, caf::exit_reason::user_shutdown);
      break;
    case sv::effect::kind::quit:
      finish(self, e.failed);
      break;
    }
  }
}

void on_child_down(node_actor* self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto it = st.index.find(dm.source);
  if (it == st.index.end()) return;
  auto i = it->second;
  st.index.erase(it);
  st.handles[i] = msg::child_actor{};
  st.siblings->withdraw(st.specs[i].role, dm.source);
  net::telemetry::trace_sink::instance().forget_actor(dm.source.id());
  bool abnormal = dm.reason && dm.reason != caf::exit_reason::normal;
  perform(self,
          st.machine->down(i, abnormal, self->system().render(dm.reason), self->clock().now()));
}

void dump(node_actor* self) {
  auto& st = self->state;
  auto& m = *st.machine;
  auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(self->clock().now() - st.started_at);
  std::string text = fmt::format("node: {} of {} children running, uptime {}s, restarts in "
                                 "window {}, tracing {}, supervisor {}",
                                 m.up_count(), m.size(), uptime.count(), m.restarts_in_window(),
                                 net::telemetry::trace_sink::instance().enabled() ? "on" : "off",
                                 sv::to_string(m.current()));
  for (std::size_t i = 0; i < m.size(); ++i)
    text += fmt::format("\n  child {} ({}): {}, recent restarts {}", m.child(i).name,
                        to_string(m.child(i).policy), m.up(i) ? "running" : "down",
                        m.recent_restarts(i));
  spdlog::info("state dump:\n{}", text);
  for (std::size_t i = 0; i < st.handles.size(); ++i) {
    if (!st.handles[i]) continue;
    auto child_name = st.specs[i].name;
    ask(self, st.handles[i], st.limits.dump_timeout, msg::dump_request{})
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

void on_signal(node_actor* self, int signo) {
  switch (signo) {
  case SIGTERM:
  case SIGINT: {
    auto what = signo == SIGTERM ? "SIGTERM" : "SIGINT";
    spdlog::info("received {}, shutting down", what);
    perform(self, self->state.machine->stop(what));
    break;
  }
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
    spdlog::debug("ignoring signal {}", signo);
  }
}

caf::behavior node_fn(node_actor* self, std::vector<child_spec> children, supervisor_limits limits,
                      net::telemetry::registry* reg, std::shared_ptr<directory> siblings) {
  auto& st = self->state;
  st.specs = std::move(children);
  st.limits = limits;
  st.reg = reg;
  st.siblings = siblings ? std::move(siblings) : std::make_shared<directory>();
  st.handles.resize(st.specs.size());
  std::vector<sv::child_info> info;
  for (const auto& spec : st.specs)
    info.push_back({spec.name, spec.policy});
  st.machine = std::make_unique<sv::machine>(std::move(info), limits);
  st.started_at = self->clock().now();
  name_actor(self->address(), "node");
  self->set_down_handler([self](caf::down_msg& dm) { on_child_down(self, dm); });
  // The node traps exits so that an exit message from outside turns into an
  // orderly shutdown rather than leaving children behind.
  self->set_exit_handler([self](caf::exit_msg& em) {
    auto why = "exit requested (" + self->system().render(em.reason) + ")";
    spdlog::info("supervisor: {}", why);
    perform(self, self->state.machine->stop(why));
  });
  reg->counter_family("kvip_supervisor_restarts_total",
                      "Restarts of crashed children by the node supervisor.", {"child"});
  perform(self, st.machine->start());
  return {
      on(self,
         [self](const msg::restart_child& m) {
           auto& machine = *self->state.machine;
           auto i = machine.index_of(m.child);
           if (i < machine.size()) perform(self, machine.restart_due(i));
         }),
      on(self, [self](const msg::signal_received& m) { on_signal(self, m.signo); }),
      on(self, [self](const msg::dump_request&) { dump(self); }),
  };
}

} // namespace

caf::actor spawn_node(caf::actor_system& sys, std::vector<child_spec> children,
                      supervisor_limits limits, net::telemetry::registry& reg,
                      std::shared_ptr<directory> siblings) {
  return sys.spawn(node_fn, std::move(children), limits, &reg, std::move(siblings));
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
