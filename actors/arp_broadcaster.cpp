#include "actors/arp_broadcaster.hpp"

#include <algorithm>
#include <map>

#include <spdlog/spdlog.h>

#include "actors/node.hpp"
#include "actors/siblings.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "messages/announce.hpp"
#include "messages/supervision.hpp"
#include "net/l2/frames.hpp"
#include "net/l2/host.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

namespace {

constexpr std::uint32_t ifa_f_dadfailed = 0x08; // IFA_F_DADFAILED (linux/if_addr.h)

/// A VIP of the desired set, checked.
struct wanted {
  msg::vip_spec spec;
  net::ip_prefix prefix;
  std::string key;   ///< "10.0.0.100/32%eth0": identity in the set
  std::string label; ///< "10.0.0.100": metrics label, conflict reports
};

/// A VIP held on an interface and announced.
struct held {
  wanted vip;
  net::netlink::link_info link;
  std::uint64_t generation = 0; ///< matches the pending announce_tick
  net::telemetry::counter* frames = nullptr;
  net::telemetry::counter* conflicts = nullptr;
  net::telemetry::counter* readded = nullptr;
  net::telemetry::gauge* active = nullptr;
};

/// A desired VIP that could not be applied yet (retried every refresh).
struct pending {
  wanted vip;
  std::string error;
};

/// An address whose removal failed (retried, and again at shutdown and exit).
struct leftover {
  int ifindex = 0;
  net::ip_prefix prefix;
};

struct arp_state {
  arp_options opts;
  std::shared_ptr<net::l2::host> host;
  net::telemetry::registry* reg = nullptr;
  std::map<std::string, held> vips;       // by key
  std::map<std::string, pending> waiting; // by key
  std::vector<leftover> leftovers;
  std::map<std::string, caf::actor_clock::time_point> last_reported; // by label
  std::map<int, std::unique_ptr<net::l2::listener>> listeners;       // by ifindex
  std::uint64_t next_generation = 1;
  bool retry_armed = false;
  bool stopping = false;

  /// Runs when the actor exits, normally or not: stops the receive threads
  /// and removes what is still held, so no address outlives its manager.
  ~arp_state() {
    listeners.clear();
    if (!host) return;
    if (!vips.empty())
      spdlog::warn("arp_broadcaster: exiting while holding {} VIPs; removing them", vips.size());
    for (auto& [key, h] : vips) {
      if (auto err = host->remove_address(h.link.ifindex, h.vip.prefix); !err.empty())
        spdlog::error("arp_broadcaster: removing {} at exit: {}", key, err);
      h.active->Set(0);
    }
    remove_leftovers();
  }

  /// Tries the failed removals again; logs and keeps the ones that fail again.
  void remove_leftovers() {
    std::erase_if(leftovers, [this](const leftover& l) {
      auto err = host->remove_address(l.ifindex, l.prefix);
      if (!err.empty())
        spdlog::error("arp_broadcaster: {} stays on ifindex {}: {}", l.prefix.to_string(),
                      l.ifindex, err);
      return err.empty();
    });
  }

