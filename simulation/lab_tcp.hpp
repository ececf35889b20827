#pragma once
// TCP in the lab (issue 10's Service tests): a tiny server in a node's
// namespace that says who it is, and a connect from another namespace that
// reads what it said, so a test sees which node a Service IP's traffic
// reached, not just that some node answered.

#include <chrono>
#include <cstdint>
#include <string>

#include "net/ip.hpp"
#include "simulation/lab.hpp"

namespace kvip::sim {

/// Starts a server in `h`'s namespace on `port`, every IPv4 and IPv6 address
/// (python3, which the lab needs anyway): it writes `banner` and a newline to
/// each connection and closes it. Returns the lab process index once it
/// accepts connections on 127.0.0.1, or an error after `budget`.
net::result<std::size_t>
start_tcp_banner(lab& l, const lab_host& h, std::uint16_t port, const std::string& banner,
                 std::chrono::milliseconds budget = std::chrono::seconds{5});

enum class tcp_outcome {
  answered, ///< connected and read until the server closed
  refused,  ///< RST: the address answered, nothing listens
  timeout,  ///< no answer within the timeout
  failed,   ///< cannot even try (namespace, socket)
};

struct tcp_reply {
  tcp_outcome outcome = tcp_outcome::failed;
  std::string text;  ///< what the server wrote (answered)
  std::string error; ///< failed: why
};

/// Connects from namespace `netns` to addr:port and reads until the server
/// closes, all within `timeout` (on a thread of its own that enters `netns`).
tcp_reply tcp_hello(const std::string& netns, const net::ip_address& addr, std::uint16_t port,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds{1000});

} // namespace kvip::sim
