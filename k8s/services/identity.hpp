// Whether a MODIFIED Service is still the same instance (reference §3.1a step 6).
//
// kube-vip tears a Service down and builds it again (fresh context and Lease)
// when any of these changed: its addresses, its hostnames, externalTrafficPolicy,
// ipFamilies, ipFamilyPolicy, kube-vip.io/ddns, kube-vip.io/leaseName. kvip does
// the same, with two refinements: addresses and hostnames compare as sets (a
// reordered annotation is not a new Service; kube-vip compares lists), and a
// changed metadata.uid (deleted and created again under the same name, seen
// across a watch gap) is a new instance too. Anything else (ports, labels, other
// annotations, status) is an in-place update.
#pragma once

#include <string>
#include <vector>

#include "k8s/services/service.hpp"

namespace kvip::k8s::services {

/// The fields whose change makes a new instance, by name ("addresses", "hostnames",
/// "externalTrafficPolicy", "ipFamilies", "ipFamilyPolicy", "kube-vip.io/ddns",
/// "kube-vip.io/leaseName", "metadata.uid"); empty when it is the same instance.
std::vector<std::string> identity_changes(const service& before, const service& after);

/// True when identity_changes is not empty.
inline bool identity_changed(const service& before, const service& after) {
  return !identity_changes(before, after).empty();
}

} // namespace kvip::k8s::services
