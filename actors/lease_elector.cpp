#include "actors/lease_elector.hpp"

#include <deque>
#include <memory>
#include <random>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/node.hpp"
#include "actors/siblings.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "k8s/objects.hpp"
#include "messages/election.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

namespace {

namespace el = k8s::election;

struct elector_state {
  elector_options opts;
  net::telemetry::registry* reg = nullptr;
  std::unique_ptr<el::machine> machine;
  std::mt19937_64 rng{std::random_device{}()};
  std::deque<el::action> queue;   // actions not yet performed, in order
  bool api_busy = false;          // a Lease request is waiting for its answer
  bool announce_busy = false;     // an announce/withdraw is waiting for its answer
  bool withdraw_failed = false;   // the last withdraw left a VIP behind: do not release
  caf::actor_addr announced_to;   // the announcer incarnation holding our VIPs
  boost::json::object last_lease; // the Lease as last read or written
  std::uint64_t generation = 0;   // of the armed timer
  bool paused = false;            // health gating
  bool leading = false;
  std::uint64_t transitions = 0;
  std::string error_last;
  caf::response_promise shutdown;
  bool shutting_down = false;
  static inline const char* name = "lease_elector";
};

using elector_actor = caf::stateful_actor<elector_state>;

k8s::sys_micros wall_now() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

el::record to_record(const k8s::lease& l) {
  el::record r;
  r.holder = l.holder_identity().value_or("");
  r.lease_duration_s = static_cast<int>(l.lease_duration_seconds().value_or(0));
  r.acquire_time = l.acquire_time();
  r.renew_time = l.renew_time();
  r.transitions = static_cast<int>(l.lease_transitions());
  return r;
}

void pump(elector_actor* self);

void enqueue(elector_actor* self, std::vector<el::action> acts) {
  for (auto& a : acts)
    self->state.queue.push_back(std::move(a));
  pump(self);
}

void set_leading(elector_actor* self, bool leading) {
  auto& st = self->state;
  st.leading = leading;
  const auto& id = st.opts.timings.identity;
  st.reg
      ->gauge_family("kube_vip_is_leader", "1 while this node holds the lease.",
                     {"node", "lease_name"})
      .with({id, st.opts.lease_name})
      .Set(leading ? 1 : 0);
  if (leading) {
    ++st.transitions;
    st.reg
        ->counter_family("kube_vip_leader_election_transitions",
                         "Times this node became leader of the lease.", {"lease_name"})
        .with({st.opts.lease_name})
        .Increment();
  }
}

/// Feeds a lease_reply (or a failed request) to the machine.
void on_lease_reply(elector_actor* self, const msg::lease_reply& rep) {
  auto& st = self->state;
  st.api_busy = false;
  el::outcome o = el::outcome::error;
  std::optional<el::record> rec;
  std::string rv;
  switch (rep.outcome) {
  case msg::lease_reply::ok: {
    boost::system::error_code ec;
    auto v = boost::json::parse(rep.object_json, ec);
    if (!ec && v.is_object()) {
      st.last_lease = v.as_object();
      k8s::lease l{st.last_lease};
      rec = to_record(l);
      rv = l.resource_version();
      o = el::outcome::ok;
    }
    break;
  }
  case msg::lease_reply::not_found:
    o = el::outcome::not_found;
    break;
  case msg::lease_reply::conflict:
    o = el::outcome::conflict;
    break;
  default:
    if (st.error_last != rep.error_text)
      spdlog::warn("lease_elector: {}/{}: {}", st.opts.lease_namespace, st.opts.lease_name,
                   rep.error_text);
    st.error_last = rep.error_text;
    break;
  }
  if (o != el::outcome::error) st.error_last.clear();
  enqueue(self, st.machine->response(o, rec, rv, self->clock().now(), wall_now()));
}

void request_lease(elector_actor* self, const el::action& a) {
  auto& st = self->state;
  st.api_busy = true;
  spdlog::debug("lease_elector: {} {}/{}", el::to_string(a.what), st.opts.lease_namespace,
                st.opts.lease_name);
  auto fail = [self](caf::error& err) {
    msg::lease_reply rep;
    rep.error_text = "k8s_io did not answer: " + self->system().render(err);
    on_lease_reply(self, rep);
  };
  auto handle = on(self, [self](const msg::lease_reply& rep) { on_lease_reply(self, rep); });
  if (a.what == el::action::kind::get) {
    msg::lease_get g;
    g.ns = st.opts.lease_namespace;
    g.lease = st.opts.lease_name;
    ask(self, sibling(self->system(), st.opts.io), st.opts.request_timeout, g).then(handle, fail);
    return;
  }
  bool create = a.what == el::action::kind::create;
  k8s::lease l = create ? k8s::lease::make(st.opts.lease_namespace, st.opts.lease_name)
                        : k8s::lease{st.last_lease};
  if (!create) l.set_resource_version(a.rv);
  l.set_holder_identity(a.rec.holder);
  l.set_lease_duration_seconds(a.rec.lease_duration_s);
  if (a.rec.acquire_time) l.set_acquire_time(*a.rec.acquire_time);
  if (a.rec.renew_time) l.set_renew_time(*a.rec.renew_time);
  l.set_lease_transitions(a.rec.transitions);
  for (auto& [k, v] : st.opts.annotations)
    l.set_annotation(k, v);
  msg::lease_write w;
  w.create = create;
  w.object_json = boost::json::serialize(l.raw());
  ask(self, sibling(self->system(), st.opts.io), st.opts.request_timeout, w).then(handle, fail);
}

void announce(elector_actor* self, bool leading) {
  auto& st = self->state;
  st.announce_busy = true;
  msg::announce_set set;
  if (leading) set.vips = st.opts.vips;
  auto target = sibling(self->system(), st.opts.announcer);
  st.announced_to = leading ? target.address() : caf::actor_addr{};
  auto done = [self, leading](const msg::announce_result& r) {
    auto& st = self->state;
    st.announce_busy = false;
    if (!r.error.empty())
      spdlog::error("lease_elector: {} VIPs failed: {}", leading ? "announcing" : "withdrawing",
                    r.error);
    // A VIP still held after a withdraw must not be handed over: the Lease
    // is left to expire instead of being released.
    if (!leading) st.withdraw_failed = !r.error.empty() || !r.active.empty();
    pump(self);
  };
  ask(self, target, st.opts.request_timeout, set)
      .then(on(self, done), [self, leading](caf::error& err) {
        auto& st = self->state;
        st.announce_busy = false;
        if (!leading) st.withdraw_failed = true;
        spdlog::error("lease_elector: announcer did not answer ({}): {}",
                      leading ? "announce" : "withdraw", self->system().render(err));
        pump(self);
      });
}

void pump(elector_actor* self) {
  auto& st = self->state;
  // Actions run in order. A Lease request waits until the previous request
  // and any announce/withdraw have been answered (a release is written only
  // after the VIP is gone); an announce/withdraw waits only for the previous
  // one, so a leader past its renew deadline withdraws at once even while
  // a Lease request hangs.
  while (!st.queue.empty()) {
    auto what = st.queue.front().what;
    bool api = what == el::action::kind::get || what == el::action::kind::create ||
               what == el::action::kind::update;
    bool announcing =
        what == el::action::kind::started_leading || what == el::action::kind::stopped_leading;
    if ((api && (st.api_busy || st.announce_busy)) || (announcing && st.announce_busy)) break;
    auto a = std::move(st.queue.front());
    st.queue.pop_front();
    switch (a.what) {
    case el::action::kind::get:
    case el::action::kind::create:
    case el::action::kind::update:
      if (a.what == el::action::kind::update && a.rec.holder.empty() && st.withdraw_failed) {
        spdlog::error("lease_elector: not releasing {}/{}: the VIP could not be withdrawn; the "
                      "lease will expire instead",
                      st.opts.lease_namespace, st.opts.lease_name);
        msg::lease_reply skipped;
        skipped.error_text = "release skipped: VIP still held";
        st.api_busy = true; // on_lease_reply clears it
        on_lease_reply(self, skipped);
        break;
      }
      request_lease(self, a);
      break;
    case el::action::kind::arm_timer: {
      msg::election_tick t;
      t.generation = ++st.generation;
      tell_after(self, caf::actor{self}, a.delay, t);
      break;
    }
    case el::action::kind::started_leading:
      spdlog::info("lease_elector: {} is now leader of {}/{}", st.opts.timings.identity,
                   st.opts.lease_namespace, st.opts.lease_name);
      set_leading(self, true);
      announce(self, true);
      break;
    case el::action::kind::stopped_leading:
      spdlog::info("lease_elector: {} stopped leading {}/{}", st.opts.timings.identity,
                   st.opts.lease_namespace, st.opts.lease_name);
      set_leading(self, false);
      announce(self, false);
      break;
    case el::action::kind::new_leader:
      spdlog::info("lease_elector: leader of {}/{} is now {}", st.opts.lease_namespace,
                   st.opts.lease_name, a.holder.empty() ? "(none)" : a.holder);
      break;
    case el::action::kind::stopped:
      if (st.shutting_down && st.shutdown.pending()) {
        msg::shutdown_done d;
        d.actor = "lease_elector";
        st.shutdown.deliver(d);
      }
      break;
    }
  }
}

caf::behavior elector_fn(elector_actor* self, elector_options opts, net::telemetry::registry* reg) {
  log_crashes(self, "lease_elector");
  auto& st = self->state;
  st.opts = std::move(opts);
  st.reg = reg;
  st.machine = std::make_unique<el::machine>(st.opts.timings, [self] {
    return std::uniform_real_distribution<double>{0.0, 1.0}(self->state.rng);
  });
  set_leading(self, false);
  // A restarted elector starts as a follower: whatever a crashed
  // predecessor announced is withdrawn before the first Lease request.
  announce(self, false);
  enqueue(self, st.machine->start(self->clock().now(), wall_now()));
  return {
      on(self,
         [self](const msg::election_tick& t) {
           auto& st = self->state;
           if (t.generation != st.generation) return; // superseded
           // The announcer was restarted (and so dropped our VIPs): hand
           // the set to the new incarnation.
           if (st.leading && !st.announce_busy &&
               sibling(self->system(), st.opts.announcer).address() != st.announced_to) {
             spdlog::warn("lease_elector: the announcer restarted; announcing the VIPs again");
             announce(self, true);
           }
           enqueue(self, st.machine->timer(self->clock().now(), wall_now()));
         }),
      on(self,
         [self](const msg::health_status& h) {
           auto& st = self->state;
           if (st.shutting_down) return;
           if (!h.healthy && !st.paused) {
             st.paused = true;
             spdlog::warn("lease_elector: control plane unhealthy ({}); {}not campaigning until "
                          "it is healthy",
                          h.detail, st.leading ? "releasing the VIP and the lease, " : "");
             enqueue(self, st.machine->release(self->clock().now(), wall_now()));
           } else if (h.healthy && st.paused) {
             st.paused = false;
             spdlog::info("lease_elector: control plane healthy again; campaigning");
             enqueue(self, st.machine->start(self->clock().now(), wall_now()));
           }
         }),
      on(self,
         [self](const msg::dump_request&) {
           auto& st = self->state;
           msg::dump_reply r;
           r.actor = "lease_elector";
           r.text =
               fmt::format("lease {}/{} identity {}: {}, observed holder \"{}\", {} "
                           "transitions{}",
                           st.opts.lease_namespace, st.opts.lease_name, st.opts.timings.identity,
                           st.leading ? "leading" : "following", st.machine->observed_holder(),
                           st.transitions, st.paused ? ", paused (unhealthy)" : "");
           return r;
         }),
      on(self,
         [self](const msg::shutdown_request&) {
           auto& st = self->state;
           st.shutting_down = true;
           st.shutdown = self->make_response_promise();
           enqueue(self, st.machine->release(self->clock().now(), wall_now()));
         }),
  };
}

} // namespace

caf::actor spawn_lease_elector(caf::local_actor* parent, elector_options opts,
                               net::telemetry::registry& reg) {
  return parent->spawn(elector_fn, std::move(opts), &reg);
}

} // namespace kvip
