#pragma once
// TCP settings for the gossip transport's connections, which carry a thin
// stream: a few small frames in flight, each one of them a probe or an ack a
// failure detector waits for. Linux's defaults suit bulk transfers and stall
// such a stream for seconds under packet loss: a lost segment waits for the
// retransmission timer (at least 200 ms), and every further loss of the same
// segment doubles it (200, 400, 800 ms ... measured in the lab with 10 %
// random loss: two surviving nodes heard nothing from each other for 15 s,
// so the VIP of a killed owner stayed unanswered that long).
//
//   rto_min                TCP_RTO_MIN_US (Linux 6.15): the floor of the
//                          retransmission timer; on a LAN the measured RTT
//                          is far below it, so the floor is the timer
//   rto_max                TCP_RTO_MAX_MS (Linux 6.15, at least 1 s): the
//                          ceiling of the exponential backoff
//   thin_linear_timeouts   TCP_THIN_LINEAR_TIMEOUTS (Linux 2.6.34): while
//                          fewer than four segments are in flight, the first
//                          six retransmissions do not back off
//
// Kernels without an option refuse it (ENOPROTOOPT or EINVAL): the socket
// keeps the default and the caller counts it; nothing else changes.

#include <chrono>
#include <string>
#include <vector>

#include "net/result.hpp"

namespace kvip::net::gossip {

struct tcp_tuning {
  std::chrono::microseconds rto_min{5000};
  std::chrono::milliseconds rto_max{1000};
  bool thin_linear_timeouts = true;
};

/// What apply_tcp_tuning did: the options the kernel took, and one line per
/// option it refused ("TCP_RTO_MIN_US=5000: Protocol not available").
struct tcp_tuning_outcome {
  std::vector<std::string> applied;
  std::vector<std::string> refused;
};

/// Applies `t` to the connected TCP socket `fd`. An error when `fd` is not a
/// TCP socket (it may have been closed and its number reused since the
/// connection was reported): nothing is set then.
result<tcp_tuning_outcome> apply_tcp_tuning(int fd, const tcp_tuning& t);

} // namespace kvip::net::gossip
