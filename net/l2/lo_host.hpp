#pragma once
// The host settings of gossip mode's userspace ARP/NDP responder (issue 9):
// each VIP is held on `lo`, where the kernel accepts traffic for it but does
// not answer ARP/NDP for it on the announcing interface, and only the live
// kvip process answers (net/l2/responder.hpp). Every change is remembered and
// undone by restore().
//
// What kvip changes, and why (checked in the netns lab, test/net/l2/
// responder_netns_test.cpp, Linux 6.x):
//  - `lo`: the VIP as /32 (IPv4) or /128 (IPv6, NODAD), preferred lifetime 0
//    (net::netlink::socket::add_vip), so it is never picked as a source.
//    Traffic for it arriving on eth0 is accepted (ICMP echo and TCP, IPv4 and
//    IPv6, also with rp_filter=1).
//  - IPv4, per announcing interface: net.ipv4.conf.<if>.arp_ignore=1 (reply
//    only for addresses configured on the receiving interface). Without it
//    Linux answers ARP on eth0 for an address on lo (arp_ignore=0: any local
//    address on any interface): measured, the client learned the node's MAC
//    from the kernel. With it, no reply. Values 2 and 8 are stricter and are
//    kept if already set; 3 answers for global-scope addresses, so it is
//    replaced. net.ipv4.conf.all.* is not changed: the kernel uses
//    max(all, <if>) for both settings, so the interface's value is enough
//    (checked: all=0, eth0=1 -> no reply); an `all` of 3..7 would override it
//    and is reported as an error instead of changing every interface.
//  - IPv4, per announcing interface: net.ipv4.conf.<if>.arp_announce=2, so
//    the node's own ARP requests on eth0 never name the VIP as their source
//    (which would teach neighbours the VIP's MAC behind the responder's back).
//  - IPv6: nothing. Linux answers a neighbour solicitation only for an
//    address on the receiving interface (ndisc_recv_ns looks the target up on
//    that device), so an address on lo is never answered on eth0 (checked:
//    the client's NS stayed INCOMPLETE with default settings), while traffic
//    for it arriving on eth0 is accepted (checked with ping to the /128).
//
// Restore after a crash: before each change, the original value (and each
// address kvip puts on lo) is written to a restore file (default
// /run/kvip/responder.restore; kvip uses /run/kvip/responder-<node>.restore), tmpfs: gone after a
// reboot, as are the settings). A kvip killed with SIGKILL leaves the file behind; the next one
// adopts it on open(): the values recorded there stay the originals (it does
// not record the 1 and 2 its predecessor set as "original"), and the
// addresses listed there are removed at restore(). restore() removes the lo
// addresses first, then writes the original values back, then deletes the
// file, so the kernel never answers for a VIP still on lo.
//
// Not thread-safe: one owner (the responder's I/O actor).

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "net/ip.hpp"
#include "net/result.hpp"

namespace kvip::net::netlink {
class socket;
}

namespace kvip::net::l2 {

struct lo_host_options {
  std::string restore_file = "/run/kvip/responder.restore";
  std::string proc_sys = "/proc/sys"; ///< tests point this at a directory tree
  bool manage_addresses = true;       ///< false: sysctls only (unit tests, no netlink)
};

class lo_host {
public:
  /// Opens, adopting a restore file left by a previous incarnation; an error
  /// if that file exists but cannot be read.
  static result<std::unique_ptr<lo_host>> open(lo_host_options opts);
  ~lo_host();
  lo_host(const lo_host&) = delete;
  lo_host& operator=(const lo_host&) = delete;

  /// Holds `vip` on lo (/32 or /128); already there is fine.
  result<void> add(const ip_address& vip);
  /// Records `vips` in the restore file at once, before they are add()ed one
  /// by one (one write for a thousand new VIPs, not one each).
  result<void> record(const std::vector<ip_address>& vips);
  /// Removes `vip` from lo; not there is fine.
  result<void> remove(const ip_address& vip);
  /// Sets arp_ignore and arp_announce on `ifname` (IPv4 only; nothing is
  /// needed for IPv6), remembering the originals.
  result<void> prepare(const std::string& ifname);
  /// Removes every address it holds (or adopted), then restores every
  /// setting; deletes the restore file when everything succeeded. An error
  /// lists every failure; what failed stays recorded for the next try.
  result<void> restore();

  /// Addresses held on lo (including adopted leftovers).
  const std::set<ip_address>& held() const { return held_; }
  /// Sysctl (path under proc_sys) -> original value, as recorded.
  const std::map<std::string, std::string>& originals() const { return originals_; }
  /// One line per change, for dumps: "net/ipv4/conf/eth0/arp_ignore 0 -> 1".
  std::vector<std::string> describe() const;

private:
  explicit lo_host(lo_host_options opts);
  result<void> load();
  result<void> save() const;
  result<void> set_sysctl(const std::string& rel, const std::string& value);
  result<void> connect();

  lo_host_options opts_;
  std::map<std::string, std::string> originals_; ///< relative path -> original value
  std::map<std::string, std::string> current_;   ///< relative path -> value kvip set
  std::set<ip_address> held_;
  std::unique_ptr<netlink::socket> nl_;
  int lo_index_ = 0;
};

/// The value of sysctl file `path` without the trailing newline, or an error.
result<std::string> read_sysctl(const std::string& path);
/// Writes `value` to sysctl file `path`.
result<void> write_sysctl(const std::string& path, const std::string& value);

} // namespace kvip::net::l2
