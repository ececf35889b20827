#include "actors/gossip.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/directory.hpp"
#include "actors/gossip_state.hpp"
#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "net/gossip/ranking.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

std::string vip_lease_name(const std::string& address) {
  std::string s = "kvip-vip-" + address;
  std::replace(s.begin(), s.end(), '.', '-');
  std::replace(s.begin(), s.end(), ':', '-');
  return s;
}

namespace gossip_actor {

namespace gs = net::gossip;

time_point now(pointer self) {
  return self->clock().now();
}

std::uint64_t micros(time_point t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

time_point from_micros(std::uint64_t us) {
  return time_point{std::chrono::duration_cast<time_point::duration>(
      std::chrono::microseconds{static_cast<std::int64_t>(us)})};
}

namespace {

/// Held claims piggybacked on a probe to a member whose digest of this node
/// differs (ownership::claims_for); fit_frame trims what does not fit.
constexpr std::size_t claims_per_frame = 32;

/// The membership as ownership needs it, plus one never-agreeing placeholder
/// per configured address whose node has not introduced itself yet: the
/// majority counts every node the cluster was configured with, so a node
/// that has heard from nobody can never confirm a claim on its own.
std::vector<gs::member_view> member_views(const state& st) {
  std::vector<gs::member_view> out;
  for (const auto& [name, m] : st.members->members()) {
    gs::member_view v;
    v.node = name;
    v.alive = m.state != gs::member_state::dead && m.state != gs::member_state::left;
    v.eligible = st.members->eligible(name);
    v.gone = st.members->gone(name);
    out.push_back(std::move(v));
  }
  for (const auto& a : st.unnamed)
    out.push_back(gs::member_view{"address " + a, false, false, false});
  return out;
}

/// How long a node handing a VIP over keeps answering (with the successor's
/// MAC) after the successor announced itself: longer than the successor's
/// settle time between its announcement and its first answer.
constexpr std::chrono::microseconds handover_linger{30000};

gs::health_bits health_of(const state& st) {
  gs::health_bits bits = 0;
  if (st.carrier) bits |= gs::health_carrier;
  if (st.cp_healthy) bits |= gs::health_control_plane;
  return bits;
}

/// Eligible to own VIPs: healthy, and the cluster's size is known. With
/// peers from the Nodes, a node that has not seen the Node list yet (the API
/// server is not answering) must not claim: knowing no peer, it would be a
/// majority of one.
bool self_eligible(const state& st) {
  return st.carrier && (!st.opts.control_plane_check || st.cp_healthy) &&
         (!st.opts.discover_nodes || st.peers_listed);
}

/// True when `vip` was not answered (on) or answered (off) before.
bool record_answering(state& st, const std::string& vip, bool on) {
  bool changed = on ? st.answering.insert(vip).second : st.answering.erase(vip) > 0;
  if (changed) {
    st.labels_dirty = true;
    if (st.service_addresses.count(vip)) count_owned_service_ips(st);
  }
  st.reg
      ->gauge_family("kvip_vip_answering",
                     "1 while this node answers ARP/NDP for the VIP (gossip mode).",
                     {"node", "vip"})
      .with({st.opts.node_name, vip})
      .Set(on ? 1 : 0);
  return changed;
}

} // namespace

/// Per member, 1 while this node sees it alive (suspect, dead, left: 0), and
/// the configured peers whose node name is not known yet: what the
/// simulation's readiness check reads (a state dump costs too much at 1000
/// VIPs to poll).
void publish_members(state& st) {
  if (!st.members) return;
  auto& alive = st.reg->gauge_family(
      "kvip_gossip_member_alive",
      "1 while this node sees the member alive (not suspect, dead or left) (gossip mode).",
      {"node", "member"});
  for (const auto& [name, m] : st.members->members())
    alive.with({st.opts.node_name, name}).Set(m.state == gs::member_state::alive ? 1 : 0);
  st.reg
      ->gauge_family("kvip_gossip_unnamed_peers",
                     "Configured gossip peers whose node name is not known yet (gossip mode).",
                     {"node"})
      .with({st.opts.node_name})
      .Set(static_cast<double>(st.unnamed.size()));
}

namespace {

void finish_shutdown(pointer self) {
  auto& st = self->state;
  if (st.opts.answers) st.opts.answers->clear();
  stop_io(st);
  msg::shutdown_done d;
  d.actor = "gossip";
  for (auto& p : st.shutdown)
    if (p.pending()) p.deliver(d);
  st.shutdown.clear();
}

void maybe_finish(pointer self) {
  auto& st = self->state;
  if (!st.stopping || st.shutdown.empty()) return;
  auto n = now(self);
  // Handed over, and the table no longer answers (the linger past the
  // successor's announcement is over): done.
  bool quiet = !st.opts.answers || st.opts.answers->answering(n).empty();
  if ((st.owners && st.owners->stopped() && quiet) || n >= st.stop_deadline) finish_shutdown(self);
}

} // namespace

void rearm(pointer self) {
  auto& st = self->state;
  time_point at = time_point::max();
  for (auto t : {st.membership_at, st.ownership_at, st.hello_at, st.refresh_at})
    if (t != time_point{}) at = std::min(at, t);
  // Stopping: look again every 2 ms whether the handover is complete.
  if (st.stopping && !st.shutdown.empty())
    at = std::min({at, st.stop_deadline, now(self) + std::chrono::milliseconds{2}});
  if (at == time_point::max() || at == st.armed) return;
  st.armed = at;
  // When the timer should fire: `at`, or now when `at` is already past (an
  // overdue deadline is not lateness of the timer).
  st.expected = std::max(at, now(self));
  msg::gossip_tick t;
  t.generation = ++st.timer_generation;
  auto delay = std::max(at - now(self), time_point::duration::zero());
  if (st.alarm) { // the I/O thread sends it too, on time (io_alarm)
    std::lock_guard lock{st.alarm->mu};
    st.alarm->due = std::chrono::steady_clock::now() + delay;
    st.alarm->generation = t.generation;
  }
  tell_after(self, caf::actor_cast<impl>(self), delay, t);
}

void run_membership(pointer self, std::vector<gs::effect> effects) {
  auto& st = self->state;
  bool changed = false;
  for (auto& e : effects) {
    switch (e.what) {
    case gs::effect::kind::send_ping:
    case gs::effect::kind::send_ping_req:
      send_frame(self, e.to, std::move(e.msg), st.owners->claims_for(e.to, claims_per_frame));
      break;
    case gs::effect::kind::send_ack: {
      auto answers = std::move(st.answers_for[e.to]);
      st.answers_for.erase(e.to);
      send_frame(self, e.to, std::move(e.msg), std::move(answers));
      break;
    }
    case gs::effect::kind::member_changed:
      if (e.removed)
        spdlog::info("gossip: member {} removed (its Node is no peer any more)", e.member.node);
      else
        spdlog::info("gossip: member {} is {} (incarnation {}){}", e.member.node,
                     gs::to_string(e.member.state), e.member.incarnation,
                     e.eligible ? ", eligible" : "");
      changed = true;
      break;
    case gs::effect::kind::arm_timer:
      st.membership_at = e.at;
      break;
    }
  }
  if (changed) {
    publish_members(st);
    run_ownership(self, st.owners->members_changed(now(self), member_views(st)));
  }
  rearm(self);
}

/// An owner keeps its holds fresh: hold_refresh decides whom to ping and
/// when (a majority less this node per probe period once the earliest
/// deadline is near; everyone else when a round's echoes do not come).
void refresh_hold(pointer self) {
  auto& st = self->state;
  if (!st.members || !st.tx || !st.refresher) return;
  auto n = now(self);
  gs::refresh_view v;
  v.earliest_hold = st.owners->earliest_hold(n);
  if (v.earliest_hold) {
    auto echoing = st.owners->echoing_members();
    for (const auto& [name, m] : st.members->members()) {
      gs::refresh_member r{name, m.state, std::nullopt};
      if (auto it = echoing.find(name); it != echoing.end()) r.echoed = it->second;
      v.members.push_back(std::move(r));
    }
    v.cluster_size = st.members->members().size() + st.unnamed.size() + 1;
  }
  auto d = st.refresher->decide(n, v);
  for (auto& to : d.ping) {
    gs::message m;
    m.what = gs::message::kind::ping;
    m.target = to;
    send_frame(self, to, std::move(m), {});
  }
  st.refresh_at = d.next_check;
}

void run_ownership(pointer self, std::vector<gs::ownership_effect> effects) {
  auto& st = self->state;
  for (auto& e : effects) {
    switch (e.what) {
    case gs::ownership_effect::kind::answer:
      // A VIP newly answered is answered once the responder's first
      // announcement is out (answer_table: the make-before-break order). A
      // VIP handed over on a graceful stop is answered, with the successor's
      // MAC, a moment past the successor's announcement, then no more.
      if (auto ip = net::ip_address::parse(e.vip); ip && st.opts.answers) {
        if (e.until == time_point{} && st.stopping)
          st.opts.answers->handed_over(*ip, now(self), handover_linger);
        else
          st.opts.answers->set(*ip, e.until, !e.quiet);
      }
      if (e.until == time_point{}) {
        spdlog::debug("gossip: stopped answering for {}", e.vip); // the fence logs why
        if (record_answering(st, e.vip, false)) flush_conntrack(self, e.vip, false);
      } else if (e.quiet) { // claimed back after a lapse: answering again, no announcement
        if (record_answering(st, e.vip, true)) flush_conntrack(self, e.vip, true);
      }
      break;
    case gs::ownership_effect::kind::announce: {
      spdlog::info("gossip: answering for {} (this node owns it)", e.vip);
      if (record_answering(st, e.vip, true)) flush_conntrack(self, e.vip, true);
      report_service_owner(self, e.vip);
      observe_announcement(st, e.vip);
      msg::responder_announce a;
      a.address = e.vip;
      tell(self, st.opts.siblings ? st.opts.siblings->responder() : msg::responder_actor{}, a);
      break;
    }
    case gs::ownership_effect::kind::write_lease:
      write_vip_lease(self, e.vip, e.holder, e.term);
      break;
    case gs::ownership_effect::kind::send_claims:
      // As many frames as the claims need (each one's ack must fit too).
      for (std::size_t i = 0, n = 0; i < e.claims.size(); i += n) {
        n = gs::claims_per_frame(e.claims, i);
        gs::message m;
        m.what = gs::message::kind::ping;
        m.target = e.to;
        send_frame(self, e.to, std::move(m),
                   {e.claims.begin() + static_cast<std::ptrdiff_t>(i),
                    e.claims.begin() + static_cast<std::ptrdiff_t>(i + n)});
      }
      break;
    case gs::ownership_effect::kind::arm_timer:
      st.ownership_at = e.at;
      break;
    }
  }
  // A deadline changed (an answer effect): is the hold refresh due sooner?
  // Non-owners never get here, so a frame costs them nothing extra.
  bool deadlines = std::any_of(effects.begin(), effects.end(), [](const auto& e) {
    return e.what == gs::ownership_effect::kind::answer;
  });
  if (deadlines && st.refresh_at == time_point{}) refresh_hold(self);
  report_owned(self);
  maybe_finish(self);
  rearm(self);
}

namespace {

void on_tick(pointer self, const msg::gossip_tick& t) {
  auto& st = self->state;
  if (t.generation != st.timer_generation) return;
  auto n = now(self);
  // A timer that fires far too late means this process was frozen (SIGSTOP,
  // a stalled VM) or starved: what it measured as silence says nothing.
  if (st.armed != time_point{} && n - st.expected > st.opts.fence.takeover_wait / 3) {
    spdlog::warn("gossip: timer fired {} ms late: treating this process as resumed",
                 std::chrono::duration_cast<std::chrono::milliseconds>(n - st.expected).count());
    st.owners->resumed(n);
  }
  st.armed = time_point{};
  if (st.membership_at != time_point{} && n >= st.membership_at) {
    st.membership_at = time_point{};
    run_membership(self, st.members->tick(n));
  }
  if (st.ownership_at != time_point{} && n >= st.ownership_at) {
    st.ownership_at = time_point{};
    run_ownership(self, st.owners->tick(n));
  }
  if (st.hello_at != time_point{} && n >= st.hello_at) send_hellos(self);
  refresh_hold(self);
  maybe_finish(self);
  rearm(self);
}

/// Health bits changed (carrier or control-plane check).
void health_changed(pointer self) {
  auto& st = self->state;
  if (!st.members) return;
  auto n = now(self);
  run_membership(self, st.members->local_health(n, health_of(st)));
  run_ownership(self, st.owners->self_eligible(n, self_eligible(st)));
}

/// The cluster key is known: join the cluster.
/// The node watcher's Node list. One that arrives before the cluster key
/// (the watcher lists the Nodes and answers the key request in either order)
/// is kept and applied when the cluster starts: the watcher sends it again
/// only when a Node changes.
void peers_from_nodes(pointer self, const std::vector<msg::gossip_peer_info>& peers) {
  auto& st = self->state;
  if (!st.members) {
    st.early_peers = peers;
    return;
  }
  nodes_listed(self, peers); // learns the listed, forgets the unlisted
  if (!st.peers_listed) {
    st.peers_listed = true;
    spdlog::info("gossip: {} peers from the Nodes", peers.size());
    health_changed(self);
  }
}

void start_cluster(pointer self) {
  auto& st = self->state;
  auto n = now(self);
  auto cfg = st.opts.membership;
  cfg.self = st.opts.node_name;
  // Above anything this node sent before it restarted (the replay guards of
  // its peers remember that): the wall clock in microseconds.
  cfg.seq_start =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  cfg.required = gs::health_carrier | (st.opts.control_plane_check ? gs::health_control_plane : 0);
  st.members = std::make_unique<gs::membership>(cfg);
  st.names.add(st.opts.node_name);
  for (const auto& a : st.opts.peer_addresses)
    st.unnamed.insert(a);
  start_io(self);
  for (const auto& a : st.unnamed)
    st.tx->connect(a);
  publish_members(st);
  run_membership(self, st.members->start(n, {}));
  run_membership(self, st.members->local_health(n, health_of(st)));
  run_ownership(self, st.owners->self_eligible(n, self_eligible(st)));
  apply_vips(self);
  run_ownership(self, st.owners->members_changed(n, member_views(st)));
  send_hellos(self);
  if (auto early = std::exchange(st.early_peers, std::nullopt)) peers_from_nodes(self, *early);
}

void ask_key(pointer self) {
  auto& st = self->state;
  msg::gossip_key_request r;
  r.key_file = st.opts.key_file;
  auto w = st.opts.siblings ? st.opts.siblings->node_watcher() : caf::actor{};
  tell(self, caf::actor_cast<msg::node_watcher_actor>(w), r);
}

std::string describe(const state& st) {
  std::string s = fmt::format("gossip {} port {}: ", st.opts.node_name, st.opts.port);
  if (!st.members) return s + "waiting for the cluster key";
  s += fmt::format("incarnation {}, members:", st.members->incarnation());
  for (const auto& [name, m] : st.members->members())
    s += fmt::format(" {}={}", name, gs::to_string(m.state));
  for (const auto& a : st.unnamed)
    s += fmt::format(" {}=unnamed", a);
  s += "; VIPs:";
  for (const auto& v : st.owners->status())
    s += fmt::format(" {} owner \"{}\" term {} ({})", v.vip, v.owner, v.term,
                     gs::to_string(v.state));
  return s;
}

/// A graceful stop: every VIP this node answers for is answered, from now
/// on, with the MAC of its expected successor (the best-ranked other
/// eligible node, whose MAC the kernel's neighbour table has: the nodes talk
/// over TCP), so clients move to the successor, which already accepts the
/// VIP's traffic on lo, before it even claims. Whoever then announces the
/// VIP first is taken as the successor (answer_table::observed). A probe is
/// thus always answered, and by one MAC.
void redirect_to_successors(pointer self) {
  auto& st = self->state;
  if (!st.opts.answers) return;
  std::vector<std::string> eligible;
  for (const auto& [name, m] : st.members->members())
    if (st.members->eligible(name)) eligible.push_back(name);
  for (const auto& v : all_vips(st)) {
    auto ip = net::ip_address::parse(v.address);
    if (!ip) continue;
    st.opts.answers->releasing(*ip);
    auto next = gs::successor(v.address, eligible, st.opts.node_name);
    if (!next) continue;
    auto addr = st.address_of.find(*next);
    if (addr == st.address_of.end()) continue;
    auto parsed = gs::parse_address(addr->second);
    if (!parsed) continue;
    auto mac = st.neighbours.find(parsed->host);
    if (mac == st.neighbours.end()) continue;
    if (!st.opts.answers->redirect(*ip, mac->second)) continue;
    spdlog::info("gossip: handing {} over to {}: answering with its MAC {}", v.address, *next,
                 net::to_string(mac->second));
  }
}

caf::typed_response_promise<msg::shutdown_done> begin_shutdown(pointer self) {
  auto& st = self->state;
  auto p = self->make_response_promise<msg::shutdown_done>();
  st.shutdown.push_back(p);
  if (!st.members) {
    finish_shutdown(self);
    return p;
  }
  if (!st.stopping) {
    st.stopping = true;
    auto n = now(self);
    st.stop_deadline = n + st.opts.fence.handover_timeout;
    spdlog::info("gossip: stopping; handing VIPs over (at most {} ms)",
                 st.opts.fence.handover_timeout.count());
    redirect_to_successors(self);
    run_ownership(self, st.owners->stop(n));
    run_membership(self, st.members->leave(n));
  }
  maybe_finish(self);
  return p;
}

impl::behavior_type behaviour(pointer self, gossip_options opts, net::telemetry::registry* reg) {
  log_crashes(self, "gossip");
  auto& st = self->state;
  st.opts = std::move(opts);
  st.reg = reg;
  st.started = now(self);
  gs::ownership_config ocfg;
  ocfg.self = st.opts.node_name;
  ocfg.fence = st.opts.fence;
  st.owners = std::make_unique<gs::ownership>(ocfg, st.started);
  st.refresher = std::make_unique<gs::hold_refresh>(gs::hold_refresh_config{
      st.opts.node_name, st.opts.fence.fence_timeout,
      std::chrono::duration_cast<gs::duration>(st.opts.membership.probe_period)});
  hold_vips(self);
  ask_key(self);
  tell_after(self, caf::actor_cast<impl>(self), st.opts.retry_period, msg::lease_tick{});
  self->attach_functor([self] { stop_io(self->state); });
  return {
      on(self, [self](const msg::gossip_io_batch& b) { on_io(self, b); }),
      on(self, [self](const msg::gossip_tick& t) { on_tick(self, t); }),
      on(self,
         [self](const msg::lease_tick&) {
           on_lease_tick(self);
           hold_vips(self);
           report_owned(self); // again to a restarted labeler
           if (!self->state.keyed) ask_key(self);
           tell_after(self, caf::actor_cast<impl>(self), self->state.opts.retry_period,
                      msg::lease_tick{});
         }),
      on(self,
         [self](const msg::gossip_key_reply& r) {
           auto& st = self->state;
           if (st.keyed) return;
           if (!r.ok) {
             spdlog::warn("gossip: no cluster key yet: {} (retrying every {} ms)", r.error_text,
                          st.opts.retry_period.count());
             return;
           }
           spdlog::info("gossip: cluster key from {}", r.source);
           st.key = gs::key_from_secret(r.key);
           st.keyed = true;
           start_cluster(self);
         }),
      on(self, [self](const msg::gossip_peers& p) { peers_from_nodes(self, p.peers); }),
      on(self, [self](const msg::service_ips& ips) { on_service_ips(self, ips); }),
      on(self,
         [self](const msg::health_status& h) {
           if (self->state.cp_healthy == h.healthy) return;
           self->state.cp_healthy = h.healthy;
           spdlog::info("gossip: control plane {}: {}", h.healthy ? "healthy" : "unhealthy",
                        h.detail);
           health_changed(self);
         }),
      on(self,
         [self](const msg::dump_request&) {
           msg::dump_reply r;
           r.actor = "gossip";
           r.text = describe(self->state);
           return r;
         }),
      on(self, [self](const msg::shutdown_request&) { return begin_shutdown(self); }),
  };
}

} // namespace

void carrier_changed(pointer self, bool up) {
  auto& st = self->state;
  if (st.carrier == up) return;
  st.carrier = up;
  spdlog::info("gossip: carrier of {} is {}", st.opts.interface, up ? "up" : "down");
  health_changed(self);
}

} // namespace gossip_actor

caf::actor spawn_gossip(caf::local_actor* parent, gossip_options opts,
                        net::telemetry::registry& reg) {
  return caf::actor_cast<caf::actor>(parent->spawn(gossip_actor::behaviour, std::move(opts), &reg));
}

} // namespace kvip
