#include "actors/arp_responder_io.hpp"

#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "net/l2/answer_table.hpp"
#include "net/l2/hold_plan.hpp"
#include "net/l2/lo_host.hpp"
#include "net/l2/responder_loop.hpp"
#include "net/l2/vip_set.hpp"
#include "net/netlink/socket.hpp"

namespace kvip {

namespace {

namespace l2 = net::l2;

struct rsp_io_state {
  std::shared_ptr<l2::answer_table> table;
  l2::lo_host_options host_opts;
  bool listen = true;
  std::unique_ptr<l2::lo_host> host;
  std::unique_ptr<net::netlink::socket> nl;
  std::map<std::string, net::netlink::link_info> links;             // by interface name
  std::map<std::string, std::unique_ptr<l2::responder_loop>> loops; // by interface name
  std::map<net::ip_address, std::string> held;                      // address -> interface

  /// At exit, normally or not: no thread answers any more, the lo addresses
  /// go, the settings come back (in that order, see net/l2/lo_host.hpp).
  ~rsp_io_state() { restore(); }

  std::string restore() {
    loops.clear();
    held.clear();
    if (!host) return "";
    auto r = host->restore();
    if (!r) {
      spdlog::error("arp_responder: {}", r.err().describe());
      return r.err().describe();
    }
    return "";
  }

