// The `bgp_peers` grammar (reference/kube-vip-behaviour.md §1.9):
//   addr:AS[:password[:multihop[:port[:mpbgp_k=v;...[:bfd_en;rx;tx;mult]]]]]
// comma separated, IPv6 addresses in [], `unnumbered:<iface>:<AS>[:...]` for
// IPv6 link-local peers; MP-BGP IPv6 next hops are written in [] too. Each bad entry is reported
// with its index and the field that is wrong. Unlike kube-vip, the port is used (default 179 for
// every peer) and BFD fields may be left empty to keep their defaults.
#include "net/config/detail.hpp"

#include <limits>
#include <optional>

#include "net/result.hpp"

namespace kvip::net::config::detail {

namespace {

constexpr std::int64_t max_u32 = std::numeric_limits<std::uint32_t>::max();
constexpr const char* peer_syntax =
    "addr:AS[:password[:multihop[:port[:mpbgp_k=v;...[:bfd_en;rx;tx;mult]]]]], IPv6 addr in [], "
    "or unnumbered:<iface>:<AS>[:...]";

// "[x]" -> "x"; anything else unchanged.
std::string unbracket(const std::string& s) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') return s.substr(1, s.size() - 2);
  return s;
}

std::optional<mpbgp_nexthop> parse_nexthop(std::string_view s) {
  if (s.empty()) return mpbgp_nexthop::none;
  if (s == "fixed") return mpbgp_nexthop::fixed;
  if (s == "auto_sourceip") return mpbgp_nexthop::auto_sourceip;
  if (s == "auto_sourceif") return mpbgp_nexthop::auto_sourceif;
  return std::nullopt;
}

// Parses fields[1..] (AS onwards) into `p`; the error says what is wrong.
net::result<void> parse_peer_fields(const std::vector<std::string>& f, bgp_peer& p) {
  auto got = [](const std::string& v) { return " (got \"" + v + "\")"; };
  if (f.size() < 2) return net::make_error("AS field missing: " + std::string{peer_syntax});
  if (f.size() > 7)
    return net::make_error("at most 7 ':'-separated fields: " + std::string{peer_syntax});
  auto asn = parse_int(f[1], 1, max_u32);
  if (!asn) return net::make_error("AS field: an integer 1..4294967295" + got(f[1]));
  p.asn = static_cast<std::uint32_t>(*asn);
  if (f.size() > 2) p.password = f[2];
  if (f.size() > 3 && !f[3].empty()) {
    auto mh = parse_bool(f[3]);
    if (!mh) return net::make_error("multihop field: a boolean (true/false)" + got(f[3]));
    p.multihop = *mh;
  }
  if (f.size() > 4 && !f[4].empty()) {
    auto port = parse_int(f[4], 1, 65535);
    if (!port) return net::make_error("port field: an integer 1..65535" + got(f[4]));
    p.port = static_cast<std::uint16_t>(*port);
  }
  if (f.size() > 5 && !f[5].empty()) {
    for (auto& kv : split(f[5], ';')) {
      if (kv.empty()) continue;
      auto eq = kv.find('=');
      auto k = kv.substr(0, eq);
      auto v = eq == std::string::npos ? std::string{} : unbracket(kv.substr(eq + 1));
      if (eq == std::string::npos)
        return net::make_error("mpbgp field: key=value pairs separated by ';'" + got(kv));
      if (k == "mpbgp_nexthop") {
        auto nh = parse_nexthop(v);
        if (!nh)
          return net::make_error(
              "mpbgp field: mpbgp_nexthop one of fixed, auto_sourceip, auto_sourceif" + got(v));
        p.mpbgp.nexthop = *nh;
      } else if (k == "mpbgp_ipv4") {
        if (!v.empty() && ip_family(v) != 4)
          return net::make_error("mpbgp field: mpbgp_ipv4 an IPv4 address" + got(v));
        p.mpbgp.ipv4 = v;
      } else if (k == "mpbgp_ipv6") {
        if (!v.empty() && ip_family(v) != 6)
          return net::make_error("mpbgp field: mpbgp_ipv6 an IPv6 address" + got(v));
        p.mpbgp.ipv6 = v;
      } else {
        return net::make_error("mpbgp field: keys mpbgp_nexthop, mpbgp_ipv4, mpbgp_ipv6" + got(k));
      }
    }
  }
  if (f.size() > 6 && !f[6].empty()) {
    auto b = split(f[6], ';');
    const std::string bfd_form = "bfd field: enabled;rx_ms;tx_ms;multiplier";
    if (b.size() != 4) return net::make_error(bfd_form + got(f[6]));
    auto en = parse_bool(b[0]);
    if (!en) return net::make_error(bfd_form + ", enabled a boolean" + got(b[0]));
    p.bfd.enabled = *en;
    for (int i = 1; i <= 2; ++i) {
      if (b[i].empty()) continue;
      auto v = parse_int(b[i], 1, max_u32);
      if (!v) return net::make_error(bfd_form + ", intervals 1..4294967295 ms" + got(b[i]));
      (i == 1 ? p.bfd.rx : p.bfd.tx) = std::chrono::milliseconds{*v};
    }
    if (!b[3].empty()) {
      auto m = parse_int(b[3], 1, 255);
      if (!m) return net::make_error(bfd_form + ", multiplier 1..255" + got(b[3]));
      p.bfd.multiplier = static_cast<int>(*m);
    }
  }
  return net::ok();
}

// Splits on ':' outside [...]; nullopt when a '[' is never closed.
std::optional<std::vector<std::string>> split_fields(std::string_view s) {
  std::vector<std::string> out(1);
  int depth = 0;
  for (char c : s) {
    if (c == '[')
      ++depth;
    else if (c == ']' && depth > 0)
      --depth;
    if (c == ':' && depth == 0)
      out.emplace_back();
    else
      out.back() += c;
  }
  if (depth != 0) return std::nullopt;
  return out;
}

// One peer entry; the error says what is wrong.
net::result<bgp_peer> parse_peer(const std::string& entry) {
  bgp_peer p;
  auto fields = split_fields(entry);
  if (!fields) return net::make_error("address: an IPv6 address in [], missing ']'");
  auto& f = *fields;
  if (f[0] == "unnumbered") {
    f.erase(f.begin());
    p.interface = f.empty() ? std::string{} : f[0];
    if (!is_ifname(p.interface))
      return net::make_error(
          "unnumbered interface: an interface name (1-15 bytes, no '/', ':' or space) (got \"" +
          p.interface + "\")");
  } else if (!f[0].empty() && f[0].front() == '[') {
    if (f[0].back() != ']')
      return net::make_error("address: [IPv6] followed by ':AS' (got \"" + f[0] + "\")");
    p.address = unbracket(f[0]);
    if (ip_family(p.address) != 6)
      return net::make_error("address: an IPv6 address inside [] (got \"" + p.address + "\")");
  } else {
    p.address = f[0];
    if (ip_family(p.address) != 4)
      return net::make_error(
          "address: an IPv4 address, an IPv6 address in [], or unnumbered:<iface> (got \"" +
          p.address + "\")");
  }
  if (auto fields_ok = parse_peer_fields(f, p); !fields_ok) return fields_ok.err();
  return p;
}

} // namespace

std::vector<bgp_peer> parse_bgp_peers(const std::string& value, error_sink& errors) {
  std::vector<bgp_peer> peers;
  size_t index = 0; // among non-empty entries
  for (auto& entry : split(value, ',')) {
    if (entry.empty()) continue; // "a,,b" or a trailing comma: nothing to configure
    auto peer = parse_peer(entry);
    if (peer)
      peers.push_back(std::move(*peer));
    else
      errors.fail_part("[" + std::to_string(index) + "]", entry, peer.err().message);
    ++index;
  }
  return peers;
}

} // namespace kvip::net::config::detail
