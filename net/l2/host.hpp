#pragma once
// The host seam of the ARP/NDP announcer (actors/arp_broadcaster): the few
// things it needs from the OS, behind one abstract interface, so the actor is
// tested with a recording fake (test/actors/fake_l2_host.hpp) and runs on the
// kernel through make_kernel_host().
//
//   link lookup      interface name -> ifindex, MAC           (rtnetlink)
//   addresses        list, add a VIP, remove                  (rtnetlink)
//   send             one Ethernet frame on an ifindex         (AF_PACKET)
//   listen           ARP / neighbour advertisements arriving  (AF_PACKET, own thread)
//
// Every call is quick (one netlink round trip or one sendto) except listen's
// receive loop, which runs on a thread of its own. Errors come back as
// net::result errors naming the address or interface; nothing throws. No
// actors here. "Quick" is not "never blocks": a netlink round trip can wait
// on the kernel (rtnl lock) and a send on a full queue, so the announcer
// makes every call from its I/O actor, never from a scheduled one.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/l2/frames.hpp"
#include "net/netlink/socket.hpp"
#include "net/result.hpp"

namespace kvip::net::l2 {

/// A running receiver; destroying it stops its thread and waits for it.
class listener {
public:
  virtual ~listener() = default;
};

/// Called on the listener's thread with each frame that could claim an
/// address (ARP, neighbour advertisement) and the ifindex it arrived on.
using frame_handler = std::function<void(int ifindex, frame bytes)>;

/// What the ARP/NDP announcer needs from the host.
class host {
public:
  virtual ~host() = default;

  /// The interface called `name`; an error naming it if absent.
  virtual result<netlink::link_info> link(const std::string& name) = 0;

  /// Addresses on `ifindex` (0 = every interface).
  virtual result<std::vector<netlink::addr_info>> addresses(int ifindex) = 0;

  /// Adds (or refreshes) a VIP as netlink::add_vip does (preferred lifetime 0,
  /// NODAD for IPv6, optional host scope); an error names the address.
  virtual result<void> add_vip(int ifindex, const ip_prefix& vip,
                               const netlink::vip_options& opts) = 0;

  /// Removes an address; one that is not there is not an error.
  virtual result<void> remove_address(int ifindex, const ip_prefix& a) = 0;

  /// Sends one Ethernet frame on `ifindex`; an error names the interface.
  virtual result<void> send(int ifindex, const frame& f) = 0;

  /// Starts receiving on `ifindex`, calling `on_frame` from another thread
  /// until the returned listener is destroyed.
  virtual result<std::unique_ptr<listener>> listen(int ifindex, frame_handler on_frame) = 0;
};

/// The real host: rtnetlink for links and addresses, one AF_PACKET send socket
/// per ifindex, a receive thread per listen(). Thread-safe.
std::shared_ptr<host> make_kernel_host();

/// True for a frame that can claim an address for its sender: any ARP packet,
/// or a neighbour advertisement (what net::l2::conflicting_claim looks at).
bool may_claim_address(const parsed_frame& f);

} // namespace kvip::net::l2
