#pragma once
// kube-vip.io/flush-conntrack (reference §3.7): when this node starts
// announcing a Service IP (the Service is "placed" here) or stops, the
// conntrack entries whose original destination is that address are deleted,
// so clients do not stick to NAT state made by the previous owner's rules or
// by this node before the move. Which addresses to flush is decided here,
// from the announced sets before and after a change; the flush itself
// (net/conntrack, blocking) runs on actors/conntrack_flusher.

#include <set>
#include <string>
#include <vector>

namespace kvip::k8s::services {

/// One flush to perform.
struct conntrack_flush {
  std::string address;
  bool placed = true; ///< this node started announcing it (false: stopped)
  bool operator==(const conntrack_flush&) const = default;
};

/// The addresses among `flagged` (a Service on them has flush-conntrack set)
/// that entered or left the announced set between `before` and `after`,
/// in address order: those that left first, then those that entered.
std::vector<conntrack_flush> conntrack_flushes(const std::set<std::string>& before,
                                               const std::set<std::string>& after,
                                               const std::set<std::string>& flagged);

} // namespace kvip::k8s::services
