// Lease operations for the elector: get, create, and update with a
// resourceVersion compare-and-swap (a lost race is error_kind::conflict,
// distinct from every other failure).
#pragma once

#include <string>

#include "k8s/client.hpp"
#include "k8s/objects.hpp"

namespace kvip::k8s {

/// GETs the Lease `ns/name`; a missing Lease is error_kind::not_found.
result<lease> get_lease(client& c, const std::string& ns, const std::string& name);

/// POSTs `l` (no resourceVersion); a Lease that exists is error_kind::already_exists.
result<lease> create_lease(client& c, const lease& l);

/// PUTs `l` conditioned on its resourceVersion (required: an empty one is refused
/// locally as `invalid`); someone else's write in between is error_kind::conflict.
result<lease> update_lease(client& c, const lease& l);

} // namespace kvip::k8s
