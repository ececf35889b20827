// The Service election without gossip (k8s/services/lease_election) as
// tables: each row is an event, the exact effects (in order) and the
// candidacy of every Lease afterwards. A table reads like the trace of a run
// of node n1:
//
//   event                                effects
//   "ips 10.0.0.1 * default/kubevip-a"   "get default/kubevip-a" ...
//
// Events: start | shutdown | advance <ms> | timer <lease> |
//   ips <ip> <nodes> <lease> [<iface>] [; ...]   (nodes: * = any, else n1,n2; "ips -" = none;
//     +<lease>: the IP is elected on that Lease of its own in global mode)
//   lease <lease> ok <holder> <rv> | lease <lease> not_found|conflict|timeout
//   vips ok (the announcer holds what it was sent) | vips stuck <ip> (and <ip>, which it
//   could not remove) | vips timeout
// Effects: get|create|update <lease> [holder=..] [rv=..] | timer <lease> <ms> |
//   announce <ip/len%if,...|-> | report <ip> | leading <lease> on|off | shutdown_done
#include "k8s/services/lease_election.hpp"

#include <sstream>

#include <gtest/gtest.h>

namespace {

using namespace kvip::k8s::services;
using namespace std::chrono_literals;
namespace el = kvip::k8s::election;
using kvip::k8s::error_kind;
using kind = election_effect::kind;

struct row {
  std::string event;
  std::vector<std::string> effects;
  std::string leases; ///< "default/kubevip-a=owning ..." after the event
};

struct scenario {
  std::string name;
  bool per_service = false;
  std::vector<row> rows;
};

std::ostream& operator<<(std::ostream& os, const scenario& s) {
  return os << s.name;
}

lease_id parse_lease(const std::string& text) {
  auto slash = text.find('/');
  return {text.substr(0, slash), text.substr(slash + 1)};
}

std::string describe(const election_effect& e) {
  auto l = e.lease.text();
  switch (e.what) {
  case kind::get_lease:
    return "get " + l;
  case kind::create_lease:
    return "create " + l + " holder=" + e.rec.holder;
  case kind::update_lease:
    return "update " + l + " holder=" + e.rec.holder + " rv=" + e.rv;
  case kind::arm_timer:
    return "timer " + l + " " + std::to_string(e.delay.count());
  case kind::announce: {
    std::string s;
    for (const auto& ip : e.ips)
      s += (s.empty() ? "" : ",") + ip.address + "/" + std::to_string(ip.prefix_length) + "%" +
           ip.interface;
    return "announce " + (s.empty() ? std::string("-") : s);
  }
  case kind::report_owner:
    return "report " + e.address;
  case kind::leading:
    return "leading " + l + (e.on ? " on" : " off");
  case kind::shutdown_done:
    return "shutdown_done";
  }
  return "?";
}

/// Drives one node's election (n1) through a table.
class driver {
public:
  explicit driver(bool per_service) : m_(make_config(per_service), [] { return 0.0; }) {
    ctx_.now = el::steady_time{1h};
    ctx_.announcer = 1;
  }

  static election_config make_config(bool per_service) {
    election_config c;
    c.timings.identity = "n1";
    c.timings.lease_duration = 5000ms;
    c.timings.renew_deadline = 3000ms;
    c.timings.retry_period = 1000ms;
    c.per_service = per_service;
    c.global_lease = {"kube-system", "plndr-svcs-lock"};
    c.interface = "eth0";
    c.prefix_v4 = 32;
    c.prefix_v6 = 128;
    return c;
  }

  std::vector<std::string> run(const std::string& event) {
    std::istringstream in{event};
    std::string what;
    in >> what;
    std::string rest;
    std::getline(in, rest);
    ctx_.wall = kvip::k8s::sys_micros{
        std::chrono::duration_cast<std::chrono::microseconds>(ctx_.now.time_since_epoch())};
    std::vector<std::string> out;
    for (auto& e : dispatch(what, rest)) {
      if (e.what == kind::arm_timer) armed_[e.lease.text()] = e.generation;
      if (e.what == kind::announce) sent_ = e.ips;
      out.push_back(describe(e));
    }
    return out;
  }

  std::string leases() const {
    std::string s;
    for (const auto& [id, c] : m_.leases())
      s += (s.empty() ? "" : " ") + id.text() + "=" + to_string(c);
    return s;
  }

private:
  using effects = lease_election::effects;

