// membership::forget (membership.hpp): a member the driver removes from the
// cluster (its Node was deleted), as opposed to one that died. Kept apart
// from membership.cpp, which holds the protocol proper.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "net/gossip/membership.hpp"

namespace kvip::net::gossip {

std::vector<effect> membership::forget(steady_time now, const std::string& node) {
  std::vector<effect> out;
  auto it = members_.find(node);
  if (node == cfg_.self || it == members_.end()) return out;
  const member_info& m = it->second;
  spdlog::info("gossip: {}: member {} forgotten (it was {} at incarnation {}): no longer in the "
               "cluster",
               cfg_.self, node, to_string(m.state), m.incarnation);
  effect e;
  e.what = effect::kind::member_changed;
  e.member = update{node, m.state, m.incarnation, m.health};
  e.removed = true;
  members_.erase(it);
  forgotten_.insert(node);
  // Nothing more is said about it or waited for from it: its queued
  // updates, the pings waiting for its answer (probe, suspicion ping, the
  // probe confirming a disconnect, a relay for another member), and the
  // relays it asked this node for.
  std::erase_if(queue_, [&](const queued_update& q) { return q.u.node == node; });
  std::erase_if(pending_, [&](const auto& kv) {
    const pending& p = kv.second;
    return p.target == node || (p.why == pending::purpose::relay && p.requester == node);
  });
  if (probe_target_ == node) probe_acked_ = true; // nothing to escalate or to suspect
  out.push_back(std::move(e));
  if (started_ && !leaving_) finish(now, out);
  return out;
}

} // namespace kvip::net::gossip
