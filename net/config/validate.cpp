// The cross-field pass of the configuration layer: derived defaults
// (`dhcp_mode`, `vip_subnet` per family, `backend_health_check_interval` 0 ->
// 5 s, `vip_arpRate` floor, the legacy single BGP peer) and every rule that
// involves more than one knob. Single-field syntax and ranges are checked by
// the knob table's parsers (config_knobs.cpp). Every rule reports a problem and
// carries on, so the user sees all of them at once.
#include "net/config/detail.hpp"
#include "net/gossip/fence.hpp"

namespace kvip::net::config::detail {

namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

/// Reports problems with the spelling and raw value the user gave, falling
/// back to the canonical knob name and the typed value for defaults.
class checker {
public:
  checker(load_result& res, const origin_map& origins) : res_(res), origins_(origins) {}

  bool is_set(const std::string& name) const { return origins_.count(name) != 0; }

  std::string key(const std::string& name) const {
    auto i = origins_.find(name);
    return i == origins_.end() ? name : i->second.key;
  }

  std::string value(const std::string& name, std::string fallback) const {
    auto i = origins_.find(name);
    return i == origins_.end() ? fallback : i->second.value;
  }

  void fail(const std::string& name, std::string fallback, std::string expected) {
    res_.problems.push_back({key(name), value(name, std::move(fallback)), std::move(expected)});
  }

  void fail_raw(std::string key, std::string value, std::string expected) {
    res_.problems.push_back({std::move(key), std::move(value), std::move(expected)});
  }

  void warn(std::string text) { res_.warnings.push_back(std::move(text)); }

private:
  load_result& res_;
  const origin_map& origins_;
};

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (auto& item : items)
    out += (out.empty() ? "" : sep) + item;
  return out;
}

std::string fmt(milliseconds d) {
  return format_duration(d);
}

// -- derived defaults --

void derive(settings& c, checker& ck) {
  if (!ck.is_set("dhcp_mode"))
    c.dhcp_mode = c.dns_mode == family_mode::first ? family_mode::ipv4 : c.dns_mode;
  if (c.backend_health_check_interval == 0ms) c.backend_health_check_interval = 5s;
  if (c.arp_rate < 500ms) {
    ck.warn(ck.key("vip_arpRate") + "=" + ck.value("vip_arpRate", fmt(c.arp_rate)) +
            " is below 500ms; reset to 3000ms as kube-vip does");
    c.arp_rate = 3000ms;
  }
  if (c.debounce_time > 0ms && c.debounce_time < 200ms) {
    ck.warn(ck.key("debounce_time") + "=" + ck.value("debounce_time", fmt(c.debounce_time)) +
            " is below the 200ms minimum; using 200ms");
    c.debounce_time = 200ms;
  }
  if (!c.bgp_peer_address.empty()) {
    bgp_peer legacy;
    legacy.address = c.bgp_peer_address;
    legacy.asn = c.bgp_peer_as;
    legacy.password = c.bgp_peer_password;
    legacy.multihop = c.bgp_multihop;
    c.bgp_peers.push_back(std::move(legacy));
  }
}

// Resolves `vip_subnet` into per-family prefix lengths. With IP-literal
// addresses the entries match the addresses by position; otherwise the list is
// "IPv4[,IPv6]" and a single `auto` covers both families.
void resolve_subnets(settings& c, checker& ck) {
  if (c.vip_subnet_text.empty()) return; // 32 / 128 stay
  auto items = split(c.vip_subnet_text, ',');
  bool has_auto = std::find(items.begin(), items.end(), "auto") != items.end();
  bool literal = !c.address.empty() && std::all_of(c.address.begin(), c.address.end(),
                                                   [](auto& a) { return ip_family(a) != 0; });
  if (has_auto && (!c.arp || !c.services || !c.address.empty()))
    ck.fail("vip_subnet", c.vip_subnet_text,
            "auto only in ARP mode (vip_arp) with services (svc_enable) and no address");
  std::vector<int> families;
  if (literal) {
    if (items.size() != c.address.size())
      return ck.fail("vip_subnet", c.vip_subnet_text,
                     "one prefix length per address (" + std::to_string(c.address.size()) + ")");
    for (auto& a : c.address)
      families.push_back(ip_family(a));
  } else if (items.size() == 1) {
    families = {4};
    if (items[0] == "auto") families.push_back(6);
  } else if (items.size() == 2) {
    families = {4, 6};
  } else {
    return ck.fail("vip_subnet", c.vip_subnet_text, "at most two entries: IPv4,IPv6");
  }
  std::vector<int> set_by; // families already given a prefix by an earlier entry
  for (size_t i = 0; i < families.size(); ++i) {
    auto& item = items[std::min(i, items.size() - 1)];
    auto& target = families[i] == 4 ? c.subnet_v4 : c.subnet_v6;
    auto before = target;
    if (item == "auto") {
      target = prefix_length{true, 0};
      continue;
    }
    int max = families[i] == 4 ? 32 : 128;
    auto bits = parse_int(item, 0, max);
    if (!bits)
      return ck.fail("vip_subnet", c.vip_subnet_text,
                     "entry " + std::to_string(i + 1) + " is for IPv" +
                         std::to_string(families[i]) + ": a prefix length 0.." +
                         std::to_string(max) + " or auto");
    target = prefix_length{false, static_cast<int>(*bits)};
    bool again = std::find(set_by.begin(), set_by.end(), families[i]) != set_by.end();
    if (again && !(before == target))
      return ck.fail("vip_subnet", c.vip_subnet_text,
                     "one prefix length per address family (entry " + std::to_string(i + 1) +
                         " differs from an earlier IPv" + std::to_string(families[i]) + " entry)");
    set_by.push_back(families[i]);
  }
}

