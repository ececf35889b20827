// `kvip_gossip_peers`: a comma list of `host`, `host:port` or `[IPv6]:port`.
// A host is an IP literal or a DNS name; an IPv6 literal is written bare when
// it has no port and in brackets when it has one (`fd00::1:7947` would be
// ambiguous). A missing port means the cluster's `kvip_gossip_port`.
#include "net/config/detail.hpp"

namespace kvip::net::config::detail {

namespace {

const char* const peer_expected =
    "host, host:port or [IPv6]:port: an IP address or DNS name, port 1..65535 (an IPv6 address "
    "with a port goes in brackets)";

bool is_host(std::string_view h) {
  return ip_family(h) == 4 || (ip_family(h) == 0 && is_dns_name(h));
}

// The port after "host:", or nullopt.
std::optional<std::uint16_t> port_of(std::string_view text) {
  auto n = parse_int(text, 1, 65535);
  if (!n) return std::nullopt;
  return static_cast<std::uint16_t>(*n);
}

std::optional<gossip_peer> parse_peer(std::string_view item) {
  if (item.empty()) return std::nullopt;
  if (item.front() == '[') {
    auto close = item.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    auto host = item.substr(1, close - 1);
    auto rest = item.substr(close + 1);
    if (ip_family(host) != 6 || rest.size() < 2 || rest.front() != ':') return std::nullopt;
    auto port = port_of(rest.substr(1));
    if (!port) return std::nullopt;
    return gossip_peer{std::string{host}, *port};
  }
  if (ip_family(item) == 6) return gossip_peer{std::string{item}, 0};
  auto colon = item.find(':');
  if (colon == std::string_view::npos)
    return is_host(item) ? std::optional{gossip_peer{std::string{item}, 0}} : std::nullopt;
  auto host = item.substr(0, colon);
  auto port = port_of(item.substr(colon + 1));
  if (!is_host(host) || !port) return std::nullopt;
  return gossip_peer{std::string{host}, *port};
}

} // namespace

std::vector<gossip_peer> parse_gossip_peers(const std::string& value, error_sink& errors) {
  std::vector<gossip_peer> peers;
  if (value.empty()) return peers; // peers come from the Node objects
  auto items = split(value, ',');
  for (size_t i = 0; i < items.size(); ++i) {
    if (auto peer = parse_peer(items[i]))
      peers.push_back(std::move(*peer));
    else
      errors.fail_part("[" + std::to_string(i) + "]", items[i], peer_expected);
  }
  return peers;
}

} // namespace kvip::net::config::detail
