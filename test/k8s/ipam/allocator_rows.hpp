// Short constructors for the allocator tests: requests, holdings, results as text.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "k8s/ipam/allocator.hpp"
#include "test/k8s/ipam/ipam_rows.hpp"

namespace kvip::k8s::ipam::testing {

using data_t = std::map<std::string, std::string>;

/// A request for Service ns/name.
inline request req(const std::string& ns, const std::string& name,
                   std::vector<ip_family> families = {},
                   family_policy policy = family_policy::single_stack,
                   std::vector<port_id> ports = {}) {
  return request{{ns, name}, std::move(families), policy, std::move(ports)};
}

/// Service ns/name holding `addresses` with `ports`.
inline holding hold(const std::string& ns, const std::string& name,
                    const std::vector<std::string>& addresses, std::vector<port_id> ports = {}) {
  holding h{{ns, name}, {}, std::move(ports)};
  for (auto& a : addresses)
    h.addresses.push_back(ip(a));
  return h;
}

/// The addresses of an allocation ("10.0.0.1,fd00::1"), or "error: <message>".
inline std::string text(const net::result<allocation, alloc_error>& r) {
  if (!r) return "error: " + r.err().message;
  std::string out;
  for (auto& a : r->addresses)
    out += (out.empty() ? "" : ",") + a.to_string();
  return out;
}

} // namespace kvip::k8s::ipam::testing
