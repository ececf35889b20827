#include "net/l2/vip_set.hpp"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

namespace kvip::net::l2 {

namespace {

constexpr std::uint32_t ifa_f_dadfailed = 0x08; // IFA_F_DADFAILED (linux/if_addr.h)

} // namespace

result<vip> check_vip(const std::string& address, int prefix_length, const std::string& interface) {
  auto addr = ip_address::parse(address);
  if (!addr) return make_error("vip \"" + address + "\": not an IP address");
  int len = prefix_length == 0 ? addr->max_prefix() : prefix_length;
  if (len < 1 || len > addr->max_prefix())
    return make_error("vip " + address + ": prefix length " + std::to_string(prefix_length) +
                      " is outside 1.." + std::to_string(addr->max_prefix()));
  if (interface.empty()) return make_error("vip " + address + ": no interface given");
  vip v;
  v.prefix = ip_prefix{*addr, len};
  v.interface = interface;
  v.key = v.prefix.to_string() + "%" + interface;
  v.label = addr->to_string();
  return v;
}

const char* to_string(vip_state s) {
  switch (s) {
  case vip_state::gone:
    return "gone";
  case vip_state::adding:
    return "adding";
  case vip_state::held:
    return "held";
  case vip_state::waiting:
    return "waiting";
  case vip_state::removing:
    return "removing";
  }
  return "?";
}

void vip_set::set_state(const std::string& key, vip_state to, const std::string& why) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  auto& e = it->second;
  if (e.state != to)
    spdlog::debug("vip_set: {}: {} -> {} ({})", key, to_string(e.state), to_string(to), why);
  e.state = to;
  if (to == vip_state::gone) entries_.erase(it);
}

void vip_set::to_adding(const vip& v, set_effects& out, const char* why) {
  auto [it, fresh] = entries_.try_emplace(v.key);
  if (fresh) it->second.v = v;
  set_state(v.key, vip_state::adding, why);
  out.add.push_back(v);
}

set_effects vip_set::desire(const std::vector<vip>& wanted) {
  set_effects out;
  std::map<std::string, vip> keys; // by key: duplicates collapse, order is the key's
  for (const auto& v : wanted)
    keys.emplace(v.key, v);
  std::vector<std::pair<std::string, vip_state>> leaving;
  for (const auto& [key, e] : entries_)
    if (keys.count(key) == 0 && e.state != vip_state::removing) leaving.emplace_back(key, e.state);
  for (const auto& [key, st] : leaving) {
    if (st == vip_state::waiting) {
      set_state(key, vip_state::gone, "no longer desired");
      continue;
    }
    set_state(key, vip_state::removing, "no longer desired");
    out.remove.push_back(key);
  }
  for (const auto& [key, v] : keys) {
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.state == vip_state::waiting ||
        it->second.state == vip_state::removing)
      to_adding(v, out, "desired");
  }
  return out;
}

set_effects vip_set::retry() {
  set_effects out;
  for (auto& [key, e] : entries_)
    if (e.state == vip_state::waiting) to_adding(e.v, out, "retry");
  return out;
}

set_effects vip_set::stop() {
  return desire({});
}

const vip_entry* vip_set::added(const std::string& key, const result<netlink::link_info>& r) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.state != vip_state::adding) return nullptr;
  auto& e = it->second;
  if (!r) {
    e.error = r.err().describe();
    set_state(key, vip_state::waiting, e.error);
    return nullptr;
  }
  e.error.clear();
  e.link = *r;
  e.generation = next_generation_++;
  set_state(key, vip_state::held, "added on " + e.link.name);
  return &e;
}

void vip_set::removed(const std::string& key, const result<void>& r) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.state != vip_state::removing) return;
  set_state(key, vip_state::gone, r ? "removed" : "removal failed: " + r.err().describe());
}

void vip_set::relinked(const std::string& key, const netlink::link_info& link) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.state != vip_state::held) return;
  it->second.link = link;
}

const vip_entry* vip_set::current(const std::string& key, std::uint64_t generation) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.state != vip_state::held ||
      it->second.generation != generation)
    return nullptr;
  return &it->second;
}

set_report vip_set::report(const std::vector<std::string>& errors) const {
  set_report r;
  for (const auto& [key, e] : entries_)
    if (e.state == vip_state::held) r.active.push_back(e.v.label);
  for (const auto& e : errors)
    r.error += (r.error.empty() ? "" : "; ") + e;
  return r;
}

std::size_t vip_set::count(vip_state s) const {
  return static_cast<std::size_t>(std::count_if(
      entries_.begin(), entries_.end(), [s](const auto& kv) { return kv.second.state == s; }));
}

address_fix repair(const std::vector<netlink::addr_info>& addrs, const ip_prefix& p) {
  auto it = std::find_if(addrs.begin(), addrs.end(),
                         [&](const netlink::addr_info& a) { return a.prefix == p; });
  if (it == addrs.end()) return address_fix::add;
  return (it->flags & ifa_f_dadfailed) != 0 ? address_fix::replace : address_fix::none;
}

std::vector<netlink::addr_info> stale_copies(const std::vector<netlink::addr_info>& addrs,
                                             const std::vector<ip_address>& stale) {
  std::vector<netlink::addr_info> out;
  for (const auto& s : stale)
    for (const auto& a : addrs)
      if (a.prefix.address == s) out.push_back(a);
  return out;
}

std::vector<frame> announcement(const mac_address& mac, const ip_address& a) {
  if (a.is_v6()) return {build_unsolicited_na(mac, a)};
  return {build_garp(mac, a, garp_form::request), build_garp(mac, a, garp_form::reply)};
}

} // namespace kvip::net::l2
