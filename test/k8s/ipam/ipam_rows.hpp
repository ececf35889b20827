// What the k8s/ipam tests share: address sets as text, and short constructors.
#pragma once

#include <string>

#include "k8s/ipam/address_set.hpp"

namespace kvip::k8s::ipam::testing {

/// "10.0.0.1-10.0.0.6,10.0.1.9" (single addresses without a dash); "" when empty.
inline std::string ranges_text(const address_set& s) {
  std::string out;
  for (auto& i : s.intervals()) {
    out += out.empty() ? "" : ",";
    out += from_number(s.family(), i.first).to_string();
    if (i.last != i.first) out += "-" + from_number(s.family(), i.last).to_string();
  }
  return out;
}

/// The address `text` (which must parse).
inline net::ip_address ip(const std::string& text) {
  return *net::ip_address::parse(text);
}

} // namespace kvip::k8s::ipam::testing
