#pragma once
// The single-node harness of the membership tables (membership_test.cpp,
// membership_forget_test.cpp, membership_probe_test.cpp): a fixed start time,
// timings pinned so the timelines do not move with the defaults, and helpers
// to filter effects and build received messages.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "net/gossip/membership.hpp"

namespace kvip::test {

inline const net::gossip::steady_time t0 = net::gossip::steady_time{} + std::chrono::seconds(100);

inline net::gossip::config test_config(std::uint64_t seed = 7) {
  using std::chrono::milliseconds;
  net::gossip::config c;
  c.self = "a";
  c.seed = seed;
  c.probe_period = milliseconds(40);
  c.probe_timeout = milliseconds(12);
  c.suspicion_timeout = milliseconds(60);
  c.suspicion_ping = milliseconds(10);
  c.indirect_k = 3;
  c.lambda = 3;
  c.dead_probe_every = 0; // the tables probe the living only; see HealedPartition
  return c;
}

inline std::vector<net::gossip::effect> only(const std::vector<net::gossip::effect>& fx,
                                             net::gossip::effect::kind k) {
  std::vector<net::gossip::effect> out;
  std::copy_if(fx.begin(), fx.end(), std::back_inserter(out),
               [&](const net::gossip::effect& e) { return e.what == k; });
  return out;
}

/// A message `node` sent this node (seq as the pinger chose it).
inline net::gossip::message from(const std::string& node, net::gossip::message::kind k,
                                 std::uint64_t seq, std::vector<net::gossip::update> ups = {},
                                 std::uint64_t inc = 0) {
  return net::gossip::message{k, node, inc, net::gossip::health_carrier, seq, {}, std::move(ups)};
}

} // namespace kvip::test
