// Services of type LoadBalancer on a real 3-node lab (issue 10, "Tests and
// benchmark"): kvip with gossip and svc_enable=true on every node, Services
// and EndpointSlices written through the embedded API server, and the client
// namespace asking who answers each Service IP (ARP/NDP) and connecting to it
// (every node runs a TCP server that names its node, so the reply says whose
// namespace the connection reached). One cluster serves every case; each case
// uses its own Service names and addresses and deletes its Services.
#include <algorithm>
#include <csignal>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "k8s/client.hpp"
#include "k8s/object_view.hpp"
#include "k8s/resource.hpp"
#include "net/wait.hpp"
#include "simulation/arp_sweeper.hpp"
#include "simulation/lab_services.hpp"
#include "simulation/lab_tcp.hpp"
#include "simulation/systems.hpp"
#include "test/net/result_assert.hpp"

namespace {

using namespace std::chrono_literals;
using kvip::net::always;
using kvip::net::eventually;
using kvip::net::ip_address;
using kvip::sim::service_spec;
using kvip::sim::slice_spec;
using kvip::test::ok;

constexpr std::uint16_t tcp_port = 8080;

ip_address ip(const std::string& s) {
  return *ip_address::parse(s);
}

std::string tail(const std::string& path, std::size_t lines) {
  std::ifstream in{path};
  std::vector<std::string> all;
  for (std::string l; std::getline(in, l);)
    all.push_back(l);
  std::string out;
  for (auto i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
    out += all[i] + "\n";
  return out;
}

/// The one shared cluster and its tools.
struct shared_lab {
  std::unique_ptr<kvip::sim::cluster> c;
  std::unique_ptr<kvip::sim::system_runner> sys;
  std::unique_ptr<kvip::sim::lab_services> api;
  std::unique_ptr<kvip::sim::arp_sweeper> sweep;
  std::string error; ///< why it could not be built
};

shared_lab* lab_ = nullptr;

std::string build(shared_lab& s) {
  kvip::sim::cluster_options o;
  o.kvip_binary = KVIP_BINARY;
  o.start_nodes = false;
  o.extra_env = {{"svc_enable", "true"}};
  auto made = kvip::sim::cluster::create(o);
  if (!made) return "cluster: " + made.err().describe();
  s.c = std::move(*made);
  s.sys = std::make_unique<kvip::sim::system_runner>(*s.c, kvip::sim::system_id::gossip);
  for (const auto& h : s.c->lab().nodes())
    if (auto srv = kvip::sim::start_tcp_banner(s.c->lab(), h, tcp_port, h.name); !srv)
      return srv.err().describe();
  if (auto st = s.sys->start_all(); !st) return "start: " + st.err().describe();
  if (auto why = s.sys->wait_all_ready(30s, nullptr); !why.empty()) return "not ready: " + why;
  auto api = kvip::sim::lab_services::open(*s.c, 2);
  if (!api) return api.err().describe();
  s.api = std::move(*api);
  auto sw = kvip::sim::arp_sweeper::start(kvip::sim::sweep_from(s.c->lab().client(), 1000));
  if (!sw) return sw.err().describe();
  s.sweep = std::move(*sw);
  return {};
}

class NetnsServices : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    lab_ = new shared_lab;
    lab_->error = build(*lab_);
  }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }

  void SetUp() override { ASSERT_TRUE(lab_->error.empty()) << lab_->error; }

  void TearDown() override {
    for (auto& [ns, name] : made_)
      (void)lab_->api->remove(ns, name);
    if (!lab_->error.empty() || !HasFailure()) return;
    for (int i = 0; i < c().options().nodes; ++i)
      std::printf("---- %s\n%s\n", c().node_log(i).c_str(), tail(c().node_log(i), 60).c_str());
  }

  kvip::sim::cluster& c() { return *lab_->c; }
  kvip::sim::lab_services& api() { return *lab_->api; }
  kvip::sim::arp_sweeper& sweep() { return *lab_->sweep; }

  /// Creates a Service (deleted when the case ends) and asks for its IPs.
  void create(const service_spec& s) {
    made_.emplace_back(s.ns, s.name);
    auto r = api().create(s);
    ASSERT_TRUE(r.ok()) << s.name << ": " << r.err().describe();
    std::vector<ip_address> targets;
    for (const auto& a : s.ips)
      targets.push_back(ip(a));
    sweep().add(targets);
  }

  /// The node that alone answered `a`'s newest complete request, else -1.
  int sole_owner(const std::string& a) {
    auto e = sweep().entry(ip(a));
    if (!e || e->current.size() != 1) return -1;
    return c().node_of(e->current[0]);
  }

  /// Waits until one node alone answers `a`; its index (-1 after the budget).
  int owner(const std::string& a, std::chrono::milliseconds budget = 10s) {
    sweep().add({ip(a)});
    int who = -1;
    eventually([&] { return (who = sole_owner(a)) >= 0; }, budget);
    return who;
  }

  /// True once a request for `a` sent after `since_us` went unanswered, and no
  /// request answered in the following `quiet`.
  bool stops_answering(const std::string& a, std::int64_t since_us,
                       std::chrono::milliseconds budget = 10s) {
    auto silent = [&] {
      auto e = sweep().entry(ip(a));
      return e && e->current_sent_us > since_us && e->current.empty();
    };
    if (!eventually(silent, budget)) return false;
    return always(silent, 1s, 50ms);
  }

  /// What a TCP connect to a:8080 from the client reads ("" when none).
  std::string hello(const std::string& a) {
    auto r = kvip::sim::tcp_hello(c().lab().client().netns, ip(a), tcp_port, 1s);
    return r.outcome == kvip::sim::tcp_outcome::answered ? r.text : "";
  }

  std::string node_name(int i) { return c().lab().nodes().at(static_cast<std::size_t>(i)).name; }

  /// The Service's kube-vip.io/vipHost and status ingress IPs ("|"-joined).
  std::pair<std::string, std::string> status_of(const std::string& name) {
    auto s = api().get("default", name);
    if (!s) return {"", ""};
    auto host = kvip::k8s::jsonpath::str(*s, {"metadata", "annotations", "kube-vip.io/vipHost"});
    std::string ips;
    if (auto* ing = kvip::k8s::jsonpath::find(*s, {"status", "loadBalancer", "ingress"});
        ing && ing->is_array())
      for (const auto& i : ing->as_array())
        ips += (ips.empty() ? "" : "|") + kvip::k8s::jsonpath::str(i.as_object(), {"ip"});
    return {host, ips};
  }

  std::vector<std::pair<std::string, std::string>> made_;
};

