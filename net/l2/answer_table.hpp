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
#include <optional>
#include <string>
#include <vector>

#include "net/ip.hpp"

namespace kvip::net::l2 {

class answer_table {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// Answer for `vip` strictly before `until`; until == time_point{} stops.
  /// A VIP that was not answered yet and `after_announcement`: requests are
  /// answered only once announced() says the first announcement is out (the
  /// graceful handover below relies on that order).
  void set(const ip_address& vip, time_point until, bool after_announcement = false);
  /// Stops answering for everything (shutdown).
  void clear();
  /// True when a request for `vip` arriving at `now` is to be answered.
  bool may_answer(const ip_address& vip, time_point now) const;
  /// True when `vip` is to be announced at `now` (held, deadline not passed;
  /// also before its first announcement).
  bool may_announce(const ip_address& vip, time_point now) const;
  /// The first announcement of `vip` went out: answer requests from `from`.
  void announced(const ip_address& vip, time_point from);
  /// This node is handing `vip` over (graceful stop): the first announcement
  /// of it by another MAC (the successor's gratuitous ARP or unsolicited NA,
  /// seen by the receive thread) makes this node answer with that MAC from
  /// then on, so every request is answered, by one MAC, throughout the
  /// handover: the old owner answers with its own MAC until the successor
  /// announces, the successor answers only after its announcement (plus a
  /// settle time), and in between the old owner already names the successor.
  void releasing(const ip_address& vip);
  /// The successor told this releasing node it answers for `vip`: stop
  /// `linger` after the successor's announcement (at once + linger when it
  /// was already seen; when it was not, at the announcement or the deadline).
  void handed_over(const ip_address& vip, time_point now, std::chrono::microseconds linger);
  /// Answer for `vip` with `mac` (the expected successor's) from now on; set
  /// by a node that starts handing `vip` over and knows its successor's MAC.
  /// False when this node does not answer for `vip`.
  bool redirect(const ip_address& vip, const mac_address& mac);
  /// The receive thread saw `mac` (not ours) announce `vip` at `now`; while
  /// releasing, the announcer is the successor, whatever was expected.
  void observed(const ip_address& vip, const mac_address& mac, time_point now);
  /// The MAC to answer for `vip` with: the successor's during a handover,
  /// nullopt for this node's own.
  std::optional<mac_address> answer_as(const ip_address& vip) const;
  /// `vip` is answered on the interface `ifindex` alone (kube-vip.io/serviceInterface
  /// puts a VIP on one interface; a responder listening on another interface of the
  /// same segment must not answer for it too). 0: on every interface. Kept apart
  /// from the deadlines: set() and clear() leave it.
  void place(const ip_address& vip, int ifindex);
  /// True when a request for `vip` that arrived on `ifindex` may be answered there.
  bool answers_on(const ip_address& vip, int ifindex) const;
  /// The VIPs with a deadline in the future at `now` (dumps, tests).
  std::vector<ip_address> answering(time_point now) const;

private:
  struct entry {
    time_point until{};
    time_point from{}; ///< answer requests from then on (max: not announced yet)
    bool releasing = false;
    std::optional<mac_address> as;
    std::optional<std::chrono::microseconds> linger; ///< handed over, announcement not seen
  };
  mutable std::mutex mu_;
  std::map<ip_address, entry> entries_;
  std::map<ip_address, int> placed_; ///< VIP -> the one interface it is answered on
};

} // namespace kvip::net::l2
