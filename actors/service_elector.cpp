#include "actors/service_elector.hpp"

#include <fstream>
#include <random>
#include <set>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/directory.hpp"
#include "actors/k8s_io.hpp"
#include "actors/node.hpp"
#include "actors/owned_reports.hpp"
#include "actors/service_statuses.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "k8s/lease_record.hpp"
#include "k8s/objects.hpp"
#include "k8s/services/announce_clock.hpp"
#include "k8s/services/conntrack_flush.hpp"
#include "messages/election.hpp"
#include "messages/services.hpp"
#include "messages/supervision.hpp"
#include "net/config/config.hpp"
#include "net/ip.hpp"
#include "net/l2/host.hpp"
#include "net/telemetry/kube_vip_metrics.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

namespace {

namespace el = k8s::election;
namespace svc = k8s::services;

/// A Lease's timer (internal); the Lease's policy ignores stale generations.
struct service_election_tick : msg::traced {
  static constexpr const char* name = "service_election_tick";
  std::string ns;
  std::string lease;
  std::uint64_t generation = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, service_election_tick& x) {
  return f(caf::meta::type_name(service_election_tick::name), x.ns, x.lease, x.generation);
}

using impl = msg::service_elector_actor::extend<caf::reacts_to<service_election_tick>>;

/// A Service: namespace and name.
using service_name = std::pair<std::string, std::string>;

struct elector_state {
  service_elector_options opts;
  net::telemetry::registry* reg = nullptr;
  std::unique_ptr<svc::lease_election> model;
  std::mt19937_64 rng;
  std::map<svc::lease_id, boost::json::object> last_lease;  // unknown fields survive writes
  std::vector<msg::service_ip> ips;                         // the watcher's last set
  std::map<svc::lease_id, std::set<service_name>> on_lease; // per-Service mode: from `ips`
  std::map<svc::lease_id, std::set<service_name>> loops;    // election_loops set to 1
  msg::announcer_actor announcer;
  msg::k8s_io_actor io; // its own (with opts.client), else null
  std::vector<caf::typed_response_promise<msg::shutdown_done>> shutdown;
  svc::announce_clock announce_clock; // kvip_service_announce_seconds
  owned_reports label_reports;        // enable_node_labeling: service-provided.kube-vip.io/*
  bool labels_dirty = true;           // the IPs or the held set changed since the last report
  std::set<std::string> cp_vips;      // the control-plane VIPs: never elected here
  bool cp_leading = false;            // this node holds the control-plane Lease
  static inline const char* name = "service_elector";
};

using pointer = impl::stateful_pointer<elector_state>;

el::context context(pointer self) {
  auto& st = self->state;
  auto wall = st.opts.wall_clock ? st.opts.wall_clock() : std::chrono::system_clock::now();
  return {self->clock().now(), std::chrono::time_point_cast<std::chrono::microseconds>(wall),
          st.announcer ? st.announcer.id() : 0};
}

void drive(pointer self, svc::lease_election::effects effects);

/// Per-Service mode with metrics: the Services on `l` (else none).
const std::set<service_name>* services_on(const elector_state& st, const svc::lease_id& l) {
  if (!st.opts.kube_vip || !st.opts.election.per_service) return nullptr;
  auto it = st.on_lease.find(l);
  return it == st.on_lease.end() ? nullptr : &it->second;
}

/// kube_vip_service_election_loops of `l`'s Services: 1 while this node
/// contests or holds `l`, absent otherwise.
void update_loop(elector_state& st, const svc::lease_id& l) {
  if (!st.opts.kube_vip || !st.opts.election.per_service) return;
  auto c = st.model->candidacy_of(l);
  std::set<service_name> now;
  if (c == svc::candidacy::campaigning || c == svc::candidacy::owning)
    if (auto* s = services_on(st, l)) now = *s;
  auto& was = st.loops[l];
  for (const auto& [ns, name] : was)
    if (!now.count({ns, name})) st.opts.kube_vip->election_running(ns, name, false);
  for (const auto& [ns, name] : now)
    if (!was.count({ns, name})) st.opts.kube_vip->election_running(ns, name, true);
  if (now.empty())
    st.loops.erase(l);
  else
    was = std::move(now);
}

/// A Lease request of `l` failed or timed out.
void count_election_error(elector_state& st, const svc::lease_id& l) {
  if (auto* s = services_on(st, l))
    for (const auto& [ns, name] : *s)
      st.opts.kube_vip->election_error(ns, name, net::telemetry::election_error_reason::api_error);
}

/// This node announces `address`: it holds it, or it is a control-plane VIP
/// and this node holds the control-plane Lease.
bool answers(const elector_state& st, const std::string& address) {
  return st.model->held().count(address) > 0 || (st.cp_leading && st.cp_vips.count(address) > 0);
}

/// The node labeler (if any) hears the Services on the IPs held, when they
/// changed and again when it is a new incarnation.
void report_owned(pointer self) {
  auto& st = self->state;
  if (!st.opts.siblings || !st.opts.siblings->node_labeler()) return;
  if (!std::exchange(st.labels_dirty, false) &&
      !services_report_due(*st.opts.siblings, st.label_reports))
    return;
  report_services(self, *st.opts.siblings, st.label_reports,
                  owned_services_of(st.ips, [&](const std::string& a) { return answers(st, a); }));
}

msg::k8s_io_actor api(elector_state& st) {
  if (st.io) return st.io;
  return st.opts.siblings ? st.opts.siblings->k8s_io() : msg::k8s_io_actor{};
}

el::lease_answer answer_of(elector_state& st, const svc::lease_id& l, const msg::lease_reply& rep) {
  if (!rep.ok) return el::lease_answer::failed(rep.error, rep.error_text);
  boost::system::error_code ec;
  auto v = boost::json::parse(rep.object_json, ec);
  if (ec || !v.is_object())
    return el::lease_answer::failed(k8s::error_kind::parse, "k8s_io answered a Lease that is not "
                                                            "a JSON object");
  auto& kept = st.last_lease[l] = std::move(v.as_object());
  k8s::lease lease{kept};
  return el::lease_answer::ok(el::to_record(lease), lease.resource_version());
}

template <class Msg>
void ask_io(pointer self, const svc::lease_id& l, Msg m) {
  auto& st = self->state;
  ask(self, api(st), st.opts.request_timeout, std::move(m))
      .then(on(self,
               [self, l](const msg::lease_reply& rep) {
                 auto& st = self->state;
                 auto a = answer_of(st, l, rep);
                 // Not found, a conflict, already exists: lost races, not API errors.
                 using ek = k8s::error_kind;
                 if (!rep.ok && rep.error != ek::not_found && rep.error != ek::conflict &&
                     rep.error != ek::already_exists)
                   count_election_error(st, l);
                 drive(self, st.model->lease_answered(context(self), l, a));
                 update_loop(st, l);
               }),
            [self, l](caf::error& err) {
              auto& st = self->state;
              count_election_error(st, l);
              drive(self, st.model->lease_timed_out(context(self), l, self->system().render(err)));
              update_loop(st, l);
            });
}

void request_lease(pointer self, const svc::election_effect& e) {
  auto& st = self->state;
  if (e.what == svc::election_effect::kind::get_lease) {
    // An acquire try begins with its GET (client-go); a holder's renewals are no attempts.
    if (auto* s = services_on(st, e.lease);
        s && st.model->candidacy_of(e.lease) == svc::candidacy::campaigning)
      for (const auto& [ns, name] : *s)
        st.opts.kube_vip->election_attempt(ns, name);
    msg::lease_get g;
    g.ns = e.lease.ns;
    g.lease = e.lease.name;
    ask_io(self, e.lease, std::move(g));
    return;
  }
  bool create = e.what == svc::election_effect::kind::create_lease;
  k8s::lease l =
      create ? k8s::lease::make(e.lease.ns, e.lease.name) : k8s::lease{st.last_lease[e.lease]};
  if (!create) l.set_resource_version(e.rv);
  el::write_record(l, e.rec, {}); // kube-vip puts no annotations on Service Leases
  msg::lease_write w;
  w.create = create;
  w.object_json = boost::json::serialize(l.raw());
  ask_io(self, e.lease, std::move(w));
}

/// kube-vip.io/flush-conntrack: the flagged IPs this node started or stopped
/// announcing (held `before` -> now) have their conntrack entries deleted.
void flush_conntrack(pointer self, const std::set<std::string>& before) {
  auto& st = self->state;
  std::set<std::string> flagged;
  for (const auto& ip : st.ips)
    if (ip.flush_conntrack) flagged.insert(ip.address);
  auto ct = st.opts.siblings ? st.opts.siblings->conntrack() : msg::conntrack_actor{};
  for (const auto& f : svc::conntrack_flushes(before, st.model->held(), flagged)) {
    msg::conntrack_flush m;
    m.address = f.address;
    m.placed = f.placed;
    tell(self, ct, std::move(m));
  }
}

/// The IPs this node announces now and did not before: the time since the
/// Service change that asked for each.
void observe_announcements(pointer self, const std::set<std::string>& before) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  for (const auto& a : st.model->held())
    if (!before.count(a))
      if (auto took = st.announce_clock.announced(a, now); took && st.opts.kube_vip)
        st.opts.kube_vip->service_announced(took->count());
}