// -- rules --

void check_modes(const settings& c, checker& ck) {
  std::vector<std::string> on;
  if (c.arp) on.emplace_back("vip_arp");
  if (c.bgp) on.emplace_back("bgp_enable");
  if (c.routing_table) on.emplace_back("vip_routingtable");
  if (c.wireguard) on.emplace_back("vip_wireguard");
  if (on.size() != 1)
    ck.fail_raw("vip_arp|bgp_enable|vip_routingtable|vip_wireguard",
                on.empty() ? "none enabled" : join(on, "+"), "exactly one mode enabled");
  if (!c.control_plane && !c.services)
    ck.fail_raw("cp_enable|svc_enable", "both false", "at least one of them true");
  if (c.lb_enable && !c.control_plane)
    ck.warn(ck.key("lb_enable") + " has no effect without cp_enable");
}

void check_election(const settings& c, checker& ck) {
  struct item {
    const char* name;
    milliseconds value;
  };
  bool positive = true;
  for (auto [name, value] :
       {item{"vip_leaseduration", c.lease_duration}, item{"vip_renewdeadline", c.renew_deadline},
        item{"vip_retryperiod", c.retry_period}})
    if (value <= 0ms) {
      ck.fail(name, fmt(value), "a duration > 0");
      positive = false;
    }
  if (positive && c.election == election_backend::kubernetes) {
    if (c.lease_duration <= c.renew_deadline)
      ck.fail("vip_leaseduration", fmt(c.lease_duration),
              "greater than vip_renewdeadline (" + fmt(c.renew_deadline) + ")");
    // client-go: RenewDeadline > JitterFactor (1.2) * RetryPeriod.
    if (c.renew_deadline * 5 <= c.retry_period * 6)
      ck.fail("vip_renewdeadline", fmt(c.renew_deadline),
              "greater than 1.2 x vip_retryperiod (" + fmt(c.retry_period * 6 / 5) + ")");
  }
  if (c.election == election_backend::etcd && c.etcd_endpoints.empty())
    ck.fail("etcdEndpoints", "", "at least one endpoint when leaderElectionType=etcd");
  if (c.lose_leadership_timeout <= 0ms)
    ck.fail("vip_loseleadership_timeout_seconds", fmt(c.lose_leadership_timeout), "a duration > 0");
}

void check_addresses(const settings& c, checker& ck) {
  auto joined = join(c.address, ",");
  bool literal = !c.address.empty() && ip_family(c.address.front()) != 0;
  if (c.control_plane && c.address.empty() && !c.ddns)
    ck.fail("address", "", "an address (IP, IPv4,IPv6 or a DNS name) when cp_enable is set");
  if (c.ddns && literal)
    ck.fail("address", joined, "a DNS name when vip_ddns is set (its first label is the hostname)");
  if (c.address_from_vip_address && c.control_plane && (c.arp || c.bgp || c.routing_table) &&
      c.vip_subnet_text.empty())
    ck.fail("address", joined,
            "vip_subnet set as well when the deprecated vip_address is used (or use address)");
}

void check_health(const settings& c, checker& ck) {
  if (c.cp_health_check_period <= 0ms)
    ck.fail("control_plane_health_check_period_seconds", fmt(c.cp_health_check_period),
            "a duration > 0");
  if (c.cp_health_check_timeout <= 0ms)
    ck.fail("control_plane_health_check_timeout_seconds", fmt(c.cp_health_check_timeout),
            "a duration > 0");
  // health_check_port listens on every address: it cannot share the metrics listener's port.
  auto& prom = c.prometheus_server;
  if (c.health_check_port != 0 && !prom.empty() &&
      prom.substr(prom.rfind(':') + 1) == std::to_string(c.health_check_port))
    ck.fail("health_check_port", std::to_string(c.health_check_port),
            "a port other than prometheus_server's (" + prom + ")");
}

