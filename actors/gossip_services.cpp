// Service IPs in gossip mode (issue 10): the service watcher's desired set
// joins the control-plane VIPs in ownership, each IP with its allowed owners
// (externalTrafficPolicy Local), held on lo by the responder with them; the
// owner of a Service IP reports it to the status writer.
#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include <spdlog/spdlog.h>

#include "actors/directory.hpp"
#include "actors/gossip_state.hpp"
#include "actors/service_statuses.hpp"
#include "actors/tracing.hpp"
#include "net/telemetry/kube_vip_metrics.hpp"

namespace kvip::gossip_actor {

namespace gs = net::gossip;

namespace {

/// Service IPs are distinct (one entry per address): only the control-plane
/// VIPs (one or a few) can repeat one. Searching the growing output instead
/// made every set of 1000 Service IPs cost a million comparisons.
bool is_control_plane_vip(const state& st, const std::string& address) {
  return std::any_of(st.opts.vips.begin(), st.opts.vips.end(),
                     [&](const auto& v) { return v.address == address; });
}

} // namespace

std::vector<msg::vip_spec> all_vips(const state& st) {
  auto out = st.opts.vips;
  const std::string& fallback =
      st.opts.service_interface.empty() ? st.opts.interface : st.opts.service_interface;
  for (const auto& ip : st.service_ips) {
    if (is_control_plane_vip(st, ip.address))
      continue; // a Service on the control-plane VIP shares its owner
    out.push_back(msg::vip_spec{ip.address, 0, ip.interface.empty() ? fallback : ip.interface});
  }
  return out;
}

void apply_vips(pointer self) {
  auto& st = self->state;
  if (!st.owners) return;
  std::vector<gs::vip_spec> specs;
  for (const auto& v : st.opts.vips)
    specs.push_back({v.address, std::nullopt, ""});
  for (const auto& ip : st.service_ips) {
    if (is_control_plane_vip(st, ip.address)) continue; // the control-plane VIP: any eligible node
    // Ranked by the IP's kube-vip Lease: IPs recorded on one Lease
    // (kube-vip.io/leaseName shared by Services) share an owner, as they
    // share one election under kube-vip.
    specs.push_back({ip.address,
                     ip.any_node ? std::nullopt : std::optional<std::vector<std::string>>{ip.nodes},
                     ip.lease_name.empty() ? "" : ip.lease_namespace + "/" + ip.lease_name});
  }
  run_ownership(self, st.owners->set_vip_specs(now(self), specs));
}

/// This node now answers for `vip`: the status of every Service on it says
/// so (status.loadBalancer.ingress and kube-vip.io/vipHost; the status writer
/// writes only what changed).
void report_service_owner(pointer self, const std::string& vip) {
  auto& st = self->state;
  auto w = st.opts.siblings ? st.opts.siblings->status_writer() : msg::status_writer_actor{};
  if (!w) return;
  for (auto& s : owner_statuses(st.service_ips, vip, st.opts.node_name))
    tell(self, w, std::move(s));
}

/// Every VIP on lo and listened for (idempotent; sent again every lease
/// tick so a restarted responder holds them again).
void hold_vips(pointer self) {
  auto& st = self->state;
  auto r = st.opts.siblings ? st.opts.siblings->responder() : msg::responder_actor{};
  // Once per responder incarnation and set of VIPs (the hold puts every VIP
  // on lo: a thousand netlink requests for a thousand VIPs).
  auto vips = all_vips(st);
  if (!r || (r.address() == st.held_by && vips == st.held)) return;
  st.held_by = r.address();
  st.held = vips;
  msg::responder_hold h;
  h.vips = std::move(vips);
  ask(self, r, st.opts.request_timeout, h)
      .then(on(self,
               [self](const msg::responder_held& held) {
                 if (held.error.empty()) return;
                 spdlog::warn("gossip: responder: {}", held.error);
                 self->state.held_by = caf::actor_addr{}; // ask again at the next lease tick
               }),
            [self](caf::error&) { self->state.held_by = caf::actor_addr{}; }); // ask again
}

void report_owned(pointer self) {
  auto& st = self->state;
  if (!st.opts.siblings || !st.opts.siblings->node_labeler()) return;
  const auto& dir = *st.opts.siblings;
  bool dirty = std::exchange(st.labels_dirty, false);
  if (dirty || control_plane_report_due(dir, st.label_reports)) {
    std::vector<std::string> cp;
    for (const auto& v : st.opts.vips)
      if (st.answering.count(v.address)) cp.push_back(v.address);
    report_control_plane(self, dir, st.label_reports, std::move(cp));
  }
  if (dirty || services_report_due(dir, st.label_reports))
    report_services(self, dir, st.label_reports,
                    owned_services_of(st.service_ips, [&](const std::string& a) {
                      return st.answering.count(a) > 0;
                    }));
}

void count_owned_service_ips(state& st) {
  if (!st.opts.kube_vip) return;
  std::size_t n = 0;
  for (const auto& a : st.answering)
    n += st.service_addresses.count(a);
  st.opts.kube_vip->owned_service_ips(n);
}

void observe_announcement(state& st, const std::string& vip) {
  auto took = st.announce_clock.announced(vip, std::chrono::steady_clock::now());
  if (took && st.opts.kube_vip) st.opts.kube_vip->service_announced(took->count());
}

void flush_conntrack(pointer self, const std::string& vip, bool placed) {
  auto& st = self->state;
  if (!st.flush_addresses.count(vip)) return; // no Service on it asks for a flush
  msg::conntrack_flush m;
  m.address = vip;
  m.placed = placed;
  tell(self, st.opts.siblings ? st.opts.siblings->conntrack() : msg::conntrack_actor{},
       std::move(m));
}

namespace {

/// Remembers when IPs new or changed in `next` were changed, for
/// observe_announcement, and which IPs ask for conntrack flushes.
void track_changes(state& st, const std::vector<msg::service_ip>& before,
                   const msg::service_ips& next) {
  using clock = std::chrono::steady_clock;
  auto changes = changed_addresses(before, next.ips);
  st.announce_clock.update(changes.all, changes.changed,
                           clock::time_point{std::chrono::nanoseconds{next.changed_at_ns}},
                           clock::now());
  st.service_addresses = std::move(changes.all);
  st.flush_addresses.clear();
  for (const auto& ip : next.ips)
    if (ip.flush_conntrack) st.flush_addresses.insert(ip.address);
}

} // namespace

void on_service_ips(pointer self, const msg::service_ips& ips) {
  auto& st = self->state;
  if (ips.ips == st.service_ips) return;
  spdlog::info("gossip: {} Service IPs", ips.ips.size());
  auto before = std::move(st.service_ips);
  // While `answering` is as before: Services that left clear their status.
  if (auto w = st.opts.siblings ? st.opts.siblings->status_writer() : msg::status_writer_actor{})
    for (auto& s : withdrawn_statuses(before, ips.ips,
                                      [&](const std::string& a) { return st.answering.count(a); }))
      tell(self, w, std::move(s));
  track_changes(st, before, ips);
  st.service_ips = ips.ips;
  count_owned_service_ips(st);
  st.labels_dirty = true;
  hold_vips(self);  // on lo before this node may answer for them
  apply_vips(self); // no-op until the cluster key arrived
  record_service_leases(self, before);
  // Services added to (or changed on) an IP this node already owns.
  for (const auto& ip : st.service_ips) {
    auto old = std::find_if(before.begin(), before.end(),
                            [&](const auto& b) { return b.address == ip.address; });
    bool changed = old == before.end() || old->services != ip.services;
    if (changed && st.owners && st.owners->may_answer(ip.address, now(self)))
      report_service_owner(self, ip.address);
  }
  report_owned(self);
}

} // namespace kvip::gossip_actor
