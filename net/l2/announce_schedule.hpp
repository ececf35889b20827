#pragma once
// When the ARP/NDP announcer (actors/arp_broadcaster) announces a VIP: a
// burst at fixed offsets after the VIP becomes held (default 0, +100 ms,
// +500 ms; fixes kube-vip weak spot 5), then every `refresh` (vip_arpRate).
// Pure and stateless: the announcer keeps the step of each VIP and asks here
// how long to wait before the next one. No actors, no clock.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace kvip::net::l2 {

class announce_schedule {
public:
  using ms = std::chrono::milliseconds;

  /// A schedule from configured values, normalised: negative offsets count as
  /// 0, offsets are sorted, an empty burst is {0}; a refresh that is not
  /// positive is `fallback_refresh`.
  announce_schedule(std::vector<ms> burst, ms refresh, ms fallback_refresh = ms{3000});

  /// The delay before announcement `step`: step 0 waits burst[0] after the
  /// VIP became held; step k of the burst waits burst[k] - burst[k-1] after
  /// step k-1; every step past the burst waits `refresh`.
  ms delay_before(std::uint32_t step) const;

  /// The step after `step` (steps past the burst all count as one refresh
  /// step, so the number never grows without bound).
  std::uint32_t next(std::uint32_t step) const;

  /// True for a refresh step (past the burst). A refresh also follows the
  /// interface by name; a burst step trusts the link just looked up.
  bool is_refresh(std::uint32_t step) const { return step >= burst_.size(); }

  /// True when the first announcement goes out as soon as the VIP is held.
  bool immediate() const { return burst_.front() == ms{0}; }

  /// "0/100/500 ms then every 3000 ms", for dumps and logs.
  std::string describe() const;

  const std::vector<ms>& burst() const { return burst_; }
  ms refresh() const { return refresh_; }

private:
  std::vector<ms> burst_;
  ms refresh_;
};

} // namespace kvip::net::l2