service_spec svc(const std::string& name, std::vector<std::string> ips) {
  service_spec s;
  s.name = name;
  s.ips = std::move(ips);
  s.endpoints_on = {0, 1, 2};
  return s;
}

} // namespace

namespace {

TEST_F(NetnsServices, CreatedServiceAnswersFromOneNodeWithStatusAndTcp) {
  ASSERT_NO_FATAL_FAILURE(create(svc("lab-create", {"10.99.0.110"})));
  int o = owner("10.99.0.110");
  ASSERT_GE(o, 0) << "no single node answered for 10.99.0.110";
  auto since = sweep().mark();
  EXPECT_TRUE(always(
      [&] {
        auto e = sweep().entry(ip("10.99.0.110"));
        return e && e->macs.size() <= 1;
      },
      1s));
  auto e = sweep().entry(ip("10.99.0.110"));
  ASSERT_TRUE(e && e->first_answer_us && *e->first_answer_us >= since);
  EXPECT_EQ(e->macs, std::vector<kvip::net::mac_address>{c().lab().nodes()[std::size_t(o)].mac});
  EXPECT_EQ(hello("10.99.0.110"), node_name(o) + "\n");
  std::pair<std::string, std::string> st;
  EXPECT_TRUE(eventually([&] { return (st = status_of("lab-create")).first == node_name(o); }, 5s))
      << "vipHost " << st.first;
  EXPECT_EQ(st.second, "10.99.0.110");
}

TEST_F(NetnsServices, ChangedAddressMovesTheAnswers) {
  auto s = svc("lab-modify", {"10.99.0.111"});
  ASSERT_NO_FATAL_FAILURE(create(s));
  ASSERT_GE(owner("10.99.0.111"), 0);
  s.ips = {"10.99.0.112"};
  auto changed = kvip::sim::mono_us();
  auto r = api().update(s);
  ASSERT_TRUE(r.ok()) << r.err().describe();
  int o = owner("10.99.0.112");
  EXPECT_GE(o, 0) << "the new address is not answered";
  EXPECT_TRUE(stops_answering("10.99.0.111", changed)) << "the old address still answers";
  std::pair<std::string, std::string> st;
  EXPECT_TRUE(
      eventually([&] { return (st = status_of("lab-modify")).second == "10.99.0.112"; }, 5s))
      << st.second;
  EXPECT_EQ(hello("10.99.0.112"), node_name(o) + "\n");
}

TEST_F(NetnsServices, DeletedServiceStopsAnswering) {
  ASSERT_NO_FATAL_FAILURE(create(svc("lab-delete", {"10.99.0.113"})));
  ASSERT_GE(owner("10.99.0.113"), 0);
  auto gone = kvip::sim::mono_us();
  auto r = api().remove("default", "lab-delete");
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_TRUE(stops_answering("10.99.0.113", gone));
  EXPECT_EQ(hello("10.99.0.113"), "");
}

TEST_F(NetnsServices, LocalPolicyFollowsItsEndpointAcrossNodes) {
  auto s = svc("lab-local", {"10.99.0.114"});
  s.local = true;
  s.endpoints_on = {0};
  ASSERT_NO_FATAL_FAILURE(create(s));
  EXPECT_EQ(owner("10.99.0.114"), 0);
  EXPECT_EQ(hello("10.99.0.114"), node_name(0) + "\n");
  auto r = api().set_endpoints(slice_spec{.service = "lab-local", .nodes = {1}});
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_TRUE(eventually([&] { return sole_owner("10.99.0.114") == 1; }, 10s))
      << "owner " << sole_owner("10.99.0.114");
  EXPECT_TRUE(eventually([&] { return hello("10.99.0.114") == node_name(1) + "\n"; }, 3s));
  std::pair<std::string, std::string> st;
  EXPECT_TRUE(eventually([&] { return (st = status_of("lab-local")).first == node_name(1); }, 5s))
      << st.first;
}

} // namespace

