// The gossip actor's Kubernetes records: one Lease per VIP, written when this
// node's claim is confirmed and the Lease names another holder (compare-and-
// swap on resourceVersion, the claim's term in the `kvip.io/term` annotation:
// the term in which this holder took it; its later claims of the same VIP are
// not written), and this node's own Lease, renewed
// every retry period. Nothing here is awaited by ownership: a write that
// fails is retried at the next lease_tick until it lands (API outage).

#include <charconv>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "actors/directory.hpp"
#include "actors/gossip_state.hpp"
#include "actors/tracing.hpp"
#include "k8s/objects.hpp"
#include "k8s/vip_lease.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip::gossip_actor {

namespace {

constexpr const char* term_annotation = "kvip.io/term";
constexpr const char* vip_label = "kvip.io/vip"; ///< on every VIP Lease (one list finds them)

net::sys_micros wall_now() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

std::uint64_t term_of(const k8s::lease& l) {
  auto v = l.annotation(term_annotation);
  std::uint64_t t = 0;
  if (v) std::from_chars(v->data(), v->data() + v->size(), t);
  return t;
}

msg::k8s_io_actor io(const state& st) {
  return st.opts.siblings ? st.opts.siblings->k8s_io() : msg::k8s_io_actor{};
}

std::optional<k8s::lease> parse_lease(const msg::lease_reply& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.object_json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return k8s::lease{std::move(v.as_object())};
}

void start_vip_write(pointer self, const std::string& vip);

/// Starts pending writes while the window has room.
/// Not reentrant: a write that ends at once (its listed Lease already says
/// so) calls back here, and the outer loop goes on instead.
void pump_vip_writes(pointer self) {
  auto& st = self->state;
  if (st.vip_writes_pumping) return;
  st.vip_writes_pumping = true;
  for (bool started = true; started && st.vip_writes_in_flight < max_vip_writes_in_flight;) {
    started = false;
    for (auto it = st.vip_leases.begin();
         it != st.vip_leases.end() && st.vip_writes_in_flight < max_vip_writes_in_flight; ++it)
      if (!it->second.done && !it->second.busy && !it->second.backoff) {
        start_vip_write(self, it->first);
        started = true;
      }
  }
  st.vip_writes_pumping = false;
}

/// The write of `vip` ends (done, failed, or to be read again): frees its slot.
void end_vip_write(pointer self, const std::string& vip, bool failed) {
  auto& st = self->state;
  auto& job = st.vip_leases[vip];
  if (job.busy && st.vip_writes_in_flight > 0) --st.vip_writes_in_flight;
  job.busy = false;
  job.backoff = failed && !job.done;
  pump_vip_writes(self);
}

/// Writes the wanted holder into `l` (created when `create`).
void put_vip_lease(pointer self, const std::string& vip, k8s::lease l, bool create) {
  auto& st = self->state;
  auto& job = st.vip_leases[vip];
  bool changed = l.holder_identity().value_or("") != job.holder;
  l.set_holder_identity(job.holder);
  l.set_lease_duration_seconds(std::max<std::int64_t>(1, st.opts.lease_duration.count() / 1000));
  auto t = wall_now();
  if (changed || create) {
    l.set_acquire_time(t);
    l.set_lease_transitions(l.lease_transitions() + (create ? 0 : 1));
  }
  l.set_renew_time(t);
  l.set_annotation(term_annotation, std::to_string(job.term));
  l.set_label("app.kubernetes.io/managed-by", "kvip");
  l.set_label(vip_label, "true");
  msg::lease_write w;
  w.create = create;
  w.object_json = boost::json::serialize(l.raw());
  auto want_term = job.term;
  auto want_holder = job.holder;
  ask(self, io(st), st.opts.request_timeout, std::move(w))
      .then(on(self,
               [self, vip, want_term, want_holder](const msg::lease_reply& r) {
                 auto& job = self->state.vip_leases[vip];
                 if (r.ok) {
                   job.done = job.holder == want_holder;
                   spdlog::info("gossip: Lease {} records {} (term {})", vip_lease_name(vip),
                                job.holder, want_term);
                   end_vip_write(self, vip, false);
                 } else if (r.error == k8s::error_kind::conflict ||
                            r.error == k8s::error_kind::already_exists) {
                   end_vip_write(self, vip, false); // someone wrote in between: read again
                 } else {
                   spdlog::warn("gossip: writing Lease {} failed: {} (retrying)",
                                vip_lease_name(vip), r.error_text);
                   end_vip_write(self, vip, true);
                 }
               }),
            [self, vip](caf::error&) { end_vip_write(self, vip, true); });
}

/// Given the VIP's Lease as it is: writes it unless it already says so or
/// names a holder with a higher term (that holder is the legitimate owner:
/// stop).
void decide_vip_write(pointer self, const std::string& vip, k8s::lease l) {
  auto& st = self->state;
  auto& job = st.vip_leases[vip];
  auto holder = l.holder_identity().value_or("");
  switch (k8s::vip_lease_decision(holder, term_of(l), job.holder, job.term)) {
  case k8s::vip_lease_action::yield:
    job.done = true;
    end_vip_write(self, vip, false);
    run_ownership(self, st.owners->lease_holder(now(self), vip, holder));
    return;
  case k8s::vip_lease_action::recorded:
    job.done = true;
    end_vip_write(self, vip, false);
    return;
  case k8s::vip_lease_action::write:
    put_vip_lease(self, vip, std::move(l), false);
    return;
  }
}

/// Takes a slot of the window, then starts from the listed Lease or reads it.
void start_vip_write(pointer self, const std::string& vip) {
  auto& st = self->state;
  auto& job = st.vip_leases[vip];
  if (job.busy || job.done || st.vip_writes_in_flight >= max_vip_writes_in_flight) return;
  job.busy = true;
  ++st.vip_writes_in_flight;
  if (auto seen = st.vip_lease_seen.find(vip_lease_name(vip)); seen != st.vip_lease_seen.end()) {
    k8s::lease l{std::move(seen->second)};
    st.vip_lease_seen.erase(seen);
    decide_vip_write(self, vip, std::move(l));
    return;
  }
  msg::lease_get g;
  g.ns = st.opts.lease_namespace;
  g.lease = vip_lease_name(vip);
  ask(self, io(st), st.opts.request_timeout, std::move(g))
      .then(on(self,
               [self, vip](const msg::lease_reply& r) {
                 auto& st = self->state;
                 if (!r.ok) {
                   if (r.error == k8s::error_kind::not_found) {
                     put_vip_lease(self, vip,
                                   k8s::lease::make(st.opts.lease_namespace, vip_lease_name(vip)),
                                   true);
                     return;
                   }
                   end_vip_write(self, vip, true); // retried at the next lease_tick
                   return;
                 }
                 auto l = parse_lease(r);
                 if (!l) {
                   end_vip_write(self, vip, true);
                   return;
                 }
                 decide_vip_write(self, vip, std::move(*l));
               }),
            [self, vip](caf::error&) { end_vip_write(self, vip, true); });
}

/// This node's Lease: created once, then its renewTime moved every retry period.
void renew_node_lease(pointer self) {
  auto& st = self->state;
  if (st.node_lease_busy || !io(st)) return;
  st.node_lease_busy = true;
  bool create = st.node_lease.empty();
  auto l = create ? k8s::lease::make(st.opts.lease_namespace, "kvip-node-" + st.opts.node_name)
                  : k8s::lease{st.node_lease};
  l.set_holder_identity(st.opts.node_name);
  l.set_lease_duration_seconds(std::max<std::int64_t>(1, st.opts.lease_duration.count() / 1000));
  l.set_renew_time(wall_now());
  if (create) l.set_acquire_time(wall_now());
  l.set_label("app.kubernetes.io/managed-by", "kvip");
  msg::lease_write w;
  w.create = create;
  w.object_json = boost::json::serialize(l.raw());
  ask(self, io(st), st.opts.request_timeout, std::move(w))
      .then(on(self,
               [self](const msg::lease_reply& r) {
                 auto& st = self->state;
                 st.node_lease_busy = false;
                 if (r.ok) {
                   if (auto l = parse_lease(r)) st.node_lease = l->raw();
                 } else if (r.error == k8s::error_kind::conflict ||
                            r.error == k8s::error_kind::already_exists) {
                   st.node_lease = {}; // re-read on the next tick
                   msg::lease_get g;
                   g.ns = st.opts.lease_namespace;
                   g.lease = "kvip-node-" + st.opts.node_name;
                   ask(self, io(st), st.opts.request_timeout, std::move(g))
                       .then(on(self,
                                [self](const msg::lease_reply& rr) {
                                  if (!rr.ok) return;
                                  if (auto l = parse_lease(rr)) self->state.node_lease = l->raw();
                                }),
                             [](caf::error&) {});
                 }
               }),
            [self](caf::error&) { self->state.node_lease_busy = false; });
}

/// Every VIP Lease with one request (whatever the number of VIPs): a VIP
/// this node answers for whose Lease names another holder in a term at least
/// ours belongs to that node, which was confirmed after us: stop at once.
void check_held_leases(pointer self) {
  auto& st = self->state;
  if (st.lease_list_busy) return;
  st.lease_list_busy = true;
  msg::lease_list l;
  l.ns = st.opts.lease_namespace;
  l.label_selector = std::string{vip_label} + "=true";
  ask(self, io(st), st.opts.request_timeout, std::move(l))
      .then(on(self,
               [self](const msg::lease_list_reply& r) {
                 auto& st = self->state;
                 st.lease_list_busy = false;
                 if (!r.ok) return;
                 std::set<std::string> pending;
                 for (const auto& [vip, job] : st.vip_leases)
                   if (!job.done && !job.busy) pending.insert(vip_lease_name(vip));
                 st.vip_lease_seen.clear();
                 std::map<std::string, std::pair<std::string, std::uint64_t>> by_name;
                 for (const auto& json : r.objects_json) {
                   boost::system::error_code ec;
                   auto v = boost::json::parse(json, ec);
                   if (ec || !v.is_object()) continue;
                   k8s::lease lease{std::move(v.as_object())};
                   by_name[lease.name()] = {lease.holder_identity().value_or(""), term_of(lease)};
                   if (pending.count(lease.name())) st.vip_lease_seen[lease.name()] = lease.raw();
                 }
                 auto n = now(self);
                 for (const auto& v : st.owners->status()) {
                   if (v.owner != st.opts.node_name || !st.owners->may_answer(v.vip, n)) continue;
                   auto it = by_name.find(vip_lease_name(v.vip));
                   if (it == by_name.end()) continue;
                   const auto& [holder, term] = it->second;
                   if (holder.empty() || holder == st.opts.node_name || term < v.term) continue;
                   run_ownership(self, st.owners->lease_holder(n, v.vip, holder));
                 }
               }),
            [self](caf::error&) { self->state.lease_list_busy = false; });
}

} // namespace

