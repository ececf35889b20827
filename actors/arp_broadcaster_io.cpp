#include "actors/arp_broadcaster_io.hpp"

#include <filesystem>
#include <fstream>
#include <map>

#include <spdlog/spdlog.h>

#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "net/l2/host.hpp"
#include "net/l2/vip_set.hpp"

namespace kvip {

namespace {

namespace l2 = net::l2;

/// An address this actor put on an interface.
struct placed {
  int ifindex = 0;
  net::ip_prefix prefix;
  std::string link_name;
};

struct io_state {
  std::shared_ptr<l2::host> host;
  bool listen = true;
  caf::actor_addr announcer;           // weak: receive threads must not keep it alive
  std::map<std::string, placed> owned; // by VIP key
  std::vector<placed> leftovers;       // removals that failed
  std::map<int, std::unique_ptr<l2::listener>> listeners; // by ifindex
  std::string record_file; // what `owned` holds, for the next incarnation ("" = none)

  /// Runs when the actor exits, normally or not (the announcer died): stops
  /// the receive threads and removes what is still held, so no address
  /// outlives its manager.
  ~io_state() {
    listeners.clear();
    if (!host) return;
    if (!owned.empty())
      spdlog::warn("arp_broadcaster: exiting while holding {} VIPs; removing them", owned.size());
    for (auto& [key, p] : owned)
      if (auto r = host->remove_address(p.ifindex, p.prefix); !r)
        spdlog::error("arp_broadcaster: removing {} at exit: {}", key, r.err().describe());
    remove_leftovers();
    owned.clear();
    write_record();
  }

  /// Rewrites the record (one address per line; temporary file + rename).
  void write_record() const {
    if (record_file.empty()) return;
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path{record_file}.parent_path(), ec);
    auto tmp = record_file + ".tmp";
    {
      std::ofstream out{tmp, std::ios::trunc};
      for (const auto& [key, p] : owned)
        out << p.prefix.address.to_string() << "\n";
      for (const auto& l : leftovers)
        out << l.prefix.address.to_string() << "\n";
      if (!out) {
        spdlog::warn("arp_broadcaster: cannot write {}", tmp);
        return;
      }
    }
    std::filesystem::rename(tmp, record_file, ec);
    if (ec) spdlog::warn("arp_broadcaster: cannot write {}: {}", record_file, ec.message());
  }

  /// Tries the failed removals again; logs and keeps the ones that fail again.
  void remove_leftovers() {
    std::erase_if(leftovers, [this](const placed& l) {
      auto r = host->remove_address(l.ifindex, l.prefix);
      if (!r)
        spdlog::error("arp_broadcaster: {} stays on ifindex {}: {}", l.prefix.to_string(),
                      l.ifindex, r.err().describe());
      return r.ok();
    });
  }

  msg::l2_status status() const {
    msg::l2_status s;
    for (const auto& l : leftovers)
      s.leftovers.push_back(l.prefix.to_string() + " from ifindex " + std::to_string(l.ifindex));
    for (const auto& [ifindex, l] : listeners)
      s.listening.push_back(ifindex);
    return s;
  }

