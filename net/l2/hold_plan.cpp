#include "net/l2/hold_plan.hpp"

namespace kvip::net::l2 {

hold_plan plan_holds(const std::map<ip_address, std::string>& held,
                     const std::map<ip_address, std::string>& wanted) {
  hold_plan p;
  for (const auto& [a, ifname] : held)
    if (!wanted.count(a)) p.remove.push_back(a);
  for (const auto& [a, ifname] : wanted)
    if (!held.count(a)) p.add.push_back(a); // lo is the same for every interface
  return p;
}

} // namespace kvip::net::l2
