// Value parsers of the configuration layer: Go-compatible booleans and
// durations, integers with ranges, address/name syntax checks, and the
// knob-specific parsers (address, subnet, lease annotations). The
// `bgp_peers` grammar is in config_bgp_peers.cpp. Pure functions; the knob
// table (config_knobs.cpp) binds them to settings fields.
#include "net/config/detail.hpp"
#include "net/number.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <limits>

namespace kvip::net::config::detail {

// -- scalars ------------------------------------------------------------------------

std::optional<bool> parse_bool(std::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") return true;
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False")
    return false;
  return std::nullopt;
}

std::optional<std::int64_t> parse_int(std::string_view s, std::int64_t lo, std::int64_t hi) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (!s.empty() && s.front() == '+') return std::nullopt;
  auto v = net::parse_integer<std::int64_t>(s);
  if (!v || *v < lo || *v > hi) return std::nullopt;
  return v;
}

namespace {

constexpr std::int64_t ns_per_ms = 1'000'000;
// Longest duration we accept: ~292 years would overflow; 100 years is plenty.
constexpr std::int64_t max_ns = std::int64_t{100} * 365 * 24 * 3600 * 1'000'000'000;

std::int64_t unit_ns(std::string_view u) {
  if (u == "ns") return 1;
  if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs") // us, micro sign, greek mu
    return 1'000;
  if (u == "ms") return ns_per_ms;
  if (u == "s") return 1'000'000'000;
  if (u == "m") return std::int64_t{60} * 1'000'000'000;
  if (u == "h") return std::int64_t{3600} * 1'000'000'000;
  return 0;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Go time.ParseDuration for non-negative values, in nanoseconds.
std::optional<std::int64_t> parse_go_duration(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  std::int64_t total = 0;
  while (!s.empty()) {
    size_t i = 0;
    std::int64_t whole = 0;
    bool digits = false;
    for (; i < s.size() && is_digit(s[i]); ++i, digits = true) {
      if (whole > max_ns / 10) return std::nullopt;
      whole = whole * 10 + (s[i] - '0');
    }
    std::string_view frac;
    if (i < s.size() && s[i] == '.') {
      size_t start = ++i;
      while (i < s.size() && is_digit(s[i]))
        ++i;
      frac = s.substr(start, i - start);
      digits = digits || !frac.empty();
    }
    if (!digits) return std::nullopt;
    size_t ustart = i;
    while (i < s.size() && !is_digit(s[i]) && s[i] != '.')
      ++i;
    auto unit = unit_ns(s.substr(ustart, i - ustart));
    if (unit == 0 || whole > max_ns / unit) return std::nullopt;
    std::int64_t value = whole * unit;
    std::int64_t scale = unit;
    for (char c : frac) {
      scale /= 10;
      value += (c - '0') * scale;
    }
    total += value;
    if (total > max_ns) return std::nullopt;
    s.remove_prefix(i);
  }
  return total;
}

} // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s,
                                                        std::chrono::milliseconds bare_unit) {
  if (!s.empty() && std::all_of(s.begin(), s.end(), is_digit)) {
    auto n = parse_int(s, 0, max_ns / ns_per_ms / bare_unit.count());
    if (!n) return std::nullopt;
    return bare_unit * *n;
  }
  auto ns = parse_go_duration(s);
  if (!ns || *ns % ns_per_ms != 0) return std::nullopt;
  return std::chrono::milliseconds{*ns / ns_per_ms};
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  if (ms < 1000) return out + std::to_string(ms) + "ms";
  auto h = ms / 3'600'000;
  auto m = ms / 60'000 % 60;
  auto s = ms / 1000 % 60;
  auto rest = ms % 1000;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  out += std::to_string(s);
  if (rest > 0) {
    auto frac = std::to_string(1000 + rest).substr(1); // zero-padded 3 digits
    while (frac.back() == '0')
      frac.pop_back();
    out += "." + frac;
  }
  return out + "s";
}

// -- names and addresses ---------------------------------------------------------

int ip_family(std::string_view s) {
  if (s.empty() || s.size() > 45) return 0;
  std::string str{s};
  unsigned char buf[16];
  if (inet_pton(AF_INET, str.c_str(), buf) == 1) return 4;
  if (inet_pton(AF_INET6, str.c_str(), buf) == 1) return 6;
  return 0;
}

bool is_cidr(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  int fam = ip_family(s.substr(0, slash));
  if (fam == 0) return false;
  return parse_int(s.substr(slash + 1), 0, fam == 4 ? 32 : 128).has_value() &&
         s[slash + 1] != '+' && s[slash + 1] != '-';
}

namespace {

bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || is_digit(c);
}