  static inline const char* name = "arp_broadcaster_io";
};

using io_actor = msg::announcer_io_actor::stateful_pointer<io_state>;

void ensure_listener(io_state& st, const net::netlink::link_info& link) {
  if (!st.listen || st.listeners.count(link.ifindex) != 0) return;
  auto me = st.announcer;
  auto l = st.host->listen(link.ifindex, [me](int ifindex, l2::frame f) {
    auto dest = caf::actor_cast<caf::actor>(me);
    if (!dest) return;
    msg::frame_seen m;
    m.ifindex = ifindex;
    m.bytes = std::move(f);
    tell_anon(dest, std::move(m));
  });
  if (!l) {
    spdlog::warn("arp_broadcaster: cannot listen on {}: {}; conflicts there go unnoticed",
                 link.name, l.err().describe());
    return;
  }
  st.listeners.emplace(link.ifindex, std::move(*l));
}

/// Sends one announcement; the number of frames that went out.
std::uint32_t announce_once(io_state& st, const net::netlink::link_info& link,
                            const net::ip_address& a) {
  std::uint32_t sent = 0;
  for (const auto& f : l2::announcement(link.mac, a)) {
    if (auto r = st.host->send(link.ifindex, f); !r) {
      spdlog::warn("arp_broadcaster: announcing {} on {}: {}", a.to_string(), link.name,
                   r.err().describe());
      break;
    }
    ++sent;
  }
  return sent;
}

/// Puts the address back if someone removed it (or IPv6 DAD failed on it);
/// true if it was put back.
bool ensure_address(io_state& st, const std::string& key, const net::netlink::link_info& link,
                    const net::ip_prefix& p) {
  auto addrs = st.host->addresses(link.ifindex);
  if (!addrs) {
    spdlog::warn("arp_broadcaster: checking {} on {}: {}", p.address.to_string(), link.name,
                 addrs.err().describe());
    return false;
  }
  auto fix = l2::repair(*addrs, p);
  if (fix == l2::address_fix::none) return false;
  if (fix == l2::address_fix::replace) (void)st.host->remove_address(link.ifindex, p);
  if (auto r = st.host->add_vip(link.ifindex, p, {}); !r) {
    spdlog::error("arp_broadcaster: {} vanished from {} and re-adding it failed: {}", p.to_string(),
                  link.name, r.err().describe());
    return false;
  }
  st.owned[key] = placed{link.ifindex, p, link.name};
  spdlog::warn("arp_broadcaster: {} was {} on {}; re-added it", p.to_string(),
               fix == l2::address_fix::add ? "removed" : "DAD-failed", link.name);
  return true;
}

msg::l2_announced on_announce(io_state& st, const msg::l2_announce& a) {
  msg::l2_announced out;
  out.key = a.vip.key;
  out.generation = a.generation;
  out.step = a.step;
  auto link = from_msg(a.link);
  auto prefix = net::ip_prefix::parse(a.vip.prefix).value_or(net::ip_prefix{});
  if (a.refresh) {
    auto now = st.host->link(a.vip.interface);
    if (!now) {
      spdlog::warn("arp_broadcaster: interface {} of {} is gone: {}", a.vip.interface,
                   prefix.address.to_string(), now.err().describe());
      out.link = a.link;
      out.link_gone = true;
      out.status = st.status();
      return out;
    }
    if (now->ifindex != link.ifindex || now->mac != link.mac) {
      spdlog::info("arp_broadcaster: {} is now ifindex {} ({}), was {} ({})", now->name,
                   now->ifindex, net::to_string(now->mac), link.ifindex, net::to_string(link.mac));
      link = *now;
    }
    ensure_listener(st, link);
  }
  out.link = to_msg(link);
  out.readded = ensure_address(st, a.vip.key, link, prefix);
  out.frames = announce_once(st, link, prefix.address);
  out.status = st.status();
  // Announcements (a burst, then every vip_arpRate per VIP) leave the record
  // as it is; only a re-added address can have changed what is held.
  if (out.readded) st.write_record();
  return out;
}

/// Removes the address of `key` (first) wherever this actor put it.
msg::l2_outcome withdraw(io_state& st, const std::string& key) {
  msg::l2_outcome out;
  out.key = key;
  auto it = st.owned.find(key);
  if (it == st.owned.end()) return out; // never added: nothing to remove
  auto p = it->second;
  st.owned.erase(it);
  if (auto r = st.host->remove_address(p.ifindex, p.prefix); !r) {
    auto err = r.err().describe();
    spdlog::error("arp_broadcaster: removing {} from {}: {}", p.prefix.to_string(), p.link_name,
                  err);
    st.leftovers.push_back(p);
    out.error = "vip " + p.prefix.to_string() + " on " + p.link_name + ": " + err;
    return out;
  }
  spdlog::info("arp_broadcaster: withdrew {} from {}", p.prefix.to_string(), p.link_name);
  return out;
}

/// Adds the address, starts listening and (with announce_now) announces once.
msg::l2_outcome activate(io_state& st, const msg::l2_vip& v, bool announce_now) {
  msg::l2_outcome out;
  out.key = v.key;
  auto prefix = net::ip_prefix::parse(v.prefix).value_or(net::ip_prefix{});
  auto link = st.host->link(v.interface);
  if (!link) {
    out.error = "vip " + v.prefix + ": interface " + v.interface + " not found (" +
                link.err().describe() + ")";
    return out;
  }
  if (auto r = st.host->add_vip(link->ifindex, prefix, {}); !r) {
    out.error = "vip " + v.prefix + " on " + link->name + ": " + r.err().describe();
    return out;
  }
  st.owned[v.key] = placed{link->ifindex, prefix, link->name};
  spdlog::info("arp_broadcaster: holding {} on {} ({}); announcing", v.prefix, link->name,
               net::to_string(link->mac));
  ensure_listener(st, *link);
  out.link = to_msg(*link);
  if (announce_now) out.frames = announce_once(st, *link, prefix.address);
  return out;
}

msg::l2_applied on_apply(io_state& st, const msg::l2_apply& w) {
  msg::l2_applied out;
  out.id = w.id;
  if (w.retry_leftovers) st.remove_leftovers();
  for (const auto& key : w.remove)
    out.removed.push_back(withdraw(st, key));
  for (const auto& v : w.add)
    out.added.push_back(activate(st, v, w.announce_now));
  out.status = st.status();
  st.write_record();
  return out;
}

/// At start: a previous incarnation's copies of our VIPs, on any interface.
void on_remove_stale(io_state& st, const msg::l2_remove_stale& m) {
  auto addrs = st.host->addresses(0);
  if (!addrs) {
    spdlog::warn("arp_broadcaster: cannot list addresses to remove stale VIPs: {}",
                 addrs.err().describe());
    return;
  }
  std::vector<std::string> texts = m.addresses;
  if (!m.record_file.empty()) {
    std::ifstream in{m.record_file};
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) texts.push_back(line);
  }
  std::vector<net::ip_address> stale;
  for (const auto& text : texts) {
    if (auto p = net::ip_prefix::parse(text))
      stale.push_back(p->address);
    else
      spdlog::warn("arp_broadcaster: stale vip \"{}\": not an IP address", text);
  }
  for (const auto& a : l2::stale_copies(*addrs, stale)) {
    if (auto r = st.host->remove_address(a.ifindex, a.prefix); !r)
      spdlog::error("arp_broadcaster: removing stale {}: {}", a.prefix.to_string(),
                    r.err().describe());
    else
      spdlog::info("arp_broadcaster: removed stale {} from ifindex {}", a.prefix.to_string(),
                   a.ifindex);
  }
  st.record_file = m.record_file;
  st.write_record();
}