  static inline const char* name = "arp_broadcaster";
};

using arp_actor = caf::stateful_actor<arp_state>;

// -- metrics ------------------------------------------------------------------

net::telemetry::counter& counter_for(arp_state& st, const char* name, const char* help,
                                     const std::string& vip) {
  return st.reg->counter_family(name, help, {"node", "vip"}).with({st.opts.node_name, vip});
}

void attach_metrics(arp_state& st, held& h) {
  const auto& v = h.vip.label;
  h.frames = &counter_for(st, "kvip_arp_announcements_total",
                          "Gratuitous ARP and unsolicited NA frames sent for a VIP.", v);
  h.conflicts = &counter_for(st, "kvip_arp_conflicts_total",
                             "Frames from another MAC claiming a VIP this node announces.", v);
  h.readded = &counter_for(st, "kvip_vip_readded_total",
                           "VIP addresses put back after something else removed them.", v);
  h.active = &st.reg
                  ->gauge_family("kvip_vip_active", "1 while this node holds and announces a VIP.",
                                 {"node", "vip"})
                  .with({st.opts.node_name, v});
}

// -- checking the desired set ---------------------------------------------------

std::optional<wanted> check(const msg::vip_spec& s, std::string& err) {
  auto addr = net::ip_address::parse(s.address);
  if (!addr) {
    err = fmt::format("vip \"{}\": not an IP address", s.address);
    return std::nullopt;
  }
  int len = s.prefix_length == 0 ? addr->max_prefix() : s.prefix_length;
  if (len < 1 || len > addr->max_prefix()) {
    err = fmt::format("vip {}: prefix length {} is outside 1..{}", s.address, s.prefix_length,
                      addr->max_prefix());
    return std::nullopt;
  }
  if (s.interface.empty()) {
    err = fmt::format("vip {}: no interface given", s.address);
    return std::nullopt;
  }
  wanted w;
  w.spec = s;
  w.prefix = net::ip_prefix{*addr, len};
  w.key = w.prefix.to_string() + "%" + s.interface;
  w.label = addr->to_string();
  return w;
}

// -- announcing -----------------------------------------------------------------

/// Sends one announcement of `h`: IPv4 GARP request then reply, or an IPv6 NA.
void announce_once(arp_state& st, held& h) {
  const auto& a = h.vip.prefix.address;
  std::vector<net::l2::frame> frames;
  if (a.is_v4()) {
    frames.push_back(net::l2::build_garp(h.link.mac, a, net::l2::garp_form::request));
    frames.push_back(net::l2::build_garp(h.link.mac, a, net::l2::garp_form::reply));
  } else {
    frames.push_back(net::l2::build_unsolicited_na(h.link.mac, a));
  }
  for (const auto& f : frames) {
    if (auto err = st.host->send(h.link.ifindex, f); !err.empty()) {
      spdlog::warn("arp_broadcaster: announcing {} on {}: {}", h.vip.label, h.link.name, err);
      return;
    }
    h.frames->Increment();
  }
}

/// Puts the address back if someone removed it (or IPv6 DAD failed on it).
void ensure_address(arp_state& st, held& h) {
  std::string err;
  auto addrs = st.host->addresses(h.link.ifindex, err);
  if (!err.empty()) {
    spdlog::warn("arp_broadcaster: checking {} on {}: {}", h.vip.label, h.link.name, err);
    return;
  }
  auto it = std::find_if(addrs.begin(), addrs.end(), [&](const net::netlink::addr_info& a) {
    return a.prefix == h.vip.prefix;
  });
  if (it != addrs.end() && (it->flags & ifa_f_dadfailed) == 0) return;
  if (it != addrs.end()) st.host->remove_address(h.link.ifindex, h.vip.prefix);
  if (auto e = st.host->add_vip(h.link.ifindex, h.vip.prefix, {}); !e.empty()) {
    spdlog::error("arp_broadcaster: {} vanished from {} and re-adding it failed: {}",
                  h.vip.prefix.to_string(), h.link.name, e);
    return;
  }
  h.readded->Increment();
  spdlog::warn("arp_broadcaster: {} was {} on {}; re-added it", h.vip.prefix.to_string(),
               it == addrs.end() ? "removed" : "DAD-failed", h.link.name);
}

void ensure_listener(arp_actor* self, const net::netlink::link_info& link) {
  auto& st = self->state;
  if (!st.opts.listen || st.listeners.count(link.ifindex) != 0) return;
  caf::actor_addr me = self->address(); // weak: the thread must not keep us alive
  std::string err;
  auto l = st.host->listen(
      link.ifindex,
      [me](int ifindex, net::l2::frame f) {
        auto dest = caf::actor_cast<caf::actor>(me);
        if (!dest) return;
        msg::frame_seen m;
        m.ifindex = ifindex;
        m.bytes = std::move(f);
        tell_anon(dest, std::move(m));
      },
      err);
  if (!l) {
    spdlog::warn("arp_broadcaster: cannot listen on {}: {}; conflicts there go unnoticed",
                 link.name, err);
    return;
  }
  st.listeners.emplace(link.ifindex, std::move(l));
}

/// Follows the interface by name (recreated link, new MAC); false if it is gone.
bool relink(arp_actor* self, held& h) {
  auto& st = self->state;
  std::string err;
  auto link = st.host->link(h.vip.spec.interface, err);
  if (!link) {
    spdlog::warn("arp_broadcaster: interface {} of {} is gone: {}", h.vip.spec.interface,
                 h.vip.label, err);
    return false;
  }
  if (link->ifindex != h.link.ifindex || link->mac != h.link.mac) {
    spdlog::info("arp_broadcaster: {} is now ifindex {} ({}), was {} ({})", link->name,
                 link->ifindex, net::to_string(link->mac), h.link.ifindex,
                 net::to_string(h.link.mac));
    h.link = *link;
  }
  ensure_listener(self, h.link);
  return true;
}

/// Arms the announcement `step` of `h`: burst offsets, then every refresh.
void arm(arp_actor* self, const held& h, std::uint32_t step) {
  const auto& st = self->state;
  const auto& b = st.opts.burst;
  step = std::min<std::uint32_t>(step, static_cast<std::uint32_t>(b.size()));
  caf::timespan delay = step == 0         ? b[0]
                        : step < b.size() ? b[step] - b[step - 1]
                                          : st.opts.refresh;
  msg::announce_tick t;
  t.vip = h.vip.key;
  t.generation = h.generation;
  t.step = step;
  tell_after(self, caf::actor{self}, delay, t);
}

void on_tick(arp_actor* self, const msg::announce_tick& t) {
  auto& st = self->state;
  auto it = st.vips.find(t.vip);
  if (st.stopping || it == st.vips.end() || it->second.generation != t.generation) return;
  auto& h = it->second;
  bool refresh = t.step >= st.opts.burst.size();
  if (!refresh || relink(self, h)) {
    ensure_address(st, h);
    announce_once(st, h);
  }
  arm(self, h, t.step + 1);
}

// -- applying the desired set ------------------------------------------------------

/// Adds the address and starts announcing; "" or an error naming VIP and interface.
std::string activate(arp_actor* self, const wanted& w) {
  auto& st = self->state;
  std::string err;
  auto link = st.host->link(w.spec.interface, err);
  if (!link)
    return fmt::format("vip {}: interface {} not found{}", w.prefix.to_string(), w.spec.interface,
                       err.empty() ? "" : " (" + err + ")");
  if (auto e = st.host->add_vip(link->ifindex, w.prefix, {}); !e.empty())
    return fmt::format("vip {} on {}: {}", w.prefix.to_string(), link->name, e);
  held h;
  h.vip = w;
  h.link = *link;
  h.generation = st.next_generation++;
  attach_metrics(st, h);
  h.active->Set(1);
  auto& ref = st.vips.insert_or_assign(w.key, std::move(h)).first->second;
  spdlog::info("arp_broadcaster: holding {} on {} ({}); announcing", w.prefix.to_string(),
               link->name, net::to_string(link->mac));
  ensure_listener(self, ref.link);
  if (st.opts.burst.front() == caf::timespan{0}) {
    announce_once(st, ref);
    arm(self, ref, 1);
  } else {
    arm(self, ref, 0);
  }
  return {};
}

/// Removes the address (first) and stops announcing; "" or an error.
std::string withdraw(arp_actor* self, held& h) {
  auto& st = self->state;
  h.active->Set(0);
  if (auto err = st.host->remove_address(h.link.ifindex, h.vip.prefix); !err.empty()) {
    spdlog::error("arp_broadcaster: removing {} from {}: {}", h.vip.prefix.to_string(), h.link.name,
                  err);
    st.leftovers.push_back({h.link.ifindex, h.vip.prefix});
    return fmt::format("vip {} on {}: {}", h.vip.prefix.to_string(), h.link.name, err);
  }
  spdlog::info("arp_broadcaster: withdrew {} from {}", h.vip.prefix.to_string(), h.link.name);
  return {};
}

void arm_retry(arp_actor* self) {
  auto& st = self->state;
  if (st.retry_armed || (st.waiting.empty() && st.leftovers.empty())) return;
  st.retry_armed = true;
  tell_after(self, caf::actor{self}, st.opts.refresh, msg::retry_tick{});
}

std::vector<std::string> active_list(const arp_state& st) {
  std::vector<std::string> out;
  for (const auto& [key, h] : st.vips)
    out.push_back(h.vip.label);
  return out;
}

msg::announce_result apply(arp_actor* self, const msg::announce_set& m) {
  auto& st = self->state;
  msg::announce_result r;
  if (st.stopping) {
    r.error = "arp_broadcaster: shutting down; not announcing";
    return r;
  }
  std::vector<std::string> errors;
  std::map<std::string, wanted> desired;
  for (const auto& s : m.vips) {
    std::string err;
    if (auto w = check(s, err))
      desired.emplace(w->key, *w);
    else
      errors.push_back(err);
  }
  // Withdraw first, so an address moving between interfaces is never on both.
  for (auto it = st.vips.begin(); it != st.vips.end();) {
    if (desired.count(it->first) != 0) {
      ++it;
      continue;
    }
    if (auto err = withdraw(self, it->second); !err.empty()) errors.push_back(err);
    it = st.vips.erase(it);
  }
  st.waiting.clear();
  for (const auto& [key, w] : desired) {
    if (st.vips.count(key) != 0) continue;
    if (auto err = activate(self, w); !err.empty()) {
      spdlog::warn("arp_broadcaster: {}", err);
      errors.push_back(err);
      st.waiting[key] = pending{w, err};
    }
  }
  arm_retry(self);
  r.active = active_list(st);
  for (const auto& e : errors)
    r.error += (r.error.empty() ? "" : "; ") + e;
  return r;
}

void on_retry(arp_actor* self) {
  auto& st = self->state;
  st.retry_armed = false;
  if (st.stopping) return;
  st.remove_leftovers();
  for (auto it = st.waiting.begin(); it != st.waiting.end();) {
    auto err = activate(self, it->second.vip);
    if (err.empty()) {
      it = st.waiting.erase(it);
      continue;
    }
    if (err != it->second.error) spdlog::warn("arp_broadcaster: {}", err);
    it->second.error = err;
    ++it;
  }
  arm_retry(self);
}

// -- conflicts ------------------------------------------------------------------

void on_frame(arp_actor* self, const msg::frame_seen& m) {
  auto& st = self->state;
  if (st.stopping) return;
  auto parsed = net::l2::parse_frame(m.bytes);
  if (parsed.reason != net::l2::drop_reason::none) return;
  auto now = self->clock().now();
  for (auto& [key, h] : st.vips) {
    if (h.link.ifindex != m.ifindex) continue;
    auto other = net::l2::conflicting_claim(parsed, h.vip.prefix.address, h.link.mac);
    if (!other) continue;
    h.conflicts->Increment();
    auto mac = net::to_string(*other);
    auto last = st.last_reported.find(h.vip.label);
    if (last != st.last_reported.end() && now - last->second < st.opts.conflict_report_every) {
      spdlog::debug("arp_broadcaster: {} claimed again by {} on {}", h.vip.label, mac, h.link.name);
      continue;
    }
    st.last_reported[h.vip.label] = now;
    spdlog::warn("arp_broadcaster: address conflict: {} is claimed by {} on {} (ours is {})",
                 h.vip.label, mac, h.link.name, net::to_string(h.link.mac));
    auto sink =
        st.opts.event_sink.empty() ? caf::actor{} : sibling(self->system(), st.opts.event_sink);
    if (!sink) continue;
    msg::vip_conflict c;
    c.vip = h.vip.label;
    c.other_mac = mac;
    c.interface = h.link.name;
    tell(self, sink, c);
  }
}

// -- supervision ------------------------------------------------------------------

/// At start: a previous incarnation's copies of our VIPs, on any interface.
void remove_stale(arp_state& st) {
  if (st.opts.stale_vips.empty()) return;
  std::string err;
  auto addrs = st.host->addresses(0, err);
  if (!err.empty()) {
    spdlog::warn("arp_broadcaster: cannot list addresses to remove stale VIPs: {}", err);
    return;
  }
  for (const auto& text : st.opts.stale_vips) {
    auto p = net::ip_prefix::parse(text);
    if (!p) {
      spdlog::warn("arp_broadcaster: stale vip \"{}\": not an IP address", text);
      continue;
    }
    for (const auto& a : addrs) {
      if (a.prefix.address != p->address) continue;
      if (auto e = st.host->remove_address(a.ifindex, a.prefix); !e.empty())
        spdlog::error("arp_broadcaster: removing stale {}: {}", a.prefix.to_string(), e);
      else
        spdlog::info("arp_broadcaster: removed stale {} from ifindex {}", a.prefix.to_string(),
                     a.ifindex);
    }
  }
}

msg::dump_reply dump(const arp_state& st) {
  auto ms = [](caf::timespan t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t).count();
  };
  std::string burst;
  for (auto b : st.opts.burst)
    burst += (burst.empty() ? "" : "/") + std::to_string(ms(b));
  std::string text =
      fmt::format("node {}: {} VIPs held, {} waiting, burst {} ms then every {} ms{}",
                  st.opts.node_name, st.vips.size(), st.waiting.size(), burst, ms(st.opts.refresh),
                  st.stopping ? ", stopping" : "");
  for (const auto& [key, h] : st.vips)
    text += fmt::format("\n  {} on {} (ifindex {}, {}): {} frames, {} conflicts, {} re-added",
                        h.vip.prefix.to_string(), h.link.name, h.link.ifindex,
                        net::to_string(h.link.mac), h.frames->Value(), h.conflicts->Value(),
                        h.readded->Value());
  for (const auto& [key, p] : st.waiting)
    text += fmt::format("\n  waiting {}: {}", key, p.error);
  for (const auto& l : st.leftovers)
    text += fmt::format("\n  failed to remove {} from ifindex {}", l.prefix.to_string(), l.ifindex);
  for (const auto& [ifindex, l] : st.listeners)
    text += fmt::format("\n  listening on ifindex {}", ifindex);
  msg::dump_reply r;
  r.actor = "arp_broadcaster";
  r.text = std::move(text);
  return r;
}

