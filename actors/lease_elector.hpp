#pragma once
// lease_elector: Kubernetes Lease leader election with client-go semantics.
// A thin driver: every decision is made by the pure policy in
// k8s/election_policy.hpp (around the client-go machine of
// k8s/leader_election.hpp); this actor performs the effects it returns —
// Lease requests through k8s_io, announce/withdraw through the announcer,
// timers, metrics, the shutdown answer — and feeds the answers back.
//
// What the policy guarantees, in short: a graceful stop removes the VIP
// *before* releasing the Lease (kube-vip does it the other way round); a VIP
// that could not be withdrawn is never handed over by a release; losing the
// Lease withdraws the VIP and the elector campaigns again (the process does
// not exit); health_status{healthy=false} makes a leader withdraw and
// release and pauses campaigning until health_status{healthy=true}.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
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
  /// Wall clock for the Lease's acquire/renew times (null = the system clock).
  std::function<std::chrono::system_clock::time_point()> wall_clock;
  /// Seed of the retry jitter (nullopt = from std::random_device).
  std::optional<std::uint64_t> random_seed;
};

/// Spawns the elector. It reaches the Kubernetes API through the directory's
/// k8s_io and announces through its announcer (actors/directory.hpp), looked
/// up at every send so restarts are followed.
/// The handle speaks msg::elector_actor (messages/election.hpp).
caf::actor spawn_lease_elector(caf::local_actor* parent, elector_options opts,
                               net::telemetry::registry& reg);

} // namespace kvip
