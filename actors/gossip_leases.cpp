// The gossip actor's Kubernetes records: one Lease per VIP, written when this
// node's claim is confirmed and the Lease names another holder (compare-and-
// swap on resourceVersion, the claim's term in the `kvip.io/term` annotation:
// the term in which this holder took it; its later claims of the same VIP are
// not written); for a Service IP also the kube-vip Lease of its Services
// (kubevip-<service> in the Service's namespace, or kube-vip.io/leaseName:
// what kube-vip users and tools read), written the same way; and this node's
// own Lease, renewed every node_lease_period. Nothing here is awaited by
// ownership: a write that fails is retried at the next lease_tick until it
// lands (API outage).

#include <algorithm>
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

void start_vip_write(pointer self, const std::string& key);

/// Starts pending writes while the window has room.
/// Not reentrant: a write that ends at once (its listed Lease already says
/// so) calls back here, and the outer loop goes on instead.
void pump_vip_writes(pointer self) {
  auto& st = self->state;
  if (st.vip_writes_pumping) return;
  st.vip_writes_pumping = true;
  for (bool started = true; started && st.vip_writes_in_flight < max_vip_writes_in_flight;) {
    started = false;
    for (auto it = st.lease_jobs.begin();
         it != st.lease_jobs.end() && st.vip_writes_in_flight < max_vip_writes_in_flight; ++it)
      if (!it->second.done && !it->second.busy && !it->second.backoff) {
        start_vip_write(self, it->first);
        started = true;
      }
  }
  st.vip_writes_pumping = false;
}

/// The write of job `key` ends (done, failed, or to be read again): frees its slot.
void end_vip_write(pointer self, const std::string& key, bool failed) {
  auto& st = self->state;
  auto& job = st.lease_jobs[key];
  if (job.busy && st.vip_writes_in_flight > 0) --st.vip_writes_in_flight;
  job.busy = false;
  job.backoff = failed && !job.done;
  pump_vip_writes(self);
}

/// Writes the wanted holder into `l` (created when `create`).
void put_vip_lease(pointer self, const std::string& key, k8s::lease l, bool create) {
  auto& st = self->state;
  auto& job = st.lease_jobs[key];
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
  if (job.fencing) l.set_label(vip_label, "true");
  msg::lease_write w;
  w.create = create;
  w.object_json = boost::json::serialize(l.raw());
  auto want_term = job.term;
  auto want_holder = job.holder;
  ask(self, io(st), st.opts.request_timeout, std::move(w))
      .then(
          on(self,
             [self, key, want_term, want_holder](const msg::lease_reply& r) {
               auto& job = self->state.lease_jobs[key];
               if (r.ok) {
                 job.done = job.holder == want_holder;
                 spdlog::info("gossip: Lease {} records {} (term {})", key, job.holder, want_term);
                 end_vip_write(self, key, false);
               } else if (r.error == k8s::error_kind::conflict ||
                          r.error == k8s::error_kind::already_exists) {
                 end_vip_write(self, key, false); // someone wrote in between: read again
               } else {
                 spdlog::warn("gossip: writing Lease {} failed: {} (retrying)", key, r.error_text);
                 end_vip_write(self, key, true);
               }
             }),
          [self, key](caf::error&) { end_vip_write(self, key, true); });
}

/// Given the job's Lease as it is: writes it unless it already says so or
/// names a holder with a higher term (that holder is the legitimate owner:
/// stop; for a kube-vip Service Lease, stop writing it).
void decide_vip_write(pointer self, const std::string& key, k8s::lease l) {
  auto& st = self->state;
  auto& job = st.lease_jobs[key];
  auto holder = l.holder_identity().value_or("");
  switch (k8s::vip_lease_decision(holder, term_of(l), job.holder, job.term)) {
  case k8s::vip_lease_action::yield: {
    job.done = true;
    auto vip = job.vip;
    bool fencing = job.fencing;
    end_vip_write(self, key, false);
    if (fencing)
      run_ownership(self, st.owners->lease_holder(now(self), vip, holder));
    else
      spdlog::info("gossip: Lease {} names {} in a later term: left to it", key, holder);
    return;
  }
  case k8s::vip_lease_action::recorded:
    job.done = true;
    end_vip_write(self, key, false);
    return;
  case k8s::vip_lease_action::write:
    put_vip_lease(self, key, std::move(l), false);
    return;
  }
}

/// Takes a slot of the window, then starts from the listed Lease or reads it.
void start_vip_write(pointer self, const std::string& key) {
  auto& st = self->state;
  auto& job = st.lease_jobs[key];
  if (job.busy || job.done || st.vip_writes_in_flight >= max_vip_writes_in_flight) return;
  job.busy = true;
  ++st.vip_writes_in_flight;
  if (auto seen = job.fencing ? st.vip_lease_seen.find(job.name) : st.vip_lease_seen.end();
      seen != st.vip_lease_seen.end()) {
    k8s::lease l{std::move(seen->second)};
    st.vip_lease_seen.erase(seen);
    decide_vip_write(self, key, std::move(l));
    return;
  }
  msg::lease_get g;
  g.ns = job.ns;
  g.lease = job.name;
  ask(self, io(st), st.opts.request_timeout, std::move(g))
      .then(on(self,
               [self, key](const msg::lease_reply& r) {
                 auto& job = self->state.lease_jobs[key];
                 if (!r.ok) {
                   if (r.error == k8s::error_kind::not_found) {
                     put_vip_lease(self, key, k8s::lease::make(job.ns, job.name), true);
                     return;
                   }
                   end_vip_write(self, key, true); // retried at the next lease_tick
                   return;
                 }
                 auto l = parse_lease(r);
                 if (!l) {
                   end_vip_write(self, key, true);
                   return;
                 }
                 decide_vip_write(self, key, std::move(*l));
               }),
            [self, key](caf::error&) { end_vip_write(self, key, true); });
}

