#pragma once
// A raw AF_PACKET socket on one interface: sends Ethernet frames (ARP/NDP
// announcements and replies) and receives ARP and ICMPv6 neighbour-discovery
// frames (a kernel BPF filter drops everything else). Frames this host sends
// are not received back. Needs CAP_NET_RAW. Blocking with a timeout: run it
// on an I/O thread, never inside an actor's handler.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "net/l2/frames.hpp"
#include "net/result.hpp"

namespace kvip::net::l2 {

class packet_socket {
public:
  /// Opens a socket on `ifindex`; with `receive`, also binds it for ARP/ND
  /// input. An error (with errno) on failure, e.g. without CAP_NET_RAW.
  static result<std::unique_ptr<packet_socket>> open(int ifindex, bool receive);
  ~packet_socket();
  packet_socket(const packet_socket&) = delete;
  packet_socket& operator=(const packet_socket&) = delete;

  /// Sends one frame (its destination MAC comes from the frame).
  result<void> send(const frame& f);

  /// Waits up to `timeout` for an ARP or ND frame from another host:
  /// the frame, nullopt on timeout, or an error.
  result<std::optional<frame>> receive(std::chrono::milliseconds timeout);

  int ifindex() const { return ifindex_; }

private:
  packet_socket(int fd, int ifindex) : fd_(fd), ifindex_(ifindex) {}
  int fd_;
  int ifindex_;
};

} // namespace kvip::net::l2
