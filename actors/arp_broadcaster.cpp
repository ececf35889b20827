#include "actors/arp_broadcaster.hpp"

#include <deque>
#include <map>

#include <spdlog/spdlog.h>

#include "actors/arp_broadcaster_io.hpp"
#include "actors/directory.hpp"
#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "messages/announce.hpp"
#include "messages/supervision.hpp"
#include "net/l2/announce_schedule.hpp"
#include "net/l2/conflict_limit.hpp"
#include "net/l2/frames.hpp"
#include "net/l2/vip_set.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

namespace {

namespace l2 = net::l2;

/// The metrics of one VIP (label node, vip).
struct vip_metrics {
  net::telemetry::counter* frames = nullptr;
  net::telemetry::counter* conflicts = nullptr;
  net::telemetry::counter* readded = nullptr;
  net::telemetry::gauge* active = nullptr;
};

/// A reply given later than its request's handler: carries the request's
/// cause and is traced like one `on` returns (actors/tracing.hpp).
template <class Reply>
struct later {
  caf::typed_response_promise<Reply> promise;
  std::uint64_t cause = 0;
  std::uint64_t to = 0; ///< the requester's actor id, for the trace

  template <class Self>
  static later make(Self* self) {
    later l;
    l.promise = self->template make_response_promise<Reply>();
    l.cause = current_cause();
    l.to = self->current_sender() ? self->current_sender()->id() : 0;
    return l;
  }

  template <class Self>
  void deliver(Self* self, Reply r) {
    r.cause = cause;
    if (net::telemetry::trace_sink::instance().enabled()) detail::record(self->id(), to, r);
    promise.deliver(std::move(r));
  }
};

/// An announce_set waiting for its turn (sets are applied one at a time).
struct queued_set {
  msg::announce_set set;
  later<msg::announce_result> reply;
};

struct arp_state {
  arp_options opts;
  l2::announce_schedule schedule{{}, {}};
  l2::conflict_limit conflicts{std::chrono::milliseconds{10000}};
  l2::vip_set vips;
  net::telemetry::registry* reg = nullptr;
  msg::announcer_io_actor io;
  msg::l2_status io_status;                   // as of the I/O actor's last answer
  std::map<std::string, vip_metrics> metrics; // by label
  std::deque<queued_set> queue;
  std::uint64_t next_id = 1;
  std::uint64_t applying = 0;      // id of the set being applied (0 = none)
  std::vector<std::string> errors; // of the set being applied
  std::uint64_t stopping_id = 0;   // id of the shutdown work (0 = none)
  later<msg::shutdown_done> shutdown;
  bool retry_armed = false;
  bool stopping = false;

  /// At exit (the I/O actor, linked, removes the addresses): the gauges say
  /// nothing is held any more.
  ~arp_state() {
    for (const auto& [key, e] : vips.entries())
      if (e.state == l2::vip_state::held) metrics_for(e.v.label).active->Set(0);
  }

  vip_metrics& metrics_for(const std::string& label) {
    auto& m = metrics[label];
    if (m.frames) return m;
    auto counter = [&](const char* name, const char* help) {
      return &reg->counter_family(name, help, {"node", "vip"}).with({opts.node_name, label});
    };
    m.frames = counter("kvip_arp_announcements_total",
                       "Gratuitous ARP and unsolicited NA frames sent for a VIP.");
    m.conflicts = counter("kvip_arp_conflicts_total",
                          "Frames from another MAC claiming a VIP this node announces.");
    m.readded = counter("kvip_vip_readded_total",
                        "VIP addresses put back after something else removed them.");
    m.active = &reg->gauge_family("kvip_vip_active", "1 while this node holds and announces a VIP.",
                                  {"node", "vip"})
                    .with({opts.node_name, label});
    return m;
  }

