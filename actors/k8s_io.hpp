#pragma once
// k8s_io: the actor that talks to the Kubernetes API for the others. It runs
// detached (its own thread), because every call blocks on HTTP; callers use
// kvip::ask with a timeout, so a slow API server never stalls them.
//
//   lease_get    -> lease_reply   (GET, 404 = not_found)
//   lease_write  -> lease_reply   (POST / PUT with resourceVersion CAS, 409 = conflict)
//   event_report -> (nothing)     (POST an Event; failures are logged)

#include <memory>

#include "caf/fwd.hpp"

namespace kvip::k8s {
class client;
}

namespace kvip {

/// Spawns the detached API actor around a ready client.
caf::actor spawn_k8s_io(caf::local_actor* parent, std::shared_ptr<k8s::client> client,
                        std::string node_name);

} // namespace kvip
