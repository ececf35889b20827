#include "k8s/services/types.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

namespace kvip::k8s::services {

const char* to_string(ip_family f) {
  return f == ip_family::v4 ? "IPv4" : "IPv6";
}

const char* to_string(protocol p) {
  switch (p) {
  case protocol::tcp:
    return "TCP";
  case protocol::udp:
    return "UDP";
  case protocol::sctp:
    return "SCTP";
  }
  return "?";
}

std::optional<protocol> parse_protocol(std::string_view s, bool any_case) {
  std::string up(s);
  if (any_case)
    std::transform(up.begin(), up.end(), up.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (up == "TCP") return protocol::tcp;
  if (up == "UDP") return protocol::udp;
  if (up == "SCTP") return protocol::sctp;
  return std::nullopt;
}

std::string to_string(const port_key& p) {
  return std::string(to_string(p.proto)) + "/" + std::to_string(p.port);
}

bool is_unspecified(const net::ip_address& a) {
  return std::all_of(a.bytes.begin(), a.bytes.begin() + static_cast<long>(a.size()),
                     [](std::uint8_t b) { return b == 0; });
}

std::string quote(std::string_view s) {
  return boost::json::serialize(boost::json::value(boost::json::string_view(s.data(), s.size())));
}

} // namespace kvip::k8s::services
