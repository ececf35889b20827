#pragma once
// k8s_io: the actor that talks to the Kubernetes API for the others
// (msg::k8s_io_actor). It runs detached (its own thread), because every call
// blocks on HTTP; callers use kvip::ask with a timeout, so a slow API server
// never stalls them.
//
//   lease_get    -> lease_reply   (GET; a missing Lease is error not_found)
//   lease_write  -> lease_reply   (POST / PUT with resourceVersion CAS; a lost
//                                  race is error conflict / already_exists)
//   event_report -> (nothing)     (POST an Event; failures are logged)
//   vip_conflict -> (nothing)     (recorded as an Event on this node's Node)
//
// A failed call is answered with the client's error as it is (kind, HTTP
// status, description); nothing is invented here.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "caf/fwd.hpp"

namespace kvip::k8s {
class client;
}

namespace kvip {

/// The wall clock that stamps Events (null = the system clock).
using wall_clock = std::function<std::chrono::system_clock::time_point()>;

/// Spawns the detached API actor around a ready client. The handle speaks
/// msg::k8s_io_actor (messages/election.hpp); actor_cast it to that type.
caf::actor spawn_k8s_io(caf::local_actor* parent, std::shared_ptr<k8s::client> client,
                        std::string node_name, wall_clock clock = {});

} // namespace kvip
