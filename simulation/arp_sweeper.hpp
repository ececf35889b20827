#pragma once
// Many addresses asked at once from the lab's client namespace (issue 10's
// Service tests and benchmark): one thread, one raw socket, an ARP request
// (IPv4) or Neighbor Solicitation (IPv6) for each target in turn, round-robin
// at a fixed rate of requests per second. Per address it keeps:
//   - since the last mark(): the time of the first answer and every MAC that
//     answered (what "creation -> answering" and "dead node's VIPs answered
//     elsewhere" are measured with);
//   - the MACs that answered its newest complete request (a request is
//     complete when the address is asked again): who answers now;
//   - since the last mark(): the requests two or more MACs answered.
// With set_pending_only() it asks only the targets no MAC (but the excepted
// ones) has answered since the mark: the benchmark's resolution is then
// pending targets / rate, not all targets / rate.
// Only answers to this client count (an ARP reply to its address and MAC, a
// solicited NA to its address), as in the prober.
//
// Times are mono_us() (simulation/lab_services.hpp): microseconds on the
// steady clock. The thread enters the client namespace (setns affects only it).

#include <atomic>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/ip.hpp"
#include "net/result.hpp"
#include "simulation/lab.hpp"

namespace kvip::sim {

struct sweep_options {
  std::string netns; ///< where to ask from (the lab's client namespace)
  std::string ifname = "eth0";
  net::ip_address src4, src6; ///< the client's own addresses
  net::mac_address src_mac{};
  double rate = 2000; ///< requests per second, over all targets
};

/// Options that ask from `client` (the lab's client host) at `rate`.
sweep_options sweep_from(const lab_host& client, double rate = 2000);

/// What one address got.
struct sweep_entry {
  net::ip_address address;
  std::optional<std::int64_t> first_answer_us; ///< first answer since the mark
  std::vector<net::mac_address> macs;          ///< every MAC that answered since the mark
  std::vector<std::int64_t> macs_first_us;     ///< when each of `macs` first answered
  std::uint64_t multi_mac_requests = 0;        ///< requests since the mark two+ MACs answered
  std::vector<net::mac_address> current;       ///< MACs answering its newest complete request
  std::int64_t current_sent_us = -1;           ///< when that request was sent (-1: none yet)
  std::uint64_t requests = 0;                  ///< requests sent for it, ever
};

class arp_sweeper {
public:
  static net::result<std::unique_ptr<arp_sweeper>> start(const sweep_options& opts);
  ~arp_sweeper();
  arp_sweeper(const arp_sweeper&) = delete;
  arp_sweeper& operator=(const arp_sweeper&) = delete;

  /// Stops the thread (idempotent).
  void stop();
  /// Adds targets (already there: kept as they are).
  void add(const std::vector<net::ip_address>& targets);
  /// Removes targets.
  void remove(const std::vector<net::ip_address>& targets);
  /// Forgets every target's first answer and MACs; returns the mark's time.
  std::int64_t mark();
  /// On: ask only the targets that no MAC outside `except` answered since
  /// the mark (none left: nothing is sent). Off: every target in turn.
  void set_pending_only(bool on, std::vector<net::mac_address> except = {});
  /// One target's record (nullopt when it is not a target).
  std::optional<sweep_entry> entry(const net::ip_address& a) const;
  /// Every target's record, sorted by address.
  std::vector<sweep_entry> entries() const;
  /// Requests sent so far, over all targets.
  std::uint64_t sent() const;

private:
  explicit arp_sweeper(sweep_options o) : opts_(std::move(o)) {}
  void loop(std::promise<net::result<void>>* started);
  struct slot {
    sweep_entry e;
    std::vector<net::mac_address> round; ///< answers to the request in flight
    std::int64_t round_sent_us = -1;
    bool since_mark = false; ///< the request in flight was sent after the mark
  };
  bool pending(const slot& s) const;
  /// The next target's request, noted as sent now; nullopt when there is no target.
  std::optional<net::ip_address> next_target(std::int64_t now_us);
  void record_answer(const net::ip_address& a, const net::mac_address& who, std::int64_t now_us);

  sweep_options opts_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mtx_;
  std::map<net::ip_address, slot> slots_;
  std::vector<net::ip_address> order_; ///< round-robin order
  std::size_t cursor_ = 0;
  bool pending_only_ = false;
  std::vector<net::mac_address> except_;
  std::uint64_t sent_ = 0;
  std::thread thread_;
};

} // namespace kvip::sim