void send_set(pointer self, const std::vector<svc::announced_ip>& ips) {
  auto& st = self->state;
  msg::announce_set set;
  for (const auto& ip : ips)
    set.vips.push_back(msg::vip_spec{ip.address, ip.prefix_length, ip.interface});
  ask(self, st.announcer, st.opts.request_timeout, set)
      .then(on(self,
               [self](const msg::announce_result& r) {
                 auto& st = self->state;
                 st.labels_dirty = true; // the held set may have changed
                 auto before = st.model->held();
                 drive(self, st.model->announce_answered(context(self), r.active, r.error));
                 flush_conntrack(self, before);
                 observe_announcements(self, before);
                 if (st.opts.kube_vip) st.opts.kube_vip->owned_service_ips(st.model->held().size());
               }),
            [self](caf::error& err) {
              drive(self, self->state.model->announce_timed_out(context(self),
                                                                self->system().render(err)));
            });
}

/// This node holds `address`: the status of every Service on it says so.
void report_owner(pointer self, const std::string& address) {
  auto& st = self->state;
  auto w = st.opts.siblings ? st.opts.siblings->status_writer() : msg::status_writer_actor{};
  if (!st.opts.write_status || !w) return;
  for (auto& s : owner_statuses(st.ips, address, st.opts.election.timings.identity))
    tell(self, w, std::move(s));
}

