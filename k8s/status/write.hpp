// One write of one Service's status, blocking (run it off the actor
// scheduler): GET the Service, then follow next_step (plan.hpp) with PUTs
// that carry the resourceVersion read, each PUT's answer being the object the
// next step starts from. A 409 (someone wrote in between) reads the Service
// again, up to `max_reads` times; a 404 means the Service is gone.
#pragma once

#include <functional>
#include <string>

#include <boost/json.hpp>

#include "k8s/status/plan.hpp"
#include "k8s/status/queue.hpp"

namespace kvip::k8s {
class client;
}

namespace kvip::k8s::status {

struct write_options {
  int max_reads = 4; ///< GETs per write (the first, then one per conflict)
  /// Called with each Service as read, before the writes it leads to (tests
  /// use it to act as a concurrent writer; empty = nothing).
  std::function<void(const boost::json::object&)> after_read;
};

/// How the write went.
struct write_report {
  status::outcome result = status::outcome::failed;
  int reads = 0;      ///< GETs
  int writes = 0;     ///< PUTs that landed
  int conflicts = 0;  ///< PUTs answered 409
  std::string detail; ///< what was written ("ingress ..., vipHost ..."), or why not
};

/// Brings the Service named by `want` to it through `c`.
write_report write(client& c, const wanted& want, const write_options& opts = {});

} // namespace kvip::k8s::status