  effects dispatch(const std::string& what, const std::string& rest) {
    std::istringstream in{rest};
    std::string a, b, c, d;
    in >> a >> b >> c >> d;
    if (what == "start") return m_.start(ctx_);
    if (what == "shutdown") return m_.shutdown(ctx_);
    if (what == "advance") {
      ctx_.now += std::chrono::milliseconds{std::stoi(a)};
      return {};
    }
    if (what == "timer") return m_.timer(ctx_, parse_lease(a), armed_[a]);
    if (what == "ips") return m_.set_ips(ctx_, parse_ips(rest));
    if (what == "vips") return vips(a, b);
    if (what == "lease") return lease(parse_lease(a), b, c, d);
    ADD_FAILURE() << "unknown event " << what;
    return {};
  }

  static std::vector<election_ip> parse_ips(const std::string& text) {
    std::vector<election_ip> out;
    std::istringstream all{text};
    std::string one;
    while (std::getline(all, one, ';')) {
      std::istringstream in{one};
      election_ip ip;
      std::string nodes, lease;
      if (!(in >> ip.address) || ip.address == "-") continue;
      in >> nodes >> lease >> ip.interface;
      ip.any_node = nodes == "*";
      std::istringstream ns{ip.any_node ? std::string{} : nodes};
      for (std::string n; std::getline(ns, n, ',');)
        ip.nodes.push_back(n);
      ip.own_lease = lease.starts_with('+');
      ip.lease = parse_lease(ip.own_lease ? lease.substr(1) : lease);
      out.push_back(ip);
    }
    return out;
  }

  effects vips(const std::string& how, const std::string& stuck) {
    if (how == "timeout") return m_.announce_timed_out(ctx_, "timeout");
    std::vector<std::string> active;
    for (const auto& ip : sent_)
      active.push_back(ip.address);
    std::string error;
    if (how == "stuck") {
      active.push_back(stuck);
      error = stuck + "/32 on eth0: remove failed";
    }
    return m_.announce_answered(ctx_, active, error);
  }

  effects lease(const lease_id& l, const std::string& how, const std::string& holder,
                const std::string& rv) {
    if (how == "timeout") return m_.lease_timed_out(ctx_, l, "timeout");
    if (how == "not_found")
      return m_.lease_answered(ctx_, l, el::lease_answer::failed(error_kind::not_found, "404"));
    if (how == "conflict")
      return m_.lease_answered(ctx_, l, el::lease_answer::failed(error_kind::conflict, "409"));
    el::record r; // "ok <holder> <rv>": "-" is the released (empty) holder
    r.holder = holder == "-" ? "" : holder;
    r.lease_duration_s = r.holder.empty() ? 1 : 5;
    return m_.lease_answered(ctx_, l, el::lease_answer::ok(r, rv));
  }

