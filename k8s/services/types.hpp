// Vocabulary of the Service model (k8s/services/): address families, port
// protocols and the error every parser of this folder returns.
//
// The folder is the pure interpretation of Services and their endpoints: no
// actors, no I/O. Every function takes parsed or raw objects and returns values;
// bad input is an error naming the field and the value, never an exception.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "k8s/result.hpp"
#include "net/ip.hpp"

namespace kvip::k8s::services {

using ip_family = net::ip_address::family_t;

/// "IPv4" / "IPv6" (the spelling of spec.ipFamilies and EndpointSlice addressType).
const char* to_string(ip_family f);

/// A port protocol of a Service (spec.ports[].protocol).
enum class protocol : std::uint8_t { tcp, udp, sctp };

/// "TCP", "UDP", "SCTP".
const char* to_string(protocol p);

/// Parses "TCP"/"UDP"/"SCTP"; `any_case` also accepts "tcp" etc. (egress annotations).
std::optional<protocol> parse_protocol(std::string_view s, bool any_case = false);

/// One port of a Service as sharing compares them: protocol and number.
struct port_key {
  protocol proto = protocol::tcp;
  std::uint16_t port = 0;
  friend auto operator<=>(const port_key&, const port_key&) = default;
};

/// "TCP/80".
std::string to_string(const port_key& p);

/// True for 0.0.0.0 and :: (kube-vip's "obtain this address by DHCP").
bool is_unspecified(const net::ip_address& a);

/// The error of this folder: kind `invalid`, message "<field>: <problem>".
inline error invalid(const std::string& field, const std::string& problem) {
  return make_error(error_kind::invalid, field + ": " + problem);
}

/// `s` as a JSON string literal, for messages ("\"10.0.0.300\"").
std::string quote(std::string_view s);

} // namespace kvip::k8s::services