void record_leading(elector_state& st, const svc::lease_id& l, bool leading) {
  st.reg
      ->gauge_family("kube_vip_is_leader", "1 while this node holds the lease.",
                     {"node", "lease_name"})
      .with({st.opts.election.timings.identity, l.name})
      .Set(leading ? 1 : 0);
  if (leading)
    st.reg
        ->counter_family("kube_vip_leader_election_transitions",
                         "Times this node became leader of the lease.", {"lease_name"})
        .with({l.name})
        .Increment();
}

/// Performs the model's effects, in order.
void drive(pointer self, svc::lease_election::effects effects) {
  auto& st = self->state;
  using kind = svc::election_effect::kind;
  for (auto& e : effects) {
    switch (e.what) {
    case kind::get_lease:
    case kind::create_lease:
    case kind::update_lease:
      request_lease(self, e);
      break;
    case kind::arm_timer: {
      service_election_tick t;
      t.ns = e.lease.ns;
      t.lease = e.lease.name;
      t.generation = e.generation;
      tell_after(self, caf::actor_cast<impl>(self), e.delay, t);
      break;
    }
    case kind::announce:
      send_set(self, e.ips);
      break;
    case kind::report_owner:
      report_owner(self, e.address);
      break;
    case kind::leading:
      record_leading(st, e.lease, e.on);
      break;
    case kind::shutdown_done: {
      msg::shutdown_done d;
      d.actor = "service_elector";
      for (auto& p : st.shutdown)
        if (p.pending()) p.deliver(d);
      st.shutdown.clear();
      break;
    }
    }
  }
  report_owned(self);
}

/// The IPs this actor elects: every Service IP but the control-plane VIPs.
std::vector<svc::election_ip> election_ips(const elector_state& st) {
  std::vector<svc::election_ip> out;
  for (const auto& ip : st.ips)
    if (!st.cp_vips.count(ip.address))
      out.push_back({ip.address, ip.interface, ip.any_node, ip.nodes,
                     svc::lease_id{ip.lease_namespace, ip.lease_name}, ip.own_lease});
  return out;
}

/// update_loop for every Lease known or with loops set.
void update_loops(elector_state& st) {
  if (!st.opts.kube_vip || !st.opts.election.per_service) return;
  std::set<svc::lease_id> all;
  for (const auto& [l, c] : st.model->leases())
    all.insert(l);
  for (const auto& [l, s] : st.loops)
    all.insert(l);
  for (const auto& l : all)
    update_loop(st, l);
}