// Labels separated by '.', each 1..63 chars of `ok` plus inner '-'.
bool dotted_labels(std::string_view s, size_t max_total, bool (*ok)(char)) {
  if (s.empty() || s.size() > max_total) return false;
  for (auto& label : split(s, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label)
      if (!ok(c) && c != '-') return false;
  }
  return true;
}

} // namespace

bool is_dns_name(std::string_view s) {
  if (!dotted_labels(s, 253, is_alnum)) return false;
  // A numeric last label is a mistyped IPv4 address, never a host name.
  auto last = s.substr(s.rfind('.') == std::string_view::npos ? 0 : s.rfind('.') + 1);
  return !std::all_of(last.begin(), last.end(), is_digit);
}

bool is_dns_label(std::string_view s) {
  return s.find('.') == std::string_view::npos && dotted_labels(s, 63, is_lower_alnum);
}

bool is_dns_subdomain(std::string_view s) {
  return dotted_labels(s, 253, is_lower_alnum);
}

bool is_ifname(std::string_view s) {
  if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
  for (char c : s)
    if (c == '/' || c == ':' || c == '\0' || std::isspace(static_cast<unsigned char>(c)))
      return false;
  return true;
}

namespace {

// host[:port] / [v6][:port] / :port; `need_port` demands the port, whose
// smallest accepted value is `min_port`.
bool is_host_port(std::string_view s, bool need_port, bool allow_empty_host, int min_port = 1) {
  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos || ip_family(s.substr(1, close - 1)) != 6) return false;
    host = s.substr(1, close - 1);
    auto rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      has_port = true;
    }
  } else {
    auto colon = s.find(':');
    host = s.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = s.substr(colon + 1);
      has_port = true;
    }
    if (host.empty() ? !allow_empty_host : (ip_family(host) != 4 && !is_dns_name(host)))
      return false;
  }
  if (need_port && !has_port) return false;
  return !has_port || (!port.empty() && is_digit(port.front()) && parse_int(port, min_port, 65535));
}

} // namespace

bool is_listen_address(std::string_view s) {
  return is_host_port(s, true, true, 0);
}

bool is_http_url(std::string_view s) {
  std::string_view rest;
  if (s.substr(0, 7) == "http://")
    rest = s.substr(7);
  else if (s.substr(0, 8) == "https://")
    rest = s.substr(8);
  else
    return false;
  for (char c : rest)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '\0') return false;
  auto end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos)
    authority = authority.substr(at + 1);
  return !authority.empty() && is_host_port(authority, false, false);
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    auto pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

// -- knob-specific parsers ----------------------------------------------------------

bool is_lease_name(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return is_dns_subdomain(s);
  return is_dns_label(s.substr(0, slash)) && is_dns_subdomain(s.substr(slash + 1));
}
bool is_instance_name(std::string_view s) {
  return s.size() <= 243 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
         });
}

void parse_address(settings& s, const std::string& v, error_sink& e) {
  // kube-vip splits on commas and makes one VIP of every item: an IP literal
  // or a DNS name (dual stack is "IPv4,IPv6"); items are not trimmed.
  auto items = v.empty() ? std::vector<std::string>{} : split(v, ',');
  for (size_t i = 0; i < items.size(); ++i) {
    auto tag = "[" + std::to_string(i) + "]";
    if (ip_family(items[i]) == 0 && !is_dns_name(items[i]))
      e.fail_part(tag, items[i], "an IPv4/IPv6 address or a DNS name (comma-separated list)");
    else if (std::find(items.begin(), items.begin() + static_cast<long>(i), items[i]) !=
             items.begin() + static_cast<long>(i))
      e.fail_part(tag, items[i], "each address once");
  }
  if (e.ok()) s.address = std::move(items);
}

void parse_subnet(settings& s, const std::string& v, error_sink& e) {
  if (!v.empty())
    for (auto& item : split(v, ','))
      if (item != "auto" && !parse_int(item, 0, 128))
        return e.fail("comma-separated prefix lengths (0-32 IPv4, 0-128 IPv6) or auto");
  s.vip_subnet_text = v;
}

void parse_annotations(settings& s, const std::string& v, error_sink& e) {
  std::map<std::string, std::string> out;
  if (!v.empty()) {
    boost::system::error_code ec;
    auto json = boost::json::parse(v, ec);
    if (ec || !json.is_object())
      return e.fail("a JSON object of string values, e.g. {\"owner\":\"ops\"}");
    for (auto& [key, val] : json.as_object()) {
      if (!val.is_string())
        return e.fail("a JSON object of string values (\"" + std::string{key} +
                      "\" is not a string)");
      out.emplace(std::string{key}, std::string{val.as_string()});
    }
  }
  s.lease_annotations = std::move(out);
}

} // namespace kvip::net::config::detail
