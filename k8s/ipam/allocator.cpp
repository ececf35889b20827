#include "k8s/ipam/allocator.hpp"

#include <algorithm>
#include <set>

namespace kvip::k8s::ipam {

namespace {

bool unspecified(const net::ip_address& a) {
  return std::all_of(a.bytes.begin(), a.bytes.end(), [](std::uint8_t b) { return b == 0; });
}

ip_family other(ip_family f) {
  return f == ip_family::v4 ? ip_family::v6 : ip_family::v4;
}

/// The families to allocate, in order (see the header comment).
std::vector<ip_family> families_for(const scope_pool& pool, const request& r) {
  if (r.policy == family_policy::single_stack) {
    if (!r.families.empty()) return {r.families.front()};
    return {pool.v4.sources.empty() && !pool.v6.sources.empty() ? ip_family::v6 : ip_family::v4};
  }
  auto first = r.families.empty() ? ip_family::v4 : r.families.front();
  return {first, other(first)};
}

std::string join(const std::vector<alloc_error>& errors) {
  std::string out;
  for (auto& e : errors)
    out += (out.empty() ? "" : "; ") + e.message;
  return out;
}

/// One error for several: exhausted when any family is exhausted (the Event that matters).
alloc_error combined(const std::string& prefix, const std::vector<alloc_error>& errors) {
  bool exhausted = std::any_of(errors.begin(), errors.end(), [](const alloc_error& e) {
    return e.kind == alloc_error_kind::exhausted;
  });
  return {exhausted ? alloc_error_kind::exhausted : errors.front().kind, prefix + join(errors)};
}

} // namespace

const char* to_string(family_policy p) {
  switch (p) {
  case family_policy::single_stack:
    return "SingleStack";
  case family_policy::prefer_dual_stack:
    return "PreferDualStack";
  case family_policy::require_dual_stack:
    return "RequireDualStack";
  }
  return "?";
}

const char* to_string(alloc_error_kind k) {
  switch (k) {
  case alloc_error_kind::no_pool:
    return "no_pool";
  case alloc_error_kind::no_family_pool:
    return "no_family_pool";
  case alloc_error_kind::exhausted:
    return "exhausted";
  }
  return "?";
}

// -- what is in use -----------------------------------------------------------------

void allocator::link(const service_id& s, const std::vector<net::ip_address>& addresses) {
  for (auto& a : addresses) {
    if (unspecified(a)) continue;
    auto& hs = by_address_[a];
    auto it = std::lower_bound(hs.begin(), hs.end(), s);
    if (it == hs.end() || *it != s) hs.insert(it, s);
  }
}

void allocator::unlink(const service_id& s, const std::vector<net::ip_address>& addresses) {
  for (auto& a : addresses) {
    auto it = by_address_.find(a);
    if (it == by_address_.end()) continue;
    std::erase(it->second, s);
    if (it->second.empty()) by_address_.erase(it);
  }
}

void allocator::observe(const holding& h) {
  auto& e = entries_[h.service];
  unlink(h.service, e.observed);
  unlink(h.service, e.reserved);
  e.observed = h.addresses;
  e.ports = h.ports;
  if (!e.observed.empty()) e.reserved.clear();
  link(h.service, e.observed);
  link(h.service, e.reserved);
  if (e.observed.empty() && e.reserved.empty()) entries_.erase(h.service);
}

void allocator::forget(const service_id& s) {
  auto it = entries_.find(s);
  if (it == entries_.end()) return;
  unlink(s, it->second.observed);
  unlink(s, it->second.reserved);
  entries_.erase(it);
}

void allocator::cancel(const service_id& s) {
  auto it = entries_.find(s);
  if (it == entries_.end()) return;
  unlink(s, it->second.reserved);
  it->second.reserved.clear();
  link(s, it->second.observed); // an address both observed and reserved stays held
  if (it->second.observed.empty()) entries_.erase(it);
}

std::vector<service_id> allocator::holders(const net::ip_address& a) const {
  auto it = by_address_.find(a);
  return it == by_address_.end() ? std::vector<service_id>{} : it->second;
}

// -- choosing -------------------------------------------------------------------------

std::optional<net::ip_address> allocator::shareable(const family_pool& fp, const request& r) const {
  if (r.ports.empty() || !config_.allow_share_for(r.service.ns)) return std::nullopt;
  std::set<port_id> mine(r.ports.begin(), r.ports.end());
  auto compatible = [&](const service_id& h) {
    if (h == r.service || !config_.allow_share_for(h.ns)) return false;
    auto it = entries_.find(h);
    if (it == entries_.end() || it->second.ports.empty()) return false;
    return std::none_of(it->second.ports.begin(), it->second.ports.end(),
                        [&](const port_id& p) { return mine.contains(p); });
  };
  return for_each_used(fp.addresses, by_address_, config_.order, [&](const auto& kv) {
    return std::all_of(kv.second.begin(), kv.second.end(), compatible);
  });
}

net::result<allocator::choice, alloc_error> allocator::choose(const scope_pool& pool, ip_family f,
                                                              const request& r) const {
  auto& fp = pool.of(f);
  if (fp.sources.empty()) {
    return alloc_error{alloc_error_kind::no_family_pool,
                       "pool " + pool.key_names() + " has no valid " + to_string(f) + " entry"};
  }
  if (auto s = shareable(fp, r)) return choice{*s, true};
  if (auto a = first_free(fp.addresses, by_address_, config_.order)) return choice{*a, false};
  return alloc_error{alloc_error_kind::exhausted,
                     "pool " + fp.describe() +
                         " exhausted: " + to_decimal(count_used(fp.addresses, by_address_)) +
                         " of " + to_decimal(fp.addresses.size()) + " in use"};
}

net::result<allocation, alloc_error> allocator::choose_families(const scope_pool& pool,
                                                                const request& r) const {
  allocation out;
  std::vector<alloc_error> errors;
  for (auto f : families_for(pool, r)) {
    auto c = choose(pool, f, r);
    if (!c) {
      errors.push_back(c.err());
      continue;
    }
    out.addresses.push_back(c->address);
    out.shared.push_back(c->shared);
  }
  if (errors.empty()) return out;
  switch (r.policy) {
  case family_policy::single_stack:
    return errors.front();
  case family_policy::require_dual_stack:
    return combined("RequireDualStack needs IPv4 and IPv6: ", errors);
  case family_policy::prefer_dual_stack:
    if (out.addresses.empty()) return combined("PreferDualStack got no address: ", errors);
    out.note = "PreferDualStack gets one family only: " + join(errors);
    return out;
  }
  return errors.front();
}

std::optional<allocation> allocator::existing(const service_id& s) const {
  auto it = entries_.find(s);
  if (it == entries_.end() || it->second.reserved.empty()) return std::nullopt;
  allocation out;
  out.addresses = it->second.reserved;
  for (auto& a : out.addresses)
    out.shared.push_back(holders(a).size() > 1);
  out.dhcp = out.addresses.size() == 1 && unspecified(out.addresses.front());
  if (auto* pool = config_.pool_for(s.ns)) out.scope = pool->scope;
  out.interface = config_.interface_for(s.ns);
  return out;
}

net::result<allocation, alloc_error> allocator::allocate(const request& r) {
  if (auto a = existing(r.service)) return *a;
  auto* pool = config_.pool_for(r.service.ns);
  if (pool == nullptr) {
    auto& ns = r.service.ns;
    return alloc_error{alloc_error_kind::no_pool,
                       "no address pool for namespace \"" + ns + "\": the pool ConfigMap has no " +
                           "cidr-" + ns + ", range-" + ns + ", cidr-global or range-global"};
  }
  allocation out;
  if (pool->dhcp) {
    out.addresses = {*net::ip_address::parse("0.0.0.0")};
    out.shared = {false};
    out.dhcp = true;
  } else {
    auto chosen = choose_families(*pool, r);
    if (!chosen) return chosen.err();
    out = std::move(*chosen);
  }
  out.scope = pool->scope;
  out.interface = config_.interface_for(r.service.ns);
  auto& e = entries_[r.service];
  e.reserved = out.addresses;
  e.ports = r.ports;
  link(r.service, e.reserved);
  return out;
}

} // namespace kvip::k8s::ipam
