// kvip configuration: kube-vip-compatible knobs, typed, merged and validated.
//
// What this holds: the typed `settings` object (every knob of kube-vip's env
// vars and `manager` flags, reference/kube-vip-behaviour.md §1, plus kvip's own
// `kvip_*` knobs), the knob table used to register CLI options and print help,
// and `load()`, which merges the sources, parses every value and validates the
// result. The table itself lives in config_knobs.cpp, merging and typed parsing
// in config_load.cpp / config_parse.cpp, cross-field rules in
// config_validate.cpp. Nothing here knows about actors.
//
// Precedence (uniform for every knob, unlike kube-vip, see its weak spot W9):
//
//     command-line flag  >  environment variable  >  config file  >  default
//
// * Flags are passed in `sources::flags`, keyed by the long flag name without
//   `--` (e.g. "leaseDuration"); only flags the user actually gave.
// * Environment variable names are kube-vip's: case-sensitive lower-case
//   (`vip_leaseduration`), except `instance_name`/`INSTANCE_NAME` and
//   `egress_clean`/`EGRESS_CLEAN` (both spellings; lower-case wins). An empty
//   environment variable counts as unset (so `prometheus_server=""` means
//   ":2112", as in kube-vip), except for `lb_class_name`, where "" is a value.
// * The config file is YAML (JSON is accepted, being YAML): a mapping from knob
//   names to values. A key may be the env name (`vip_leaseduration: 5`), the
//   flag name (`leaseDuration: 5`) or the YAML name of kube-vip's own config
//   struct (`enableARP: true`, `renewDeadline: 10`, see file_keys.cpp); one
//   file may mix them. Lists may be given as YAML sequences (they
//   are joined with commas); `vip_leaseannotations` may be a YAML mapping. An
//   unknown key is a problem; a file value overridden by env or flag produces a
//   warning naming both, so a value in the file is never silently ignored.
// * Locating the file: `sources::config_file` if non-empty, else the flag
//   `config-file`, else the env var `config_file`. "" means no file.
//
// Value forms: booleans are Go's ParseBool set (1 t T TRUE true True 0 f F FALSE
// false False); integers are base 10 with range checks; every duration knob
// takes kube-vip's bare integer (seconds, except `vip_arpRate` and the
// `kvip_gossip_*` timings, whose bare integers are milliseconds) or a Go
// duration string (`5s`, `1500ms`, `1m30s`).
//
// Log levels (`vip_loglevel`, any integer, slog scale; a level enables messages
// at or above it): -4 debug, 0 info, 4 warn, 8 error. kube-vip's old 0-5
// "verbosity" scale is not accepted as such: 5 simply means "error and above".
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kvip::net::config {

// -- enumerations -------------------------------------------------------------

/// IPVS forwarding method of the control-plane load balancer (`lb_fwdmethod`).
enum class lb_forwarding {
  local,        ///< kube-vip's default
  masquerade,   ///< NAT
  tunnel,       ///< IP-in-IP
  direct_route, ///< "directroute"
  bypass,       ///< IPVS bypass
};

/// How DNS names resolve (`dns_mode`) and which family DHCP uses (`dhcp_mode`).
enum class family_mode {
  first, ///< first address returned
  ipv4,  ///< IPv4 only
  ipv6,  ///< IPv6 only
  dual,  ///< both families
};

/// Leader-election backend (`--leaderElectionType`).
enum class election_backend {
  kubernetes, ///< coordination/v1 Lease
  etcd,       ///< etcd concurrency election
};

/// MP-BGP cross-family next-hop selection (`mpbgp_nexthop`, also per peer).
enum class mpbgp_nexthop {
  none,          ///< "" = no cross-family next hop
  fixed,         ///< use `mpbgp_ipv4` / `mpbgp_ipv6`
  auto_sourceip, ///< other-family address of the interface holding `bgp_sourceip`
  auto_sourceif, ///< addresses of `bgp_sourceif`
};

/// Log output format (`kvip_log_format`).
enum class log_format {
  text, ///< human-readable lines
  json, ///< one JSON object per line
};

/// The knob's spelling in `--help`: how its value is parsed.
enum class knob_kind {
  boolean,  ///< Go ParseBool
  integer,  ///< base-10 integer with a range
  duration, ///< integer seconds/milliseconds or Go duration string
  text,     ///< free-form or syntax-checked string
  list,     ///< comma-separated list
  choice,   ///< one of a fixed set of words
};

// -- typed values ---------------------------------------------------------------

/// A VIP prefix length for one address family; `automatic` = `auto`.
struct prefix_length {
  bool automatic = false; ///< use the prefix of the connected subnet holding the VIP
  int bits = 0;           ///< 0..32 (IPv4) or 0..128 (IPv6) when not automatic
  bool operator==(const prefix_length&) const = default;
};

/// Per-peer (or global) MP-BGP next-hop options.
struct mpbgp_options {
  mpbgp_nexthop nexthop = mpbgp_nexthop::none; ///< selection mode
  std::string ipv4;                            ///< fixed IPv4 next hop ("" = none)
  std::string ipv6;                            ///< fixed IPv6 next hop ("" = none)
  bool operator==(const mpbgp_options&) const = default;
};

/// BFD settings of one BGP peer (7th `bgp_peers` field).
struct bfd_options {
  bool enabled = false;              ///< run BFD for this session
  std::chrono::milliseconds rx{300}; ///< required min receive interval
  std::chrono::milliseconds tx{300}; ///< desired min transmit interval
  int multiplier = 3;                ///< detect multiplier (1..255)
  bool operator==(const bfd_options&) const = default;
};

/// One BGP neighbour, from `bgp_peers` or the legacy `bgp_peeraddress` knobs.
struct bgp_peer {
  std::string address;      ///< IP literal; "" for an unnumbered peer
  std::string interface;    ///< unnumbered peer: the interface; else ""
  std::uint32_t asn = 0;    ///< peer AS, 1..4294967295
  std::string password;     ///< TCP-MD5 password, "" = none
  bool multihop = false;    ///< eBGP multihop
  std::uint16_t port = 179; ///< remote TCP port (kube-vip ignores it; kvip uses it)
  mpbgp_options mpbgp;      ///< per-peer MP-BGP; empty fields inherit the globals
  bfd_options bfd;          ///< per-peer BFD
  bool operator==(const bgp_peer&) const = default;
};

/// One gossip peer from `kvip_gossip_peers`: `host`, `host:port` or `[IPv6]:port`.
struct gossip_peer {
  std::string host;       ///< IP literal (IPv6 without brackets) or DNS name
  std::uint16_t port = 0; ///< 0 = the cluster's `kvip_gossip_port`
  bool operator==(const gossip_peer&) const = default;
};

// -- the configuration ----------------------------------------------------------

/// Every knob as a typed field, initialised to kube-vip's default. Comments name
/// the env var; see config_knobs.cpp for the flag names and help texts.
struct settings {
  using ms = std::chrono::milliseconds;

  // -- 1.1 core / mode selection --
  bool arp = false;                                      ///< vip_arp
  bool bgp = false;                                      ///< bgp_enable
  bool routing_table = false;                            ///< vip_routingtable
  bool wireguard = false;                                ///< vip_wireguard
  bool control_plane = false;                            ///< cp_enable
  bool services = false;                                 ///< svc_enable
  bool detect_control_plane = false;                     ///< cp_detect
  std::string kubernetes_addr;                           ///< kubernetes_addr
  std::string kubeconfig = "/etc/kubernetes/admin.conf"; ///< k8s_config_file
  std::string node_name;                    ///< vip_nodename (load(): hostname, lower-cased)
  std::string cp_namespace = "kube-system"; ///< cp_namespace
  std::string svc_namespace;                ///< svc_namespace ("" = all)
  std::string instance_name;                ///< instance_name
  std::string config_file;                  ///< config_file (the file actually read)
  int log_level = 0;                        ///< vip_loglevel (slog scale)
  std::string trace_path;                   ///< kvip_trace ("" = off)
  log_format log_output = log_format::text; ///< kvip_log_format
  std::string admin_conf = "/etc/kubernetes/admin.conf"; ///< kvip_admin_conf
  std::string kubernetes_host; ///< kvip_kubernetes_host ("" = resolve `kubernetes`)

  // -- 1.2 VIP / interface --
  std::vector<std::string> address;          ///< address / vip_address: IPs or one DNS name
  bool address_from_vip_address = false;     ///< the deprecated `vip_address` supplied it
  std::uint16_t port = 6443;                 ///< port
  std::string vip_subnet_text;               ///< vip_subnet as given ("" = derived)
  prefix_length subnet_v4{false, 32};        ///< resolved vip_subnet for IPv4 VIPs
  prefix_length subnet_v6{false, 128};       ///< resolved vip_subnet for IPv6 VIPs
  std::string interface;                     ///< vip_interface ("" = default-route iface)
  std::string services_interface;            ///< vip_servicesinterface ("", name or "auto")
  bool lo_global_scope = false;              ///< vip_interfaceloglobal
  bool allow_interface_not_up = false;       ///< vip_allow_interface_not_up
  bool skip_dad = false;                     ///< vip_skipdad
  bool preserve_on_leadership_loss = false;  ///< vip_preserve_on_leadership_loss
  bool ddns = false;                         ///< vip_ddns
  family_mode dns_mode = family_mode::first; ///< dns_mode
  family_mode dhcp_mode = family_mode::ipv4; ///< dhcp_mode (derived from dns_mode)
  int dhcp_backoff_attempts = 3;             ///< dhcp_backoff_attempts (0 = unlimited)

  // -- 1.3 leader election --
  bool leader_election = false;                             ///< vip_leaderelection
  election_backend election = election_backend::kubernetes; ///< --leaderElectionType
  std::string lease_name = "plndr-cp-lock";                 ///< vip_leasename (name or ns/name)
  std::string services_lease_name = "plndr-svcs-lock";      ///< svc_leasename
  ms lease_duration{15000};                                 ///< vip_leaseduration
  ms renew_deadline{10000};                                 ///< vip_renewdeadline
  ms retry_period{2000};                                    ///< vip_retryperiod
  std::map<std::string, std::string> lease_annotations;     ///< vip_leaseannotations (JSON object)
  bool services_election = false;                           ///< svc_election
  bool per_service_election_on_demand = false;              ///< per_service_election_on_demand
  bool lose_leadership = false;                             ///< vip_loseleadership
  ms lose_leadership_timeout{30000};                        ///< vip_loseleadership_timeout_seconds
  std::string etcd_ca_cert;                                 ///< --etcdCACert
  std::string etcd_cert;                                    ///< --etcdCert
  std::string etcd_key;                                     ///< --etcdKey
  std::vector<std::string> etcd_endpoints;                  ///< --etcdEndpoints

  // -- 1.4 ARP / NDP --
  ms arp_rate{3000}; ///< vip_arpRate (< 500 ms resets to 3000)

  // -- 1.5 control-plane load balancer and health --
  bool lb_enable = false;                         ///< lb_enable
  std::uint16_t lb_port = 6443;                   ///< lb_port
  lb_forwarding lb_method = lb_forwarding::local; ///< lb_fwdmethod
  ms backend_health_check_interval{5000};         ///< backend_health_check_interval (0 -> 5 s)
  std::string cp_health_check_address;            ///< control_plane_health_check_address
  ms cp_health_check_period{5000};                ///< ..._period_seconds
  ms cp_health_check_timeout{3000};               ///< ..._timeout_seconds
  int cp_health_check_failure_threshold = 3;      ///< ..._failure_threshold
  std::string cp_health_check_ca_path;            ///< ..._ca_path
  std::uint16_t health_check_port = 0;            ///< health_check_port (0 = off)

  // -- 1.6 services --
  bool lb_class_only = false;                               ///< lb_class_only
  std::string lb_class_name = "kube-vip.io/kube-vip-class"; ///< lb_class_name
  bool lb_class_legacy_handling = true;                     ///< lb_class_legacy_handling
  bool enable_endpoints = false;                            ///< enable_endpoints
  bool disable_service_updates = false;                     ///< disable_service_updates
  bool enable_service_security = false;                     ///< enable_service_security
  bool enable_node_labeling = false;                        ///< enable_node_labeling
  bool enable_upnp = false;                                 ///< enable_upnp
  std::string mirror_dest_interface;                        ///< mirror_dest_interface
  ms debounce_time{0}; ///< debounce_time (0 = off, else >= 200 ms)

  // -- 1.7 egress --
  std::vector<std::string> egress_pod_cidr;     ///< egress_podcidr ("" = auto)
  std::vector<std::string> egress_service_cidr; ///< egress_servicecidr ("" = auto)
  bool egress_with_nftables = true;             ///< egress_withnftables
  bool egress_enable_internal_snat = false;     ///< egress_enableinternalsnat
  bool egress_clean = false;                    ///< egress_clean / EGRESS_CLEAN

  // -- 1.8 routing-table mode --
  std::uint32_t routing_table_id = 198; ///< vip_routingtableid
  int routing_table_type = 1;           ///< vip_routingtabletype (RTN_*, 1 = unicast)
  int routing_protocol = 248;           ///< vip_routingprotocol
  bool clean_routing_table = false;     ///< vip_cleanroutingtable

  // -- 1.9 BGP --
  std::string bgp_router_id;               ///< bgp_routerid (IPv4 literal)
  std::string bgp_router_interface;        ///< bgp_routerinterface
  std::uint32_t bgp_as = 65000;            ///< bgp_as
  std::vector<bgp_peer> bgp_peers;         ///< bgp_peers, then the legacy peer
  std::string bgp_peer_address;            ///< bgp_peeraddress (legacy single peer)
  std::uint32_t bgp_peer_as = 65000;       ///< bgp_peeras
  std::string bgp_peer_password;           ///< bgp_peerpass
  bool bgp_multihop = false;               ///< bgp_multihop
  std::string bgp_source_if;               ///< bgp_sourceif
  std::string bgp_source_ip;               ///< bgp_sourceip
  ms bgp_hold_time{30000};                 ///< bgp_hold_time
  ms bgp_keepalive_interval{10000};        ///< bgp_keepalive_interval
  bool bgp_attach_ip_to_interface = false; ///< bgp_attach_ip_to_interface
  mpbgp_options mpbgp;                     ///< mpbgp_nexthop / mpbgp_ipv4 / mpbgp_ipv6
  std::string annotation_prefix;           ///< annotation
  bool zebra_enable = false;               ///< zebra_enable
  std::string zebra_url = "unix:/var/run/frr/zserv.api"; ///< zebra_url
  int zebra_version = 6;                                 ///< zebra_version
  std::string zebra_software_name = "frr8.3";            ///< zebra_software_name
  std::string prometheus_server = ":2112";               ///< prometheus_server ("" = off)

  // -- kvip gossip (issue 9; defaults = net/gossip membership.hpp / fence.hpp) --
  bool gossip = false;                   ///< kvip_gossip (false = Lease-only, as today)
  std::uint16_t gossip_port = 7947;      ///< kvip_gossip_port (TCP, every node the same)
  std::vector<gossip_peer> gossip_peers; ///< kvip_gossip_peers ("" = the Nodes' InternalIPs)
  std::string gossip_key_file;           ///< kvip_gossip_key_file ("" = cluster Secret)
  ms gossip_probe_period{30};            ///< kvip_gossip_probe_period
  ms gossip_probe_timeout{10};           ///< kvip_gossip_probe_timeout (< probe period)
  ms gossip_suspicion_timeout{50};       ///< kvip_gossip_suspicion_timeout
  ms gossip_fence_timeout{60};           ///< kvip_gossip_fence_timeout
  ms gossip_takeover_wait{80};           ///< kvip_gossip_takeover_wait

  // -- kvip IPAM allocator (issue 10, kube-vip-cloud-provider's pools) --
  std::string ipam_config_map = "kubevip";               ///< kvip_ipam_configmap
  std::string ipam_config_map_namespace = "kube-system"; ///< kvip_ipam_namespace
  std::string ipam_lease_name = "kvip-ipam";             ///< kvip_ipam_leasename
  bool ipam = true;                                      ///< kvip_ipam

  bool operator==(const settings&) const = default;
};

// -- loading --------------------------------------------------------------------

/// One configuration error: which knob, the offending value, what was expected.
struct problem {
  std::string key;      ///< the knob as the user spelled it (`--leaseDuration`, `file:key`)
  std::string value;    ///< the offending value
  std::string expected; ///< what would have been accepted
};

/// "key=value: expected" — one line, the format printed on exit 2.
std::string to_string(const problem&);

/// The raw inputs of a configuration load.
struct sources {
  std::map<std::string, std::string> flags; ///< flag long name -> value, only flags given
  std::map<std::string, std::string> env;   ///< the whole environment
  std::string config_file;                  ///< path; "" = look up flag/env `config_file`
  std::string hostname;                     ///< default node name; "" = gethostname()
};

/// The outcome of `load`: usable only when `problems` is empty.
struct load_result {
  settings cfg;                      ///< typed settings (defaults where a knob failed)
  std::vector<problem> problems;     ///< every error found, in table order
  std::vector<std::string> warnings; ///< deprecations, ignored knobs, overridden file values
};

/// Merges flag > env > config file (YAML) > default, parses every value, then validates. Never
/// throws, never exits.
load_result load(const sources&);

/// One row of the knob table, as needed for CLI registration and `--help`.
struct knob_info {
  std::string env;                  ///< env var name, "" = flag only
  std::string flag;                 ///< long flag name without `--`, "" = env only
  std::string short_flag;           ///< one-letter flag, "" = none
  std::string default_text;         ///< default as shown in help
  std::string help;                 ///< one-line description
  bool ignored = false;             ///< accepted for kube-vip compatibility, has no effect
  bool deprecated = false;          ///< alias of `alias_of`; use that instead
  std::string alias_of;             ///< canonical name of the knob a deprecated alias sets
  knob_kind kind = knob_kind::text; ///< value syntax
};

/// The knob table, in table order, for registering CLI11 options and for --help.
const std::vector<knob_info>& knobs();

/// The process environment as a map (entries without '=' are skipped).
std::map<std::string, std::string> environment_from(char** envp);

/// Lower-case names used in the knob table (`local`, `ipv4`, `kubernetes`, ...).
std::string_view to_string(lb_forwarding);
/// See above.
std::string_view to_string(family_mode);
/// See above.
std::string_view to_string(election_backend);
/// See above ("" for none).
std::string_view to_string(mpbgp_nexthop);
/// See above.
std::string_view to_string(log_format);

} // namespace kvip::net::config
