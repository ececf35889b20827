// The knob table: one row per knob (kube-vip env vars and `manager` flags from
// reference/kube-vip-behaviour.md §1, plus kvip's own `kvip_*` knobs). A row
// names the env var, the flag, its default text and help, and binds the value
// to a settings field through a parser that also checks single-field syntax
// and ranges. Merging lives in config_load.cpp, cross-field rules in
// config_validate.cpp.
#include "net/config/detail.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <utility>

namespace kvip::net::config {

// -- enum words -----------------------------------------------------------------------

namespace {

template <class E>
using words = std::vector<std::pair<std::string_view, E>>;

const words<lb_forwarding> lb_forwarding_words{{"local", lb_forwarding::local},
                                               {"masquerade", lb_forwarding::masquerade},
                                               {"tunnel", lb_forwarding::tunnel},
                                               {"directroute", lb_forwarding::direct_route},
                                               {"bypass", lb_forwarding::bypass}};
const words<family_mode> family_words{{"first", family_mode::first},
                                      {"ipv4", family_mode::ipv4},
                                      {"ipv6", family_mode::ipv6},
                                      {"dual", family_mode::dual}};
const words<election_backend> election_words{{"kubernetes", election_backend::kubernetes},
                                             {"etcd", election_backend::etcd}};
const words<mpbgp_nexthop> nexthop_words{{"", mpbgp_nexthop::none},
                                         {"fixed", mpbgp_nexthop::fixed},
                                         {"auto_sourceip", mpbgp_nexthop::auto_sourceip},
                                         {"auto_sourceif", mpbgp_nexthop::auto_sourceif}};
const words<log_format> log_format_words{{"text", log_format::text}, {"json", log_format::json}};

template <class E>
std::string_view word_of(const words<E>& table, E value) {
  for (auto& [w, v] : table)
    if (v == value) return w;
  return "?";
}

} // namespace

std::string_view to_string(lb_forwarding x) {
  return word_of(lb_forwarding_words, x);
}
std::string_view to_string(family_mode x) {
  return word_of(family_words, x);
}
std::string_view to_string(election_backend x) {
  return word_of(election_words, x);
}
std::string_view to_string(mpbgp_nexthop x) {
  return word_of(nexthop_words, x);
}
std::string_view to_string(log_format x) {
  return word_of(log_format_words, x);
}

namespace detail {

namespace {

using S = settings;
using std::chrono::milliseconds;
using check_fn = bool (*)(std::string_view);

constexpr std::int64_t max_u32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t max_int = std::numeric_limits<int>::max();
constexpr std::int64_t min_int = std::numeric_limits<int>::min();

// -- parser factories --

apply_fn boolean(bool S::*m) {
  return [m](S& s, const std::string& v, error_sink& e) {
    if (auto b = parse_bool(v))
      s.*m = *b;
    else
      e.fail("a boolean: true/false, 1/0, t/f, TRUE/FALSE, True/False");
  };
}

template <class T>
apply_fn integer(T S::*m, std::int64_t lo, std::int64_t hi) {
  return [m, lo, hi](S& s, const std::string& v, error_sink& e) {
    if (auto n = parse_int(v, lo, hi))
      s.*m = static_cast<T>(*n);
    else
      e.fail("an integer " + std::to_string(lo) + ".." + std::to_string(hi));
  };
}

// Duration: bare integers are in `bare` (seconds or milliseconds).
apply_fn duration(milliseconds S::*m, milliseconds bare) {
  return [m, bare](S& s, const std::string& v, error_sink& e) {
    if (auto d = parse_duration(v, bare))
      s.*m = *d;
    else
      e.fail(std::string{"a duration: integer "} +
             (bare.count() == 1 ? "milliseconds" : "seconds") +
             " or a Go duration such as 5s, 1500ms, 1m (>= 0, whole milliseconds)");
  };
}

apply_fn seconds(milliseconds S::*m) {
  return duration(m, milliseconds{1000});
}

// String; "" always allowed, other values must pass `check`.
apply_fn text(std::string S::*m, check_fn check = nullptr, std::string expected = {}) {
  return [m, check, expected](S& s, const std::string& v, error_sink& e) {
    if (!v.empty() && check != nullptr && !check(v))
      e.fail(expected);
    else
      s.*m = v;
  };
}

// String that must not be empty and must pass `check`.
apply_fn required_text(std::string S::*m, check_fn check, std::string expected) {
  return [m, check, expected](S& s, const std::string& v, error_sink& e) {
    if (v.empty() || !check(v))
      e.fail(expected);
    else
      s.*m = v;
  };
}

// Comma list; "" = empty list; every item must pass `check`.
apply_fn list(std::vector<std::string> S::*m, check_fn check, std::string expected) {
  return [m, check, expected](S& s, const std::string& v, error_sink& e) {
    auto items = v.empty() ? std::vector<std::string>{} : split(v, ',');
    for (auto& item : items)
      if (check != nullptr ? !check(item) : item.empty())
        return e.fail("a comma-separated list of " + expected);
    s.*m = std::move(items);
  };
}

template <class E>
apply_fn choice(E S::*m, const words<E>& table) {
  return [m, &table](S& s, const std::string& v, error_sink& e) {
    for (auto& [w, val] : table)
      if (v == w) {
        s.*m = val;
        return;
      }
    std::string all;
    for (auto& [w, val] : table)
      all += (all.empty() ? "" : ", ") + (w.empty() ? std::string{"\"\""} : std::string{w});
    e.fail("one of " + all);
  };
}

// -- syntax checks used by several rows --

bool is_ip(std::string_view s) {
  return ip_family(s) != 0;
}
bool is_ipv4(std::string_view s) {
  return ip_family(s) == 4;
}
bool is_ipv6(std::string_view s) {
  return ip_family(s) == 6;
}
bool is_ifname_or_auto(std::string_view s) {
  return s == "auto" || is_ifname(s);
}
bool non_empty(std::string_view s) {
  return !s.empty();
}

const std::string ifname_expected = "an interface name: 1-15 bytes, no '/', ':' or whitespace";

// -- special parsers --

void apply_peers(S& s, const std::string& v, error_sink& e) {
  s.bgp_peers = parse_bgp_peers(v, e);
}

void apply_gossip_peers(S& s, const std::string& v, error_sink& e) {
  s.gossip_peers = parse_gossip_peers(v, e);
}

void apply_node_name(S& s, const std::string& v, error_sink&) {
  s.node_name = v;
  std::transform(s.node_name.begin(), s.node_name.end(), s.node_name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
}

void apply_health_port(S& s, const std::string& v, error_sink& e) {
  auto n = parse_int(v, 0, 65535);
  if (!n || (*n != 0 && *n < 1024)) return e.fail("0 (off) or a port 1024..65535");
  s.health_check_port = static_cast<std::uint16_t>(*n);
}

apply_fn nexthop_address(std::string mpbgp_options::*m, check_fn check, std::string expected) {
  return [m, check, expected](S& s, const std::string& v, error_sink& e) {
    if (!v.empty() && !check(v)) return e.fail(expected);
    s.mpbgp.*m = v;
  };
}

void apply_nexthop(S& s, const std::string& v, error_sink& e) {
  for (auto& [w, val] : nexthop_words)
    if (v == w) {
      s.mpbgp.nexthop = val;
      return;
    }
  e.fail("one of \"\", fixed, auto_sourceip, auto_sourceif");
}

// -- row builders --

knob_row row(std::string env, std::string flag, std::string dflt, knob_kind kind, std::string help,
             apply_fn apply) {
  knob_row r;
  r.info.env = std::move(env);
  r.info.flag = std::move(flag);
  r.info.default_text = std::move(dflt);
  r.info.help = std::move(help);
  r.info.kind = kind;
  r.apply = std::move(apply);
  return r;
}

knob_row with_short(knob_row r, std::string short_flag) {
  r.info.short_flag = std::move(short_flag);
  return r;
}

knob_row with_alt_env(knob_row r, std::string alt) {
  r.env_alt = std::move(alt);
  return r;
}

knob_row empty_is_value(knob_row r) {
  r.env_empty_is_value = true;
  return r;
}

knob_row ignored(std::string env, std::string flag, std::string dflt, std::string help) {
  auto r = row(std::move(env), std::move(flag), std::move(dflt), knob_kind::text,
               std::move(help) + " (kube-vip legacy: accepted, no effect)", nullptr);
  r.info.ignored = true;
  r.status = knob_status::ignored;
  return r;
}

knob_row alias(std::string env, std::string flag, std::string target, knob_kind kind) {
  auto r = row(std::move(env), std::move(flag), "", kind, "deprecated alias of " + target, nullptr);
  r.info.deprecated = true;
  r.info.alias_of = std::move(target);
  r.status = knob_status::deprecated;
  return r;
}

using K = knob_kind;
const milliseconds one_ms{1};

// Rows of 1.1: mode selection.
std::vector<knob_row> mode_rows() {
  return {
      // -- 1.1 core / mode selection --
      row("vip_arp", "arp", "false", K::boolean, "ARP/NDP (layer 2) mode", boolean(&S::arp)),
      row("bgp_enable", "bgp", "false", K::boolean, "BGP mode", boolean(&S::bgp)),
      row("vip_routingtable", "table", "false", K::boolean,
          "routing-table mode (routes for an external routing daemon)", boolean(&S::routing_table)),
      row("vip_wireguard", "wireguard", "false", K::boolean, "WireGuard mode",
          boolean(&S::wireguard)),
      row("cp_enable", "controlplane", "false", K::boolean, "control-plane VIP",
          boolean(&S::control_plane)),
      row("svc_enable", "services", "false", K::boolean, "LoadBalancer Services",
          boolean(&S::services)),
      row("cp_detect", "autodetectcp", "false", K::boolean,
          "find a working local API address from the SANs of 127.0.0.1:6443",
          boolean(&S::detect_control_plane)),
      row("kubernetes_addr", "", "", K::text, "API server URL override", text(&S::kubernetes_addr)),
      row("k8s_config_file", "k8sConfigPath", "/etc/kubernetes/admin.conf", K::text,
          "kubeconfig path", text(&S::kubeconfig)),
      row("vip_nodename", "nodeName", "(hostname)", K::text,
          "lease identity, lower-cased; must equal the Node name", apply_node_name),
      with_short(row("cp_namespace", "namespace", "kube-system", K::text,
                     "namespace of the control-plane and global leases",
                     required_text(&S::cp_namespace, is_dns_label, "a DNS-1123 label")),
                 "n"),
      row("svc_namespace", "", "", K::text, "watch Services in this namespace only (\"\" = all)",
          text(&S::svc_namespace, is_dns_label, "a DNS-1123 label")),
      with_alt_env(
          row("instance_name", "instanceName", "", K::text, "isolates nftables egress table names",
              text(&S::instance_name, is_instance_name, "at most 243 bytes of [A-Za-z0-9._-]")),
          "INSTANCE_NAME"),
      row("config_file", "config-file", "", K::text,
          "YAML/JSON configuration file (lowest precedence)", text(&S::config_file)),
      row("vip_loglevel", "log", "0", K::integer, "slog level: -4 debug, 0 info, 4 warn, 8 error",
          integer(&S::log_level, min_int, max_int)),
      with_short(ignored("vip_configmap", "configMap", "plndr", "ConfigMap name"), "c"),
      ignored("vip_singlenode", "", "false", "single-node mode"),
      ignored("vip_startleader", "", "false", "start as leader"),
      ignored("iptables_backend", "", "", "iptables backend"),
      row("kvip_trace", "trace", "", K::text, "JSON-lines message trace file (\"\" = off)",
          text(&S::trace_path)),
      row("kvip_log_format", "logFormat", "text", K::choice, "log format: text or json",
          choice(&S::log_output, log_format_words)),
      row("kvip_admin_conf", "adminConf", "/etc/kubernetes/admin.conf", K::text,
          "the kubeconfig kube-vip's static-pod bootstrap rules apply to (e.g. super-admin.conf)",
          required_text(&S::admin_conf, non_empty, "a file path")),
      row("kvip_kubernetes_host", "kubernetesHost", "", K::text,
          "address the bootstrap host name `kubernetes` resolves to (\"\" = /etc/hosts, the "
          "static pod's hostAlias)",
          text(&S::kubernetes_host, is_ip, "an IP address")),
  };
}

// Rows of 1.2: the VIP and its interface.
std::vector<knob_row> vip_rows() {
  return {
      // -- 1.2 VIP / interface --
      row("address", "address", "", K::list,
          "control-plane VIPs: comma list of IPs or DNS names, one VIP each (dual stack: v4,v6)",
          parse_address),
      alias("vip_address", "vip", "address", K::list),
      row("port", "port", "6443", K::integer, "API server port", integer(&S::port, 1, 65535)),
      row("vip_subnet", "vipSubnet", "(32 / 128 per address family)", K::list,
          "VIP prefix length(s) per address, or auto (ARP + services)", parse_subnet),
      alias("vip_cidr", "", "vip_subnet", K::list),
      row("vip_interface", "interface", "", K::text,
          "interface for the VIP (\"\" = default-route interface)",
          text(&S::interface, is_ifname, ifname_expected)),
      row("vip_servicesinterface", "serviceInterface", "", K::text,
          "interface for service VIPs, or auto",
          text(&S::services_interface, is_ifname_or_auto, ifname_expected + ", or auto")),
      row("vip_interfaceloglobal", "loInterfaceGlobalScope", "false", K::boolean,
          "global scope for VIPs on lo", boolean(&S::lo_global_scope)),
      row("vip_allow_interface_not_up", "allowInterfaceNotUp", "false", K::boolean,
          "start even if the interface is down", boolean(&S::allow_interface_not_up)),
      row("vip_skipdad", "", "false", K::boolean, "add IPv6 VIPs without DAD",
          boolean(&S::skip_dad)),
      row("vip_preserve_on_leadership_loss", "preserveVipOnLeadershipLoss", "false", K::boolean,
          "keep the IPv4 VIP after losing leadership", boolean(&S::preserve_on_leadership_loss)),
      row("vip_ddns", "ddns", "false", K::boolean, "address is a DNS name whose IP comes from DHCP",
          boolean(&S::ddns)),
      row("dns_mode", "dnsMode", "first", K::choice, "DNS resolution: first, ipv4, ipv6, dual",
          choice(&S::dns_mode, family_words)),
      row("dhcp_mode", "dhcpMode", "(dns_mode; ipv4 if dns_mode=first)", K::choice,
          "DHCP/DDNS family: first, ipv4, ipv6, dual", choice(&S::dhcp_mode, family_words)),
      row("dhcp_backoff_attempts", "dhcpBackoffAttempts", "3", K::integer,
          "DHCP request attempts (0 = unlimited)", integer(&S::dhcp_backoff_attempts, 0, max_int)),
  };
}

// Rows of 1.3-1.4: leader election, ARP/NDP.
std::vector<knob_row> election_rows() {
  return {
      // -- 1.3 leader election --
      row("vip_leaderelection", "leaderElection", "false", K::boolean, "use leader election",
          boolean(&S::leader_election)),
      row("", "leaderElectionType", "kubernetes", K::choice, "election backend: kubernetes or etcd",
          choice(&S::election, election_words)),
      row("vip_leasename", "leaseName", "plndr-cp-lock", K::text,
          "control-plane lease (name or namespace/name)",
          required_text(&S::lease_name, is_lease_name,
                        "a DNS-1123 subdomain, optionally namespace/name")),
      row("svc_leasename", "servicesLeaseName", "plndr-svcs-lock", K::text,
          "global services lease (name or namespace/name)",
          required_text(&S::services_lease_name, is_lease_name,
                        "a DNS-1123 subdomain, optionally namespace/name")),
      row("vip_leaseduration", "leaseDuration", "15s", K::duration, "lease duration",
          seconds(&S::lease_duration)),
      row("vip_renewdeadline", "leaseRenewDuration", "10s", K::duration, "lease renew deadline",
          seconds(&S::renew_deadline)),
      row("vip_retryperiod", "leaseRetry", "2s", K::duration, "lease retry period",
          seconds(&S::retry_period)),
      row("vip_leaseannotations", "", "", K::text, "JSON object of annotations for the CP lease",
          parse_annotations),
      row("svc_election", "servicesElection", "false", K::boolean, "one lease per Service",
          boolean(&S::services_election)),
      row("per_service_election_on_demand", "perServiceElectionOnDemand", "false", K::boolean,
          "per-Service lease for Services annotated forcePerServiceElection",
          boolean(&S::per_service_election_on_demand)),
      row("vip_loseleadership", "loseLeadership", "false", K::boolean,
          "ARP: exit when the VIP interface stays down", boolean(&S::lose_leadership)),
      row("vip_loseleadership_timeout_seconds", "loseLeadershiptTimeoutSeconds", "30s", K::duration,
          "how long the interface may stay down", seconds(&S::lose_leadership_timeout)),
      row("", "etcdCACert", "", K::text, "etcd CA bundle", text(&S::etcd_ca_cert)),
      row("", "etcdCert", "", K::text, "etcd client certificate", text(&S::etcd_cert)),
      row("", "etcdKey", "", K::text, "etcd client key", text(&S::etcd_key)),
      row("", "etcdEndpoints", "", K::list, "etcd member endpoints",
          list(&S::etcd_endpoints, non_empty, "endpoints")),

      // -- 1.4 ARP / NDP --
      row("vip_arpRate", "", "3000ms", K::duration,
          "gratuitous ARP/NDP period (bare integer = ms; < 500 ms resets to 3000)",
          duration(&S::arp_rate, one_ms)),
  };
}

// Rows of 1.5-1.7: control-plane load balancer, health, Services, egress.
std::vector<knob_row> service_rows() {
  return {
      // -- 1.5 control-plane load balancer and health --
      row("lb_enable", "enableLoadBalancer", "false", K::boolean, "IPVS on the control-plane VIP",
          boolean(&S::lb_enable)),
      row("lb_port", "lbPort", "6443", K::integer, "IPVS virtual port",
          integer(&S::lb_port, 1, 65535)),
      row("lb_fwdmethod", "lbForwardingMethod", "local", K::choice,
          "IPVS forwarding: local, masquerade, tunnel, directroute, bypass",
          choice(&S::lb_method, lb_forwarding_words)),
      row("backend_health_check_interval", "", "5s", K::duration,
          "IPVS backend / routing-table health probe period (0 = 5s)",
          seconds(&S::backend_health_check_interval)),
      row("control_plane_health_check_address", "controlPlaneHealthCheckAddress", "", K::text,
          "http(s) URL gating the control-plane route",
          text(&S::cp_health_check_address, is_http_url, "an http:// or https:// URL")),
      row("control_plane_health_check_period_seconds", "controlPlaneHealthCheckPeriodSeconds", "5s",
          K::duration, "health check period", seconds(&S::cp_health_check_period)),
      row("control_plane_health_check_timeout_seconds", "controlPlaneHealthCheckTimeoutSeconds",
          "3s", K::duration, "health check timeout", seconds(&S::cp_health_check_timeout)),
      row("control_plane_health_check_failure_threshold", "controlPlaneHealthCheckFailureThreshold",
          "3", K::integer, "consecutive failures before withdrawal",
          integer(&S::cp_health_check_failure_threshold, 1, max_int)),
      row("control_plane_health_check_ca_path", "controlPlaneHealthCheckCAPath", "", K::text,
          "extra CA for an https health check URL", text(&S::cp_health_check_ca_path)),
      row("health_check_port", "healthCheckPort", "0", K::integer,
          "kube-vip's /healthz (\"OK\") listener port (0 = off, else >= 1024)", apply_health_port),

      // -- 1.6 services --
      row("lb_class_only", "lbClassOnly", "false", K::boolean,
          "legacy handling: only Services of lb_class_name", boolean(&S::lb_class_only)),
      empty_is_value(row("lb_class_name", "lbClassName", "kube-vip.io/kube-vip-class", K::text,
                         "load balancer class to serve", text(&S::lb_class_name))),
      row("lb_class_legacy_handling", "lbClassNameLegacyHandling", "true", K::boolean,
          "legacy class handling (class-less Services accepted)",
          boolean(&S::lb_class_legacy_handling)),
      row("enable_endpoints", "enableEndpoints", "false", K::boolean,
          "watch Endpoints instead of EndpointSlices", boolean(&S::enable_endpoints)),
      row("disable_service_updates", "disableServiceUpdates", "false", K::boolean,
          "never write Service status or annotations", boolean(&S::disable_service_updates)),
      row("enable_service_security", "onlyAllowTrafficServicePorts", "false", K::boolean,
          "firewall service VIPs to service ports", boolean(&S::enable_service_security)),
      row("enable_node_labeling", "enableNodeLabeling", "false", K::boolean,
          "label nodes holding VIPs", boolean(&S::enable_node_labeling)),
      row("enable_upnp", "", "false", K::boolean, "UPnP IGD port forwarding",
          boolean(&S::enable_upnp)),
      row("mirror_dest_interface", "mirrorDestInterface", "", K::text,
          "mirror the services interface to this interface",
          text(&S::mirror_dest_interface, is_ifname, ifname_expected)),
      row("debounce_time", "debounceTime", "0s", K::duration,
          "coalesce watch events per object (0 = off, min 200ms)", seconds(&S::debounce_time)),

      // -- 1.7 egress --
      row("egress_podcidr", "", "", K::list, "pod CIDRs excluded from SNAT (\"\" = auto)",
          list(&S::egress_pod_cidr, is_cidr, "CIDRs")),
      row("egress_servicecidr", "", "", K::list, "service CIDRs excluded from SNAT (\"\" = auto)",
          list(&S::egress_service_cidr, is_cidr, "CIDRs")),
      row("egress_withnftables", "egressWithNftables", "true", K::boolean,
          "nftables egress (else iptables)", boolean(&S::egress_with_nftables)),
      row("egress_enableinternalsnat", "", "false", K::boolean,
          "always exclude pod/service CIDRs from SNAT", boolean(&S::egress_enable_internal_snat)),
      with_alt_env(row("egress_clean", "", "false", K::boolean,
                       "flush kube-vip egress rules on start", boolean(&S::egress_clean)),
                   "EGRESS_CLEAN"),
  };
}

// Rows of 1.8-1.9: routing-table and BGP modes.
std::vector<knob_row> routing_rows() {
  return {
      // -- 1.8 routing-table mode --
      row("vip_routingtableid", "tableID", "198", K::integer, "routing table for VIP routes",
          integer(&S::routing_table_id, 1, max_u32)),
      row("vip_routingtabletype", "tableType", "1", K::integer, "route type (RTN_*, 0..11)",
          integer(&S::routing_table_type, 0, 11)),
      row("vip_routingprotocol", "routingProtocol", "248", K::integer,
          "route protocol (ownership marker, 0..255)", integer(&S::routing_protocol, 0, 255)),
      row("vip_cleanroutingtable", "cleanRoutingTable", "false", K::boolean,
          "delete foreign routes of our table/protocol after start",
          boolean(&S::clean_routing_table)),

      // -- 1.9 BGP --
      row("bgp_routerid", "bgpRouterID", "", K::text, "BGP router ID",
          text(&S::bgp_router_id, is_ipv4, "an IPv4 address")),
      row("bgp_routerinterface", "", "", K::text, "take the router ID from this interface",
          text(&S::bgp_router_interface, is_ifname, ifname_expected)),
      row("bgp_as", "localAS", "65000", K::integer, "local AS", integer(&S::bgp_as, 1, max_u32)),
      row("bgp_peers", "bgppeers", "", K::list,
          "peers: addr:AS[:password[:multihop[:port[:mpbgp_k=v;...[:bfd_en;rx;tx;mult]]]]], ...",
          apply_peers),
      row("bgp_peeraddress", "peerAddress", "", K::text, "legacy single peer address",
          text(&S::bgp_peer_address, is_ip, "an IP address")),
      row("bgp_peeras", "peerAS", "65000", K::integer, "legacy single peer AS",
          integer(&S::bgp_peer_as, 1, max_u32)),
      row("bgp_peerpass", "peerPass", "", K::text, "legacy single peer password",
          text(&S::bgp_peer_password)),
      row("bgp_multihop", "multihop", "false", K::boolean, "legacy single peer multihop",
          boolean(&S::bgp_multihop)),
      row("bgp_sourceif", "sourceIF", "", K::text, "bind BGP sessions to this interface",
          text(&S::bgp_source_if, is_ifname, ifname_expected)),
      row("bgp_sourceip", "sourceIP", "", K::text, "local address of BGP sessions",
          text(&S::bgp_source_ip, is_ip, "an IP address")),
      row("bgp_hold_time", "bgpHoldTimer", "30s", K::duration, "hold time (0 or >= 3s)",
          seconds(&S::bgp_hold_time)),
      row("bgp_keepalive_interval", "bgpKeepAliveInterval", "10s", K::duration,
          "keepalive interval", seconds(&S::bgp_keepalive_interval)),
      row("bgp_attach_ip_to_interface", "bgpAttachIPToInterface", "false", K::boolean,
          "also add service VIPs to the interface", boolean(&S::bgp_attach_ip_to_interface)),
      row("mpbgp_nexthop", "", "", K::choice,
          "MP-BGP next hop: \"\", fixed, auto_sourceip, auto_sourceif", apply_nexthop),
      row("mpbgp_ipv4", "", "", K::text, "fixed IPv4 next hop for MP-BGP",
          nexthop_address(&mpbgp_options::ipv4, is_ipv4, "an IPv4 address")),
      row("mpbgp_ipv6", "", "", K::text, "fixed IPv6 next hop for MP-BGP",
          nexthop_address(&mpbgp_options::ipv6, is_ipv6, "an IPv6 address")),
      row("annotation", "annotations", "", K::text, "node-annotation prefix for BGP settings",
          text(&S::annotation_prefix)),
      row("zebra_enable", "zebra", "false", K::boolean, "GoBGP-compatible zebra (FRR) link",
          boolean(&S::zebra_enable)),
      row("zebra_url", "zebraUrl", "unix:/var/run/frr/zserv.api", K::text, "zebra socket",
          text(&S::zebra_url)),
      row("zebra_version", "zebraVersion", "6", K::integer, "zebra API version (2..6)",
          integer(&S::zebra_version, 2, 6)),
      row("zebra_software_name", "zebraSoftwareName", "frr8.3", K::text, "zebra software name",
          text(&S::zebra_software_name)),
      // An empty env var means the default, as in kube-vip; "" by flag or file turns it off.
      row("prometheus_server", "prometheusHTTPServer", ":2112", K::text,
          "metrics listener [host]:port (\"\" = off)",
          text(&S::prometheus_server, is_listen_address,
               "\"\" or [host]:port with port 0..65535 (0 = any free port)")),
  };
}

// Rows of kvip's gossip knobs (issue 9).
std::vector<knob_row> gossip_rows() {
  return {
      // -- kvip gossip (issue 9): bare integers are milliseconds --
      row("kvip_gossip", "gossip", "false", K::boolean,
          "gossip membership and fencing (false = Lease-only, as kube-vip)", boolean(&S::gossip)),
      row("kvip_gossip_port", "gossipPort", "7947", K::integer,
          "gossip TCP port, the same on every node", integer(&S::gossip_port, 1, 65535)),
      row("kvip_gossip_peers", "gossipPeers", "", K::list,
          "peers: host, host:port or [IPv6]:port, ... (\"\" = InternalIPs of the Nodes)",
          apply_gossip_peers),
      row("kvip_gossip_key_file", "gossipKeyFile", "", K::text,
          "32-byte cluster key file (\"\" = Secret kvip-gossip-key in cp_namespace, made once)",
          text(&S::gossip_key_file)),
      row("kvip_gossip_probe_period", "gossipProbePeriod", "30ms", K::duration,
          "gossip probe period (one ping per node per period)",
          duration(&S::gossip_probe_period, one_ms)),
      row("kvip_gossip_probe_timeout", "gossipProbeTimeout", "10ms", K::duration,
          "wait for a direct ack before indirect probes (< probe period)",
          duration(&S::gossip_probe_timeout, one_ms)),
      row("kvip_gossip_suspicion_timeout", "gossipSuspicionTimeout", "50ms", K::duration,
          "a suspect not refuted within this is dead",
          duration(&S::gossip_suspicion_timeout, one_ms)),
      row("kvip_gossip_fence_timeout", "gossipFenceTimeout", "60ms", K::duration,
          "an owner stops answering this long after its last acknowledged message",
          duration(&S::gossip_fence_timeout, one_ms)),
      row("kvip_gossip_takeover_wait", "gossipTakeoverWait", "80ms", K::duration,
          "silence before another node takes a frozen owner's VIP (> fence timeout + 10ms)",
          duration(&S::gossip_takeover_wait, one_ms)),
  };
}

std::vector<knob_row> make_rows() {
  std::vector<knob_row> rows;
  for (auto section : {&mode_rows, &vip_rows, &election_rows, &service_rows, &routing_rows,
                       &gossip_rows, &ipam_rows})
    for (auto& r : section())
      rows.push_back(std::move(r));
  return rows;
}

} // namespace

const std::vector<knob_row>& knob_rows() {
  static const std::vector<knob_row> rows = make_rows();
  return rows;
}

const std::string& canonical_name(const knob_row& r) {
  return r.info.env.empty() ? r.info.flag : r.info.env;
}

} // namespace detail

const std::vector<knob_info>& knobs() {
  static const std::vector<knob_info> infos = [] {
    std::vector<knob_info> out;
    for (auto& r : detail::knob_rows())
      out.push_back(r.info);
    return out;
  }();
  return infos;
}

} // namespace kvip::net::config
