#pragma once
// The gossip actor's state and the functions its source files share
// (actors/gossip.cpp: behaviour, timers, shutdown; gossip_frames.cpp: frames
// in and out, the I/O thread; gossip_leases.cpp: VIP and node Leases;
// gossip_nodes.cpp: peers from the Node list, learnt and forgotten).
// Internal to actors/gossip*.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "actors/gossip.hpp"
#include "actors/owned_reports.hpp"
#include "caf/all.hpp"
#include "k8s/services/announce_clock.hpp"
#include "messages/election.hpp"
#include "messages/gossip.hpp"
#include "messages/gossip_peers.hpp"
#include "messages/services.hpp"
#include "net/gossip/codec.hpp"
#include "net/gossip/hold_refresh.hpp"
#include "net/gossip/membership.hpp"
#include "net/gossip/ownership.hpp"
#include "net/gossip/transport.hpp"
#include "net/l2/answer_table.hpp"

namespace kvip::gossip_actor {

using time_point = std::chrono::steady_clock::time_point;

/// The gossip actor's interface to itself: the elector role plus its I/O
/// batches, timers and peer lists.
using impl = msg::elector_actor::extend<
    caf::reacts_to<msg::gossip_io_batch>, caf::reacts_to<msg::gossip_tick>,
    caf::reacts_to<msg::lease_tick>, caf::reacts_to<msg::gossip_peers>,
    caf::reacts_to<msg::gossip_key_reply>, caf::reacts_to<msg::service_ips>>;

/// One Lease write in progress or wanted: the VIP's own record
/// (kvip-vip-<address>, `fencing`: a holder in a higher term is the
/// legitimate owner and this node stops) or, for a Service IP, the kube-vip
/// Lease of its Services (kubevip-<service> in the Service's namespace, or
/// kube-vip.io/leaseName), kept so that what reads kube-vip's Leases finds
/// the owner (a holder in a higher term only ends this node's writing).
struct lease_job {
  std::string ns;
  std::string name;
  std::string vip;     ///< the VIP whose owner it records
  bool fencing = true; ///< the VIP's own record (see above)
  std::string holder;
  std::uint64_t term = 0;
  bool busy = false;    ///< a request is in flight
  bool done = false;    ///< the Lease shows what is wanted
  bool backoff = false; ///< failed: retried at the next lease tick, not at once
};

/// VIP Lease writes in flight at once per node: at 1000 VIPs a takeover
/// queues hundreds, and k8s_io serves one request at a time; the rest wait
/// here rather than in its mailbox, where they would time out and be resent.
inline constexpr std::size_t max_vip_writes_in_flight = 8;

/// The gossip timer as the I/O thread keeps it too. CAF 0.17's clock thread
/// now and then delivers a delayed message late, at its next other deadline
/// (measured on this 2-core VM: about 1 timer in 2000 fired 25-32 ms late,
/// in a process with one 30 ms periodic timer beside it): here that read as a
/// freeze ("timer fired 30 ms late: treating this process as resumed"), the
/// holds lapsed and the lab's probes went unanswered. The I/O thread, which
/// polls every 5 ms anyway, polls no longer than the armed deadline and sends
/// the tick itself when it is due; whichever tick comes first is taken (the
/// generation tells a stale one).
struct io_alarm {
  std::mutex mu;
  std::chrono::steady_clock::time_point due{}; ///< {}: nothing armed
  std::uint64_t generation = 0;
};

struct state {
  gossip_options opts;
  net::telemetry::registry* reg = nullptr;
  time_point started{};

  // cores
  std::unique_ptr<net::gossip::membership> members;
  std::unique_ptr<net::gossip::ownership> owners;
  /// Service IPs from the service watcher (issue 10), besides opts.vips.
  std::vector<msg::service_ip> service_ips;
  std::set<std::string> service_addresses; ///< of service_ips
  std::set<std::string> flush_addresses;   ///< of service_ips with flush_conntrack
  std::set<std::string> answering;         ///< VIPs this node answers for now
  /// enable_node_labeling: what the labeler was told; dirty = `answering` or
  /// the Service IPs changed since.
  owned_reports label_reports;
  bool labels_dirty = true;
  /// Service IPs new or changed in the watcher's latest sets, not announced
  /// here yet (kvip_service_announce_seconds).
  k8s::services::announce_clock announce_clock;
  /// What the responder was last asked to hold (sent again when it changes).
  std::vector<msg::vip_spec> held;
  std::unique_ptr<net::gossip::hold_refresh> refresher; ///< whom an owner pings to keep its holds

  // transport and its thread
  std::shared_ptr<net::gossip::transport> tx;
  std::shared_ptr<std::atomic<bool>> io_stop;
  std::shared_ptr<io_alarm> alarm; ///< the timer, also kept by the I/O thread
  std::thread io;

  // identity and authentication
  bool keyed = false;
  net::gossip::cluster_key key;
  net::gossip::name_table names;
  net::gossip::replay_guard guard;

