#pragma once
// lease_elector: Kubernetes Lease leader election with client-go semantics
// (k8s/leader_election.hpp is the pure state machine; this actor performs its
// actions). When it starts leading it asks the announcer to announce the
// VIPs; when it stops, it asks for an empty set and waits for the answer
// before it does anything else, so a graceful stop removes the VIP *before*
// releasing the Lease (kube-vip does it the other way round). Losing the
// Lease is handled here — the VIP is withdrawn and the elector campaigns
// again; the process does not exit.
//
// Health gating: health_status{healthy=false} makes a leader withdraw and
// release, and pauses campaigning until health_status{healthy=true}.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "caf/fwd.hpp"
#include "k8s/leader_election.hpp"
#include "messages/announce.hpp"

namespace kvip::net::telemetry {
class registry;
}

namespace kvip {

class directory;

struct elector_options {
  std::string lease_namespace = "kube-system";
  std::string lease_name = "plndr-cp-lock";
  k8s::election::config timings;                  ///< identity, durations
  std::map<std::string, std::string> annotations; ///< put on the Lease (vip_leaseannotations)
  std::vector<msg::vip_spec> vips;                ///< what to announce while leading
  std::chrono::milliseconds request_timeout{5000};
  std::shared_ptr<const directory> siblings; ///< k8s_io and announcer, read at every send
};

/// Spawns the elector. It reaches the Kubernetes API through the directory's
/// k8s_io and announces through its announcer (actors/directory.hpp), looked
/// up at every send so restarts are followed.
caf::actor spawn_lease_elector(caf::local_actor* parent, elector_options opts,
                               net::telemetry::registry& reg);

} // namespace kvip
