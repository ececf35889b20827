#include "k8s/services/conntrack_flush.hpp"

namespace kvip::k8s::services {

std::vector<conntrack_flush> conntrack_flushes(const std::set<std::string>& before,
                                               const std::set<std::string>& after,
                                               const std::set<std::string>& flagged) {
  std::vector<conntrack_flush> out;
  for (const auto& a : before)
    if (!after.count(a) && flagged.count(a)) out.push_back({a, false});
  for (const auto& a : after)
    if (!before.count(a) && flagged.count(a)) out.push_back({a, true});
  return out;
}

} // namespace kvip::k8s::services
