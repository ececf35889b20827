// Who announces which Service IP when gossip is off (issue 10, "Ownership and
// election"): kube-vip's Lease-based Service election in ARP mode, as a pure
// state machine. The service_elector actor (actors/service_elector.hpp)
// performs its effects and feeds the answers back; tests drive it with
// virtual time.
//
// Modes (reference §3.3, §3.8):
//  - global (svc_election=false): one Lease (svc_leasename, default
//    plndr-svcs-lock). Its holder announces every Service IP it is eligible
//    for; the others announce none. With externalTrafficPolicy Local an IP is
//    announced only when this node is among its allowed nodes: when the holder
//    has no local endpoint for it, nobody announces it (kube-vip's behaviour).
//    Unlike kube-vip, losing the Lease withdraws the IPs and campaigns again:
//    the process never exits (weak spot 1).
//  - per-Service (svc_election=true): one Lease per distinct (namespace, name)
//    the IPs name (kubevip-<service> in the Service's namespace, or
//    kube-vip.io/leaseName). Ownership is per IP: the service watcher gives
//    each IP the Lease of its oldest Service, so Services sharing an IP share
//    one owner (weak spot 4c). A node campaigns for a Lease only while it is
//    eligible for one of its IPs (Cluster: any node; Local: listed in
//    `nodes`), and pauses — withdraws, then releases the Lease — when it stops
//    being eligible or the Lease names no IP any more (then it is forgotten).
//  - on demand (global mode, per_service_election_on_demand): an IP marked
//    own_lease (its oldest Service says kube-vip.io/forcePerServiceElection)
//    is elected as in per-Service mode on its own Lease; the global Lease's
//    holder leaves it alone.
//
// Every Lease is driven by its own k8s::election::policy (withdraw before
// release, a VIP that could not be withdrawn is never handed over, one request
// at a time). Their announce/withdraw requests are merged into one desired set
// for the node's Service announcer: one announce effect in flight at a time
// carrying the whole set; its answer goes back to every Lease that waited
// for it.
//
//   event                          -> effects
//   set_ips(ips)                   -> start / pause / resume campaigns, announce
//   lease_answered / _timed_out    -> that Lease's next request, timer, announce
//   timer(lease, generation)       -> that Lease's next attempt
//   announce_answered / _timed_out -> waiting Leases go on; report_owner for
//                                     every IP newly held
//   shutdown                       -> withdraw, release every Lease, shutdown_done
//
// Each Lease's candidacy (ineligible, campaigning, owning, dropping) changes
// only through one set_state that logs old -> new and why.

#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "k8s/election_policy.hpp"

namespace kvip::k8s::services {

/// A Lease: namespace and name.
struct lease_id {
  std::string ns;
  std::string name;
  std::string text() const { return ns + "/" + name; }
  auto operator<=>(const lease_id&) const = default;
};

/// One Service IP as the election needs it (from msg::service_ip).
struct election_ip {
  std::string address;            ///< canonical text
  std::string interface;          ///< "" = the default interface
  bool any_node = true;           ///< externalTrafficPolicy Cluster
  std::vector<std::string> nodes; ///< !any_node: the nodes allowed to announce it
  lease_id lease;                 ///< per-Service mode: its Lease
  /// Global mode: elected on `lease` of its own, not the global Lease
  /// (kube-vip.io/forcePerServiceElection under per_service_election_on_demand).
  bool own_lease = false;
};

/// One address for the announcer.
struct announced_ip {
  std::string address;
  int prefix_length = 0; ///< 0 = the family's full length
  std::string interface;
  bool operator==(const announced_ip&) const = default;
};

struct election_config {
  k8s::election::config timings; ///< identity = this node
  bool per_service = false;      ///< svc_election
  lease_id global_lease{"kube-system", "plndr-svcs-lock"};
  std::string interface; ///< for IPs without their own
  int prefix_v4 = 0;     ///< vip_subnet for IPv4 Service IPs (0 = /32)
  int prefix_v6 = 0;     ///< vip_subnet for IPv6 Service IPs (0 = /128)
};

/// What the driver must do.
struct election_effect {
  enum class kind {
    get_lease,     ///< GET `lease`
    create_lease,  ///< POST `lease` carrying `rec`
    update_lease,  ///< PUT `lease` (as last read) with `rec` and resourceVersion `rv`
    arm_timer,     ///< deliver timer(`lease`, `generation`) after `delay`
    announce,      ///< ask the announcer to hold exactly `ips`
    report_owner,  ///< this node now holds `address`: write its Services' status
    leading,       ///< metrics: this node holds `lease` (`on`)
    shutdown_done, ///< answer the shutdown request
  };
  kind what;
  lease_id lease;
  k8s::election::record rec;
  std::string rv;
  k8s::election::ms delay{0};
  std::uint64_t generation = 0;
  bool on = false;
  std::vector<announced_ip> ips;
  std::string address;
};

/// A Lease's candidacy.
enum class candidacy {
  ineligible,  ///< not campaigning: no IP of it may be announced from this node
  campaigning, ///< campaigning, not holding it
  owning,      ///< holding it: its eligible IPs are announced
  dropping,    ///< no IP names it any more: releasing, then forgotten
};
const char* to_string(candidacy c);
const char* to_string(election_effect::kind k);

/// The node's Service election.
class lease_election {
public:
  using context = k8s::election::context;
  using effects = std::vector<election_effect>;

