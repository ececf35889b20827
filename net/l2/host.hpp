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
// receive loop, which runs on a thread of its own. Errors come back as text
// naming the address or interface; nothing throws. No actors here.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/l2/frames.hpp"
#include "net/netlink/socket.hpp"

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

  /// The interface called `name`; nullopt with `err` naming it if absent.
  virtual std::optional<netlink::link_info> link(const std::string& name, std::string& err) = 0;

  /// Addresses on `ifindex` (0 = every interface); empty with `err` set on failure.
  virtual std::vector<netlink::addr_info> addresses(int ifindex, std::string& err) = 0;

  /// Adds (or refreshes) a VIP as netlink::add_vip does (preferred lifetime 0,
  /// NODAD for IPv6, optional host scope); "" or an error naming the address.
  virtual std::string add_vip(int ifindex, const ip_prefix& vip,
                              const netlink::vip_options& opts) = 0;

  /// Removes an address; one that is not there is not an error. "" or an error.
  virtual std::string remove_address(int ifindex, const ip_prefix& a) = 0;

  /// Sends one Ethernet frame on `ifindex`; "" or an error naming the interface.
  virtual std::string send(int ifindex, const frame& f) = 0;

  /// Starts receiving on `ifindex`, calling `on_frame` from another thread
  /// until the returned listener is destroyed; nullptr with `err` set on failure.
  virtual std::unique_ptr<listener> listen(int ifindex, frame_handler on_frame,
                                           std::string& err) = 0;
};

/// The real host: rtnetlink for links and addresses, one AF_PACKET send socket
/// per ifindex, a receive thread per listen(). Thread-safe.
std::shared_ptr<host> make_kernel_host();

/// True for a frame that can claim an address for its sender: any ARP packet,
/// or a neighbour advertisement (what net::l2::conflicting_claim looks at).
bool may_claim_address(const parsed_frame& f);

} // namespace kvip::net::l2