void on_ips(pointer self, const msg::service_ips& m) {
  auto& st = self->state;
  if (m.ips == st.ips) return;
  spdlog::info("service_elector: {} Service IPs", m.ips.size());
  auto before = std::exchange(st.ips, m.ips);
  st.labels_dirty = true;
  using clock = std::chrono::steady_clock;
  auto changes = changed_addresses(before, st.ips);
  st.announce_clock.update(changes.all, changes.changed,
                           clock::time_point{std::chrono::nanoseconds{m.changed_at_ns}},
                           clock::now());
  // Before the model drops what left: Services that left clear their status.
  auto w = st.opts.siblings ? st.opts.siblings->status_writer() : msg::status_writer_actor{};
  if (st.opts.write_status && w)
    for (auto& s :
         withdrawn_statuses(before, st.ips, [&](const std::string& a) { return answers(st, a); }))
      tell(self, w, std::move(s));
  st.on_lease.clear();
  if (st.opts.election.per_service)
    for (const auto& ip : st.ips)
      for (const auto& r : ip.services)
        st.on_lease[{ip.lease_namespace, ip.lease_name}].insert({r.ns, r.name});
  drive(self, st.model->set_ips(context(self), election_ips(st)));
  update_loops(st);
  // Services added to (or changed on) an IP this node already holds.
  for (const auto& ip : st.ips) {
    auto old = std::find_if(before.begin(), before.end(),
                            [&](const auto& b) { return b.address == ip.address; });
    bool cp_new = old == before.end() && st.cp_leading && st.cp_vips.count(ip.address);
    if (cp_new || (old != before.end() && old->services != ip.services && answers(st, ip.address)))
      report_owner(self, ip.address);
  }
}

/// The lease elector's news: the control-plane VIPs leave (or join) this
/// actor's election; on taking the control-plane Lease this node writes the
/// status of the Services on them.
void on_control_plane(pointer self, const msg::control_plane_held& m) {
  auto& st = self->state;
  std::set<std::string> vips(m.vips.begin(), m.vips.end());
  bool was = std::exchange(st.cp_leading, m.leading);
  bool vips_changed = vips != st.cp_vips;
  st.cp_vips = std::move(vips);
  if (vips_changed) {
    drive(self, st.model->set_ips(context(self), election_ips(st)));
    update_loops(st);
  }
  if (m.leading && (!was || vips_changed))
    for (const auto& ip : st.ips)
      if (st.cp_vips.count(ip.address)) report_owner(self, ip.address);
  if (was != m.leading || vips_changed) st.labels_dirty = true;
  report_owned(self);
}

std::string describe(const elector_state& st) {
  std::string text =
      fmt::format("{} mode, identity {}, {} Service IPs, {} held",
                  st.opts.election.per_service ? "per-Service" : "global",
                  st.opts.election.timings.identity, st.ips.size(), st.model->held().size());
  for (const auto& [id, c] : st.model->leases())
    text += fmt::format("\n  lease {}: {}", id.text(), svc::to_string(c));
  for (const auto& a : st.model->held())
    text += "\n  holds " + a;
  for (const auto& a : st.cp_vips)
    text += fmt::format("\n  control-plane VIP {} (control-plane Lease{})", a,
                        st.cp_leading ? " held here" : " not held here");
  return text;
}

/// The announcer and the API actor: linked children that exit with this actor.
void spawn_children(pointer self) {
  auto& st = self->state;
  if (st.opts.make_announcer) {
    st.announcer = st.opts.make_announcer(self, *st.reg);
  } else {
    auto a = st.opts.announce;
    a.siblings = st.opts.siblings; // conflicts go to k8s_events
    st.announcer = spawn_arp_broadcaster(self, a, net::l2::make_kernel_host(), *st.reg);
  }
  self->link_to(st.announcer);
  if (st.opts.client) {
    st.io = caf::actor_cast<msg::k8s_io_actor>(
        spawn_k8s_io(self, st.opts.client, st.opts.election.timings.identity));
    self->link_to(st.io);
  }
  self->attach_functor([ann = st.announcer, io = st.io](const caf::error&) {
    // A normal exit does not travel along links: tell them (the announcer
    // removes every address it holds as it exits).
    caf::anon_send_exit(ann, caf::exit_reason::user_shutdown);
    if (io) caf::anon_send_exit(io, caf::exit_reason::user_shutdown);
  });
}