msg::announcer_io_actor::behavior_type io_fn(io_actor self, std::shared_ptr<l2::host> host,
                                             bool listen, caf::actor_addr announcer) {
  log_crashes(self, "arp_broadcaster_io");
  self->state.host = std::move(host);
  self->state.listen = listen;
  self->state.announcer = std::move(announcer);
  return {
      on(self, [self](const msg::l2_apply& w) { return on_apply(self->state, w); }),
      on(self, [self](const msg::l2_announce& a) { return on_announce(self->state, a); }),
      on(self, [self](const msg::l2_remove_stale& m) { on_remove_stale(self->state, m); }),
  };
}

} // namespace

msg::l2_link to_msg(const net::netlink::link_info& l) {
  return {l.ifindex, l.name, net::to_string(l.mac)};
}

net::netlink::link_info from_msg(const msg::l2_link& l) {
  net::netlink::link_info out;
  out.ifindex = l.ifindex;
  out.name = l.name;
  out.mac = net::parse_mac(l.mac).value_or(net::mac_address{});
  return out;
}

msg::announcer_io_actor spawn_arp_broadcaster_io(caf::local_actor* parent,
                                                 std::shared_ptr<net::l2::host> host, bool listen,
                                                 bool detached) {
  if (detached)
    return parent->spawn<caf::linked + caf::detached>(io_fn, std::move(host), listen,
                                                      parent->address());
  return parent->spawn<caf::linked>(io_fn, std::move(host), listen, parent->address());
}

} // namespace kvip
