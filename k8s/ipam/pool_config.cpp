#include "k8s/ipam/pool_config.hpp"
#include "net/file.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

namespace kvip::k8s::ipam {

namespace {

constexpr std::string_view search_order_key = "search-order";
constexpr std::string_view skip_end_key = "skip-end-ips-in-cidr";

enum class key_kind { cidr, range, allow_share, interface, search_order, skip_end, unknown };

struct key_form {
  key_kind kind = key_kind::unknown;
  std::string scope;
};

using net::trim; // net/file.hpp

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

/// A namespace name (RFC 1123 label: 1-63 of [a-z0-9-], alphanumeric at both ends).
bool is_namespace_name(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

/// An interface name (1-15 bytes, no '/', ':' or whitespace) or `auto`.
bool is_interface_name(std::string_view s) {
  if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    return c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c));
  });
}

key_form classify(std::string_view key) {
  if (key == search_order_key) return {key_kind::search_order, {}};
  if (key == skip_end_key) return {key_kind::skip_end, {}};
  static const std::pair<std::string_view, key_kind> prefixes[] = {
      {"cidr-", key_kind::cidr},
      {"range-", key_kind::range},
      {"allow-share-", key_kind::allow_share},
      {"interface-", key_kind::interface},
  };
  for (auto& [prefix, kind] : prefixes)
    if (key.starts_with(prefix)) return {kind, std::string(key.substr(prefix.size()))};
  return {};
}

/// The allocatable part of one entry [first, last] of `family`: the IPv4 edge rules
/// of the header comment, and never the unspecified address.
struct entry_range {
  ip_family family;
  u128 first;
  u128 last;
};

bool ends_in_0_or_255(u128 n) {
  auto low = static_cast<unsigned>(n & 0xff);
  return low == 0 || low == 255;
}

void trim_ipv4_edges(entry_range& r) {
  if (r.family != ip_family::v4 || r.last - r.first < 2) return;
  while (r.first < r.last && ends_in_0_or_255(r.first))
    ++r.first;
  while (r.last > r.first && ends_in_0_or_255(r.last))
    --r.last;
}

std::optional<entry_range> parse_cidr(std::string_view text, bool skip_end, std::string& why) {
  if (text.find('/') == std::string_view::npos) {
    why = "is not a CIDR (address/prefix-length)";
    return std::nullopt;
  }
  auto p = net::ip_prefix::parse(text);
  if (!p) {
    why = "is not a CIDR (address/prefix-length)";
    return std::nullopt;
  }
  int host_bits = p->address.max_prefix() - p->length;
  u128 host = host_bits >= 128 ? ~u128{0} : (u128{1} << host_bits) - 1;
  u128 first = to_number(p->address) & ~host;
  entry_range r{p->address.family, first, first | host};
  if (skip_end && r.family == ip_family::v4 && p->length <= 30) {
    ++r.first;
    --r.last;
  }
  trim_ipv4_edges(r);
  return r;
}

std::optional<entry_range> parse_range(std::string_view text, std::string& why) {
  auto dash = text.find('-');
  if (dash == std::string_view::npos || text.find('-', dash + 1) != std::string_view::npos) {
    why = "is not a range (start-end)";
    return std::nullopt;
  }
  auto start = net::ip_address::parse(trim(text.substr(0, dash)));
  auto end = net::ip_address::parse(trim(text.substr(dash + 1)));
  if (!start || !end) {
    why = "is not a range (start-end of two IP addresses)";
    return std::nullopt;
  }
  if (start->family != end->family) {
    why = "mixes IPv4 and IPv6";
    return std::nullopt;
  }
  if (to_number(*end) < to_number(*start)) {
    why = "ends before it starts";
    return std::nullopt;
  }
  entry_range r{start->family, to_number(*start), to_number(*end)};
  trim_ipv4_edges(r);
  return r;
}

std::vector<std::string_view> split_commas(std::string_view value) {
  std::vector<std::string_view> out;
  for (std::size_t pos = 0;;) {
    auto comma = value.find(',', pos);
    out.push_back(trim(value.substr(pos, comma - pos)));
    if (comma == std::string_view::npos) return out;
    pos = comma + 1;
  }
}

class parser {
public:
  explicit parser(pool_config& c) : c_(c) {}

  /// `key: "value" why`.
  void problem(std::string_view key, std::string_view value, std::string_view why) {
    c_.problems.push_back({std::string(key), std::string(value),
                           std::string(key) + ": " + quoted(value) + " " + std::string(why)});
  }

  void unknown_key(const std::string& key, const std::string& value) {
    c_.problems.push_back({key, value,
                           quoted(key) + " is not a key of the pool ConfigMap (cidr-, range-, "
                                         "allow-share-, interface-<namespace|global>, "
                                         "search-order, skip-end-ips-in-cidr); ignored"});
  }

  void global_key(const std::string& key, const std::string& raw, key_kind kind) {
    auto value = trim(raw);
    if (kind == key_kind::search_order) {
      if (value == "desc") {
        c_.order = search_order::descending;
      } else if (!value.empty() && value != "asc") {
        problem(key, raw, "is not a search order (asc or desc); using asc");
      }
    } else if (auto b = parse_bool(value)) {
      c_.skip_end_ips = *b;
    } else {
      problem(key, raw, "is not a boolean (true or false); using false");
    }
  }

