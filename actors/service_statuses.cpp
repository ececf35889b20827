#include "actors/service_statuses.hpp"

#include <map>
#include <set>

namespace kvip {

namespace {

std::string key_of(const msg::service_ref& r) {
  return r.ns + "/" + r.name + "/" + r.uid;
}

} // namespace

std::vector<msg::service_status> owner_statuses(const std::vector<msg::service_ip>& ips,
                                                const std::string& address,
                                                const std::string& node) {
  std::vector<msg::service_status> out;
  for (const auto& ip : ips) {
    if (ip.address != address) continue;
    for (const auto& ref : ip.services) {
      msg::service_status s;
      s.ns = ref.ns;
      s.service = ref.name;
      s.uid = ref.uid;
      s.ingress_ips = ref.addresses.empty() ? std::vector<std::string>{address} : ref.addresses;
      s.ports = ref.ports;
      s.vip_host = node;
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::vector<msg::service_status>
withdrawn_statuses(const std::vector<msg::service_ip>& before,
                   const std::vector<msg::service_ip>& next,
                   const std::function<bool(const std::string&)>& answered) {
  std::set<std::string> still;
  for (const auto& ip : next) {
    if (!ip.any_node && ip.nodes.empty()) continue; // nobody may announce it
    for (const auto& ref : ip.services)
      still.insert(key_of(ref));
  }
  std::set<std::string> sent;
  std::vector<msg::service_status> out;
  for (const auto& ip : before) {
    if (!answered(ip.address)) continue;
    for (const auto& ref : ip.services) {
      if (still.count(key_of(ref)) || !sent.insert(key_of(ref)).second) continue;
      msg::service_status s;
      s.ns = ref.ns;
      s.service = ref.name;
      s.uid = ref.uid;
      out.push_back(std::move(s));
    }
  }
  return out;
}

address_changes changed_addresses(const std::vector<msg::service_ip>& before,
                                  const std::vector<msg::service_ip>& next) {
  address_changes out;
  std::map<std::string, const msg::service_ip*> old;
  for (const auto& ip : before)
    old.emplace(ip.address, &ip);
  for (const auto& ip : next) {
    out.all.insert(ip.address);
    auto it = old.find(ip.address);
    if (it == old.end() || !(*it->second == ip)) out.changed.insert(ip.address);
  }
  return out;
}

} // namespace kvip