namespace {

/// True when `events` holds a Warning Event with `reason`.
bool has_warning(const std::vector<boost::json::object>& events, const std::string& reason) {
  for (const auto& e : events)
    if (kvip::k8s::jsonpath::str(e, {"type"}) == "Warning" &&
        kvip::k8s::jsonpath::str(e, {"reason"}) == reason)
      return true;
  return false;
}

TEST_F(NetnsServices, SharedAddressHasOneOwnerAndAConflictingPortIsRefused) {
  auto a = svc("lab-share-a", {"10.99.0.115"});
  auto b = svc("lab-share-b", {"10.99.0.115"});
  b.ports = {{"TCP", 443}};
  ASSERT_NO_FATAL_FAILURE(create(a));
  ASSERT_NO_FATAL_FAILURE(create(b));
  int o = owner("10.99.0.115");
  ASSERT_GE(o, 0);
  for (const auto* name : {"lab-share-a", "lab-share-b"})
    EXPECT_TRUE(eventually([&] { return status_of(name).first == node_name(o); }, 5s)) << name;
  // Same port as lab-share-a, and younger (or, created in the same second, after it by name).
  auto conflicting = svc("lab-share-c", {"10.99.0.115"});
  ASSERT_NO_FATAL_FAILURE(create(conflicting));
  std::vector<boost::json::object> events;
  EXPECT_TRUE(eventually(
      [&] {
        auto ev = api().events("default", "lab-share-c");
        if (ev) events = *ev;
        return has_warning(events, "AddressConflict");
      },
      5s))
      << events.size() << " Events";
  auto since = sweep().mark();
  EXPECT_TRUE(always(
      [&] {
        auto e = sweep().entry(ip("10.99.0.115"));
        return e && e->macs.size() <= 1;
      },
      1s));
  auto e = sweep().entry(ip("10.99.0.115"));
  ASSERT_TRUE(e && e->first_answer_us && *e->first_answer_us >= since);
  EXPECT_EQ(c().node_of(e->macs.at(0)), o);
  EXPECT_EQ(status_of("lab-share-c").first, "") << "the refused Service names an owner";
}

TEST_F(NetnsServices, DualStackServiceAnswersArpAndNdp) {
  auto s = svc("lab-dual", {"10.99.0.116", "fd99::116"});
  s.ip_families = {"IPv4", "IPv6"};
  s.ip_family_policy = "RequireDualStack";
  ASSERT_NO_FATAL_FAILURE(create(s));
  int o4 = owner("10.99.0.116");
  int o6 = owner("fd99::116");
  ASSERT_GE(o4, 0);
  ASSERT_GE(o6, 0) << "no single node answered the Neighbor Solicitation";
  EXPECT_EQ(hello("10.99.0.116"), node_name(o4) + "\n");
  EXPECT_EQ(hello("fd99::116"), node_name(o6) + "\n");
  std::pair<std::string, std::string> st;
  EXPECT_TRUE(eventually(
      [&] {
        st = status_of("lab-dual");
        return st.second == "10.99.0.116|fd99::116" || st.second == "fd99::116|10.99.0.116";
      },
      5s))
      << st.second;
}

// A watch gap: every node frozen, their watch streams ended by the API
// server, the Service deleted and the event history forgotten (a resumed
// watch gets 410 Gone). Thawed, the nodes relist; the Service's IP must go.
TEST_F(NetnsServices, ServiceDeletedDuringAWatchGapStopsAnswering) {
  ASSERT_NO_FATAL_FAILURE(create(svc("lab-gap", {"10.99.0.117"})));
  int o = owner("10.99.0.117");
  ASSERT_GE(o, 0);
  const int n = c().options().nodes;
  for (int i = 0; i < n; ++i)
    ASSERT_TRUE(c().signal_node(i, SIGSTOP));
  auto thaw = [&] {
    for (int i = 0; i < n; ++i)
      c().signal_node(i, SIGCONT);
  };
  auto dropped = c().api_fault("drop-watches");
  auto removed = api().remove("default", "lab-gap");
  auto compacted = c().api_fault("compact");
  auto resumed = kvip::sim::mono_us();
  thaw();
  ASSERT_TRUE(ok(dropped));
  ASSERT_TRUE(removed.ok()) << removed.err().describe();
  ASSERT_TRUE(ok(compacted));
  // The responders run again once the control-plane VIP is answered again.
  sweep().add({ip("10.99.0.100")});
  ASSERT_TRUE(eventually(
      [&] {
        auto e = sweep().entry(ip("10.99.0.100"));
        return e && e->current_sent_us > resumed && !e->current.empty();
      },
      10s));
  EXPECT_TRUE(stops_answering("10.99.0.117", resumed));
  // It was a gap: the owner's Service watch relisted after a 410 (its state dump says so).
  ASSERT_TRUE(c().signal_node(o, SIGUSR1));
  const std::regex relisted{"Services: [0-9]+ lists \\([1-9][0-9]* after 410\\)"};
  EXPECT_TRUE(eventually(
      [&] {
        std::ifstream in{c().node_log(o)};
        std::stringstream ss;
        ss << in.rdbuf();
        return std::regex_search(ss.str(), relisted);
      },
      5s));
  ASSERT_TRUE(lab_->sys->wait_all_ready(30s, nullptr).empty());
}

TEST_F(NetnsServices, ManyServicesCreatedAtOnceEachAnswerFromOneNode) {
  std::vector<service_spec> specs;
  std::vector<ip_address> targets;
  for (int i = 0; i < 40; ++i) {
    auto a = "10.99.0." + std::to_string(130 + i);
    specs.push_back(svc("lab-many-" + std::to_string(i), {a}));
    targets.push_back(ip(a));
    made_.emplace_back("default", specs.back().name);
  }
  sweep().add(targets);
  auto since = sweep().mark();
  auto made = api().create_many(specs);
  ASSERT_EQ(made.size(), specs.size());
  for (const auto& m : made) {
    EXPECT_EQ(m.error, "") << m.name;
    EXPECT_GE(m.start_us, since);
    EXPECT_GE(m.done_us, m.start_us);
  }
  std::string missing;
  EXPECT_TRUE(eventually(
      [&] {
        missing.clear();
        for (const auto& t : targets) {
          auto e = sweep().entry(t);
          if (!e || !e->first_answer_us || e->current.size() != 1) missing += " " + t.to_string();
        }
        return missing.empty();
      },
      10s))
      << "not answered by exactly one node:" << missing;
  std::vector<std::int64_t> lag; // creation answered -> first ARP answer
  for (std::size_t i = 0; i < targets.size(); ++i) {
    auto e = sweep().entry(targets[i]);
    EXPECT_TRUE(e && e->macs.size() == 1) << targets[i].to_string() << " answered by several nodes";
    if (e && e->first_answer_us) lag.push_back(*e->first_answer_us - made[i].done_us);
  }
  std::sort(lag.begin(), lag.end());
  if (!lag.empty())
    std::printf("created -> answering: p50 %.1f ms, max %.1f ms over %zu Services\n",
                static_cast<double>(lag[lag.size() / 2]) / 1000.0,
                static_cast<double>(lag.back()) / 1000.0, lag.size());
}

// kube-vip's Lease names in gossip mode: the owner of a Service IP is named
// on the Service's Lease (kubevip-<service> in its namespace), and Services
// that name one Lease with kube-vip.io/leaseName share one owner, as they
// share one election under kube-vip, whose Lease names that owner.
TEST_F(NetnsServices, OwnersAreOnKubeVipLeasesAndOneLeaseNameKeepsServicesTogether) {
  auto a = svc("lab-lease-a", {"10.99.0.119"});
  auto b = svc("lab-lease-b", {"10.99.0.120"});
  a.annotations["kube-vip.io/leaseName"] = "lab-shared";
  b.annotations["kube-vip.io/leaseName"] = "lab-shared";
  ASSERT_NO_FATAL_FAILURE(create(a));
  ASSERT_NO_FATAL_FAILURE(create(b));
  ASSERT_NO_FATAL_FAILURE(create(svc("lab-lease-c", {"10.99.0.121"})));
  int oa = owner("10.99.0.119");
  int ob = owner("10.99.0.120");
  int oc = owner("10.99.0.121");
  ASSERT_GE(oa, 0);
  ASSERT_GE(oc, 0);
  EXPECT_EQ(ob, oa) << "Services on one leaseName have different owners";
  auto holder = [&](const std::string& name) {
    std::string h;
    api().run([&](kvip::k8s::client& cl) {
      if (auto l = cl.get(kvip::k8s::resources::leases, "default", name))
        h = kvip::k8s::jsonpath::str(*l, {"spec", "holderIdentity"});
    });
    return h;
  };
  EXPECT_TRUE(eventually([&] { return holder("lab-shared") == node_name(oa); }, 5s))
      << holder("lab-shared");
  EXPECT_TRUE(eventually([&] { return holder("kubevip-lab-lease-c") == node_name(oc); }, 5s))
      << holder("kubevip-lab-lease-c");
}

// Last: it restarts a node.
TEST_F(NetnsServices, KilledOwnersAddressIsAnsweredByAnotherNode) {
  ASSERT_NO_FATAL_FAILURE(create(svc("lab-kill", {"10.99.0.118"})));
  int o = owner("10.99.0.118");
  ASSERT_GE(o, 0);
  ASSERT_TRUE(lab_->sys->signal(o, SIGKILL));
  int next = -1;
  EXPECT_TRUE(eventually(
      [&] {
        next = sole_owner("10.99.0.118");
        return next >= 0 && next != o;
      },
      5s));
  if (next >= 0 && next != o) {
    EXPECT_EQ(hello("10.99.0.118"), node_name(next) + "\n");
  }
  lab_->sys->wait_exit(o, 5s);
  ASSERT_TRUE(ok(lab_->sys->start(o)));
  EXPECT_EQ(lab_->sys->wait_all_ready(30s, nullptr), "");
}

} // namespace
