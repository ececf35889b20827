// The table of every annotation and label (annotations.hpp) and the node-label helpers.
#include <algorithm>
#include <cstdio>

#include "k8s/services/annotations.hpp"

namespace kvip::k8s::services {

namespace {

constexpr auto A = key_kind::service_annotation;
constexpr auto now = key_status::acted_on;
constexpr auto later = key_status::later;

// Reference §3.7, in its order. `later_issue` names the feature issue.
constexpr key_info table[] = {
    {"kube-vip.io/loadbalancerIPs", A, "R", now, "",
     "VIP list (IPs or DNS names, comma-separated); wins over status and spec.loadBalancerIP; "
     "0.0.0.0 / :: ask for DHCP"},
    {"kube-vip.io/ignore", A, "R", now, "", "`true`: kvip leaves the Service alone"},
    {"kube-vip.io/serviceInterface", A, "R", now, "",
     "interface for the VIP, or `auto` (the interface whose subnet holds the VIP)"},
    {"kube-vip.io/serviceVLAN", A, "R", later, "VLAN/macvlan",
     "VLAN subinterface `parent.id` (eth0.200) created for the VIP"},
    {"kube-vip.io/leaseName", A, "R", now, "",
     "custom per-Service Lease (`name` or `ns/name`), shared by Services that name it "
     "(with gossip: their addresses share an owner, whom it names); Cluster policy only"},
    {"kube-vip.io/forcePerServiceElection", A, "R", now, "",
     "`true`: per-Service election under per_service_election_on_demand"},
    {"kube-vip.io/allow-reconcile-without-endpoints", A, "R", now, "",
     "`true`: announce without endpoints (Cluster policy only)"},
    {"kube-vip.io/ignore-service-security", A, "R", later, "service-port firewall",
     "`true`: no VIP port firewall for this Service (enable_service_security)"},
    {"kube-vip.io/ddns", A, "R", later, "DDNS",
     "`true`: a DNS-name VIP obtains its address by DHCP"},
    {"kube-vip.io/loadbalancerHostname", A, "R", later, "DHCP",
     "DHCP hostname (option 12 and client id)"},
    {"kube-vip.io/macvlanName", A, "R", later, "DHCP",
     "name of the DHCP macvlan (default vip-<uid[0:8]>)"},
    {"kube-vip.io/dhcp-broadcast", A, "R", later, "DHCP",
     "`true`: BROADCAST flag in DHCPDISCOVER/REQUEST"},
    {"kube-vip.io/rp_filter", A, "R", later, "DHCP",
     "rp_filter 0-2 of the DHCP macvlan (default 0)"},
    {"kube-vip.io/hwaddr", A, "R/W", later, "DHCP",
     "MAC of the DHCP macvlan (kept for a stable lease)"},
    {"kube-vip.io/requestedIP", A, "R/W", later, "DHCP",
     "last DHCP address(es), at most one IPv4 and one IPv6; asked for again on restart"},
    {"kube-vip.io/vipHost", A, "W", now, "", "node announcing the VIP"},
    {"kube-vip.io/forwardUPNP", A, "R", later, "UPnP", "`true`: UPnP IGD port forwarding"},
    {"kube-vip.io/upnp-lease-duration", A, "R", later, "UPnP",
     "UPnP mapping lease, Go duration (default 1h, 0 = permanent)"},
    {"kube-vip.io/flush-conntrack", A, "R", now, "",
     "`true`: the node that starts or stops announcing the address deletes its conntrack "
     "entries toward it (`actors/conntrack_flusher`; `kvip_conntrack_flushes_total`, "
     "`kvip_conntrack_entries_flushed_total`); lab test "
     "`FlushConntrackDeletesTheOwnersEntriesTowardTheAddress`"},
    {"kube-vip.io/egress", A, "R", later, "egress", "`true`: SNAT the active endpoint to the VIP"},
    {"kube-vip.io/egress-internal", A, "R", later, "egress", "`true`: nftables egress"},
    {"kube-vip.io/egress-ipv6", A, "R", later, "egress", "`true`: egress for the IPv6 endpoint"},
    {"kube-vip.io/egress-destination-ports", A, "R", later, "egress",
     "`proto:port,…`: SNAT only these destination ports"},
    {"kube-vip.io/egress-source-ports", A, "R", later, "egress",
     "`proto:port,…`: conntrack flush filter"},
    {"kube-vip.io/egress-allowed-networks", A, "R", later, "egress", "CIDRs to SNAT"},
    {"kube-vip.io/egress-denied-networks", A, "R", later, "egress", "CIDRs never SNATed"},
    {"kube-vip.io/egress-no-internal-traffic", A, "R", later, "egress",
     "`true`: do not exclude pod/service CIDRs"},
    {"kube-vip.io/egress-detect-api-server", A, "R", later, "egress",
     "`true`: deny the API server address"},
    {"kube-vip.io/active-endpoint", A, "R/W", later, "egress",
     "pod IPv4 address chosen as egress source"},
    {"kube-vip.io/active-endpoint-ipv6", A, "R/W", later, "egress",
     "pod IPv6 address chosen as egress source"},
    {"kube-vip.io/egress-nftables-table", A, "R/W", later, "egress",
     "nftables table owning the Service's SNAT chain"},
    {"development.kube-vip.io/synthetic-api-server-error-on-update", A, "R", later,
     "status writer test hook", "`true`: fail status updates (kube-vip's test hook)"},
    {"kube-vip.io/has-ip", key_kind::node_label, "W", now, "",
     "on the node holding the control-plane VIP (IPv6 as 32 hex digits; enable_node_labeling)"},
    {"service-provided.kube-vip.io/<svc>.<ns>", key_kind::node_label, "W", now, "",
     "on each node announcing the Service: its addresses joined by `_` (enable_node_labeling)"},
    {"implementation", key_kind::service_label, "W", now, "",
     "`kube-vip` on Services given an address from a pool (as kube-vip-cloud-provider)"},
    // Cloud-provider keys written next to the pool allocation (reference §4).
    {"ipam-address", key_kind::service_label, "W", now, "",
     "legacy label removed by the pool allocator (as kube-vip-cloud-provider)"},
};

} // namespace

const char* to_string(key_status s) {
  return s == key_status::acted_on ? "acted on" : "later";
}

const char* to_string(key_kind k) {
  switch (k) {
  case key_kind::service_annotation:
    return "Service annotation";
  case key_kind::node_label:
    return "Node label";
  case key_kind::service_label:
    return "Service label";
  }
  return "?";
}

std::span<const key_info> annotation_table() {
  return table;
}

const key_info* find_key(std::string_view key) {
  for (const auto& row : table)
    if (row.key == key) return &row;
  return nullptr;
}

std::string annotation_table_markdown() {
  std::string out = "| Key | Kind | R/W | Status | What it does |\n|---|---|---|---|---|\n";
  for (const auto& row : table) {
    std::string status = to_string(row.status);
    if (row.status == key_status::later)
      status = "parsed, not acted on yet (" + std::string(row.later_issue) + " issue)";
    out += "| `" + std::string(row.key) + "` | " + to_string(row.kind) + " | " +
           std::string(row.access) + " | " + status + " | " + std::string(row.what) + " |\n";
  }
  return out;
}

std::string label_value(const net::ip_address& a) {
  if (a.is_v4()) return a.to_string();
  std::string out;
  char buf[3];
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", a.bytes[i]);
    out += buf;
  }
  return out;
}

result<std::string> service_provided_label(std::string_view ns, std::string_view name) {
  std::string tail = std::string(name) + "." + std::string(ns);
  if (tail.size() > 63)
    return invalid("node label " + std::string(service_provided_prefix) + tail,
                   "name part \"" + tail + "\" is longer than 63 characters");
  return std::string(service_provided_prefix) + tail;
}

result<std::string> service_provided_value(const std::vector<net::ip_address>& addresses) {
  std::string out;
  for (const auto& a : addresses) {
    if (!out.empty()) out += "_";
    out += label_value(a);
  }
  if (out.size() > 63)
    return invalid("node label value " + quote(out), "longer than 63 characters");
  return out;
}

bool is_kvip_node_label(std::string_view key) {
  return key == has_ip_label ||
         key.substr(0, service_provided_prefix.size()) == service_provided_prefix;
}

} // namespace kvip::k8s::services
