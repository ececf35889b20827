#pragma once
// How often the ARP/NDP announcer reports an address conflict (another MAC
// claiming a VIP it announces): every claim is counted, but a VIP is logged
// as a warning and reported to the event sink at most once per `every`; the
// claims in between are logged at debug level only. A flapping peer must not
// flood the log or the Kubernetes Events API.
//
// Per VIP a two-state machine, time injected (steady clock):
//
//   state  + event                       -> state  + effect
//   quiet  + claim                       -> muted  + report (warn, vip_conflict)
//   muted  + claim, now <  since + every -> muted  + note   (debug only)
//   muted  + claim, now >= since + every -> muted  + report (window starts again)
//
// A VIP withdrawn and announced again keeps its window (as before the core
// existed): a peer flapping together with the VIP is not reported more often.
// No actors here.

#include <chrono>
#include <map>
#include <string>

namespace kvip::net::l2 {

class conflict_limit {
public:
  using clock = std::chrono::steady_clock;

  enum class state { quiet, muted };
  enum class effect { report, note };

  explicit conflict_limit(clock::duration every) : every_(every) {}

  /// A claim on `vip` by another MAC seen at `now`: report it or only note it.
  effect claim(const std::string& vip, clock::time_point now);

  /// The state of `vip` (quiet if never claimed).
  state state_of(const std::string& vip) const;

private:
  struct entry {
    state st = state::quiet;
    clock::time_point since{}; ///< of the last report
  };
  void set_state(const std::string& vip, entry& e, state to, const char* why);

  clock::duration every_;
  std::map<std::string, entry> vips_;
};

const char* to_string(conflict_limit::state s);

} // namespace kvip::net::l2
