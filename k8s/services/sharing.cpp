#include "k8s/services/sharing.hpp"

#include <algorithm>

namespace kvip::k8s::services {

ip_claim claim_of(const service& s, const address_selection& sel, bool allow_share) {
  ip_claim c{s.ns, s.name, s.created, {}, sel.addresses, allow_share};
  for (const auto& p : s.ports)
    if (std::find(c.ports.begin(), c.ports.end(), p.key()) == c.ports.end())
      c.ports.push_back(p.key());
  return c;
}

std::string share_conflict(const net::ip_address& ip, const ip_claim& holder,
                           const ip_claim& later) {
  if (holder.allow_share && later.allow_share) return "";
  std::vector<std::string> common;
  for (const auto& p : later.ports)
    if (std::find(holder.ports.begin(), holder.ports.end(), p) != holder.ports.end())
      common.push_back(to_string(p));
  if (common.empty()) return "";
  std::string ports;
  for (const auto& p : common)
    ports += (ports.empty() ? "" : ", ") + p;
  return ip.to_string() + " " + ports + " is already announced for " + holder.key() +
         " (claimed first); sharing an address needs disjoint ports or pools with allow-share";
}

namespace {

/// Claim order: oldest first (no timestamp = newest), then namespace, then name.
bool claims_before(const ip_claim* a, const ip_claim* b) {
  if (a->created != b->created) {
    if (!a->created) return false;
    if (!b->created) return true;
    return *a->created < *b->created;
  }
  if (a->ns != b->ns) return a->ns < b->ns;
  return a->name < b->name;
}

} // namespace

ip_holders resolve_ip(const net::ip_address& ip, const std::vector<const ip_claim*>& claimants) {
  std::vector<const ip_claim*> order;
  for (const auto* c : claimants)
    if (std::find(c->addresses.begin(), c->addresses.end(), ip) != c->addresses.end())
      order.push_back(c);
  std::sort(order.begin(), order.end(), claims_before);
  ip_holders out{ip, {}, {}};
  std::vector<const ip_claim*> held;
  for (const auto* c : order) {
    std::string why;
    for (const auto* h : held)
      if (why = share_conflict(ip, *h, *c); !why.empty()) break;
    if (why.empty()) {
      held.push_back(c);
      out.holders.push_back(c->key());
    } else {
      out.conflicts.emplace(c->key(), std::move(why));
    }
  }
  return out;
}

std::set<net::ip_address> sharing_table::upsert(ip_claim c) {
  auto key = c.key();
  auto changed = remove(key);
  for (const auto& a : c.addresses) {
    by_ip_[a].insert(key);
    changed.insert(a);
  }
  claims_.insert_or_assign(key, std::move(c));
  return changed;
}

std::set<net::ip_address> sharing_table::remove(const std::string& key) {
  std::set<net::ip_address> out;
  auto it = claims_.find(key);
  if (it == claims_.end()) return out;
  for (const auto& a : it->second.addresses) {
    out.insert(a);
    auto bi = by_ip_.find(a);
    if (bi == by_ip_.end()) continue;
    bi->second.erase(key);
    if (bi->second.empty()) by_ip_.erase(bi);
  }
  claims_.erase(it);
  return out;
}

ip_holders sharing_table::holders(const net::ip_address& ip) const {
  std::vector<const ip_claim*> claimants;
  if (auto it = by_ip_.find(ip); it != by_ip_.end())
    for (const auto& key : it->second)
      claimants.push_back(&claims_.at(key));
  return resolve_ip(ip, claimants);
}

std::map<net::ip_address, std::string> sharing_table::conflicts_of(const std::string& key) const {
  std::map<net::ip_address, std::string> out;
  auto it = claims_.find(key);
  if (it == claims_.end()) return out;
  for (const auto& a : it->second.addresses) {
    auto h = holders(a);
    if (auto c = h.conflicts.find(key); c != h.conflicts.end()) out.emplace(a, c->second);
  }
  return out;
}

std::set<net::ip_address> sharing_table::addresses() const {
  std::set<net::ip_address> out;
  for (const auto& [ip, keys] : by_ip_)
    out.insert(ip);
  return out;
}

} // namespace kvip::k8s::services
