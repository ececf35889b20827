#include "net/netlink/socket.hpp"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>

#include <cstring>

namespace kvip::net::netlink {

namespace {

template <class T, void (*F)(T*)>
struct nl_deleter {
  void operator()(T* p) const {
    if (p) F(p);
  }
};
using cache_ptr = std::unique_ptr<nl_cache, nl_deleter<nl_cache, nl_cache_free>>;
using addr_ptr = std::unique_ptr<rtnl_addr, nl_deleter<rtnl_addr, rtnl_addr_put>>;
using nladdr_ptr = std::unique_ptr<nl_addr, nl_deleter<nl_addr, nl_addr_put>>;

constexpr std::uint32_t forever = 0xffffffffU;

/// A libnl failure (libnl's own codes, not errno: the text says it all).
error nl_error(const std::string& what, int err) {
  return make_error(what + ": " + nl_geterror(err));
}

link_info to_link(rtnl_link* l) {
  link_info out;
  out.ifindex = rtnl_link_get_ifindex(l);
  if (const char* n = rtnl_link_get_name(l)) out.name = n;
  if (nl_addr* a = rtnl_link_get_addr(l); a && nl_addr_get_len(a) == 6)
    std::memcpy(out.mac.data(), nl_addr_get_binary_addr(a), 6);
  unsigned flags = rtnl_link_get_flags(l);
  out.admin_up = (flags & IFF_UP) != 0;
  auto oper = rtnl_link_get_operstate(l);
  out.oper_up = (flags & IFF_RUNNING) != 0 || oper == IF_OPER_UP || oper == IF_OPER_UNKNOWN;
  out.mtu = rtnl_link_get_mtu(l);
  return out;
}

std::optional<ip_address> from_nl(nl_addr* a) {
  if (!a) return std::nullopt;
  auto len = nl_addr_get_len(a);
  auto* b = static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(a));
  if (nl_addr_get_family(a) == AF_INET && len == 4) return ip_address::v4(b);
  if (nl_addr_get_family(a) == AF_INET6 && len == 16) return ip_address::v6(b);
  return std::nullopt;
}

nladdr_ptr to_nl(const ip_prefix& p) {
  nl_addr* a = nl_addr_build(p.address.is_v4() ? AF_INET : AF_INET6, p.address.bytes.data(),
                             p.address.size());
  if (a) nl_addr_set_prefixlen(a, p.length);
  return nladdr_ptr{a};
}

} // namespace

result<std::unique_ptr<socket>> socket::open() {
  nl_sock* sk = nl_socket_alloc();
  if (!sk) return make_error("netlink: cannot allocate a socket");
  if (int rc = nl_connect(sk, NETLINK_ROUTE); rc < 0) {
    nl_socket_free(sk);
    return nl_error("netlink: connect", rc);
  }
  return std::unique_ptr<socket>{new socket{sk}};
}

socket::~socket() {
  nl_socket_free(sk_);
}

result<std::vector<link_info>> socket::links() {
  std::vector<link_info> out;
  nl_cache* raw = nullptr;
  if (int rc = rtnl_link_alloc_cache(sk_, AF_UNSPEC, &raw); rc < 0)
    return nl_error("netlink: list links", rc);
  cache_ptr cache{raw};
  for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o))
    out.push_back(to_link(reinterpret_cast<rtnl_link*>(o)));
  return out;
}

result<link_info> socket::link_by_name(const std::string& name) {
  auto all = links();
  if (!all) return all.err();
  for (auto& l : *all)
    if (l.name == name) return l;
  return make_error("no interface named \"" + name + "\"");
}

result<link_info> socket::link_by_index(int ifindex) {
  auto all = links();
  if (!all) return all.err();
  for (auto& l : *all)
    if (l.ifindex == ifindex) return l;
  return make_error("no interface with index " + std::to_string(ifindex));
}

