#pragma once
// Which VIPs this process answers ARP/NDP for, and until when: written by the
// gossip actor (from ownership's `answer` effects), read by the userspace
// responder's receive thread for every request. The deadline is checked at
// the moment of the request against the monotonic clock, so a process that
// was frozen past its fence deadline answers nothing when it resumes, before
// any actor has run. Thread-safe (one mutex; reads are a map lookup).

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "net/ip.hpp"

namespace kvip::net::l2 {

class answer_table {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// Answer for `vip` strictly before `until`; until == time_point{} stops.
  void set(const ip_address& vip, time_point until);
  /// Stops answering for everything (shutdown).
  void clear();
  /// True when a request for `vip` arriving at `now` is to be answered.
  bool may_answer(const ip_address& vip, time_point now) const;
  /// The VIPs with a deadline in the future at `now` (dumps, tests).
  std::vector<ip_address> answering(time_point now) const;

private:
  mutable std::mutex mu_;
  std::map<ip_address, time_point> until_;
};

} // namespace kvip::net::l2