  /// `rand01` gives uniform values in [0, 1) for the retry jitter.
  lease_election(election_config cfg, std::function<double()> rand01);
  ~lease_election();

  /// Global mode: begins campaigning for the global Lease.
  effects start(const context& c);
  /// The whole desired set of Service IPs (replaces the previous one).
  effects set_ips(const context& c, std::vector<election_ip> ips);
  effects lease_answered(const context& c, const lease_id& l, const k8s::election::lease_answer& a);
  effects lease_timed_out(const context& c, const lease_id& l, const std::string& why);
  effects timer(const context& c, const lease_id& l, std::uint64_t generation);
  /// The announcer's answer: the addresses it holds now, and any error.
  effects announce_answered(const context& c, const std::vector<std::string>& active,
                            const std::string& error);
  effects announce_timed_out(const context& c, const std::string& why);
  effects shutdown(const context& c);

  /// Introspection (dump, tests).
  std::map<lease_id, candidacy> leases() const;
  /// One Lease's candidacy (ineligible when the election does not know it).
  candidacy candidacy_of(const lease_id& l) const;
  const std::set<std::string>& held() const { return active_; }
  bool stopped() const { return stopped_; }

private:
  struct entry;
  entry& entry_for(const lease_id& l);
  void set_state(entry& e, candidacy next, const std::string& why);
  void update_eligibility(const context& c, effects& out);
  void update_entry(const context& c, entry& e, bool eligible, bool named, effects& out);
  void drive(entry& e, std::vector<k8s::election::effect> in, effects& out);
  void finish(effects& out);
  void send_set(effects& out);
  std::vector<announced_ip> contribution(const entry& e) const;
  std::vector<announced_ip> desired() const;
  bool eligible(const election_ip& ip) const;
  /// Elected on its own Lease: per-Service mode, or own_lease.
  bool on_own_lease(const election_ip& ip) const { return cfg_.per_service || ip.own_lease; }
  std::vector<const election_ip*> ips_of(const entry& e) const;

  election_config cfg_;
  std::function<double()> rand01_;
  std::vector<election_ip> ips_;
  std::map<lease_id, std::unique_ptr<entry>> entries_;
  bool announce_busy_ = false;      ///< an announce effect waits for its answer
  std::vector<lease_id> in_flight_; ///< Leases whose request the outstanding set answers
  std::vector<announced_ip> sent_;  ///< the last set sent
  bool resend_ = false;             ///< the last set got no answer: send it again
  std::set<std::string> active_;    ///< what the announcer last said it holds
  bool stopping_ = false;
  bool stopped_ = false;
};

} // namespace kvip::k8s::services
