#pragma once
// The in-process IPAM allocator (actors/ipam_allocator): kube-vip-cloud-provider's
// address pools, elected cluster-wide.
//
// Producers → consumers:
//   node            → ipam_allocator   : dump_request, shutdown_request (child protocol)
//   ipam_allocator  → ipam_allocator   : ipam_election_tick (timer of the Lease election),
//                                        ipam_retry_tick (timer: writes waiting on a backoff)
//   its feed        → ipam_allocator   : ipam_object, ipam_synced (the leader's watches of
//                                        Services and of the pool ConfigMap, from their threads)
//   ipam_allocator  → its writers      : ipam_write (reply: ipam_write_done)
//   ipam_allocator  → its k8s_io       : lease_get, lease_write (messages/election.hpp)
//   ipam_allocator  → event recorder   : k8s_event (messages/events.hpp)

#include <cstdint>
#include <string>

#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "k8s/result.hpp"
#include "messages/supervision.hpp"
#include "messages/traced.hpp"

namespace kvip::msg {

/// Timer of the allocator's Lease election (stale generations are ignored).
struct ipam_election_tick : traced {
  static constexpr const char* name = "ipam_election_tick";
  std::uint64_t generation = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ipam_election_tick& x) {
  return f(caf::meta::type_name(ipam_election_tick::name), x.generation);
}

/// Timer: writes waiting on a backoff may be due.
struct ipam_retry_tick : traced {
  static constexpr const char* name = "ipam_retry_tick";
  std::uint64_t generation = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ipam_retry_tick& x) {
  return f(caf::meta::type_name(ipam_retry_tick::name), x.generation);
}

/// Which watch of the feed an object comes from.
enum class ipam_feed : std::uint8_t { services = 0, config_map = 1 };

/// One watch event of the feed: a Service or the pool ConfigMap, as JSON.
struct ipam_object : traced {
  static constexpr const char* name = "ipam_object";
  std::uint64_t term = 0; ///< the leadership term the feed belongs to
  ipam_feed feed = ipam_feed::services;
  bool deleted = false;
  std::string object_json;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ipam_object& x) {
  return f(caf::meta::type_name(ipam_object::name), x.term, x.feed, x.deleted);
}

/// A watch of the feed delivered its complete (re)list.
struct ipam_synced : traced {
  static constexpr const char* name = "ipam_synced";
  std::uint64_t term = 0;
  ipam_feed feed = ipam_feed::services;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ipam_synced& x) {
  return f(caf::meta::type_name(ipam_synced::name), x.term, x.feed);
}

/// One write: the merge patch of Service ns/name (with its resourceVersion).
struct ipam_write : traced {
  static constexpr const char* name = "ipam_write";
  std::string ns;
  std::string service;
  std::string patch_json;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ipam_write& x) {
  return f(caf::meta::type_name(ipam_write::name), x.ns, x.service, x.patch_json);
}

/// Reply to ipam_write: done, or the API error as the client classified it.
struct ipam_write_done : traced {
  static constexpr const char* name = "ipam_write_done";
  std::string ns;
  std::string service;
  bool ok = false;
  k8s::error_kind error = k8s::error_kind::transport; ///< !ok
  int http_status = 0;                                ///< !ok; 0 when no response arrived
  std::string error_text;                             ///< !ok
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ipam_write_done& x) {
  return f(caf::meta::type_name(ipam_write_done::name), x.ns, x.service, x.ok, x.error,
           x.http_status, x.error_text);
}

// --- typed interfaces -------------------------------------------------------

/// The IPAM allocator: the child protocol only (it reads and writes the API).
using ipam_allocator_actor = child_actor;

/// Its implementation: timers and the feed's reports. Only actors/ipam_allocator uses it.
using ipam_allocator_impl_actor =
    ipam_allocator_actor::extend<caf::reacts_to<ipam_election_tick>,
                                 caf::reacts_to<ipam_retry_tick>, caf::reacts_to<ipam_object>,
                                 caf::reacts_to<ipam_synced>>;

/// A writer (detached, inside actors/ipam_allocator): one blocking PATCH at a time.
using ipam_writer_actor = caf::typed_actor<caf::replies_to<ipam_write>::with<ipam_write_done>>;

/// The feed (detached, inside actors/ipam_allocator): owns the watch threads.
using ipam_feed_actor = child_actor;

} // namespace kvip::msg