  void scoped_key(const std::string& key, const std::string& raw, const key_form& f) {
    if (f.scope != global_scope && !is_namespace_name(f.scope)) {
      problem(key, f.scope, "is not a namespace name (nor \"global\"); key ignored");
      return;
    }
    auto value = trim(raw);
    if (f.kind == key_kind::allow_share) {
      auto b = parse_bool(value);
      if (!b) problem(key, raw, "is not a boolean (true or false); using false");
      c_.allow_share[f.scope] = b.value_or(false);
    } else if (f.kind == key_kind::interface) {
      if (is_interface_name(value) || value.empty()) {
        if (!value.empty()) c_.interfaces[f.scope] = std::string(value);
      } else {
        problem(key, raw, "is not an interface name (1-15 bytes, no '/', ':' or space)");
      }
    } else {
      pool_key(key, value, f);
    }
  }

private:
  void pool_key(const std::string& key, std::string_view value, const key_form& f) {
    auto& pool = c_.pools[f.scope];
    pool.scope = f.scope;
    pool.keys.push_back(key);
    if (value.empty()) {
      problem(key, value, "lists no addresses");
      return;
    }
    auto entries = split_commas(value);
    if (f.kind == key_kind::cidr && entries.size() == 1 && entries[0] == "0.0.0.0/32") {
      pool.dhcp = true;
      return;
    }
    std::string v4_list, v6_list;
    for (auto entry : entries) {
      std::string why;
      if (entry.empty()) {
        problem(key, value, "has an empty entry (two commas, or a comma at an end)");
        continue;
      }
      if (f.kind == key_kind::cidr && entry == "0.0.0.0/32") {
        problem(key, entry, "(DHCP) must be the only entry of its key; entry ignored");
        continue;
      }
      auto r = f.kind == key_kind::cidr ? parse_cidr(entry, c_.skip_end_ips, why)
                                        : parse_range(entry, why);
      if (!r) {
        problem(key, entry, why + "; entry ignored");
        continue;
      }
      auto& fp = r->family == ip_family::v4 ? pool.v4 : pool.v6;
      fp.addresses.add(r->first, r->last);
      fp.addresses.remove(0); // 0.0.0.0 / :: mean DHCP to kube-vip
      auto& list = r->family == ip_family::v4 ? v4_list : v6_list;
      list += (list.empty() ? "" : ",") + std::string(entry);
    }
    if (!v4_list.empty()) pool.v4.sources.push_back(key + " " + v4_list);
    if (!v6_list.empty()) pool.v6.sources.push_back(key + " " + v6_list);
  }

  pool_config& c_;
};

template <class Map>
typename Map::mapped_type lookup(const Map& m, std::string_view ns,
                                 typename Map::mapped_type fallback) {
  if (auto it = m.find(ns); it != m.end()) return it->second;
  if (auto it = m.find(global_scope); it != m.end()) return it->second;
  return fallback;
}

} // namespace

std::optional<bool> parse_bool(std::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") return true;
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False")
    return false;
  return std::nullopt;
}

std::string family_pool::describe() const {
  std::string out;
  for (auto& s : sources)
    out += (out.empty() ? "" : " + ") + s;
  return out;
}

std::string scope_pool::key_names() const {
  std::string out;
  for (auto& k : keys)
    out += (out.empty() ? "" : "/") + k;
  return out;
}

const scope_pool* pool_config::pool_for(std::string_view ns) const {
  if (auto it = pools.find(ns); it != pools.end()) return &it->second;
  if (auto it = pools.find(global_scope); it != pools.end()) return &it->second;
  return nullptr;
}

bool pool_config::allow_share_for(std::string_view ns) const {
  return lookup(allow_share, ns, false);
}

std::string pool_config::interface_for(std::string_view ns) const {
  return lookup(interfaces, ns, "");
}

pool_config parse_pool_config(const std::map<std::string, std::string>& data) {
  pool_config c;
  parser p(c);
  // The global keys first: skip-end-ips-in-cidr changes how CIDRs read.
  for (auto& [key, value] : data) {
    auto f = classify(key);
    if (f.kind == key_kind::search_order || f.kind == key_kind::skip_end)
      p.global_key(key, value, f.kind);
  }
  // std::map: cidr-<scope> comes before range-<scope>, so a scope lists its keys in that order.
  for (auto& [key, value] : data) {
    auto f = classify(key);
    if (f.kind == key_kind::unknown) {
      p.unknown_key(key, value);
    } else if (f.kind != key_kind::search_order && f.kind != key_kind::skip_end) {
      p.scoped_key(key, value, f);
    }
  }
  std::stable_sort(c.problems.begin(), c.problems.end(),
                   [](const key_problem& a, const key_problem& b) { return a.key < b.key; });
  return c;
}

pool_config parse_pool_config(const boost::json::object& data) {
  std::map<std::string, std::string> strings;
  std::vector<key_problem> bad;
  for (auto& [key, value] : data) {
    if (auto* s = value.if_string()) {
      strings.emplace(std::string(key), std::string(*s));
    } else {
      auto text = boost::json::serialize(value);
      bad.push_back({std::string(key), text,
                     std::string(key) + ": " + text + " is not a string; key ignored"});
    }
  }
  auto c = parse_pool_config(strings);
  c.problems.insert(c.problems.end(), bad.begin(), bad.end());
  std::stable_sort(c.problems.begin(), c.problems.end(),
                   [](const key_problem& a, const key_problem& b) { return a.key < b.key; });
  return c;
}

} // namespace kvip::k8s::ipam