void write_vip_lease(pointer self, const std::string& vip, const std::string& holder,
                     std::uint64_t term) {
  auto& job = self->state.vip_leases[vip];
  // Written on a change of holder only: a node claiming its own VIP again
  // (its hold lapsed under load) rewrote the Lease on every new term, up to
  // 170 writes/s at 1000 Service IPs, while the record said the same thing.
  if (job.holder == holder && (job.done || job.busy)) {
    job.term = std::max(job.term, term);
    return;
  }
  job.holder = holder;
  job.term = term;
  job.done = false;
  job.backoff = false;
  start_vip_write(self, vip); // or later, when the window has room
}

void on_lease_tick(pointer self) {
  auto& st = self->state;
  if (!st.members) return;
  renew_node_lease(self);
  double pending = 0;
  for (auto& [vip, job] : st.vip_leases) {
    job.backoff = false;
    if (!job.done) ++pending;
  }
  pump_vip_writes(self);
  st.reg
      ->gauge_family("kvip_gossip_vip_lease_writes_pending",
                     "VIP Leases this node has yet to write (its ownership changed); sampled "
                     "every lease tick (gossip mode).",
                     {"node"})
      .with({st.opts.node_name})
      .Set(pending);
  check_held_leases(self);
}

} // namespace kvip::gossip_actor
