#include "k8s/services/identity.hpp"

#include <set>

namespace kvip::k8s::services {

namespace {

std::string annotation(const service& s, const std::string& key) {
  auto it = s.annotations.find(key);
  return it == s.annotations.end() ? "" : it->second;
}

/// The identity-relevant part of select_addresses, order-free.
struct address_identity {
  std::set<net::ip_address> addresses;
  bool dhcp_v4 = false;
  bool dhcp_v6 = false;
  std::set<std::string> hostnames;
};

address_identity identity_of(const service& s) {
  auto sel = select_addresses(s);
  return {{sel.addresses.begin(), sel.addresses.end()},
          sel.dhcp_v4,
          sel.dhcp_v6,
          {sel.hostnames.begin(), sel.hostnames.end()}};
}

} // namespace

std::vector<std::string> identity_changes(const service& before, const service& after) {
  std::vector<std::string> out;
  auto a = identity_of(before);
  auto b = identity_of(after);
  if (a.addresses != b.addresses || a.dhcp_v4 != b.dhcp_v4 || a.dhcp_v6 != b.dhcp_v6)
    out.emplace_back("addresses");
  if (a.hostnames != b.hostnames) out.emplace_back("hostnames");
  if (before.external_traffic_policy != after.external_traffic_policy)
    out.emplace_back("externalTrafficPolicy");
  if (before.ip_families != after.ip_families) out.emplace_back("ipFamilies");
  if (before.ip_family_policy != after.ip_family_policy) out.emplace_back("ipFamilyPolicy");
  for (const char* key : {"kube-vip.io/ddns", "kube-vip.io/leaseName"})
    if (annotation(before, key) != annotation(after, key)) out.emplace_back(key);
  if (before.uid != after.uid) out.emplace_back("metadata.uid");
  return out;
}

} // namespace kvip::k8s::services
