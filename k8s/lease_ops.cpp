#include "k8s/lease_ops.hpp"

namespace kvip::k8s {

result<lease> get_lease(client& c, const std::string& ns, const std::string& name) {
  auto r = c.get(resources::leases, ns, name);
  if (!r) return r.err();
  return lease(std::move(*r));
}

result<lease> create_lease(client& c, const lease& l) {
  if (!l.resource_version().empty())
    return make_error(error_kind::invalid, "create_lease: resourceVersion must be empty");
  auto r = c.create(resources::leases, l.namespace_name(), l.raw());
  if (!r) return r.err();
  return lease(std::move(*r));
}

result<lease> update_lease(client& c, const lease& l) {
  if (l.resource_version().empty())
    return make_error(error_kind::invalid,
                      "update_lease: resourceVersion is required for a compare-and-swap");
  auto r = c.update(resources::leases, l.namespace_name(), l.raw());
  if (!r) return r.err();
  return lease(std::move(*r));
}

} // namespace kvip::k8s