  static inline const char* name = "arp_broadcaster";
};

using arp_actor = msg::announcer_impl_actor::stateful_pointer<arp_state>;

using kvip::to_msg; // the link conversions (actors/arp_broadcaster_io.hpp)

msg::l2_vip to_msg(const l2::vip& v) {
  return {v.key, v.prefix.to_string(), v.interface};
}

// -- timers -----------------------------------------------------------------------

/// Arms announcement `step` of the held VIP `e`.
void arm(arp_actor self, const l2::vip_entry& e, std::uint32_t step) {
  msg::announce_tick t;
  t.vip = e.v.key;
  t.generation = e.generation;
  t.step = step;
  tell_after(self, caf::actor_cast<msg::announcer_impl_actor>(self),
             self->state.schedule.delay_before(step), t);
}

/// Arms the retry timer while something waits: a VIP or a failed removal.
void arm_retry(arp_actor self) {
  auto& st = self->state;
  if (st.retry_armed || st.stopping) return;
  if (st.vips.count(l2::vip_state::waiting) == 0 && st.io_status.leftovers.empty()) return;
  st.retry_armed = true;
  tell_after(self, caf::actor_cast<msg::announcer_impl_actor>(self), st.schedule.refresh(),
             msg::retry_tick{});
}

void on_tick(arp_actor self, const msg::announce_tick& t) {
  auto& st = self->state;
  const auto* e = st.vips.current(t.vip, t.generation);
  if (st.stopping || e == nullptr) return;
  msg::l2_announce a;
  a.vip = to_msg(e->v);
  a.link = to_msg(e->link);
  a.generation = t.generation;
  a.step = t.step;
  a.refresh = st.schedule.is_refresh(t.step);
  tell(self, st.io, a);
}

void on_announced(arp_actor self, const msg::l2_announced& r) {
  auto& st = self->state;
  st.io_status = r.status;
  const auto* e = st.vips.current(r.key, r.generation);
  if (st.stopping || e == nullptr) return; // withdrawn meanwhile
  if (!r.link_gone) st.vips.relinked(r.key, from_msg(r.link));
  auto& m = st.metrics_for(e->v.label);
  m.frames->Increment(r.frames);
  if (r.readded) m.readded->Increment();
  arm(self, *e, st.schedule.next(r.step));
}

// -- applying desired sets ------------------------------------------------------------

/// Hands the effects of the set core to the I/O actor; the gauges of VIPs
/// being removed drop at once.
std::uint64_t perform(arp_actor self, const l2::set_effects& fx, bool retry_leftovers) {
  auto& st = self->state;
  msg::l2_apply w;
  w.id = st.next_id++;
  w.remove = fx.remove;
  for (const auto& key : fx.remove)
    if (auto it = st.vips.entries().find(key); it != st.vips.entries().end())
      st.metrics_for(it->second.v.label).active->Set(0);
  for (const auto& v : fx.add)
    w.add.push_back(to_msg(v));
  w.announce_now = st.schedule.immediate();
  w.retry_leftovers = retry_leftovers;
  tell(self, st.io, w);
  return w.id;
}

/// Starts the next queued set when none is being applied; the set stays at
/// the front of the queue until its l2_applied arrives.
void next_set(arp_actor self) {
  auto& st = self->state;
  while (st.applying == 0 && !st.queue.empty()) {
    auto& q = st.queue.front();
    if (st.stopping) {
      msg::announce_result r;
      r.error = "arp_broadcaster: shutting down; not announcing";
      q.reply.deliver(self, r);
      st.queue.pop_front();
      continue;
    }
    st.errors.clear();
    std::vector<l2::vip> wanted;
    for (const auto& s : q.set.vips) {
      auto v = l2::check_vip(s.address, s.prefix_length, s.interface);
      if (v)
        wanted.push_back(*v);
      else
        st.errors.push_back(v.err().describe());
    }
    st.applying = perform(self, st.vips.desire(wanted), false);
  }
}

/// Feeds one addition's outcome to the set core; a VIP that became held
/// starts its schedule.
void on_added(arp_actor self, const msg::l2_outcome& o, bool quiet_if_unchanged) {
  auto& st = self->state;
  std::string before;
  if (auto it = st.vips.entries().find(o.key); it != st.vips.entries().end())
    before = it->second.error;
  net::result<net::netlink::link_info> r = from_msg(o.link);
  if (!o.error.empty()) r = net::make_error(o.error);
  const auto* e = st.vips.added(o.key, r);
  if (!o.error.empty()) {
    if (!quiet_if_unchanged || o.error != before) spdlog::warn("arp_broadcaster: {}", o.error);
    return;
  }
  if (e == nullptr) return; // no longer wanted: its removal follows
  auto& m = st.metrics_for(e->v.label);
  m.active->Set(1);
  m.frames->Increment(o.frames);
  arm(self, *e, st.schedule.immediate() ? st.schedule.next(0) : 0);
}

void on_applied(arp_actor self, const msg::l2_applied& r) {
  auto& st = self->state;
  st.io_status = r.status;
  bool is_set = r.id == st.applying;
  for (const auto& o : r.removed) {
    st.vips.removed(o.key,
                    o.error.empty() ? net::ok() : net::result<void>{net::make_error(o.error)});
    if (is_set && !o.error.empty()) st.errors.push_back(o.error);
  }
  for (const auto& o : r.added) {
    on_added(self, o, !is_set);
    if (is_set && !o.error.empty()) st.errors.push_back(o.error);
  }
  arm_retry(self);
  if (is_set) {
    auto rep = st.vips.report(st.errors);
    msg::announce_result out;
    out.active = rep.active;
    out.error = rep.error;
    st.queue.front().reply.deliver(self, out);
    st.queue.pop_front();
    st.applying = 0;
    next_set(self);
  }
  if (r.id == st.stopping_id && st.shutdown.promise.pending()) {
    msg::shutdown_done d;
    d.actor = "arp_broadcaster";
    st.shutdown.deliver(self, d);
  }
}

void on_retry(arp_actor self) {
  auto& st = self->state;
  st.retry_armed = false;
  if (st.stopping) return;
  perform(self, st.vips.retry(), true);
}

// -- conflicts ------------------------------------------------------------------

void report_conflict(arp_actor self, const l2::vip_entry& e, const std::string& mac) {
  auto& st = self->state;
  spdlog::warn("arp_broadcaster: address conflict: {} is claimed by {} on {} (ours is {})",
               e.v.label, mac, e.link.name, net::to_string(e.link.mac));
  auto sink = st.opts.siblings ? st.opts.siblings->k8s_events() : msg::k8s_io_actor{};
  if (!sink) return;
  msg::vip_conflict c;
  c.vip = e.v.label;
  c.other_mac = mac;
  c.interface = e.link.name;
  tell(self, sink, c);
}

void on_frame(arp_actor self, const msg::frame_seen& m) {
  auto& st = self->state;
  if (st.stopping) return;
  auto parsed = l2::parse_frame(m.bytes);
  if (parsed.reason != l2::drop_reason::none) return;
  auto now = self->clock().now();
  for (const auto& [key, e] : st.vips.entries()) {
    if (e.state != l2::vip_state::held || e.link.ifindex != m.ifindex) continue;
    auto other = l2::conflicting_claim(parsed, e.v.prefix.address, e.link.mac);
    if (!other) continue;
    st.metrics_for(e.v.label).conflicts->Increment();
    auto mac = net::to_string(*other);
    if (st.conflicts.claim(e.v.label, now) == l2::conflict_limit::effect::note)
      spdlog::debug("arp_broadcaster: {} claimed again by {} on {}", e.v.label, mac, e.link.name);
    else
      report_conflict(self, e, mac);
  }
}

// -- supervision ------------------------------------------------------------------

msg::dump_reply dump(arp_state& st) {
  std::string text =
      fmt::format("node {}: {} VIPs held, {} waiting, burst {}{}", st.opts.node_name,
                  st.vips.count(l2::vip_state::held), st.vips.count(l2::vip_state::waiting),
                  st.schedule.describe(), st.stopping ? ", stopping" : "");
  for (const auto& [key, e] : st.vips.entries()) {
    if (e.state == l2::vip_state::waiting) {
      text += fmt::format("\n  waiting {}: {}", key, e.error);
      continue;
    }
    if (e.state != l2::vip_state::held) continue;
    auto& m = st.metrics_for(e.v.label);
    text +=
        fmt::format("\n  {} on {} (ifindex {}, {}): {} frames, {} conflicts, {} re-added",
                    e.v.prefix.to_string(), e.link.name, e.link.ifindex, net::to_string(e.link.mac),
                    m.frames->Value(), m.conflicts->Value(), m.readded->Value());
  }
  for (const auto& l : st.io_status.leftovers)
    text += fmt::format("\n  failed to remove {}", l);
  for (auto ifindex : st.io_status.listening)
    text += fmt::format("\n  listening on ifindex {}", ifindex);
  msg::dump_reply r;
  r.actor = "arp_broadcaster";
  r.text = std::move(text);
  return r;
}

caf::result<msg::shutdown_done> shutdown(arp_actor self) {
  auto& st = self->state;
  st.stopping = true;
  st.shutdown = later<msg::shutdown_done>::make(self);
  st.stopping_id = perform(self, st.vips.stop(), true);
  return st.shutdown.promise;
}

msg::announcer_impl_actor::behavior_type arp_fn(arp_actor self, arp_options opts,
                                                std::shared_ptr<net::l2::host> host,
                                                net::telemetry::registry* reg) {
  log_crashes(self, "arp_broadcaster");
  auto& st = self->state;
  st.schedule = l2::announce_schedule{opts.burst, opts.refresh, arp_options{}.refresh};
  st.conflicts = l2::conflict_limit{opts.conflict_report_every};
  st.opts = std::move(opts);
  st.reg = reg;
  st.io = spawn_arp_broadcaster_io(self, std::move(host), st.opts.listen, st.opts.io_detached);
  if (!st.opts.stale_vips.empty() || !st.opts.record_file.empty()) {
    msg::l2_remove_stale m;
    m.addresses = st.opts.stale_vips;
    m.record_file = st.opts.record_file;
    tell(self, st.io, m);
  }
  return {
      on(self,
         [self](const msg::announce_set& m) -> caf::result<msg::announce_result> {
           auto reply = later<msg::announce_result>::make(self);
           self->state.queue.push_back({m, reply});
           next_set(self);
           return reply.promise;
         }),
      on(self, [self](const msg::announce_tick& t) { on_tick(self, t); }),
      on(self, [self](const msg::retry_tick&) { on_retry(self); }),
      on(self, [self](const msg::frame_seen& m) { on_frame(self, m); }),
      on(self, [self](const msg::l2_applied& r) { on_applied(self, r); }),
      on(self, [self](const msg::l2_announced& r) { on_announced(self, r); }),
      on(self, [self](const msg::dump_request&) { return dump(self->state); }),
      on(self, [self](const msg::shutdown_request&) { return shutdown(self); }),
  };
}

} // namespace

msg::announcer_actor spawn_arp_broadcaster(caf::local_actor* parent, arp_options opts,
                                           std::shared_ptr<net::l2::host> host,
                                           net::telemetry::registry& reg) {
  return parent->spawn(arp_fn, std::move(opts), std::move(host), &reg);
}

} // namespace kvip
