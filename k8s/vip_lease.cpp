#include "k8s/vip_lease.hpp"

namespace kvip::k8s {

vip_lease_action vip_lease_decision(const std::string& recorded_holder, std::uint64_t recorded_term,
                                    const std::string& holder, std::uint64_t term) {
  if (recorded_holder != holder && recorded_term > term) return vip_lease_action::yield;
  if (recorded_holder == holder) return vip_lease_action::recorded;
  return vip_lease_action::write;
}

const char* to_string(vip_lease_action a) {
  switch (a) {
  case vip_lease_action::recorded:
    return "recorded";
  case vip_lease_action::write:
    return "write";
  case vip_lease_action::yield:
    return "yield";
  }
  return "?";
}

} // namespace kvip::k8s
