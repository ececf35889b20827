#include "actors/lease_elector.hpp"

#include <memory>
#include <random>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/directory.hpp"
#include "actors/node.hpp"
#include "actors/owned_reports.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "k8s/election_policy.hpp"
#include "k8s/lease_record.hpp"
#include "k8s/objects.hpp"
#include "messages/election.hpp"
#include "messages/services.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

namespace {

namespace el = k8s::election;

/// The elector's timer (internal); the policy ignores stale generations.
struct election_tick : msg::traced {
  static constexpr const char* name = "election_tick";
  std::uint64_t generation = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, election_tick& x) {
  return f(caf::meta::type_name(election_tick::name), x.generation);
}

/// The public interface plus the elector's own timer.
using elector_impl = msg::elector_actor::extend<caf::reacts_to<election_tick>>;

struct elector_state {
  elector_options opts;
  net::telemetry::registry* reg = nullptr;
  std::unique_ptr<el::policy> policy;
  std::mt19937_64 rng;
  boost::json::object last_lease; // as last read or written: unknown fields survive writes
  std::vector<caf::typed_response_promise<msg::shutdown_done>> shutdown;
  bool leading = false;
  owned_reports label_reports; // enable_node_labeling: kube-vip.io/has-ip
  /// What the service elector was told last, and which incarnation.
  msg::control_plane_held told;
  caf::actor_addr told_to;
  static inline const char* name = "lease_elector";
};

using elector_pointer = elector_impl::stateful_pointer<elector_state>;

/// The world as the policy needs to see it now.
el::context context(elector_pointer self) {
  auto& st = self->state;
  auto announcer = st.opts.siblings ? st.opts.siblings->announcer() : msg::announcer_actor{};
  auto wall = st.opts.wall_clock ? st.opts.wall_clock() : std::chrono::system_clock::now();
  return {self->clock().now(), std::chrono::time_point_cast<std::chrono::microseconds>(wall),
          announcer ? announcer.id() : 0};
}

void drive(elector_pointer self, std::vector<el::effect> effects);

/// Lease mode with Services: the service elector learns the control-plane
/// VIPs and whether this node holds their Lease (a Service on such a VIP is
/// announced with it, not elected again), on a change and again when the
/// service elector is a new incarnation.
void tell_service_elector(elector_pointer self) {
  auto& st = self->state;
  auto to = st.opts.siblings->service_elector();
  if (!to) return;
  msg::control_plane_held now;
  for (const auto& v : st.opts.vips)
    now.vips.push_back(v.address);
  now.leading = st.leading;
  if (to.address() == st.told_to && now == st.told) return;
  st.told_to = to.address();
  st.told = now;
  tell(self, to, std::move(now));
}

/// Turns k8s_io's answer into the policy's terms (and keeps the Lease read).
el::lease_answer answer_of(elector_state& st, const msg::lease_reply& rep) {
  if (!rep.ok) return el::lease_answer::failed(rep.error, rep.error_text);
  boost::system::error_code ec;
  auto v = boost::json::parse(rep.object_json, ec);
  if (ec || !v.is_object())
    return el::lease_answer::failed(k8s::error_kind::parse, "k8s_io answered a Lease that is not "
                                                            "a JSON object");
  st.last_lease = std::move(v.as_object());
  k8s::lease l{st.last_lease};
  return el::lease_answer::ok(el::to_record(l), l.resource_version());
}

template <class Msg>
void ask_io(elector_pointer self, Msg m) {
  auto& st = self->state;
  ask(self, st.opts.siblings ? st.opts.siblings->k8s_io() : msg::k8s_io_actor{},
      st.opts.request_timeout, std::move(m))
      .then(on(self,
               [self](const msg::lease_reply& rep) {
                 auto a = answer_of(self->state, rep);
                 drive(self, self->state.policy->lease_answered(context(self), a));
               }),
            [self](caf::error& err) {
              drive(self,
                    self->state.policy->lease_timed_out(context(self), self->system().render(err)));
            });
}

void request_lease(elector_pointer self, const el::effect& e) {
  auto& st = self->state;
  if (e.what == el::effect::kind::get_lease) {
    msg::lease_get g;
    g.ns = st.opts.lease_namespace;
    g.lease = st.opts.lease_name;
    ask_io(self, std::move(g));
    return;
  }
  bool create = e.what == el::effect::kind::create_lease;
  k8s::lease l = create ? k8s::lease::make(st.opts.lease_namespace, st.opts.lease_name)
                        : k8s::lease{st.last_lease};
  if (!create) l.set_resource_version(e.rv);
  el::write_record(l, e.rec, st.opts.annotations);
  msg::lease_write w;
  w.create = create;
  w.object_json = boost::json::serialize(l.raw());
  ask_io(self, std::move(w));
}

void send_vips(elector_pointer self, bool announce) {
  auto& st = self->state;
  msg::announce_set set;
  if (announce) set.vips = st.opts.vips;
  ask(self, st.opts.siblings ? st.opts.siblings->announcer() : msg::announcer_actor{},
      st.opts.request_timeout, set)
      .then(on(self,
               [self](const msg::announce_result& r) {
                 el::announce_answer a{!r.active.empty(), r.error};
                 drive(self, self->state.policy->announce_answered(context(self), a));
               }),
            [self](caf::error& err) {
              drive(self, self->state.policy->announce_timed_out(context(self),
                                                                 self->system().render(err)));
            });
}

void record_leading(elector_state& st, bool leading) {
  st.reg
      ->gauge_family("kube_vip_is_leader", "1 while this node holds the lease.",
                     {"node", "lease_name"})
      .with({st.opts.timings.identity, st.opts.lease_name})
      .Set(leading ? 1 : 0);
  if (leading)
    st.reg
        ->counter_family("kube_vip_leader_election_transitions",
                         "Times this node became leader of the lease.", {"lease_name"})
        .with({st.opts.lease_name})
        .Increment();
}

/// Performs the policy's effects, in order.
void drive(elector_pointer self, std::vector<el::effect> effects) {
  auto& st = self->state;
  for (auto& e : effects) {
    switch (e.what) {
    case el::effect::kind::get_lease:
    case el::effect::kind::create_lease:
    case el::effect::kind::update_lease:
      request_lease(self, e);
      break;
    case el::effect::kind::arm_timer: {
      election_tick t;
      t.generation = e.generation;
      tell_after(self, caf::actor_cast<elector_impl>(self), e.delay, t);
      break;
    }
    case el::effect::kind::announce:
    case el::effect::kind::withdraw:
      send_vips(self, e.what == el::effect::kind::announce);
      break;
    case el::effect::kind::leading:
      record_leading(st, e.on);
      st.leading = e.on;
      break;
    case el::effect::kind::shutdown_done: {
      msg::shutdown_done d;
      d.actor = "lease_elector";
      for (auto& p : st.shutdown)
        if (p.pending()) p.deliver(d);
      st.shutdown.clear();
      break;
    }
    }
  }
  // The node labeler (if any): the control-plane VIPs while leading, sent
  // when that changes and again to a restarted labeler.
  if (st.opts.siblings) {
    std::vector<std::string> held;
    if (st.leading)
      for (const auto& v : st.opts.vips)
        held.push_back(v.address);
    report_control_plane(self, *st.opts.siblings, st.label_reports, std::move(held));
    tell_service_elector(self);
  }
}

std::string describe(const elector_state& st) {
  const auto& p = *st.policy;
  return fmt::format("lease {}/{} identity {}: {}, observed holder \"{}\", {} transitions{}",
                     st.opts.lease_namespace, st.opts.lease_name, st.opts.timings.identity,
                     p.leading() ? "leading" : "following", p.observed_holder(), p.transitions(),
                     p.paused() ? ", paused (unhealthy)" : "");
}

elector_impl::behavior_type elector_fn(elector_pointer self, elector_options opts,
                                       net::telemetry::registry* reg) {
  log_crashes(self, "lease_elector");
  auto& st = self->state;
  st.opts = std::move(opts);
  st.reg = reg;
  st.rng.seed(st.opts.random_seed ? *st.opts.random_seed : std::random_device{}());
  st.policy = std::make_unique<el::policy>(
      st.opts.timings, st.opts.lease_namespace + "/" + st.opts.lease_name, [self] {
        return std::uniform_real_distribution<double>{0.0, 1.0}(self->state.rng);
      });
  drive(self, st.policy->start(context(self)));
  return {
      on(self,
         [self](const election_tick& t) {
           drive(self, self->state.policy->timer(context(self), t.generation));
         }),
      on(self,
         [self](const msg::health_status& h) {
           drive(self, self->state.policy->health(context(self), h.healthy, h.detail));
         }),
      on(self,
         [self](const msg::dump_request&) {
           msg::dump_reply r;
           r.actor = "lease_elector";
           r.text = describe(self->state);
           return r;
         }),
      on(self,
         [self](const msg::shutdown_request&) {
           auto p = self->make_response_promise<msg::shutdown_done>();
           self->state.shutdown.push_back(p);
           drive(self, self->state.policy->shutdown(context(self)));
           return p;
         }),
  };
}

} // namespace

caf::actor spawn_lease_elector(caf::local_actor* parent, elector_options opts,
                               net::telemetry::registry& reg) {
  return caf::actor_cast<caf::actor>(parent->spawn(elector_fn, std::move(opts), &reg));
}

} // namespace kvip
