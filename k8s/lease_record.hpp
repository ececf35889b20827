#pragma once
// Between a Lease object (k8s/objects.hpp) and the election-relevant record
// the election machine reasons about (k8s/leader_election.hpp).

#include <map>
#include <string>

#include "k8s/leader_election.hpp"
#include "k8s/objects.hpp"

namespace kvip::k8s::election {

/// The election-relevant part of `l`'s spec.
record to_record(const lease& l);

/// Writes `r` into `l`'s spec and sets `annotations` (other fields are kept).
void write_record(lease& l, const record& r, const std::map<std::string, std::string>& annotations);

} // namespace kvip::k8s::election
