// Every annotation and label kube-vip reads or writes (reference
// kube-vip-behaviour.md §3.7), parsed and validated into typed values.
//
// One table (annotation_table) lists every key with what kvip does with it:
// `acted_on` (issue 10: Services of type LoadBalancer) or `later` (parsed and
// validated now, reported as "parsed but not acted on yet (<feature> issue)").
// The README table is rendered from it (annotation_table_markdown).
//
// Findings, per annotation:
// - acted-on annotation with a bad value: an `error` (the Service cannot be
//   served as asked; parse_service turns it into its error). Exceptions where
//   kube-vip has a defined fallback: booleans (kube-vip reads anything but
//   "true" as false) and rp_filter (out of range -> 0) give a `warning` and use
//   kube-vip's reading; the annotations kvip itself writes (vipHost,
//   active-endpoint*) give a `warning` (they are overwritten).
// - later annotation: always a `warning` (valid or not), never an error: kvip
//   does not act on it yet, so it must not stop the Service.
// - unknown key under kube-vip.io/: a `warning` naming the closest known key
//   when only the letter case differs (`loadBalancerIPs`).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "k8s/services/types.hpp"

namespace kvip::k8s::services {

// -- the table ---------------------------------------------------------------------

/// What kvip does with a key today.
enum class key_status { acted_on, later };

/// Where a key lives.
enum class key_kind { service_annotation, node_label, service_label };

/// One row of the table.
struct key_info {
  std::string_view key;         ///< "kube-vip.io/ignore"; node label "<prefix>/<svc>.<ns>"
  key_kind kind;                ///< annotation on the Service, or a label
  std::string_view access;      ///< "R", "W" or "R/W" (kube-vip's use)
  key_status status;            ///< acted on, or later
  std::string_view later_issue; ///< for `later`: the feature issue that will act on it
  std::string_view what;        ///< one line: what it does
};

/// "acted on" / "later".
const char* to_string(key_status s);
/// "Service annotation" / "Node label" / "Service label".
const char* to_string(key_kind k);

/// Every key, in reference §3.7 order.
std::span<const key_info> annotation_table();

/// The row of `key`, or nullptr.
const key_info* find_key(std::string_view key);

/// The table as Markdown (| Key | Kind | R/W | Status | What it does |), for the README.
std::string annotation_table_markdown();

/// The Service annotation keys parse_annotations understands (its dispatch table).
std::vector<std::string_view> parsed_annotation_keys();

// -- typed values --------------------------------------------------------------------

/// kube-vip.io/loadbalancerIPs: IPs, DNS names, and DHCP requests (0.0.0.0 / ::).
struct address_list {
  std::vector<net::ip_address> ips;   ///< in order, each once, never 0.0.0.0 / ::
  std::vector<std::string> hostnames; ///< DNS names (resolved by the DDNS path, later)
  bool dhcp_v4 = false;               ///< 0.0.0.0 was listed
  bool dhcp_v6 = false;               ///< :: was listed
  bool operator==(const address_list&) const = default;
};

/// kube-vip.io/leaseName: "name" or "namespace/name".
struct lease_ref {
  std::string ns; ///< "" = the Service's namespace
  std::string name;
  bool operator==(const lease_ref&) const = default;
};

/// kube-vip.io/serviceInterface: an interface name or "auto".
struct interface_choice {
  bool automatic = false; ///< "auto": the interface whose subnet holds the VIP
  std::string name;       ///< when !automatic
  bool operator==(const interface_choice&) const = default;
};

/// kube-vip.io/serviceVLAN: "parent.id" (eth0.200).
struct vlan_ref {
  std::string parent;
  int id = 0; ///< 1..4094
  bool operator==(const vlan_ref&) const = default;
};

/// The egress annotations (all `later`).
struct egress_settings {
  bool enabled = false;                    ///< kube-vip.io/egress
  bool internal = false;                   ///< kube-vip.io/egress-internal (nftables)
  bool ipv6 = false;                       ///< kube-vip.io/egress-ipv6
  bool no_internal_traffic = false;        ///< kube-vip.io/egress-no-internal-traffic
  bool detect_api_server = false;          ///< kube-vip.io/egress-detect-api-server
  std::vector<port_key> destination_ports; ///< "proto:port,…" (proto defaults to tcp)
  std::vector<port_key> source_ports;
  std::vector<net::ip_prefix> allowed_networks;
  std::vector<net::ip_prefix> denied_networks;
  std::optional<std::string> nftables_table; ///< kube-vip.io/egress-nftables-table
};

/// A finding about one annotation.
enum class severity { warning, error };
struct annotation_issue {
  std::string key;
  severity level = severity::warning;
  std::string message; ///< names the key and the value
};

/// Every annotation kube-vip knows, typed. Absent = the default.
struct service_annotations {
  // -- acted on (issue 10) --
  std::optional<address_list> loadbalancer_ips;
  bool ignore = false;
  std::optional<lease_ref> lease_name; ///< unset when absent or ""
  bool force_per_service_election = false;
  std::optional<interface_choice> service_interface;
  std::optional<std::string> vip_host; ///< written by kvip; a node name
  std::optional<net::mac_address> hwaddr;
  std::vector<net::ip_address> requested_ips; ///< at most one IPv4 and one IPv6
  bool allow_reconcile_without_endpoints = false;
  std::optional<net::ip_address> active_endpoint;    ///< IPv4
  std::optional<net::ip_address> active_endpoint_v6; ///< IPv6
  bool flush_conntrack = false;
  int rp_filter = 0; ///< 0..2
  std::optional<std::string> loadbalancer_hostname;

