#pragma once
// The gossip transport over ZeroMQ (cppzmq): one ROUTER bound on the gossip
// port receives every frame; one DEALER per peer address, whose routing id is
// "<this node's name>/<a random tag of this process>", sends to that peer's
// ROUTER (unique routing ids: no connection can take over another's, and the
// receiver reports only the name part). Nothing here knows the
// frame format: frames are opaque bytes (wire.hpp signs and checks them).
//
//   send(address, bytes)   -> the DEALER of that address (created on first
//                             use, connected, reconnecting on its own);
//                             dropped, not queued, while it is not connected
//                             (ZMQ_IMMEDIATE), so a dead peer never builds a
//                             backlog that arrives late and stale
//   poll(timeout)          -> frames received on the ROUTER, each with the
//                             sender's routing id (its node name) and the
//                             peer address it came from; and for every DEALER
//                             whose TCP connection closed (the peer's process
//                             died or exited: its kernel closed the socket) a
//                             `disconnected` event within a millisecond, from
//                             the DEALER's socket monitor; `connected` when it
//                             is up again
//
// Threading: every socket belongs to the thread that calls poll(); send() and
// wake() may be called from any thread (queued under a mutex, the poller is
// woken through an inproc pair) so an actor never blocks on a socket.
// ZeroMQ's own heartbeats are off on purpose: a silent peer (link down,
// frozen process) is the failure detector's business, not the transport's.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/gossip/tcp_tuning.hpp"
#include "net/result.hpp"

namespace kvip::net::gossip {

struct transport_config {
  std::string self;          ///< this node's name: its DEALERs' routing ids begin with it
  std::string bind_address;  ///< "0.0.0.0", "::" or one address
  std::uint16_t port = 7947; ///< where the ROUTER listens (0 = any, see bound_port())
  std::chrono::milliseconds reconnect_interval{20};
  std::chrono::milliseconds reconnect_interval_max{1000};
  int send_high_water_mark = 64; ///< frames queued per DEALER at most
  /// A connection attempt not answered within this is abandoned and made
  /// again (ZMQ_CONNECT_TIMEOUT): a lost SYN is otherwise resent after 1 s,
  /// 3 s, 7 s.
  std::chrono::milliseconds connect_timeout{200};
  /// Applied to every connection, both the DEALERs' and the accepted ones
  /// (tcp_tuning.hpp: bounded retransmission timers for a thin stream).
  tcp_tuning tuning;
  /// Larger messages make the ROUTER drop the connection that sent them
  /// (ZMQ_MAXMSGSIZE): a gossip frame is at most 1400 bytes (wire.hpp).
  std::size_t max_message_bytes = 4096;
};

/// A peer address split for ZeroMQ: "10.99.0.2:7947" or "[fd99::2]:7947".
struct parsed_address {
  std::string host; ///< without brackets
  std::uint16_t port = 0;
  bool ipv6 = false;    ///< written in brackets
  std::string endpoint; ///< "tcp://10.99.0.2:7947", "tcp://[fd99::2]:7947"
};

/// Splits "host:port" or "[v6]:port"; an error names what is wrong (no port,
/// port out of 1..65535, an IPv6 address without brackets).
result<parsed_address> parse_address(const std::string& address);

/// What poll() saw.
struct transport_event {
  enum class kind { frame, disconnected, connected };
  kind what = kind::frame;
  std::string peer;    ///< frame: the sender's routing id (node name); else ""
  std::string address; ///< frame: "10.99.0.2" where it came from; else the DEALER's address
  std::vector<std::uint8_t> bytes; ///< frame only
};

class transport {
public:
  /// Binds the ROUTER; an error names the address and port.
  static result<std::unique_ptr<transport>> open(const transport_config& cfg);
  ~transport();
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  /// Queues `bytes` for the peer at `address` ("10.99.0.2:7947",
  /// "[fd99::2]:7947"). Never blocks. Thread-safe.
  void send(const std::string& address, std::vector<std::uint8_t> bytes);
  /// Opens the DEALER to `address` ahead of the first send() (a known peer),
  /// so the first frame does not find it still connecting. Thread-safe.
  void connect(const std::string& address);
  /// Closes the DEALER to `address` (the peer left). Thread-safe.
  void forget(const std::string& address);
  /// Ends a poll() in progress (shutdown). Thread-safe.
  void wake();
  /// Waits up to `timeout` for something to happen, sends what is queued,
  /// and returns what arrived (empty on timeout). Only the owning thread.
  std::vector<transport_event> poll(std::chrono::milliseconds timeout);

  std::uint16_t bound_port() const;
  /// Bytes and frames sent and received so far (the bandwidth benchmark).
  struct counters {
    std::uint64_t frames_sent = 0, bytes_sent = 0, frames_received = 0, bytes_received = 0;
    std::uint64_t dropped_unconnected = 0; ///< not connected, or at the high-water mark
    std::uint64_t dropped_bad_address = 0; ///< send() to an address parse_address refuses
    std::uint64_t tcp_tuned = 0;           ///< connections that took every TCP option
    std::uint64_t tcp_tuning_refused = 0;  ///< connections where the kernel refused one
  };
  counters stats() const;

private:
  struct impl;
  explicit transport(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace kvip::net::gossip