impl::behavior_type elector_fn(pointer self, service_elector_options opts,
                               net::telemetry::registry* reg) {
  log_crashes(self, "service_elector");
  auto& st = self->state;
  st.opts = std::move(opts);
  st.reg = reg;
  st.cp_vips.insert(st.opts.control_plane_vips.begin(), st.opts.control_plane_vips.end());
  st.rng.seed(st.opts.random_seed ? *st.opts.random_seed : std::random_device{}());
  st.model = std::make_unique<svc::lease_election>(st.opts.election, [self] {
    return std::uniform_real_distribution<double>{0.0, 1.0}(self->state.rng);
  });
  spawn_children(self);
  drive(self, st.model->start(context(self)));
  return {
      on(self, [self](const msg::service_ips& m) { on_ips(self, m); }),
      on(self, [self](const msg::control_plane_held& m) { on_control_plane(self, m); }),
      on(self,
         [self](const service_election_tick& t) {
           svc::lease_id l{t.ns, t.lease};
           drive(self, self->state.model->timer(context(self), l, t.generation));
           update_loop(self->state, l);
         }),
      on(self,
         [self](const msg::dump_request&) {
           msg::dump_reply r;
           r.actor = "service_elector";
           r.text = describe(self->state);
           return r;
         }),
      on(self,
         [self](const msg::shutdown_request&) {
           auto p = self->make_response_promise<msg::shutdown_done>();
           self->state.shutdown.push_back(p);
           drive(self, self->state.model->shutdown(context(self)));
           update_loops(self->state);
           return p;
         }),
  };
}

/// kube-vip's rule for a Lease's namespace: "ns/name" > the pod's
/// service-account namespace > cp_namespace.
svc::lease_id lease_location(const std::string& name, const std::string& cp_namespace) {
  if (auto slash = name.find('/'); slash != std::string::npos)
    return {name.substr(0, slash), name.substr(slash + 1)};
  std::ifstream sa{"/var/run/secrets/kubernetes.io/serviceaccount/namespace"};
  std::string ns;
  if (sa && std::getline(sa, ns) && !ns.empty()) return {ns, name};
  return {cp_namespace, name};
}

} // namespace

service_elector_options service_elector_settings(const net::config::settings& cfg,
                                                 std::string interface,
                                                 std::shared_ptr<k8s::client> client) {
  service_elector_options o;
  auto& e = o.election;
  e.timings.identity = cfg.node_name;
  e.timings.lease_duration = cfg.lease_duration;
  e.timings.renew_deadline = cfg.renew_deadline;
  e.timings.retry_period = cfg.retry_period;
  e.per_service = cfg.services_election;
  e.global_lease = lease_location(cfg.services_lease_name, cfg.cp_namespace);
  bool own_interface = !cfg.services_interface.empty() && cfg.services_interface != "auto";
  e.interface = own_interface ? cfg.services_interface : std::move(interface);
  e.prefix_v4 = cfg.subnet_v4.automatic ? 0 : cfg.subnet_v4.bits;
  e.prefix_v6 = cfg.subnet_v6.automatic ? 0 : cfg.subnet_v6.bits;
  o.client = std::move(client);
  o.request_timeout = std::min(cfg.renew_deadline, std::chrono::milliseconds{10000});
  o.write_status = !cfg.disable_service_updates;
  o.announce.refresh = cfg.arp_rate;
  o.announce.node_name = cfg.node_name;
  // Service IPs are known only at run time: recorded, so a restart after a
  // SIGKILL removes what the killed process left on the interfaces (one file
  // per node name: lab nodes share a host's /run).
  o.announce.record_file = "/run/kvip/service-vips-" + cfg.node_name + ".list";
  if (cfg.control_plane)
    for (const auto& a : cfg.address)
      if (auto ip = net::ip_address::parse(a)) o.control_plane_vips.push_back(ip->to_string());
  return o;
}

caf::actor spawn_service_elector(caf::local_actor* parent, service_elector_options opts,
                                 net::telemetry::registry& reg) {
  return caf::actor_cast<caf::actor>(parent->spawn(elector_fn, std::move(opts), &reg));
}

} // namespace kvip
