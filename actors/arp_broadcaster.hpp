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
//
// Structure (pure core + thin driver): the decisions live in net/l2 —
// announce_schedule (burst and refresh timing), vip_set (desired-set diff,
// per-VIP state, the announce_result, address repair) and conflict_limit
// (conflict report rate). This actor feeds them messages and performs their
// effects; every host call (netlink, packet sends, receive threads) runs in
// its linked I/O actor (actors/arp_broadcaster_io.hpp), so the announcer
// itself never blocks a scheduler thread. Desired sets are applied one at a
// time, in arrival order. Time comes from the actor clock (virtual under the
// test coordinator); nothing here is random.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "caf/fwd.hpp"
#include "messages/announce.hpp"

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
  /// Where the addresses held are recorded (rewritten on every change): at
  /// start the ones a previous incarnation recorded are removed too (after a
  /// SIGKILL its exit cleanup did not run). For address sets only known at run
  /// time (Service IPs); "" = none.
  std::string record_file;
  bool listen = true; ///< start receive threads (tests inject frame_seen)
  std::chrono::milliseconds conflict_report_every{10000}; ///< per VIP, to k8s_events
  /// Its k8s_events (actors/directory.hpp) receives vip_conflict, looked up
  /// at each report so a restarted sink is found; null = nobody.
  std::shared_ptr<const directory> siblings;
  /// Run the I/O actor on a thread of its own (production); false schedules
  /// it like any actor, for the deterministic test coordinator.
  bool io_detached = true;
};

/// Spawns the ARP/NDP announcer as a child of `parent` (its supervisor);
/// returns its typed handle (msg::announcer_actor: announce_set plus the
/// child protocol).
msg::announcer_actor spawn_arp_broadcaster(caf::local_actor* parent, arp_options opts,
                                           std::shared_ptr<net::l2::host> host,
                                           net::telemetry::registry& reg);

} // namespace kvip
