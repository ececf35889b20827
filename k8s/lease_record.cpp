#include "k8s/lease_record.hpp"

namespace kvip::k8s::election {

record to_record(const lease& l) {
  record r;
  r.holder = l.holder_identity().value_or("");
  r.lease_duration_s = static_cast<int>(l.lease_duration_seconds().value_or(0));
  r.acquire_time = l.acquire_time();
  r.renew_time = l.renew_time();
  r.transitions = static_cast<int>(l.lease_transitions());
  return r;
}

void write_record(lease& l, const record& r,
                  const std::map<std::string, std::string>& annotations) {
  l.set_holder_identity(r.holder);
  l.set_lease_duration_seconds(r.lease_duration_s);
  if (r.acquire_time) l.set_acquire_time(*r.acquire_time);
  if (r.renew_time) l.set_renew_time(*r.renew_time);
  l.set_lease_transitions(r.transitions);
  for (const auto& [k, v] : annotations)
    l.set_annotation(k, v);
}

} // namespace kvip::k8s::election