  // -- later --
  std::optional<vlan_ref> service_vlan;
  bool ignore_service_security = false;
  bool ddns = false;
  std::optional<std::string> macvlan_name;
  bool dhcp_broadcast = false;
  bool forward_upnp = false;
  std::optional<std::chrono::milliseconds> upnp_lease_duration; ///< 0 = permanent
  egress_settings egress;
  bool synthetic_update_error = false; ///< development.kube-vip.io/… test hook

  /// Warnings and errors, in key order.
  std::vector<annotation_issue> issues;
  /// True when an issue is an error.
  bool has_errors() const;
  /// The errors joined by "; " ("" when none).
  std::string error_text() const;
};

/// Parses every annotation of a Service (see the header comment for findings).
service_annotations parse_annotations(const std::map<std::string, std::string>& annotations);

/// Parses the kube-vip.io/loadbalancerIPs value: comma list, items trimmed, IPs
/// (canonical, each once), DNS names, at most one 0.0.0.0 and one ::. An empty
/// item or an item that is neither an IP nor a DNS name is an error.
result<address_list> parse_address_list(std::string_view value);

// -- node labels (written) ----------------------------------------------------------------

/// "kube-vip.io/has-ip".
inline constexpr std::string_view has_ip_label = "kube-vip.io/has-ip";
/// The prefix of "service-provided.kube-vip.io/<svc>.<ns>".
inline constexpr std::string_view service_provided_prefix = "service-provided.kube-vip.io/";

/// A label value for an address: IPv4 dotted, IPv6 as 32 hex digits (as kube-vip).
std::string label_value(const net::ip_address& a);

/// "service-provided.kube-vip.io/<svc>.<ns>", or an error when the name part would be
/// longer than a label name may be (63).
result<std::string> service_provided_label(std::string_view ns, std::string_view name);

/// The value of that label: the addresses' label values joined by "_" (kube-vip joins
/// with ",", which is not valid in a label value, reference §9 W16); error above 63.
result<std::string> service_provided_value(const std::vector<net::ip_address>& addresses);

/// True for every node label kvip writes (has-ip, service-provided.kube-vip.io/…): what
/// a cleanup by prefix removes.
bool is_kvip_node_label(std::string_view key);

} // namespace kvip::k8s::services
