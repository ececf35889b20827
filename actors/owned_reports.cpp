#include "actors/owned_reports.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace kvip {

std::vector<msg::owned_service>
owned_services_of(const std::vector<msg::service_ip>& ips,
                  const std::function<bool(const std::string&)>& held) {
  std::map<std::pair<std::string, std::string>, msg::owned_service> by_name;
  for (const auto& ip : ips) {
    if (!held(ip.address)) continue;
    for (const auto& ref : ip.services) {
      auto& o = by_name[{ref.ns, ref.name}];
      o.ns = ref.ns;
      o.name = ref.name;
      if (ref.addresses.empty()) {
        if (std::find(o.addresses.begin(), o.addresses.end(), ip.address) == o.addresses.end())
          o.addresses.push_back(ip.address);
        continue;
      }
      o.addresses.clear(); // every held address of the Service, in its order
      for (const auto& a : ref.addresses)
        if (held(a)) o.addresses.push_back(a);
    }
  }
  std::vector<msg::owned_service> out;
  for (auto& [key, o] : by_name)
    out.push_back(std::move(o));
  return out;
}

} // namespace kvip
