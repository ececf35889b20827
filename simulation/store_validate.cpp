// The store's step between a write's request and its commit: defaulting
// (defaults.cpp) with the allocator told what other Services hold, then
// validation (validation.cpp) of the defaulted object against the old one.
#include "simulation/store.hpp"
#include "simulation/validation.hpp"

namespace kvip::sim {

std::optional<api_error> store::prepare_locked(const resource_info& res, const std::string& k,
                                               const boost::json::object* old,
                                               boost::json::object& obj) {
  validation_context ctx;
  if (res.kind == "Service") {
    if (const auto* b = find_bucket(res)) {
      for (const auto& [other, o] : *b)
        if (other != k) note_service_allocations(o->obj, ctx);
    }
  }
  alloc_.taken_node_ports = ctx.node_ports;
  alloc_.taken_cluster_ips = ctx.cluster_ips;
  auto defaulted =
      old == nullptr ? prepare_create(res, obj, alloc_) : prepare_update(res, *old, obj, alloc_);
  if (defaulted) return defaulted;
  return validate_object(res, old, obj, ctx);
}

} // namespace kvip::sim
