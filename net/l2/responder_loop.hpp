#pragma once
// The userspace ARP/NDP responder's receive thread on one interface: reads
// each ARP or neighbour-discovery frame from an AF_PACKET socket, takes the
// steady clock as it has the frame in hand, asks net/l2/responder.hpp with
// the shared answer table, and sends the reply at once. No actor round trip:
// a frozen process answers nothing, and a resumed one reads the frames that
// queued while it was stopped with a clock already past its deadline, so it
// answers none of them (unless the table was extended in the meantime, which
// only a live gossip actor does).
//
// Destroying it stops the thread within one receive slice (100 ms) and
// joins it. Counters by reason are kept for dumps and tests.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "net/l2/answer_table.hpp"
#include "net/l2/packet_socket.hpp"
#include "net/l2/responder.hpp"
#include "net/result.hpp"

namespace kvip::net::l2 {

class responder_loop {
public:
  /// Opens a receiving packet socket on `ifindex` and starts answering for
  /// `mac` from `table`; an error (e.g. without CAP_NET_RAW) otherwise.
  static result<std::unique_ptr<responder_loop>> start(int ifindex, const mac_address& mac,
                                                       std::shared_ptr<answer_table> table);
  ~responder_loop();
  responder_loop(const responder_loop&) = delete;
  responder_loop& operator=(const responder_loop&) = delete;

  /// Sends one frame on the loop's interface (announcements); thread-safe.
  result<void> send(const frame& f) { return sock_->send(f); }

  /// Frames seen with outcome `r` so far (answered = replies sent).
  std::uint64_t count(response_reason r) const;
  /// Replies that could not be sent.
  std::uint64_t send_errors() const { return send_errors_; }
  int ifindex() const { return ifindex_; }
  const mac_address& mac() const { return mac_; }
  /// "answered 3, not answering 1, ..." for dumps.
  std::string describe() const;

private:
  responder_loop(std::unique_ptr<packet_socket> sock, const mac_address& mac,
                 std::shared_ptr<answer_table> table);
  void loop();

  std::unique_ptr<packet_socket> sock_;
  int ifindex_;
  mac_address mac_;
  std::shared_ptr<answer_table> table_;
  std::array<std::atomic<std::uint64_t>, 5> counts_{};
  std::atomic<std::uint64_t> send_errors_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace kvip::net::l2