  lease_election m_;
  el::context ctx_;
  std::map<std::string, std::uint64_t> armed_;
  std::vector<announced_ip> sent_;
};

class LeaseElection : public ::testing::TestWithParam<scenario> {};

TEST_P(LeaseElection, Table) {
  driver d{GetParam().per_service};
  int i = 0;
  for (const auto& r : GetParam().rows) {
    SCOPED_TRACE("row " + std::to_string(i++) + ": " + r.event);
    EXPECT_EQ(d.run(r.event), r.effects);
    EXPECT_EQ(d.leases(), r.leases);
  }
}

const std::string G = "kube-system/plndr-svcs-lock";
const std::string A = "default/kubevip-a";
const std::string B = "default/kubevip-b";

/// n1 wins the global Lease and holds two IPs (one IPv6 on its own interface).
std::vector<row> global_leader() {
  return {
      {"start", {"leading " + G + " off", "announce -"}, G + "=campaigning"},
      {"ips 10.0.0.1 * x/y; fd00::1 * x/y eth1", {}, G + "=campaigning"},
      {"vips ok", {"get " + G}, G + "=campaigning"},
      {"lease " + G + " not_found", {"create " + G + " holder=n1"}, G + "=campaigning"},
      {"lease " + G + " ok n1 1",
       {"leading " + G + " on", "timer " + G + " 1000",
        "announce 10.0.0.1/32%eth0,fd00::1/128%eth1"},
       G + "=owning"},
      {"vips ok", {"report 10.0.0.1", "report fd00::1"}, G + "=owning"},
  };
}

/// n1 wins default/kubevip-a (10.0.0.1, any node).
std::vector<row> service_a_leader() {
  return {
      {"start", {}, ""},
      {"ips 10.0.0.1 * " + A, {"leading " + A + " off", "announce -"}, A + "=campaigning"},
      {"vips ok", {"get " + A}, A + "=campaigning"},
      {"lease " + A + " not_found", {"create " + A + " holder=n1"}, A + "=campaigning"},
      {"lease " + A + " ok n1 1",
       {"leading " + A + " on", "timer " + A + " 1000", "announce 10.0.0.1/32%eth0"},
       A + "=owning"},
      {"vips ok", {"report 10.0.0.1"}, A + "=owning"},
  };
}

std::vector<row> then(std::vector<row> a, const std::vector<row>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const scenario tables[] = {
    {"GlobalLeaderAnnouncesEveryIpAndNewOnes", false,
     then(global_leader(),
          {
              {"ips 10.0.0.1 * x/y; fd00::1 * x/y eth1; 10.0.0.2 * x/z",
               {"announce 10.0.0.1/32%eth0,10.0.0.2/32%eth0,fd00::1/128%eth1"},
               G + "=owning"},
              {"vips ok", {"report 10.0.0.2"}, G + "=owning"},
              {"ips 10.0.0.2 * x/z", {"announce 10.0.0.2/32%eth0"}, G + "=owning"},
              {"vips ok", {}, G + "=owning"},
          })},
    {"GlobalFollowerAnnouncesNothing",
     false,
     {
         {"start", {"leading " + G + " off", "announce -"}, G + "=campaigning"},
         {"vips ok", {"get " + G}, G + "=campaigning"},
         {"ips 10.0.0.1 * x/y", {}, G + "=campaigning"},
         {"lease " + G + " ok n2 4", {"timer " + G + " 1000"}, G + "=campaigning"},
         {"ips 10.0.0.1 * x/y; 10.0.0.2 * x/z", {}, G + "=campaigning"},
     }},
    {"GlobalLeaderAnnouncesOnlyLocalIpsItMayServe", false,
     then(global_leader(),
          {
              {"ips 10.0.0.1 n2 x/y; 10.0.0.3 n1,n3 x/z",
               {"announce 10.0.0.3/32%eth0"},
               G + "=owning"},
              {"vips ok", {"report 10.0.0.3"}, G + "=owning"},
              {"ips 10.0.0.1 n1,n2 x/y; 10.0.0.3 n1,n3 x/z",
               {"announce 10.0.0.1/32%eth0,10.0.0.3/32%eth0"},
               G + "=owning"},
              {"vips ok", {"report 10.0.0.1"}, G + "=owning"},
          })},
    {"GlobalLeaderLosingTheLeaseWithdrawsAndCampaignsAgain", false,
     then(global_leader(),
          {
              {"advance 1000", {}, G + "=owning"},
              {"timer " + G,
               {"timer " + G + " 3000", "update " + G + " holder=n1 rv=1"},
               G + "=owning"},
              // Another node wrote the Lease (the API server's clock jumped, say).
              {"lease " + G + " conflict", {"get " + G}, G + "=owning"},
              {"lease " + G + " ok n2 5", {"timer " + G + " 1000"}, G + "=owning"},
              {"advance 2000", {}, G + "=owning"},
              {"timer " + G, {"timer " + G + " 1000", "get " + G}, G + "=owning"},
              {"lease " + G + " ok n2 5", {"timer " + G + " 1000"}, G + "=owning"},
              // The renew deadline (3 s after the renewal began): withdraw, no exit.
              {"advance 1000", {}, G + "=owning"},
              {"timer " + G,
               {"leading " + G + " off", "timer " + G + " 1000", "announce -"},
               G + "=campaigning"},
              {"vips ok", {}, G + "=campaigning"},
          })},
    {"GlobalShutdownWithdrawsThenReleases", false,
     then(global_leader(),
          {
              {"shutdown", {"leading " + G + " off", "announce -"}, G + "=campaigning"},
              {"vips ok", {"update " + G + " holder= rv=1"}, G + "=campaigning"},
              {"lease " + G + " ok - 2", {"shutdown_done"}, G + "=campaigning"},
          })},
    // per_service_election_on_demand: an IP whose Service forces per-Service
    // election is contested on its own Lease; the global holder leaves it alone.
    {"GlobalModeOwnLeaseIpIsElectedOnItsOwnLease", false,
     then(global_leader(),
          {
              {"ips 10.0.0.1 * x/y; 10.0.0.5 * +" + A,
               {"leading " + A + " off", "announce 10.0.0.1/32%eth0"},
               A + "=campaigning " + G + "=owning"},
              {"vips ok", {"get " + A}, A + "=campaigning " + G + "=owning"},
              {"lease " + A + " not_found",
               {"create " + A + " holder=n1"},
               A + "=campaigning " + G + "=owning"},
              {"lease " + A + " ok n1 1",
               {"leading " + A + " on", "timer " + A + " 1000",
                "announce 10.0.0.1/32%eth0,10.0.0.5/32%eth0"},
               A + "=owning " + G + "=owning"},
              {"vips ok", {"report 10.0.0.5"}, A + "=owning " + G + "=owning"},
              // The annotation goes: the IP returns to the global Lease, whose
              // holder keeps announcing it; its own Lease is released.
              {"ips 10.0.0.1 * x/y; 10.0.0.5 * " + A,
               {"leading " + A + " off", "announce 10.0.0.1/32%eth0,10.0.0.5/32%eth0"},
               A + "=dropping " + G + "=owning"},
              {"vips ok", {"update " + A + " holder= rv=1"}, A + "=dropping " + G + "=owning"},
              {"lease " + A + " ok - 2", {}, G + "=owning"},
          })},
    {"PerServiceLeaseWonAnnouncesItsIp", true, service_a_leader()},
    {"PerServiceLocalIpCampaignsOnlyWhenEligible",
     true,
     {
         {"ips 10.0.0.1 n2 " + A, {}, A + "=ineligible"},
         {"ips 10.0.0.1 n2,n1 " + A, {"leading " + A + " off", "announce -"}, A + "=campaigning"},
         {"vips ok", {"get " + A}, A + "=campaigning"},
     }},
    {"PerServiceOwnerNoLongerEligibleWithdrawsAndReleases", true,
     then(service_a_leader(),
          {
              {"ips 10.0.0.1 n2 " + A, {"leading " + A + " off", "announce -"}, A + "=ineligible"},
              {"vips ok", {"update " + A + " holder= rv=1"}, A + "=ineligible"},
              {"lease " + A + " ok - 2", {}, A + "=ineligible"},
              {"ips 10.0.0.1 n1 " + A, {"get " + A}, A + "=campaigning"},
          })},
    {"PerServiceIpGoneReleasesAndForgetsTheLease", true,
     then(service_a_leader(),
          {
              {"ips 10.0.0.2 * " + B,
               {"leading " + B + " off", "leading " + A + " off", "announce -"},
               A + "=dropping " + B + "=campaigning"},
              {"vips ok",
               {"update " + A + " holder= rv=1", "get " + B},
               A + "=dropping " + B + "=campaigning"},
              {"lease " + A + " ok - 2", {}, B + "=campaigning"},
          })},
    {"PerServiceIpsSharingALeaseHaveOneCampaign",
     true,
     {
         {"ips 10.0.0.1 * " + A + "; fd00::1 * " + A,
          {"leading " + A + " off", "announce -"},
          A + "=campaigning"},
         {"vips ok", {"get " + A}, A + "=campaigning"},
         {"lease " + A + " not_found", {"create " + A + " holder=n1"}, A + "=campaigning"},
         {"lease " + A + " ok n1 1",
          {"leading " + A + " on", "timer " + A + " 1000",
           "announce 10.0.0.1/32%eth0,fd00::1/128%eth0"},
          A + "=owning"},
         {"vips ok", {"report 10.0.0.1", "report fd00::1"}, A + "=owning"},
     }},
    {"PerServiceWithdrawThatFailsIsNotReleased", true,
     then(service_a_leader(),
          {
              {"ips 10.0.0.1 n2 " + A, {"leading " + A + " off", "announce -"}, A + "=ineligible"},
              // The announcer could not remove 10.0.0.1: the Lease is left to expire.
              {"vips stuck 10.0.0.1", {}, A + "=ineligible"},
          })},
    {"PerServiceAnotherLeaseErrorDoesNotBlockARelease", true,
     then(service_a_leader(),
          {
              {"ips 10.0.0.1 n2 " + A + "; 10.0.0.9 * " + B,
               {"leading " + A + " off", "leading " + B + " off", "announce -"},
               A + "=ineligible " + B + "=campaigning"},
              {"vips stuck 10.0.0.7",
               {"update " + A + " holder= rv=1", "get " + B},
               A + "=ineligible " + B + "=campaigning"},
          })},
    {"AnnouncerTimeoutSendsTheSetAgain",
     true,
     {
         {"ips 10.0.0.1 * " + A, {"leading " + A + " off", "announce -"}, A + "=campaigning"},
         {"vips timeout", {"get " + A, "announce -"}, A + "=campaigning"},
         {"vips ok", {}, A + "=campaigning"},
     }},
    {"PerServiceShutdownReleasesEveryLease", true,
     then(
         service_a_leader(),
         {
             {"ips 10.0.0.1 * " + A + "; 10.0.0.2 n2 " + B, {}, A + "=owning " + B + "=ineligible"},
             {"shutdown",
              {"leading " + A + " off", "announce -"},
              A + "=campaigning " + B + "=ineligible"},
             {"vips ok",
              {"update " + A + " holder= rv=1"},
              A + "=campaigning " + B + "=ineligible"},
             {"lease " + A + " ok - 2", {"shutdown_done"}, A + "=campaigning " + B + "=ineligible"},
         })},
};

INSTANTIATE_TEST_SUITE_P(Tables, LeaseElection, ::testing::ValuesIn(tables),
                         [](const auto& info) { return info.param.name; });

} // namespace
