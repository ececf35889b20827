// Internals of the configuration layer shared by config_knobs.cpp,
// config_load.cpp, config_parse.cpp and config_validate.cpp: the knob row type
// (public knob_info + how the value is parsed) and the value parsers. Not part
// of the public API; unit tests may include it.
#pragma once

#include "net/config/config.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvip::net::config::detail {

// -- parse errors -----------------------------------------------------------------

/// Collects what is wrong with one knob's value. `suffix` refines the knob name
/// (e.g. "[2]" for the third `bgp_peers` entry); the loader prefixes the knob.
class error_sink {
public:
  explicit error_sink(std::string raw) : raw_(std::move(raw)) {}

  /// Reports the whole value as wrong.
  void fail(std::string expected) { items_.push_back({"", raw_, std::move(expected)}); }

  /// Reports a part of the value (`suffix` appended to the key) as wrong.
  void fail_part(std::string suffix, std::string value, std::string expected) {
    items_.push_back({std::move(suffix), std::move(value), std::move(expected)});
  }

  /// True when nothing was reported.
  bool ok() const { return items_.empty(); }

  /// The reports; `problem::key` holds only the suffix.
  const std::vector<problem>& items() const { return items_; }

private:
  std::string raw_;
  std::vector<problem> items_;
};

/// Parses a raw value into the settings, reporting errors to the sink.
using apply_fn = std::function<void(settings&, const std::string&, error_sink&)>;

/// Status of a row in the knob table.
enum class knob_status {
  active,     ///< parsed into settings
  ignored,    ///< kube-vip parses it but it has no effect: warn when set
  deprecated, ///< alias of another knob: warn and set that knob
};

/// One row of the knob table.
struct knob_row {
  knob_info info;                           ///< names, default and help
  knob_status status = knob_status::active; ///< see knob_status
  std::string env_alt;                      ///< second accepted env spelling ("" = none)
  bool env_empty_is_value = false;          ///< an empty env var sets "" instead of meaning unset
  apply_fn apply;                           ///< parser (null for ignored rows)
};

/// The rows, in table order.
const std::vector<knob_row>& knob_rows();

/// The rows of the IPAM allocator's knobs (ipam_knobs.cpp), last in the table.
std::vector<knob_row> ipam_rows();

/// The canonical name of a row: env name, or the flag name for flag-only knobs.
const std::string& canonical_name(const knob_row&);

/// A config-file key taken from kube-vip's own config struct (file_keys.cpp).
struct file_key {
  std::string_view yaml;    ///< the YAML name (`enableARP`)
  std::string_view knob;    ///< canonical name of the knob it sets; "" = not supported
  std::string_view instead; ///< unsupported keys: what to write instead
};

/// kube-vip's YAML names, in struct order.
const std::vector<file_key>& kube_vip_file_keys();

// -- value parsers (config_parse.cpp) ----------------------------------------------

/// Go strconv.ParseBool.
std::optional<bool> parse_bool(std::string_view);

/// Base-10 integer (optional sign) within [lo, hi].
std::optional<std::int64_t> parse_int(std::string_view, std::int64_t lo, std::int64_t hi);

/// Bare non-negative integer in `bare_unit`, or a Go duration string ("1m30s",
/// "1.5s", "1500ms"); must be >= 0 and a whole number of milliseconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view,
                                                        std::chrono::milliseconds bare_unit);

/// Formats a duration the Go way ("1m30s", "1.5s", "0s").
std::string format_duration(std::chrono::milliseconds);

/// Address family of an IP literal: 4, 6, or 0 when not an IP literal.
int ip_family(std::string_view);

/// True for `addr/len` with a valid address and prefix length.
bool is_cidr(std::string_view);

/// RFC 1123 host name (labels of 1-63 letters, digits, '-', total <= 253).
bool is_dns_name(std::string_view);

/// Kubernetes DNS-1123 label (lower-case, <= 63).
bool is_dns_label(std::string_view);

/// Kubernetes DNS-1123 subdomain (lower-case, <= 253).
bool is_dns_subdomain(std::string_view);

/// Linux interface name: 1-15 bytes, no '/', ':' or whitespace.
bool is_ifname(std::string_view);

/// `[host]:port` or `host:port` or `:port`, port 0..65535 (0 = any free port).
bool is_listen_address(std::string_view);

/// http:// or https:// URL with a non-empty host.
bool is_http_url(std::string_view);

/// Splits on commas; no trimming, keeps empty items.
std::vector<std::string> split(std::string_view, char sep);

/// `name` or `namespace/name` (DNS-1123 label / subdomain), as for lease names.
bool is_lease_name(std::string_view);

/// At most 243 bytes of [A-Za-z0-9._-] (`instance_name`).
bool is_instance_name(std::string_view);

/// `address`: IP literals (at most one per family) or one DNS name.
void parse_address(settings&, const std::string&, error_sink&);

/// `vip_subnet`: syntax only; per-family resolution happens in the validation pass.
void parse_subnet(settings&, const std::string&, error_sink&);

/// `vip_leaseannotations`: a JSON object of string values.
void parse_annotations(settings&, const std::string&, error_sink&);

/// Parses a `bgp_peers` value; each bad peer is reported as "[i]" to the sink.
std::vector<bgp_peer> parse_bgp_peers(const std::string&, error_sink&);

/// Parses a `kvip_gossip_peers` value; each bad item is reported as "[i]" to the sink.
std::vector<gossip_peer> parse_gossip_peers(const std::string&, error_sink&);

// -- passes ---------------------------------------------------------------------

/// Where each set knob came from: canonical name -> (spelled key, raw value).
struct origin {
  std::string key;   ///< as the user spelled it (`--port`, `port`, `file.yaml:port`)
  std::string value; ///< raw text
};
using origin_map = std::map<std::string, origin>;

/// Derived defaults and cross-field rules (config_validate.cpp).
void finish_and_validate(load_result&, const origin_map&);

} // namespace kvip::net::config::detail