  static inline const char* name = "arp_responder_io";
};

using io_actor = msg::responder_io_actor::stateful_pointer<rsp_io_state>;

net::result<void> ensure_host(rsp_io_state& st) {
  if (!st.host) {
    auto h = l2::lo_host::open(st.host_opts);
    if (!h) return h.err();
    st.host = std::move(*h);
  }
  if (!st.nl) {
    auto s = net::netlink::socket::open();
    if (!s) return s.err();
    st.nl = std::move(*s);
  }
  return net::ok();
}

/// Looks the interface up, sets its ARP settings and (re)starts its
/// receive thread when its index or MAC changed; an error names it.
net::result<void> ensure_interface(rsp_io_state& st, const std::string& ifname) {
  auto link = st.nl->link_by_name(ifname);
  if (!link) return link.err();
  if (auto r = st.host->prepare(ifname); !r) return r;
  auto known = st.links.find(ifname);
  bool same = known != st.links.end() && known->second.ifindex == link->ifindex &&
              known->second.mac == link->mac;
  st.links[ifname] = *link;
  if (!st.listen || (same && st.loops.count(ifname) != 0)) return net::ok();
  st.loops.erase(ifname);
  auto loop = l2::responder_loop::start(link->ifindex, link->mac, st.table);
  if (!loop)
    return net::make_error("listening on " + ifname + ": " + loop.err().message, loop.err().code);
  st.loops.emplace(ifname, std::move(*loop));
  spdlog::info("arp_responder: answering on {} ({}) from the answer table", ifname,
               net::to_string(link->mac));
  return net::ok();
}

void add_error(std::string& errors, const std::string& e) {
  if (!errors.empty()) errors += "; ";
  errors += e;
}

/// The interface of `v`: its own, or for "auto" (kube-vip.io/serviceInterface,
/// vip_servicesinterface) the one holding a subnet that contains the address.
net::result<std::string> vip_interface(rsp_io_state& st, const msg::vip_spec& v,
                                       const net::ip_address& a) {
  if (v.interface != "auto") return v.interface;
  auto link = st.nl->link_for(a);
  if (!link) return link.err();
  if (!*link)
    return net::make_error("interface auto: no interface has a subnet containing " + v.address);
  return (*link)->name;
}

/// The interfaces to prepare, and the VIPs wanted on each (invalid ones
/// reported).
std::map<std::string, std::vector<net::ip_address>>
wanted_by_interface(rsp_io_state& st, const msg::rsp_apply& m, std::string& errors) {
  std::map<std::string, std::vector<net::ip_address>> out;
  for (const auto& i : m.interfaces)
    out[i];
  for (const auto& v : m.vips) {
    auto a = net::ip_address::parse(v.address);
    if (!a || v.interface.empty()) {
      add_error(errors, "vip \"" + v.address + "\" on \"" + v.interface + "\": not usable");
      continue;
    }
    auto ifname = vip_interface(st, v, *a);
    if (!ifname) {
      add_error(errors, "vip " + v.address + ": " + ifname.err().describe());
      continue;
    }
    out[*ifname].push_back(*a);
  }
  return out;
}

msg::rsp_applied on_apply(rsp_io_state& st, const msg::rsp_apply& m) {
  msg::rsp_applied out;
  if (auto r = ensure_host(st); !r) {
    out.error = "arp_responder: " + r.err().describe();
    return out;
  }
  auto wanted = wanted_by_interface(st, m, out.error);
  std::map<net::ip_address, std::string> next;
  for (const auto& [ifname, vips] : wanted) {
    // The interface is prepared first: a VIP goes on lo only where the
    // kernel will not answer for it.
    if (auto r = ensure_interface(st, ifname); !r) {
      add_error(out.error, "interface " + ifname + ": " + r.err().describe());
      continue;
    }
    for (const auto& a : vips)
      next[a] = ifname;
  }
  for (auto it = st.loops.begin(); it != st.loops.end();)
    it = wanted.count(it->first) ? std::next(it) : st.loops.erase(it);
  // Only what changed (l2::plan_holds): an address already on lo stays.
  auto plan = l2::plan_holds(st.held, next);
  for (const auto& a : plan.remove) {
    st.table->place(a, 0);
    st.held.erase(a);
    if (auto r = st.host->remove(a); !r) add_error(out.error, r.err().describe());
  }
  if (auto r = st.host->record(plan.add); !r) add_error(out.error, r.err().describe());
  for (const auto& a : plan.add) {
    if (auto r = st.host->add(a); !r) {
      add_error(out.error, "vip " + a.to_string() + " on lo: " + r.err().describe());
      next.erase(a);
    }
  }
  st.held = std::move(next);
  for (const auto& [a, ifname] : st.held) {
    // Answered on its interface alone (another interface on the same segment,
    // a macvlan of it say, also hears the request); a map write, placed anew
    // each time in case the interface came back with another index.
    if (auto link = st.links.find(ifname); link != st.links.end())
      st.table->place(a, link->second.ifindex);
    out.active.push_back(a.to_string());
  }
  return out;
}

/// How long after its first announcement a VIP's requests are answered.
constexpr std::chrono::microseconds announce_settle{3000};

void on_send(rsp_io_state& st, const msg::rsp_send& m) {
  auto a = net::ip_address::parse(m.address);
  if (!a) return;
  // The interface the VIP was prepared on ("auto" resolved at the hold).
  auto held = st.held.find(*a);
  const std::string& ifname = held != st.held.end() ? held->second : m.interface;
  auto loop = st.loops.find(ifname);
  auto link = st.links.find(ifname);
  if (loop == st.loops.end() || link == st.links.end()) return;
  // Checked again here: the request may have waited in the mailbox.
  if (!st.table->may_announce(*a, std::chrono::steady_clock::now())) return;
  for (const auto& f : l2::announcement(link->second.mac, *a)) {
    if (auto r = loop->second->send(f); !r) {
      spdlog::warn("arp_responder: announcing {} on {}: {}", m.address, ifname, r.err().describe());
      return;
    }
  }
  // Requests are answered only now that the announcement is out, and a
  // moment later: a predecessor handing the VIP over sees the announcement
  // and answers with this node's MAC first (answer_table::releasing).
  st.table->announced(*a, std::chrono::steady_clock::now() + announce_settle);
}

msg::dump_reply dump(const rsp_io_state& st) {
  msg::dump_reply r;
  r.actor = "arp_responder_io";
  for (const auto& [ifname, loop] : st.loops)
    r.text += "\n  " + ifname + " (" + net::to_string(loop->mac()) + "): " + loop->describe();
  for (const auto& [a, ifname] : st.held)
    r.text += "\n  held on lo: " + a.to_string() + " (announced on " + ifname + ")";
  if (st.host)
    for (const auto& line : st.host->describe())
      r.text += "\n  changed: " + line;
  return r;
}

msg::responder_io_actor::behavior_type io_fn(io_actor self, std::shared_ptr<l2::answer_table> table,
                                             l2::lo_host_options host, bool listen) {
  log_crashes(self, "arp_responder_io");
  auto& st = self->state;
  st.table = std::move(table);
  st.host_opts = std::move(host);
  st.listen = listen;
  return {
      on(self, [self](const msg::rsp_apply& m) { return on_apply(self->state, m); }),
      on(self, [self](const msg::rsp_send& m) { on_send(self->state, m); }),
      on(self,
         [self](const msg::rsp_restore&) {
           msg::rsp_restored r;
           r.error = self->state.restore();
           return r;
         }),
      on(self, [self](const msg::dump_request&) { return dump(self->state); }),
  };
}

} // namespace

msg::responder_io_actor spawn_arp_responder_io(caf::local_actor* parent,
                                               std::shared_ptr<net::l2::answer_table> table,
                                               const net::l2::lo_host_options& host, bool listen,
                                               bool detached) {
  if (detached)
    return parent->spawn<caf::linked + caf::detached>(io_fn, std::move(table), host, listen);
  return parent->spawn<caf::linked>(io_fn, std::move(table), host, listen);
}

} // namespace kvip