  // peers
  std::map<std::string, std::string> address_of;  ///< node name -> "ip:port"
  std::set<std::string> unnamed;                  ///< configured addresses not yet named
  std::map<std::string, std::uint64_t> echo_from; ///< node -> its latest timestamp_us
  std::map<std::string, std::vector<net::gossip::vip_claim>> answers_for; ///< for the next ack
  std::map<std::string, net::mac_address> neighbours; ///< IP -> MAC (the kernel's table)
  /// discover_nodes: the peers the latest Node list named (gossip_nodes.cpp)
  std::set<std::string> from_nodes;

  // health
  bool carrier = true;
  bool cp_healthy = true;
  bool peers_listed = false; ///< discover_nodes: the Node list arrived once
  /// A Node list that came before the cluster key (applied when it starts).
  std::optional<std::vector<msg::gossip_peer_info>> early_peers;

  // timers
  time_point membership_at{};
  time_point ownership_at{};
  time_point hello_at{};
  time_point refresh_at{}; ///< when the hold refresh decides again
  time_point armed{};
  time_point expected{}; ///< when the armed timer should fire (max of armed and arming time)
  std::uint64_t timer_generation = 0;

  // Leases
  std::map<std::string, lease_job> lease_jobs; ///< by "namespace/name"
  std::size_t vip_writes_in_flight = 0;
  bool vip_writes_pumping = false;
  /// VIP Leases (by Lease name) from the latest list, for pending writes:
  /// a write starts from it instead of a GET (used once; a conflict reads).
  std::map<std::string, boost::json::object> vip_lease_seen;
  bool lease_list_busy = false;   ///< one list in flight at most
  boost::json::object node_lease; ///< as last read or written
  bool node_lease_busy = false;
  time_point node_lease_at{};        ///< when it was last written
  std::uint64_t lapses_reported = 0; ///< ownership's hold_lapses() at the last lease tick

  caf::actor_addr held_by; ///< the responder incarnation that holds the VIPs

  // shutdown
  bool stopping = false;
  time_point stop_deadline{};
  std::vector<caf::typed_response_promise<msg::shutdown_done>> shutdown;

  static inline const char* name = "gossip";

  state() = default;
  state(const state&) = delete;
  state& operator=(const state&) = delete;
  /// An actor that ends without a shutdown_request (an exception, an exit
  /// message) still stops its I/O thread: a joinable std::thread destroyed
  /// here would terminate the whole daemon.
  ~state();
};

using pointer = impl::stateful_pointer<state>;

time_point now(pointer self);
std::uint64_t micros(time_point t);
time_point from_micros(std::uint64_t us);

// gossip.cpp
void run_membership(pointer self, std::vector<net::gossip::effect> effects);
void run_ownership(pointer self, std::vector<net::gossip::ownership_effect> effects);

// gossip_services.cpp (issue 10)
/// Every VIP this node serves: the control-plane VIPs, then the Service IPs.
std::vector<msg::vip_spec> all_vips(const state& st);
/// Gives ownership the current VIPs with their allowed owners.
void apply_vips(pointer self);
/// Every VIP on lo and listened for, asked of the responder once per
/// incarnation and set of VIPs.
void hold_vips(pointer self);
/// This node now answers for `vip`: the status writer hears it for every
/// Service on it.
void report_service_owner(pointer self, const std::string& vip);
/// The service watcher's desired set of Service IPs.
void on_service_ips(pointer self, const msg::service_ips& ips);
/// The node labeler (when there is one) hears what this node answers for,
/// when that changed or the labeler is a new incarnation.
void report_owned(pointer self);
/// kube_vip metrics: the Service IPs this node answers for now.
void count_owned_service_ips(state& st);
/// This node announced `vip`: the time since the Service change that made it
/// wanted here, when one is pending.
void observe_announcement(state& st, const std::string& vip);
/// kube-vip.io/flush-conntrack: this node started (placed) or stopped
/// answering for `vip`; the flusher deletes its conntrack entries when a
/// Service on it asks for that.
void flush_conntrack(pointer self, const std::string& vip, bool placed);
void rearm(pointer self);
void publish_members(state& st);

// gossip_frames.cpp
void start_io(pointer self);
void stop_io(state& st);
void on_io(pointer self, const msg::gossip_io_batch& batch);
void send_frame(pointer self, const std::string& to, net::gossip::message m,
                std::vector<net::gossip::vip_claim> claims);
void send_hellos(pointer self);
void learn_peer(pointer self, const std::string& name, const std::string& address);
/// "ip:port" (IPv6 in brackets) for the transport.
std::string gossip_address(const std::string& host, std::uint16_t port);
void carrier_changed(pointer self, bool up);

// gossip_nodes.cpp
/// A Node list (msg::gossip_peers): learns every peer it names and forgets
/// every peer an earlier list named that this one does not.
void nodes_listed(pointer self, const std::vector<msg::gossip_peer_info>& peers);

// gossip_leases.cpp
/// This node's claim of `vip` in `term` is confirmed (`holder` is this
/// node): its Lease, and for a Service IP its Services' kube-vip Lease, are
/// to name it (written when they name another holder).
void write_vip_lease(pointer self, const std::string& vip, const std::string& holder,
                     std::uint64_t term);
/// The Service IPs changed (`before` -> st.service_ips): an IP this node
/// answers for whose kube-vip Lease is a new one gets it written.
void record_service_leases(pointer self, const std::vector<msg::service_ip>& before);
void on_lease_tick(pointer self);

} // namespace kvip::gossip_actor
