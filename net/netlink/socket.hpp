#pragma once
// Links and addresses through rtnetlink (libnl-route-3): what the VIP address
// manager needs. Synchronous calls on one socket; not thread-safe (one
// instance per thread). No actors here: the owning actor runs these on its
// I/O thread.
//
// VIPs are added with preferred lifetime 0 ("deprecated"), so the kernel never
// picks a VIP as the source address of outgoing traffic or as an interface's
// primary address, and valid lifetime forever; IPv6 VIPs with NODAD so they
// are usable at once.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/ip.hpp"
#include "net/result.hpp"

struct nl_sock;

namespace kvip::net::netlink {

/// A network interface.
struct link_info {
  int ifindex = 0;
  std::string name;
  mac_address mac{};
  bool admin_up = false; ///< IFF_UP
  bool oper_up = false;  ///< IFF_RUNNING (carrier); UNKNOWN counts as up
  unsigned mtu = 0;
};

/// An address on an interface.
struct addr_info {
  int ifindex = 0;
  ip_prefix prefix;
  std::uint32_t flags = 0;              ///< IFA_F_*
  std::uint32_t preferred_lifetime = 0; ///< seconds; 0xffffffff = forever
  std::uint32_t valid_lifetime = 0;     ///< seconds; 0xffffffff = forever
  int scope = 0;                        ///< RT_SCOPE_*
  /// True for an address kvip added as a VIP (preferred lifetime 0). The
  /// kernel reports an IPv4 one as IFA_F_DEPRECATED (0x20) with preferred
  /// lifetime "forever" when its valid lifetime is forever.
  bool deprecated() const { return preferred_lifetime == 0 || (flags & 0x20U) != 0; }
};

/// How a VIP address is added.
struct vip_options {
  bool host_scope = false; ///< scope host (kube-vip's default on `lo`)
};

/// An rtnetlink connection. Every call returns a result (net/result.hpp):
/// the value, or an error naming the interface or address concerned.
/// One neighbour-table entry.
struct neighbour_info {
  int ifindex = 0;
  ip_address address;
  mac_address mac{};
};

class socket {
public:
  /// Connects; an error when the socket cannot be opened.
  static result<std::unique_ptr<socket>> open();
  ~socket();
  socket(const socket&) = delete;
  socket& operator=(const socket&) = delete;

  /// Every interface.
  result<std::vector<link_info>> links();
  /// The interface called `name`; an error naming it if absent.
  result<link_info> link_by_name(const std::string& name);
  /// The interface with index `ifindex`; an error if absent.
  result<link_info> link_by_index(int ifindex);

  /// Addresses on `ifindex` (0 = every interface), both families.
  result<std::vector<addr_info>> addresses(int ifindex);
  /// The kernel's neighbour table (ARP and NDP caches): every entry with a
  /// link-layer address (incomplete and failed ones have none).
  result<std::vector<neighbour_info>> neighbours();

  /// The interface holding a non-VIP address whose subnet contains `a`
  /// (how kube-vip's `auto` picks an interface); nullopt if none does.
  result<std::optional<link_info>> link_for(const ip_address& a);

  /// Adds (or refreshes) a VIP; an error names the address.
  result<void> add_vip(int ifindex, const ip_prefix& vip, const vip_options& opts = {});
  /// Removes an address; an address that is not there is not an error.
  result<void> remove_address(int ifindex, const ip_prefix& a);

private:
  explicit socket(nl_sock* sk) : sk_(sk) {}
  nl_sock* sk_;
};

} // namespace kvip::net::netlink