result<std::vector<addr_info>> socket::addresses(int ifindex) {
  std::vector<addr_info> out;
  nl_cache* raw = nullptr;
  if (int rc = rtnl_addr_alloc_cache(sk_, &raw); rc < 0)
    return nl_error("netlink: list addresses", rc);
  cache_ptr cache{raw};
  for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (ifindex != 0 && rtnl_addr_get_ifindex(a) != ifindex) continue;
    auto local = from_nl(rtnl_addr_get_local(a));
    if (!local) continue;
    addr_info info;
    info.ifindex = rtnl_addr_get_ifindex(a);
    info.prefix = ip_prefix{*local, rtnl_addr_get_prefixlen(a)};
    info.flags = rtnl_addr_get_flags(a);
    info.preferred_lifetime = rtnl_addr_get_preferred_lifetime(a);
    info.valid_lifetime = rtnl_addr_get_valid_lifetime(a);
    info.scope = rtnl_addr_get_scope(a);
    out.push_back(info);
  }
  return out;
}

result<std::vector<neighbour_info>> socket::neighbours() {
  std::vector<neighbour_info> out;
  nl_cache* raw = nullptr;
  if (int rc = rtnl_neigh_alloc_cache(sk_, &raw); rc < 0)
    return nl_error("netlink: list neighbours", rc);
  cache_ptr cache{raw};
  for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
    auto* n = reinterpret_cast<rtnl_neigh*>(o);
    auto dst = from_nl(rtnl_neigh_get_dst(n));
    nl_addr* ll = rtnl_neigh_get_lladdr(n);
    if (!dst || !ll || nl_addr_get_len(ll) != 6) continue;
    neighbour_info info;
    info.ifindex = rtnl_neigh_get_ifindex(n);
    info.address = *dst;
    std::memcpy(info.mac.data(), nl_addr_get_binary_addr(ll), 6);
    out.push_back(info);
  }
  return out;
}

result<std::optional<link_info>> socket::link_for(const ip_address& a) {
  auto addrs = addresses(0);
  if (!addrs) return addrs.err();
  for (const auto& addr : *addrs) {
    if (addr.deprecated() || addr.prefix.length == addr.prefix.address.max_prefix()) continue;
    if (!addr.prefix.contains(a)) continue;
    auto l = link_by_index(addr.ifindex);
    if (!l) return l.err();
    return std::optional<link_info>{*l};
  }
  return std::optional<link_info>{};
}

result<void> socket::add_vip(int ifindex, const ip_prefix& vip, const vip_options& opts) {
  auto local = to_nl(vip);
  if (!local) return make_error("netlink: cannot build address " + vip.to_string());
  addr_ptr a{rtnl_addr_alloc()};
  rtnl_addr_set_ifindex(a.get(), ifindex);
  rtnl_addr_set_family(a.get(), vip.address.is_v4() ? AF_INET : AF_INET6);
  rtnl_addr_set_local(a.get(), local.get());
  rtnl_addr_set_prefixlen(a.get(), vip.length);
  rtnl_addr_set_preferred_lifetime(a.get(), 0);
  rtnl_addr_set_valid_lifetime(a.get(), forever);
  if (vip.address.is_v6()) rtnl_addr_set_flags(a.get(), IFA_F_NODAD);
  if (opts.host_scope) rtnl_addr_set_scope(a.get(), RT_SCOPE_HOST);
  if (int rc = rtnl_addr_add(sk_, a.get(), NLM_F_CREATE | NLM_F_REPLACE); rc < 0)
    return nl_error("netlink: add " + vip.to_string() + " on ifindex " + std::to_string(ifindex),
                    rc);
  return ok();
}

result<void> socket::remove_address(int ifindex, const ip_prefix& p) {
  auto local = to_nl(p);
  if (!local) return make_error("netlink: cannot build address " + p.to_string());
  addr_ptr a{rtnl_addr_alloc()};
  rtnl_addr_set_ifindex(a.get(), ifindex);
  rtnl_addr_set_family(a.get(), p.address.is_v4() ? AF_INET : AF_INET6);
  rtnl_addr_set_local(a.get(), local.get());
  rtnl_addr_set_prefixlen(a.get(), p.length);
  int rc = rtnl_addr_delete(sk_, a.get(), 0);
  if (rc < 0 && rc != -NLE_NOADDR && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_NODEV)
    return nl_error("netlink: remove " + p.to_string(), rc);
  return ok();
}

} // namespace kvip::net::netlink
