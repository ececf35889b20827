#pragma once
// Lease election messages.
//
// Producers → consumers:
//   lease_elector   → k8s_io          : lease_get, lease_write (replies: lease_reply)
//   any actor       → k8s_io          : event_report (no reply)
//   health_checker  → lease_elector   : health_status
// (The elector's and the health checker's timers are internal messages of
// their implementations, not part of these interfaces.)

#include <cstdint>
#include <string>
#include <vector>

#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "k8s/result.hpp"
#include "messages/announce.hpp"
#include "messages/supervision.hpp"
#include "messages/traced.hpp"

namespace kvip::msg {

/// Read the Lease ns/name.
struct lease_get : traced {
  static constexpr const char* name = "lease_get";
  std::string ns;
  std::string lease;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_get& x) {
  return f(caf::meta::type_name(lease_get::name), x.ns, x.lease);
}

/// Create (POST) or update (PUT with its resourceVersion) a Lease object,
/// given as serialized JSON so fields kvip does not understand survive.
struct lease_write : traced {
  static constexpr const char* name = "lease_write";
  bool create = false;
  std::string object_json;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_write& x) {
  return f(caf::meta::type_name(lease_write::name), x.create, x.object_json);
}

/// Answer to lease_get / lease_write: the Lease, or the API error exactly as
/// the client classified it (k8s/result.hpp). A request that k8s_io never
/// answers is not a lease_reply: the caller's request times out.
struct lease_reply : traced {
  static constexpr const char* name = "lease_reply";
  bool ok = false;
  std::string object_json;                            ///< the Lease as read or written (ok)
  k8s::error_kind error = k8s::error_kind::transport; ///< what failed (!ok)
  int http_status = 0;                                ///< 0 when no response arrived (!ok)
  std::string error_text;                             ///< k8s::error::describe() (!ok)
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_reply& x) {
  return f(caf::meta::type_name(lease_reply::name), x.ok, x.error, x.http_status, x.error_text);
}

/// List the Leases of `ns` with a label selector (the gossip actor checks
/// every VIP Lease with one request, whatever the number of VIPs).
struct lease_list : traced {
  static constexpr const char* name = "lease_list";
  std::string ns;
  std::string label_selector;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_list& x) {
  return f(caf::meta::type_name(lease_list::name), x.ns, x.label_selector);
}

/// Answer to lease_list: every Lease, serialized, or the error.
struct lease_list_reply : traced {
  static constexpr const char* name = "lease_list_reply";
  bool ok = false;
  std::vector<std::string> objects_json;
  std::string error_text;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_list_reply& x) {
  return f(caf::meta::type_name(lease_list_reply::name), x.ok, x.error_text);
}

/// A Kubernetes Event to record (Warning or Normal) about an object.
struct event_report : traced {
  static constexpr const char* name = "event_report";
  std::string type = "Warning";
  std::string reason;
  std::string message;
  std::string api_version; ///< of the involved object
  std::string kind;
  std::string ns;
  std::string object;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_report& x) {
  return f(caf::meta::type_name(event_report::name), x.type, x.reason, x.message, x.kind, x.ns,
           x.object);
}

/// Whether the local control plane is healthy (sent on every change).
struct health_status : traced {
  static constexpr const char* name = "health_status";
  bool healthy = true;
  std::string detail;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, health_status& x) {
  return f(caf::meta::type_name(health_status::name), x.healthy, x.detail);
}

// --- typed interfaces -------------------------------------------------------

/// k8s_io / k8s_events (actors/k8s_io): Kubernetes API calls for the others.
using k8s_io_actor =
    child_actor::extend<caf::replies_to<lease_get>::with<lease_reply>,
                        caf::replies_to<lease_write>::with<lease_reply>,
                        caf::replies_to<lease_list>::with<lease_list_reply>,
                        caf::reacts_to<event_report>, caf::reacts_to<vip_conflict>>;

/// The elector (actors/lease_elector): takes health reports.
using elector_actor = child_actor::extend<caf::reacts_to<health_status>>;

/// The health checker (actors/health_checker): only the child protocol; it
/// reports to the elector.
using health_actor = child_actor;

} // namespace kvip::msg
