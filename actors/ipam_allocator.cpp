#include "actors/ipam_allocator.hpp"

#include "actors/directory.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/ipam_feed.hpp"
#include "actors/ipam_model.hpp"
#include "actors/k8s_io.hpp"
#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "k8s/client.hpp"
#include "k8s/lease_record.hpp"
#include "k8s/objects.hpp"
#include "messages/election.hpp"
#include "messages/events.hpp"
#include "messages/ipam.hpp"
#include "messages/supervision.hpp"
#include "net/config/config.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

namespace {

namespace el = k8s::election;
namespace json = boost::json;
using namespace std::chrono_literals;

struct writer_slot {
  msg::ipam_writer_actor handle;
  bool busy = false;
};

struct ipam_state {
  ipam_allocator_options opts;
  net::telemetry::registry* reg = nullptr;
  std::unique_ptr<el::machine> machine;
  std::mt19937_64 rng;
  msg::k8s_io_actor io;
  json::object last_lease;
  std::uint64_t election_generation = 0;
  // -- the current term (leading) --
  std::uint64_t term = 0;
  bool leading = false;
  caf::actor feed;
  std::unique_ptr<ipam_model> model;
  std::vector<writer_slot> writers;
  std::uint64_t retry_generation = 0;
  bool retry_armed = false;
  ipam_model::time_point retry_due{};
  // -- counters --
  std::map<std::string, std::uint64_t> results;
  std::uint64_t events_sent = 0, terms = 0;
  std::string last_failure;
  bool stopping = false;
  std::vector<caf::typed_response_promise<msg::shutdown_done>> shutdown;
  static inline const char* name = "ipam_allocator";
};

using ipam_pointer = msg::ipam_allocator_impl_actor::stateful_pointer<ipam_state>;

msg::ipam_allocator_impl_actor me(ipam_pointer self) {
  return caf::actor_cast<msg::ipam_allocator_impl_actor>(self);
}

k8s::sys_micros wall(const ipam_state& st) {
  auto t = st.opts.wall_clock ? st.opts.wall_clock() : std::chrono::system_clock::now();
  return std::chrono::time_point_cast<std::chrono::microseconds>(t);
}

/// How long a write may take: it must end before another node can take the Lease.
std::chrono::milliseconds write_timeout(const ipam_allocator_options& o) {
  const auto& t = o.timings;
  auto fenced = t.lease_duration - t.renew_deadline - t.retry_period;
  auto bound = std::min(fenced, o.client->options().request_timeout);
  return std::max(bound, std::chrono::milliseconds{500});
}

void set_leader_gauge(ipam_state& st) {
  st.reg
      ->gauge_family("kvip_ipam_leader", "1 while this node's IPAM allocator holds its Lease.",
                     {"node"})
      .with({st.opts.timings.identity})
      .Set(st.leading ? 1 : 0);
}

// -- reports: Events and counted results -------------------------------------------------

void count(ipam_state& st, const std::string& result) {
  ++st.results[result];
  st.reg
      ->counter_family("kvip_ipam_allocations_total",
                       "IPAM allocator results by kind: allocated, adopted (spec.loadBalancerIP "
                       "copied), exhausted, no_pool, no_family_pool, invalid_config, conflict, "
                       "gone, rejected, failed (writes retried after a backoff).",
                       {"result"})
      .with({result})
      .Increment();
}

void flush_reports(ipam_pointer self) {
  auto& st = self->state;
  if (!st.model) return;
  for (const auto& r : st.model->take_results())
    count(st, r);
  for (auto& w : st.model->take_warnings()) {
    spdlog::warn("ipam_allocator: {} {}/{}: {}: {}", w.kind, w.ns, w.name, w.reason, w.message);
    auto dest = st.opts.events     ? caf::actor_cast<msg::event_recorder_actor>(st.opts.events)
                : st.opts.siblings ? st.opts.siblings->events()
                                   : msg::event_recorder_actor{};
    if (!dest) continue;
    msg::k8s_event e;
    e.kind = w.kind;
    e.ns = w.ns;
    e.object = w.name;
    e.uid = w.uid;
    e.type = "Warning";
    e.reason = w.reason;
    e.message = w.message.size() > 1000 ? w.message.substr(0, 997) + "..." : w.message;
    tell(self, dest, std::move(e));
    ++st.events_sent;
  }
  st.reg->gauge_family("kvip_ipam_pending", "Services waiting for or in an IPAM write.")
      .with()
      .Set(static_cast<double>(st.model->pending() + st.model->in_flight()));
}

// -- writes ---------------------------------------------------------------------------------

void pump(ipam_pointer self);

std::size_t idle_writer(ipam_pointer self) {
  auto& st = self->state;
  std::size_t i = 0;
  while (i < st.writers.size() && st.writers[i].handle && st.writers[i].busy)
    ++i;
  if (i < st.writers.size() && st.writers[i].handle) return i;
  auto copts = st.opts.client->options();
  copts.request_timeout = write_timeout(st.opts);
  auto client = std::make_shared<k8s::client>(st.opts.client->config(), copts);
  auto w = caf::actor_cast<msg::ipam_writer_actor>(spawn_ipam_writer(self, std::move(client)));
  if (i == st.writers.size()) st.writers.emplace_back();
  st.writers[i] = {w, false};
  return i;
}

void write_finished(ipam_pointer self, std::size_t slot, std::uint64_t term,
                    const msg::ipam_write_done& d) {
  auto& st = self->state;
  if (slot < st.writers.size()) st.writers[slot].busy = false;
  if (term != st.term || !st.model) return; // a write of an earlier term
  auto o = d.ok ? ipam_outcome::written : outcome_of(d.error);
  auto key = d.ns + "/" + d.service;
  if (o == ipam_outcome::written)
    spdlog::debug("ipam_allocator: {}: written", key);
  else
    spdlog::info("ipam_allocator: {}: write {}: {}", key, to_string(o), d.error_text);
  if (o != ipam_outcome::written) st.last_failure = key + ": " + d.error_text;
  st.model->finished({d.ns, d.service}, o, d.error_text, self->clock().now());
  pump(self);
}

void dispatch(ipam_pointer self, const ipam_write_order& o) {
  auto& st = self->state;
  auto i = idle_writer(self);
  st.writers[i].busy = true;
  msg::ipam_write w;
  w.ns = o.service.ns;
  w.service = o.service.name;
  w.patch_json = json::serialize(o.patch);
  spdlog::info("ipam_allocator: {}: {} {}", o.service.to_string(),
               o.adopt ? "adopting spec.loadBalancerIP" : "allocated", o.addresses);
  auto term = st.term;
  auto bound = write_timeout(st.opts) + 5s;
  ask(self, st.writers[i].handle, bound, std::move(w))
      .then(on(self, [self, i,
                      term](const msg::ipam_write_done& d) { write_finished(self, i, term, d); }),
            [self, i, term, o](caf::error& e) {
              auto& s = self->state;
              if (i < s.writers.size() && s.writers[i].handle) { // replace a hung writer
                self->unlink_from(s.writers[i].handle);
                self->send_exit(s.writers[i].handle, caf::exit_reason::user_shutdown);
                s.writers[i].handle = nullptr;
              }
              msg::ipam_write_done d;
              d.ns = o.service.ns;
              d.service = o.service.name;
              d.error = k8s::error_kind::timeout;
              d.error_text = "writer: " + self->system().render(e);
              write_finished(self, i, term, d);
            });
}

void arm_retry(ipam_pointer self) {
  auto& st = self->state;
  auto due = st.model ? st.model->next_due() : std::nullopt;
  if (!due || (st.retry_armed && st.retry_due <= *due)) return;
  st.retry_armed = true;
  st.retry_due = *due;
  msg::ipam_retry_tick t;
  t.generation = ++st.retry_generation;
  auto delay = std::max(caf::timespan{0}, caf::timespan{*due - self->clock().now()});
  tell_after(self, me(self), delay, t);
}

/// Starts every write that is due while there is room.
void pump(ipam_pointer self) {
  auto& st = self->state;
  if (!st.model || !st.leading) return;
  auto room = st.opts.max_in_flight - std::min(st.opts.max_in_flight, st.model->in_flight());
  for (const auto& o : st.model->take(self->clock().now(), room))
    dispatch(self, o);
  flush_reports(self);
  arm_retry(self);
}

// -- leadership -----------------------------------------------------------------------------

void start_leading(ipam_pointer self) {
  auto& st = self->state;
  st.leading = true;
  ++st.term;
  ++st.terms;
  st.model = std::make_unique<ipam_model>(st.opts.filter, st.opts.retry);
  ipam_feed_options fo;
  fo.connection = st.opts.client->config();
  fo.client = st.opts.client->options();
  fo.config_map_namespace = st.opts.config_map_namespace;
  fo.config_map_name = st.opts.config_map_name;
  fo.watch = st.opts.watch;
  st.feed = spawn_ipam_feed(self, std::move(fo), st.term, caf::actor_cast<caf::actor>(self));
  set_leader_gauge(st);
  spdlog::info("ipam_allocator: leading (Lease {}/{}, term {}): watching Services and "
               "ConfigMap {}/{}",
               st.opts.lease_namespace, st.opts.lease_name, st.term, st.opts.config_map_namespace,
               st.opts.config_map_name);
}

void stop_leading(ipam_pointer self) {
  auto& st = self->state;
  if (!st.leading) return;
  st.leading = false;
  if (st.feed) {
    self->unlink_from(st.feed);
    self->send_exit(st.feed, caf::exit_reason::user_shutdown);
    st.feed = nullptr;
  }
  st.model.reset(); // writes in flight end on their own; their answers are ignored
  set_leader_gauge(st);
  spdlog::info("ipam_allocator: no longer leading (term {})", st.term);
}

void on_object(ipam_pointer self, const msg::ipam_object& m) {
  auto& st = self->state;
  if (m.term != st.term || !st.model) return;
  boost::system::error_code ec;
  auto v = json::parse(m.object_json, ec);
  if (ec || !v.is_object()) return;
  auto& obj = v.as_object();
  if (m.feed == msg::ipam_feed::config_map)
    st.model->config_seen(m.deleted ? nullptr : &obj);
  else if (m.deleted)
    st.model->service_deleted(obj);
  else
    st.model->service_seen(obj);
  pump(self);
}

void on_synced(ipam_pointer self, const msg::ipam_synced& m) {
  auto& st = self->state;
  if (m.term != st.term || !st.model) return;
  if (m.feed == msg::ipam_feed::config_map)
    st.model->config_synced();
  else
    st.model->services_synced();
  pump(self);
}

// -- the election ----------------------------------------------------------------------------

void perform(ipam_pointer self, std::vector<el::action> acts);

el::outcome outcome_of_lease(k8s::error_kind k) {
  if (k == k8s::error_kind::not_found) return el::outcome::not_found;
  if (k == k8s::error_kind::conflict || k == k8s::error_kind::already_exists)
    return el::outcome::conflict;
  return el::outcome::error;
}

void lease_answered(ipam_pointer self, const msg::lease_reply& rep) {
  auto& st = self->state;
  auto now = self->clock().now();
  if (!rep.ok) {
    perform(self,
            st.machine->response(outcome_of_lease(rep.error), std::nullopt, "", now, wall(st)));
    return;
  }
  boost::system::error_code ec;
  auto v = json::parse(rep.object_json, ec);
  if (ec || !v.is_object()) {
    perform(self, st.machine->response(el::outcome::error, std::nullopt, "", now, wall(st)));
    return;
  }
  st.last_lease = std::move(v.as_object());
  k8s::lease l{st.last_lease};
  perform(self, st.machine->response(el::outcome::ok, el::to_record(l), l.resource_version(), now,
                                     wall(st)));
}

template <class Msg>
void ask_lease(ipam_pointer self, Msg m) {
  ask(self, self->state.io, self->state.opts.request_timeout, std::move(m))
      .then(on(self, [self](const msg::lease_reply& rep) { lease_answered(self, rep); }),
            [self](caf::error&) {
              auto& st = self->state;
              perform(self, st.machine->response(el::outcome::error, std::nullopt, "",
                                                 self->clock().now(), wall(st)));
            });
}

void request_lease(ipam_pointer self, const el::action& a) {
  auto& st = self->state;
  if (a.what == el::action::kind::get) {
    msg::lease_get g;
    g.ns = st.opts.lease_namespace;
    g.lease = st.opts.lease_name;
    ask_lease(self, std::move(g));
    return;
  }
  bool create = a.what == el::action::kind::create;
  auto l = create ? k8s::lease::make(st.opts.lease_namespace, st.opts.lease_name)
                  : k8s::lease{st.last_lease};
  if (!create) l.set_resource_version(a.rv);
  el::write_record(l, a.rec, {});
  msg::lease_write w;
  w.create = create;
  w.object_json = json::serialize(l.raw());
  ask_lease(self, std::move(w));
}

void finish_shutdown(ipam_pointer self) {
  msg::shutdown_done d;
  d.actor = "ipam_allocator";
  for (auto& p : self->state.shutdown)
    if (p.pending()) p.deliver(d);
  self->state.shutdown.clear();
}

void perform(ipam_pointer self, std::vector<el::action> acts) {
  auto& st = self->state;
  for (auto& a : acts) {
    switch (a.what) {
    case el::action::kind::get:
    case el::action::kind::create:
    case el::action::kind::update:
      request_lease(self, a);
      break;
    case el::action::kind::arm_timer: {
      msg::ipam_election_tick t;
      t.generation = ++st.election_generation;
      tell_after(self, me(self), a.delay, t);
      break;
    }
    case el::action::kind::started_leading:
      if (!st.stopping) start_leading(self);
      break;
    case el::action::kind::stopped_leading:
      stop_leading(self);
      break;
    case el::action::kind::new_leader:
      spdlog::info("ipam_allocator: Lease {}/{} held by \"{}\"", st.opts.lease_namespace,
                   st.opts.lease_name, a.holder);
      break;
    case el::action::kind::stopped:
      finish_shutdown(self);
      break;
    }
  }
}

// -- the actor ----------------------------------------------------------------------------------

std::string describe(const ipam_state& st) {
  auto text = fmt::format("Lease {}/{} identity {}: {}, holder \"{}\", term {}, {} terms led",
                          st.opts.lease_namespace, st.opts.lease_name, st.opts.timings.identity,
                          st.leading ? "leading" : "following", st.machine->observed_holder(),
                          st.term, st.terms);
  if (st.model)
    text += fmt::format("\n  {} Services ({} holding or reserving addresses), {} pending, {} "
                        "writing, {}",
                        st.model->services(), st.model->allocator().services(), st.model->pending(),
                        st.model->in_flight(),
                        st.model->synced() ? "synced" : "waiting for the first lists");
  text += "\n  results:";
  for (const auto& [r, n] : st.results)
    text += fmt::format(" {}={}", r, n);
  text += fmt::format(", {} Events", st.events_sent);
  if (st.model) {
    std::size_t shown = 0;
    for (const auto& b : st.model->blocked())
      if (++shown <= 20) text += "\n  no address: " + b;
  }
  if (!st.last_failure.empty()) text += "\n  last failed write: " + st.last_failure;
  return text;
}

msg::ipam_allocator_impl_actor::behavior_type
ipam_fn(ipam_pointer self, ipam_allocator_options opts, net::telemetry::registry* reg) {
  log_crashes(self, "ipam_allocator");
  auto& st = self->state;
  st.opts = std::move(opts);
  st.reg = reg;
  st.rng.seed(st.opts.random_seed ? *st.opts.random_seed : std::random_device{}());
  st.machine = std::make_unique<el::machine>(st.opts.timings, [self] {
    return std::uniform_real_distribution<double>{0.0, 1.0}(self->state.rng);
  });
  auto io_client =
      std::make_shared<k8s::client>(st.opts.client->config(), st.opts.client->options());
  st.io = caf::actor_cast<msg::k8s_io_actor>(
      spawn_k8s_io(self, std::move(io_client), st.opts.timings.identity));
  self->link_to(st.io);
  set_leader_gauge(st);
  perform(self, st.machine->start(self->clock().now(), wall(st)));
  return {
      on(self,
         [self](const msg::ipam_election_tick& t) {
           auto& st = self->state;
           if (t.generation != st.election_generation) return;
           perform(self, st.machine->timer(self->clock().now(), wall(st)));
         }),
      on(self,
         [self](const msg::ipam_retry_tick& t) {
           if (t.generation == self->state.retry_generation) self->state.retry_armed = false;
           pump(self);
         }),
      on(self, [self](const msg::ipam_object& m) { on_object(self, m); }),
      on(self, [self](const msg::ipam_synced& m) { on_synced(self, m); }),
      on(self,
         [self](const msg::dump_request&) {
           msg::dump_reply r;
           r.actor = "ipam_allocator";
           r.text = describe(self->state);
           return r;
         }),
      on(self,
         [self](const msg::shutdown_request&) {
           auto& st = self->state;
           auto p = self->make_response_promise<msg::shutdown_done>();
           st.shutdown.push_back(p);
           st.stopping = true;
           stop_leading(self); // no write starts from here on
           perform(self, st.machine->release(self->clock().now(), wall(st)));
           return p;
         }),
  };
}

} // namespace

ipam_allocator_options ipam_allocator_settings(const net::config::settings& cfg,
                                               std::shared_ptr<k8s::client> client) {
  ipam_allocator_options o;
  o.client = std::move(client);
  o.lease_namespace = cfg.cp_namespace;
  o.lease_name = cfg.ipam_lease_name;
  o.config_map_namespace = cfg.ipam_config_map_namespace;
  o.config_map_name = cfg.ipam_config_map;
  o.timings.identity = cfg.node_name;
  o.timings.lease_duration = cfg.lease_duration;
  o.timings.renew_deadline = cfg.renew_deadline;
  o.timings.retry_period = cfg.retry_period;
  o.filter.lb_class_only = cfg.lb_class_only;
  o.filter.lb_class_name = cfg.lb_class_name;
  o.filter.lb_class_legacy_handling = cfg.lb_class_legacy_handling;
  return o;
}

caf::actor spawn_ipam_allocator(caf::local_actor* parent, ipam_allocator_options opts,
                                net::telemetry::registry& reg) {
  return caf::actor_cast<caf::actor>(parent->spawn(ipam_fn, std::move(opts), &reg));
}

} // namespace kvip
