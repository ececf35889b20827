#pragma once
// The ARP/NDP announcer (kube-vip's ARP mode): holds the VIP addresses on
// their interfaces and announces them with gratuitous ARP (IPv4: request
// form, then reply form with tha = sha) or unsolicited Neighbor
// Advertisements (IPv6), and watches for another MAC claiming them.
//
// Protocol (messages/announce.hpp, messages/supervision.hpp):
//   announce_set     desired VIPs, applied idempotently; VIPs no longer in the
//                    set are withdrawn (address removed first, then no more
//                    frames), new ones added and announced; replies
//                    announce_result after the first announcement went out
//   frame_seen       a received frame; a claim on an announced VIP by another
//                    MAC is a conflict (log, metric, vip_conflict to the event
//                    sink at most once per VIP per conflict_report_every)
//   dump_request     → dump_reply
//   shutdown_request removes every address it added → shutdown_done
//
// Timing (fixes kube-vip weak spot 5): a VIP is announced at the offsets of
// `burst` after it becomes announced (default 0, 100, 500 ms), then every
// `refresh` after the last burst step. Each announcement also checks the
// address is still on the interface and puts it back if someone removed it.
// A VIP that could not be applied (interface missing, netlink error) is
// retried every `refresh` while it stays in the desired set.
//
// Start and exit: at start it removes `stale_vips` from every interface (a
// previous incarnation's leftovers); at exit, also after a crash, it removes
// whatever it still holds, so the kernel never answers for a VIP nobody
// manages. Metrics (labels node, vip): kvip_arp_announcements_total,
// kvip_arp_conflicts_total, kvip_vip_readded_total, kvip_vip_active.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

namespace kvip::net::telemetry {
class registry;
}
namespace kvip::net::l2 {
class host;
}

namespace kvip {

class directory;

struct arp_options {
  std::chrono::milliseconds refresh{3000}; ///< vip_arpRate: period after the burst
  /// Offsets after a VIP becomes announced; sorted, the first normally 0.
  std::vector<std::chrono::milliseconds> burst{
      std::chrono::milliseconds{0}, std::chrono::milliseconds{100}, std::chrono::milliseconds{500}};
  std::string node_name;               ///< `node` label of the metrics
  std::vector<std::string> stale_vips; ///< addresses to remove from every interface at start
  bool listen = true;                  ///< start receive threads (tests inject frame_seen)
  std::chrono::milliseconds conflict_report_every{10000}; ///< per VIP, to event_sink
  /// Its k8s_events (actors/directory.hpp) receives vip_conflict, looked up
  /// at each report so a restarted sink is found; null = nobody.
  std::shared_ptr<const directory> siblings;
};

/// Spawns the ARP/NDP announcer as a child of `parent` (its supervisor).
caf::actor spawn_arp_broadcaster(caf::local_actor* parent, arp_options opts,
                                 std::shared_ptr<net::l2::host> host,
                                 net::telemetry::registry& reg);

} // namespace kvip