msg::shutdown_done shutdown(arp_actor* self) {
  auto& st = self->state;
  st.stopping = true;
  for (auto& [key, h] : st.vips)
    withdraw(self, h);
  st.vips.clear();
  st.waiting.clear();
  st.remove_leftovers();
  msg::shutdown_done d;
  d.actor = "arp_broadcaster";
  return d;
}

caf::behavior arp_fn(arp_actor* self, arp_options opts, std::shared_ptr<net::l2::host> host,
                     net::telemetry::registry* reg) {
  log_crashes(self, "arp_broadcaster");
  auto& st = self->state;
  for (auto& b : opts.burst)
    b = std::max(b, std::chrono::milliseconds{0});
  std::sort(opts.burst.begin(), opts.burst.end());
  if (opts.burst.empty()) opts.burst.push_back(std::chrono::milliseconds{0});
  if (opts.refresh <= std::chrono::milliseconds{0}) opts.refresh = arp_options{}.refresh;
  st.opts = std::move(opts);
  st.host = std::move(host);
  st.reg = reg;
  remove_stale(st);
  return {
      on(self, [self](const msg::announce_set& m) { return apply(self, m); }),
      on(self, [self](const msg::announce_tick& t) { on_tick(self, t); }),
      on(self, [self](const msg::retry_tick&) { on_retry(self); }),
      on(self, [self](const msg::frame_seen& m) { on_frame(self, m); }),
      on(self, [self](const msg::dump_request&) { return dump(self->state); }),
      on(self, [self](const msg::shutdown_request&) { return shutdown(self); }),
  };
}

} // namespace

caf::actor spawn_arp_broadcaster(caf::local_actor* parent, arp_options opts,
                                 std::shared_ptr<net::l2::host> host,
                                 net::telemetry::registry& reg) {
  return parent->spawn(arp_fn, std::move(opts), std::move(host), &reg);
}

} // namespace kvip
