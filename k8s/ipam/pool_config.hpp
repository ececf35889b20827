// The address pools of the `kubevip` ConfigMap, as kube-vip-cloud-provider
// reads them (reference kube-vip-behaviour.md §4), without its weak spots (§9 W19).
//
// Keys (<scope> is a namespace name or `global`):
//   cidr-<scope>          comma list of CIDRs, IPv4 and IPv6 mixed ("10.0.0.0/24,fd00::/120");
//                         exactly "0.0.0.0/32" makes the scope a DHCP pool (always 0.0.0.0)
//   range-<scope>         comma list of start-end ranges ("10.0.0.10-10.0.0.20")
//   allow-share-<scope>   bool: Services with disjoint ports may share an address
//   interface-<scope>     written to the Service as kube-vip.io/serviceInterface
//   search-order          `desc` hands out the highest free address first (default `asc`)
//   skip-end-ips-in-cidr  bool: drop the network and broadcast address of every IPv4 CIDR
//                         shorter than /31
//
// A namespace with a cidr- or range- key of its own takes addresses only from
// it (even when it is exhausted or lacks a family); every other namespace uses
// the global pool. Within a scope, the cidr- and range- entries form one pool.
// Entries are one set: overlaps count once, and addresses go out in address
// order whatever the order of the entries.
//
// Edges of IPv4 entries: an entry of three or more addresses never starts or
// ends on an address ending in .0 or .255 (kube-vip-cloud-provider never hands
// those out, as they are the network or broadcast address of most LANs); unlike
// kube-vip-cloud-provider, such addresses inside an entry (10.0.1.0 in
// 10.0.0.0/16) are ordinary addresses. 0.0.0.0 and :: are never handed out.
//
// Every malformed entry or key is a key_problem naming the key and the bad
// value; it is left out and the rest of the ConfigMap still applies.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "k8s/ipam/address_set.hpp"

namespace kvip::k8s::ipam {

/// The scope name of the pools every namespace without its own falls back to.
inline constexpr std::string_view global_scope = "global";

/// A malformed key or entry of the ConfigMap.
struct key_problem {
  std::string key;     ///< "cidr-team-a"
  std::string value;   ///< the bad entry or value, as written
  std::string message; ///< one line naming both: `cidr-team-a: "10.0.0.300/24" is not …`
};

/// The addresses of one family of one scope.
struct family_pool {
  address_set addresses;
  /// The entries it was built from, per key: "cidr-global 10.0.0.0/30,10.0.1.0/30".
  std::vector<std::string> sources;
  /// "cidr-global 10.0.0.0/30 + range-global 10.0.2.1-10.0.2.9" (for messages).
  std::string describe() const;
};

/// The pool of one scope: a namespace or `global`.
struct scope_pool {
  std::string scope;
  std::vector<std::string> keys; ///< the cidr-/range- keys present ("cidr-global")
  bool dhcp = false;             ///< cidr-<scope> = 0.0.0.0/32
  family_pool v4{address_set{ip_family::v4}, {}};
  family_pool v6{address_set{ip_family::v6}, {}};

  const family_pool& of(ip_family f) const { return f == ip_family::v4 ? v4 : v6; }
  /// "cidr-global" or "cidr-team-a/range-team-a".
  std::string key_names() const;
};

/// The parsed ConfigMap.
struct pool_config {
  std::map<std::string, scope_pool, std::less<>> pools;       ///< by scope
  std::map<std::string, bool, std::less<>> allow_share;       ///< by scope
  std::map<std::string, std::string, std::less<>> interfaces; ///< by scope
  search_order order = search_order::ascending;
  bool skip_end_ips = false;
  std::vector<key_problem> problems; ///< sorted by key

  /// The pool of namespace `ns`: its own when it has a cidr- or range- key, else
  /// the global one; nullptr when neither exists.
  const scope_pool* pool_for(std::string_view ns) const;
  /// allow-share-<ns>, else allow-share-global, else false.
  bool allow_share_for(std::string_view ns) const;
  /// interface-<ns>, else interface-global, else "".
  std::string interface_for(std::string_view ns) const;
};

/// Parses the ConfigMap's data.
pool_config parse_pool_config(const std::map<std::string, std::string>& data);
/// The same for the raw `data` object (a non-string value is a key_problem).
pool_config parse_pool_config(const boost::json::object& data);

/// Booleans as kube-vip-cloud-provider's strconv.ParseBool reads them
/// (1 t T TRUE true True / 0 f F FALSE false False); nullopt otherwise.
std::optional<bool> parse_bool(std::string_view s);

} // namespace kvip::k8s::ipam
