#pragma once
// The desired-set bookkeeping of the ARP/NDP announcer (actors/arp_broadcaster):
// which VIPs to add, keep and remove when a new desired set arrives, what
// each VIP's state is while the host work is done elsewhere (the announcer's
// I/O actor), what to answer in announce_result, and how to repair a held
// address someone removed. Pure: no actors, no host calls, no clock.
//
// One state machine per VIP (key "10.0.0.100/32%eth0"):
//
//   state     + event                         -> state     + effect
//   gone      + desired                        -> adding    + add
//   waiting   + desired / retry                -> adding    + add
//   removing  + desired                        -> adding    + add (after the removal)
//   adding    + added ok                       -> held      (new generation)
//   adding    + added failed                   -> waiting   (error kept, retried)
//   held      + not desired / stop             -> removing  + remove
//   adding    + not desired / stop             -> removing  + remove (after the add)
//   waiting   + not desired / stop             -> gone
//   removing  + removed (ok or not)            -> gone      (a failed removal is the
//                                                           I/O side's leftover)
//   removing  + added (either)                 -> removing  (the removal follows)
//   adding    + removed (either)               -> adding    (the add follows)
//
// A gone entry is forgotten at once; the set holds only the other four.
// The effects run in order on one FIFO worker (removals of a set before its
// additions, so an address moving between interfaces is never on both), so
// an effect issued later always runs after the ones issued before it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/ip.hpp"
#include "net/l2/frames.hpp"
#include "net/netlink/socket.hpp"
#include "net/result.hpp"

namespace kvip::net::l2 {

/// A VIP of a desired set, checked.
struct vip {
  ip_prefix prefix;
  std::string interface;
  std::string key;   ///< "10.0.0.100/32%eth0": identity in the set
  std::string label; ///< "10.0.0.100": metrics label, conflict reports
};

/// Checks one VIP of a desired set; an error names the VIP and what is wrong.
/// prefix_length 0 means the family's full length.
result<vip> check_vip(const std::string& address, int prefix_length, const std::string& interface);

enum class vip_state { gone, adding, held, waiting, removing };
const char* to_string(vip_state s);

/// One VIP the set knows about.
struct vip_entry {
  vip v;
  vip_state state = vip_state::gone;
  netlink::link_info link;      ///< where it is held (state held)
  std::uint64_t generation = 0; ///< changes each time it becomes held
  std::string error;            ///< why it is waiting
};

/// Host work the set asks for, to run in this order: removals, then additions.
struct set_effects {
  std::vector<std::string> remove; ///< keys whose address goes (the I/O side knows where)
  std::vector<vip> add;            ///< add the address, then announce at once
};

/// What announce_result says after a desired set was applied.
struct set_report {
  std::vector<std::string> active; ///< labels of the held VIPs
  std::string error;               ///< "" or every failure, "; "-separated
};

class vip_set {
public:
  /// A new desired set (already checked); what to remove and add.
  set_effects desire(const std::vector<vip>& wanted);

  /// Retries the waiting VIPs.
  set_effects retry();

  /// Withdraws everything (shutdown); later desires are refused by the caller.
  set_effects stop();

  /// The host added `key` on this link (first announcement out), or failed.
  /// Returns the entry when it became held.
  const vip_entry* added(const std::string& key, const result<netlink::link_info>& r);

  /// The host removed `key`'s address (or failed to; the error is the caller's to report).
  void removed(const std::string& key, const result<void>& r);

  /// A refresh found `key`'s interface under a new index or MAC.
  void relinked(const std::string& key, const netlink::link_info& link);

  /// The held entry `key` with this generation (a timer still current), or nullptr.
  const vip_entry* current(const std::string& key, std::uint64_t generation) const;

  /// The announce_result for a set applied with these errors.
  set_report report(const std::vector<std::string>& errors) const;

  const std::map<std::string, vip_entry>& entries() const { return entries_; }
  std::size_t count(vip_state s) const;

private:
  /// The one place a VIP changes state: logs old -> new and why; a gone
  /// entry is erased (the reference dies with it).
  void set_state(const std::string& key, vip_state to, const std::string& why);
  void to_adding(const vip& v, set_effects& out, const char* why);

  std::map<std::string, vip_entry> entries_;
  std::uint64_t next_generation_ = 1;
};

/// What a held address needs when it is checked on a refresh.
enum class address_fix {
  none,    ///< there and usable
  add,     ///< gone (someone removed it): add it back
  replace, ///< there but IPv6 DAD failed on it: remove, then add
};

/// Looks for `p` in `addrs` (the addresses of its interface).
address_fix repair(const std::vector<netlink::addr_info>& addrs, const ip_prefix& p);

/// The addresses in `addrs` (any interface) whose address is one of `stale`:
/// a previous incarnation's copies of our VIPs, removed at start.
std::vector<netlink::addr_info> stale_copies(const std::vector<netlink::addr_info>& addrs,
                                             const std::vector<ip_address>& stale);

/// One announcement of `a` from `mac`: an IPv4 gratuitous ARP request then
/// its reply form, or one IPv6 unsolicited neighbour advertisement.
std::vector<frame> announcement(const mac_address& mac, const ip_address& a);

} // namespace kvip::net::l2
