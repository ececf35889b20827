// The address allocator for Services of type LoadBalancer: which address(es) a
// Service without one gets from the pools of the `kubevip` ConfigMap
// (pool_config.hpp), as kube-vip-cloud-provider chooses them (reference
// kube-vip-behaviour.md §4), without its races (§9 W19):
//
// * What is in use is every address any Service holds, cluster-wide, whatever
//   pool or namespace it came from (annotation, spec.loadBalancerIP, status:
//   allocation.hpp reads them), plus this allocator's own reservations. An
//   allocator rebuilt from the current Services therefore never hands out an
//   address that is already present.
// * allocate() reserves what it returns at once, so two Services allocated
//   before the watch echoes the first write never get the same address. The
//   reservation ends when the Service is observed with addresses of its own
//   (the write landed, or someone else set them), or by cancel() / forget().
// * Order: the pool's search order over the pool's addresses as one sorted set;
//   deterministic for the same pools and addresses in use.
// * Sharing (allow-share-<ns>): a Service with ports reuses the first address
//   in use in its pool whose holders all have ports, all sit in namespaces that
//   allow sharing, and use none of its (protocol, port) pairs; IPv4 and IPv6.
// * Families (spec.ipFamilyPolicy / ipFamilies): SingleStack (or none) takes
//   ipFamilies[0], or IPv4 when the pool has IPv4 entries and ipFamilies is
//   empty, else IPv6. PreferDualStack takes one address per family, in
//   ipFamilies order, as far as the pool allows (one is enough). RequireDualStack
//   takes both or nothing.
//
// Pure: no I/O, no clock. Cost per allocation: O(addresses in use in the pool).
#pragma once

#include <compare>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "k8s/ipam/pool_config.hpp"
#include "net/result.hpp"

namespace kvip::k8s::ipam {

/// A Service, by namespace and name.
struct service_id {
  std::string ns;
  std::string name;
  auto operator<=>(const service_id&) const = default;
  /// "ns/name".
  std::string to_string() const { return ns + "/" + name; }
};

/// One port of a Service, as sharing compares them.
struct port_id {
  std::string protocol = "TCP";
  int port = 0;
  auto operator<=>(const port_id&) const = default;
};

/// spec.ipFamilyPolicy.
enum class family_policy { single_stack, prefer_dual_stack, require_dual_stack };

/// "SingleStack", "PreferDualStack", "RequireDualStack".
const char* to_string(family_policy p);

/// A Service that needs addresses.
struct request {
  service_id service;
  std::vector<ip_family> families; ///< spec.ipFamilies, in order (may be empty)
  family_policy policy = family_policy::single_stack;
  std::vector<port_id> ports; ///< spec.ports (for sharing)
};

/// What one Service holds, as the API shows it.
struct holding {
  service_id service;
  std::vector<net::ip_address> addresses;
  std::vector<port_id> ports;
};

/// Why no address was given.
enum class alloc_error_kind {
  no_pool,        ///< neither the namespace nor `global` has a cidr-/range- key
  no_family_pool, ///< the pool has no entry of a family the Service needs
  exhausted,      ///< every address of the family's pool is in use
};

/// "no_pool", "no_family_pool", "exhausted".
const char* to_string(alloc_error_kind k);

/// A failed allocation: the message is fit for a Kubernetes Event
/// ("pool cidr-global 10.0.0.0/30 exhausted: 2 of 2 in use").
struct alloc_error {
  alloc_error_kind kind = alloc_error_kind::no_pool;
  std::string message;
};

/// What a Service gets.
struct allocation {
  /// In ipFamilies order; {0.0.0.0} for a DHCP pool.
  std::vector<net::ip_address> addresses;
  /// addresses[i] is shared with another Service.
  std::vector<bool> shared;
  bool dhcp = false;
  std::string scope;     ///< the pool's scope: the namespace or "global"
  std::string interface; ///< interface-<ns> / interface-global, "" when neither
  /// Why a PreferDualStack Service got one family only (empty otherwise).
  std::string note;
};

/// The allocator: the pools, and every address in use.
class allocator {
public:
  explicit allocator(pool_config config = {}) : config_(std::move(config)) {}

  /// Replaces the pools (the ConfigMap changed). What Services hold stays held,
  /// in the new pools or not.
  void set_config(pool_config config) { config_ = std::move(config); }
  const pool_config& config() const { return config_; }

  /// Records what a Service holds as the API shows it (replacing what it showed
  /// before). Non-empty addresses end the Service's reservation; empty ones keep
  /// it (the write may not have landed yet).
  void observe(const holding& h);
  /// The Service is gone: drops what it holds and its reservation.
  void forget(const service_id& s);
  /// Drops the Service's reservation only (the write failed; allocate again later).
  void cancel(const service_id& s);

  /// Chooses addresses for `r` and reserves them for r.service. A Service with a
  /// reservation gets it again. What the Service already shows (a status IP, say)
  /// stays in use but is not taken as its allocation, as kube-vip-cloud-provider
  /// allocates for every Service without the annotation or spec.loadBalancerIP.
  net::result<allocation, alloc_error> allocate(const request& r);

  /// True when a Service holds or has reserved `a`.
  bool in_use(const net::ip_address& a) const { return by_address_.contains(a); }
  /// The Services holding or having reserved `a`, sorted.
  std::vector<service_id> holders(const net::ip_address& a) const;
  /// Number of Services holding or having reserved addresses.
  std::size_t services() const { return entries_.size(); }

private:
  struct entry {
    std::vector<net::ip_address> observed;
    std::vector<net::ip_address> reserved;
    std::vector<port_id> ports;
  };
  using address_map = std::map<net::ip_address, std::vector<service_id>>;

  struct choice {
    net::ip_address address;
    bool shared = false;
  };

  net::result<choice, alloc_error> choose(const scope_pool& pool, ip_family f,
                                          const request& r) const;
  std::optional<net::ip_address> shareable(const family_pool& fp, const request& r) const;
  net::result<allocation, alloc_error> choose_families(const scope_pool& pool,
                                                       const request& r) const;
  void link(const service_id& s, const std::vector<net::ip_address>& addresses);
  void unlink(const service_id& s, const std::vector<net::ip_address>& addresses);
  std::optional<allocation> existing(const service_id& s) const;

  pool_config config_;
  std::map<service_id, entry> entries_;
  address_map by_address_; ///< address -> its holders (0.0.0.0 / :: never)
};

} // namespace kvip::k8s::ipam