void check_nexthop(const mpbgp_options& m, const settings& c, checker& ck, const std::string& key,
                   const std::string& value) {
  if (m.nexthop == mpbgp_nexthop::fixed && m.ipv4.empty() && m.ipv6.empty())
    ck.fail_raw(key, value, "mpbgp_nexthop=fixed needs mpbgp_ipv4 and/or mpbgp_ipv6");
  if (m.nexthop == mpbgp_nexthop::auto_sourceip && c.bgp_source_ip.empty())
    ck.fail_raw(key, value, "mpbgp_nexthop=auto_sourceip needs bgp_sourceip");
  if (m.nexthop == mpbgp_nexthop::auto_sourceif && c.bgp_source_if.empty())
    ck.fail_raw(key, value, "mpbgp_nexthop=auto_sourceif needs bgp_sourceif");
}

void check_bgp(const settings& c, checker& ck) {
  if (!c.bgp_source_if.empty() && !c.bgp_source_ip.empty())
    ck.fail("bgp_sourceip", c.bgp_source_ip,
            "not together with bgp_sourceif (" + c.bgp_source_if + "): set only one");
  for (auto [name, value] : {std::pair{"bgp_hold_time", c.bgp_hold_time},
                             std::pair{"bgp_keepalive_interval", c.bgp_keepalive_interval}})
    if (value % 1s != 0ms) ck.fail(name, fmt(value), "a whole number of seconds");
  if (c.bgp_hold_time != 0ms && c.bgp_hold_time < 3s)
    ck.fail("bgp_hold_time", fmt(c.bgp_hold_time), "0 or at least 3s");
  else if (c.bgp_hold_time != 0ms && c.bgp_hold_time <= c.bgp_keepalive_interval)
    ck.fail("bgp_hold_time", fmt(c.bgp_hold_time),
            "greater than bgp_keepalive_interval (" + fmt(c.bgp_keepalive_interval) + ")");
  check_nexthop(c.mpbgp, c, ck, ck.key("mpbgp_nexthop"),
                ck.value("mpbgp_nexthop", std::string{to_string(c.mpbgp.nexthop)}));
  for (size_t i = 0; i < c.bgp_peers.size(); ++i) {
    auto effective = c.bgp_peers[i].mpbgp;
    if (effective.nexthop == mpbgp_nexthop::none) effective.nexthop = c.mpbgp.nexthop;
    if (effective.ipv4.empty()) effective.ipv4 = c.mpbgp.ipv4;
    if (effective.ipv6.empty()) effective.ipv6 = c.mpbgp.ipv6;
    if (c.bgp_peers[i].mpbgp.nexthop != mpbgp_nexthop::none)
      check_nexthop(effective, c, ck, ck.key("bgp_peers") + "[" + std::to_string(i) + "]",
                    std::string{to_string(effective.nexthop)});
  }
}

// The gossip timings (checked whether or not kvip_gossip is on, so a file prepared for gossip
// is right before it is switched on). The fence rule is net/gossip's own validate(): the
// fence check interval is not a knob, it is the fence core's default tick.
void check_gossip(const settings& c, checker& ck) {
  struct item {
    const char* name;
    milliseconds value;
  };
  bool positive = true;
  for (auto [name, value] : {item{"kvip_gossip_probe_period", c.gossip_probe_period},
                             item{"kvip_gossip_probe_timeout", c.gossip_probe_timeout},
                             item{"kvip_gossip_suspicion_timeout", c.gossip_suspicion_timeout},
                             item{"kvip_gossip_fence_timeout", c.gossip_fence_timeout},
                             item{"kvip_gossip_takeover_wait", c.gossip_takeover_wait}})
    if (value <= 0ms) {
      ck.fail(name, fmt(value), "a duration > 0");
      positive = false;
    }
  if (!positive) return;
  if (c.gossip_probe_timeout >= c.gossip_probe_period)
    ck.fail("kvip_gossip_probe_timeout", fmt(c.gossip_probe_timeout),
            "less than kvip_gossip_probe_period (" + fmt(c.gossip_probe_period) + ")");
  gossip::fence_config fence;
  fence.fence_timeout = c.gossip_fence_timeout;
  fence.takeover_wait = c.gossip_takeover_wait;
  if (!gossip::validate(fence))
    ck.fail("kvip_gossip_takeover_wait", fmt(c.gossip_takeover_wait),
            "greater than kvip_gossip_fence_timeout (" + fmt(c.gossip_fence_timeout) +
                ") + the fence check interval (" + fmt(fence.check_interval) +
                "), so an owner cut off has stopped before another node takes over");
  if (c.gossip && c.health_check_port == c.gossip_port)
    ck.fail("kvip_gossip_port", std::to_string(c.gossip_port),
            "a port other than health_check_port's");
}

} // namespace

void finish_and_validate(load_result& res, const origin_map& origins) {
  checker ck{res, origins};
  auto& c = res.cfg;
  derive(c, ck);
  resolve_subnets(c, ck);
  check_modes(c, ck);
  check_election(c, ck);
  check_addresses(c, ck);
  check_health(c, ck);
  check_bgp(c, ck);
  check_gossip(c, ck);
}

} // namespace kvip::net::config::detail
