#pragma once
// The lab's client-side prober: from the client namespace it asks "who has
// the VIP?" every interval (ARP request for IPv4, Neighbor Solicitation for
// IPv6) and records, per probe, every MAC that answered before the next
// probe. Every failover figure of the project is measured with it. Asked to,
// it probes at layer 3 instead: an ICMP echo, or a TCP connect to a port
// (a refusal counts as an answer: the VIP was reachable).
//
// It runs on its own thread, which enters the client's network namespace
// (setns affects only that thread), so the owning process stays where it is.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/ip.hpp"
#include "net/result.hpp"

namespace kvip::sim {

/// One probe: when it was sent (µs since the prober started) and who answered.
struct probe_sample {
  std::int64_t t_us = 0;
  std::vector<net::mac_address> macs; ///< distinct MACs, in order of arrival (ARP/NDP)
  bool answered = false;              ///< any answer (a MAC, an echo reply, a TCP answer)
};

/// How to probe.
enum class probe_kind {
  arp,  ///< ARP request / Neighbor Solicitation: who answers, by MAC
  icmp, ///< ICMP / ICMPv6 echo
  tcp,  ///< TCP connect to `tcp_port`
};

struct probe_options {
  std::string netns; ///< namespace to probe from
  std::string ifname = "eth0";
  net::ip_address vip; ///< address asked for
  net::ip_address src; ///< the client's own address (same family as vip)
  net::mac_address src_mac{};
  std::chrono::microseconds interval{10000};
  probe_kind kind = probe_kind::arp;
  std::uint16_t tcp_port = 6443;
};

class prober {
public:
  /// Starts probing; an error if the namespace, interface or socket cannot be
  /// opened (the thread reports that before returning).
  static net::result<std::unique_ptr<prober>> start(const probe_options& opts);
  ~prober();
  prober(const prober&) = delete;
  prober& operator=(const prober&) = delete;

  /// Stops the thread (idempotent).
  void stop();
  /// Microseconds since the prober started (same clock as the samples).
  std::int64_t now_us() const;
  /// A copy of the samples so far.
  std::vector<probe_sample> samples() const;
  /// The newest probe whose answer window has closed (nullopt before there is one).
  std::optional<probe_sample> latest() const;
  /// Samples from `since_us` on.
  std::vector<probe_sample> samples_since(std::int64_t since_us) const;

private:
  explicit prober(probe_options o) : opts_(std::move(o)) {}
  void loop(std::promise<net::result<void>>* started);
  void loop_l3(int sock_fd);
  void record(probe_sample s);

  probe_options opts_;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
  std::atomic<bool> stop_{false};
  mutable std::mutex mtx_;
  std::vector<probe_sample> samples_;
  std::thread thread_;
};

/// What the client saw around one fault.
struct failover_result {
  std::optional<net::mac_address> before; ///< owner answering just before the fault
  std::optional<net::mac_address> after;  ///< first other MAC answering after it
  std::optional<std::int64_t> switch_us;  ///< fault -> first probe answered by `after`
  std::int64_t longest_silence_us = 0;    ///< longest run of unanswered probes after the fault
  int dual_mac_probes = 0;                ///< probes answered by two or more MACs
  std::vector<std::string> dual_detail;   ///< each: "+12.3 ms 02:..:01 02:..:02"
  int unanswered_probes = 0;              ///< probes nobody answered
  int probes = 0;                         ///< probes considered
};

/// Analyses the samples from `fault_us` to `until_us`.
failover_result analyse_failover(const std::vector<probe_sample>& samples, std::int64_t fault_us,
                                 std::int64_t until_us);

} // namespace kvip::sim