/// Job `proto` (its Lease, VIP and kind) is to name `holder` in `term`.
void want_lease(pointer self, const lease_job& proto, const std::string& holder,
                std::uint64_t term) {
  auto key = proto.ns + "/" + proto.name;
  auto [it, fresh] = self->state.lease_jobs.try_emplace(key, proto);
  auto& job = it->second;
  // Written on a change of holder only: a node claiming its own VIP again
  // (its hold lapsed under load) rewrote the Lease on every new term, up to
  // 170 writes/s at 1000 Service IPs, while the record said the same thing.
  if (!fresh && job.holder == holder && (job.done || job.busy)) {
    job.term = std::max(job.term, term);
    return;
  }
  job.vip = proto.vip;
  job.fencing = proto.fencing;
  job.holder = holder;
  job.term = term;
  job.done = false;
  job.backoff = false;
  start_vip_write(self, key); // or later, when the window has room
}

/// The kube-vip Lease of the Services on `ip`.
lease_job service_lease_job(const msg::service_ip& ip) {
  lease_job j;
  j.ns = ip.lease_namespace;
  j.name = ip.lease_name;
  j.vip = ip.address;
  j.fencing = false;
  return j;
}

const msg::service_ip* find_service_ip(const std::vector<msg::service_ip>& ips,
                                       const std::string& address) {
  auto it = std::lower_bound(
      ips.begin(), ips.end(), address,
      [](const msg::service_ip& a, const std::string& b) { return a.address < b; });
  return it != ips.end() && it->address == address ? &*it : nullptr;
}

/// This node's Lease: created once, then its renewTime moved every
/// node_lease_period (checked every lease tick; a failed write is tried
/// again at the next tick).
void renew_node_lease(pointer self) {
  auto& st = self->state;
  if (st.node_lease_busy || !io(st)) return;
  bool create = st.node_lease.empty();
  auto t0 = now(self);
  if (!create && t0 - st.node_lease_at < st.opts.node_lease_period) return;
  st.node_lease_busy = true;
  auto l = create ? k8s::lease::make(st.opts.lease_namespace, "kvip-node-" + st.opts.node_name)
                  : k8s::lease{st.node_lease};
  l.set_holder_identity(st.opts.node_name);
  l.set_lease_duration_seconds(
      std::max<std::int64_t>(1, st.opts.node_lease_duration.count() / 1000));
  l.set_renew_time(wall_now());
  if (create) l.set_acquire_time(wall_now());
  l.set_label("app.kubernetes.io/managed-by", "kvip");
  msg::lease_write w;
  w.create = create;
  w.object_json = boost::json::serialize(l.raw());
  ask(self, io(st), st.opts.request_timeout, std::move(w))
      .then(on(self,
               [self, t0](const msg::lease_reply& r) {
                 auto& st = self->state;
                 st.node_lease_busy = false;
                 if (r.ok) {
                   st.node_lease_at = t0;
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
                 for (const auto& [key, job] : st.lease_jobs)
                   if (job.fencing && !job.done && !job.busy) pending.insert(job.name);
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
  auto& st = self->state;
  lease_job own;
  own.ns = st.opts.lease_namespace;
  own.name = vip_lease_name(vip);
  own.vip = vip;
  want_lease(self, own, holder, term);
  if (const auto* ip = find_service_ip(st.service_ips, vip); ip && !ip->lease_name.empty())
    want_lease(self, service_lease_job(*ip), holder, term);
}

void record_service_leases(pointer self, const std::vector<msg::service_ip>& before) {
  auto& st = self->state;
  if (!st.owners) return;
  auto n = now(self);
  for (const auto& v : st.owners->status()) {
    if (v.owner != st.opts.node_name || !st.owners->may_answer(v.vip, n)) continue;
    const auto* ip = find_service_ip(st.service_ips, v.vip);
    if (!ip || ip->lease_name.empty()) continue;
    const auto* old = find_service_ip(before, v.vip);
    if (old && old->lease_name == ip->lease_name && old->lease_namespace == ip->lease_namespace)
      continue; // recorded when this node's claim was confirmed
    want_lease(self, service_lease_job(*ip), st.opts.node_name, v.term);
  }
}

/// Lapsed holds since the last tick: one line and a counter, however many.
void report_lapses(state& st) {
  if (!st.owners) return;
  auto n = st.owners->hold_lapses();
  if (n == st.lapses_reported) return;
  auto delta = n - st.lapses_reported;
  st.lapses_reported = n;
  st.reg
      ->counter_family("kvip_gossip_hold_lapses_total",
                       "Holds of this node that lapsed: no majority acknowledged it within the "
                       "fence timeout (this node or its peers short of CPU or network); each "
                       "VIP stops answering until claimed again (gossip mode).",
                       {"node"})
      .with({st.opts.node_name})
      .Increment(static_cast<double>(delta));
  spdlog::warn("gossip: {} hold(s) lapsed in the last {} ms (acknowledgements later than the "
               "{} ms fence)",
               delta, st.opts.retry_period.count(), st.opts.fence.fence_timeout.count());
}

void on_lease_tick(pointer self) {
  auto& st = self->state;
  report_lapses(st);
  if (!st.members) return;
  renew_node_lease(self);
  double pending = 0;
  for (auto& [key, job] : st.lease_jobs) {
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
