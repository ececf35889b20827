// Services sharing an IP (reference §3.17; issue 10 "Ownership and election").
//
// Ownership is per IP, so Services that share an address share its owner. Who
// may share: a Service joins the holders of an IP unless it has a port
// (protocol + number) in common with a holder, and the two do not both come from
// pools that allow sharing (kube-vip-cloud-provider's allow-share-<ns> /
// allow-share-global). A Service that may not join gets a reason (an Event) and is
// not announced on that IP; kube-vip itself never checks ports.
//
// Which Service keeps the IP is deterministic: claimants are taken oldest first
// (metadata.creationTimestamp; a Service without one counts as newest), then by
// namespace, then by name; each joins the holders if it conflicts with none of
// them. So an IP never moves from an older Service to a newer one.
//
// The control-plane VIP can take part as a claim of its own (say namespace "",
// name "control-plane", the oldest creation time, port TCP/<port>).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "k8s/services/service.hpp"

namespace kvip::k8s::services {

/// One Service's claim on its addresses.
struct ip_claim {
  std::string ns;
  std::string name;
  std::optional<net::sys_micros> created; ///< nullopt sorts last
  std::vector<port_key> ports;            ///< protocol + port of spec.ports
  std::vector<net::ip_address> addresses; ///< the addresses it asks for
  bool allow_share = false;               ///< its pool allows sharing
  std::string key() const { return ns + "/" + name; }
};

/// The claim of a parsed Service on the addresses select_addresses gave it.
ip_claim claim_of(const service& s, const address_selection& sel, bool allow_share);

/// The outcome for one IP.
struct ip_holders {
  net::ip_address ip;
  std::vector<std::string> holders;             ///< keys that announce it, in claim order
  std::map<std::string, std::string> conflicts; ///< key -> why it may not
};

/// Why `later` may not share with `holder` ("" when it may).
std::string share_conflict(const net::ip_address& ip, const ip_claim& holder,
                           const ip_claim& later);

/// Resolves one IP among `claimants` (those not claiming `ip` are ignored).
ip_holders resolve_ip(const net::ip_address& ip, const std::vector<const ip_claim*>& claimants);

/// Every claim, by Service, for an actor that follows the Service watch.
class sharing_table {
public:
  /// Adds or replaces the claim of c.key(); returns the IPs whose outcome may have
  /// changed (its old and new addresses).
  std::set<net::ip_address> upsert(ip_claim c);
  /// Drops the claim of `key` ("ns/name"); returns its addresses.
  std::set<net::ip_address> remove(const std::string& key);
  /// The outcome for `ip` (no holders when nobody claims it).
  ip_holders holders(const net::ip_address& ip) const;
  /// The IPs `key` claims but may not announce, with the reason.
  std::map<net::ip_address, std::string> conflicts_of(const std::string& key) const;
  /// Every claimed IP.
  std::set<net::ip_address> addresses() const;

private:
  std::map<std::string, ip_claim> claims_;
  std::map<net::ip_address, std::set<std::string>> by_ip_;
};

} // namespace kvip::k8s::services
