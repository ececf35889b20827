// Services of type LoadBalancer on a real 3-node gossip lab, beyond
// services_netns_test.cpp (issue 10, "Tests and benchmark"): address pools
// from the kubevip ConfigMap (allocation, a namespace's pool over the global
// one, exhaustion and an address freed by a deletion) and the annotations kvip
// acts on in gossip mode (ignore, serviceInterface, allow-reconcile-without-
// endpoints) or reports as not acted on yet. One cluster serves every case
// (test/simulation/service_lab_fixture.hpp); each case uses its own names and
// addresses and deletes what it made. `ctest -R netns_svc_more` runs them.
#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>

#include "simulation/prom_text.hpp"
#include "test/simulation/service_lab_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using kvip::net::always;
using kvip::net::eventually;
using kvip::sim::service_spec;
using kvip::test::lab_service;
using kvip::test::service_lab;

const std::string lbips = "kube-vip.io/loadbalancerIPs";

service_lab* lab_ = nullptr;

class NetnsServicesMore : public kvip::test::ServiceLabTest {
protected:
  static void SetUpTestSuite() {
    lab_ = new service_lab;
    lab_->error = kvip::test::build_service_lab(*lab_, kvip::sim::system_id::gossip, {});
  }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  service_lab& lab() override { return *lab_; }

  /// The pool ConfigMap kube-system/kubevip (deleted when the case ends), once the
  /// allocator acts on it: its Service and ConfigMap watches are separate streams,
  /// so a Service created right after the ConfigMap may be seen first. A probe
  /// Service in a namespace whose pool only this ConfigMap has gets that pool's
  /// address once the allocator has it; a probe that got an address of the
  /// previous ConfigMap's global pool is deleted and another one tried.
  void pools(std::map<std::string, std::string> data) {
    static int round = 0;
    ++round;
    ASSERT_LT(round, 10);
    const auto ns = "lab-pool-probe-" + std::to_string(round);
    const auto probe = "10.99.0." + std::to_string(190 + round);
    ASSERT_TRUE(api().ensure_namespace(ns).ok());
    data["cidr-" + ns] = probe + "/32";
    ASSERT_NO_FATAL_FAILURE(set_config_map("kube-system", "kubevip", data));
    std::string got;
    for (int attempt = 0; attempt < 5 && got != probe; ++attempt) {
      const auto name = "lab-probe-" + std::to_string(attempt);
      ASSERT_NO_FATAL_FAILURE(create_unaddressed(ns, name));
      got = wait_annotation(ns, name, lbips);
      ASSERT_TRUE(api().remove(ns, name).ok());
    }
    ASSERT_EQ(got, probe) << "the allocator does not use the new pools";
  }

  /// A Service without an address, with label ipam-address (kube-vip-cloud-provider's
  /// legacy label, which the allocator removes), deleted when the case ends.
  void create_unaddressed(const std::string& ns, const std::string& name) {
    made_.emplace_back(ns, name);
    auto obj = kvip::sim::service_object(lab_service(name, {}, ns));
    obj["metadata"].as_object()["labels"] = boost::json::object{{"ipam-address", "10.99.0.9"}};
    kvip::k8s::result<boost::json::object> r =
        kvip::k8s::make_error(kvip::k8s::error_kind::cancelled, "not run");
    api().run([&](kvip::k8s::client& cl) {
      r = cl.create(kvip::k8s::resources::services, ns, obj);
      if (!r) return;
      kvip::sim::slice_spec sl{.service = name, .ns = ns, .nodes = {0, 1, 2}};
      std::vector<std::string> names;
      for (int i = 0; i < 3; ++i)
        names.push_back(node_name(i));
      if (auto s = cl.create(kvip::k8s::resources::endpoint_slices, ns,
                             kvip::sim::slice_object(sl, names));
          !s)
        r = s.err();
    });
    ASSERT_TRUE(r.ok()) << name << ": " << r.err().describe();
  }

  /// The Service's labels.
  std::map<std::string, std::string> labels(const std::string& ns, const std::string& name) {
    auto s = api().get(ns, name);
    return s ? kvip::k8s::jsonpath::string_map(*s, {"metadata", "labels"})
             : std::map<std::string, std::string>{};
  }

  /// `a` answered by one node alone, whose TCP server the connection reaches.
  void expect_served(const std::string& a) {
    int o = owner(a);
    ASSERT_GE(o, 0) << "no single node answered for " << a;
    EXPECT_EQ(hello(a), node_name(o) + "\n") << a;
  }
};

} // namespace

namespace {

TEST_F(NetnsServicesMore, PoolGivesAnAddressThatIsAnsweredAndLabelled) {
  ASSERT_NO_FATAL_FAILURE(
      pools({{"range-global", "10.99.0.120-10.99.0.121"}, {"interface-global", "eth0"}}));
  ASSERT_NO_FATAL_FAILURE(create_unaddressed("default", "lab-pool-a"));
  auto a = wait_annotation("default", "lab-pool-a", lbips);
  EXPECT_TRUE(a == "10.99.0.120" || a == "10.99.0.121") << "allocated \"" << a << "\"";
  if (a.empty()) return;
  EXPECT_EQ(annotation("default", "lab-pool-a", "kube-vip.io/serviceInterface"), "eth0");
  auto l = labels("default", "lab-pool-a");
  EXPECT_EQ(l["implementation"], "kube-vip");
  EXPECT_EQ(l.count("ipam-address"), 0u) << "the legacy label was not removed";
  auto s = api().get("default", "lab-pool-a");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(kvip::k8s::jsonpath::str(*s, {"spec", "loadBalancerIP"}), a);
  ASSERT_NO_FATAL_FAILURE(expect_served(a));
  auto e = sweep().entry(kvip::test::lab_ip(a));
  EXPECT_TRUE(always(
      [&] {
        e = sweep().entry(kvip::test::lab_ip(a));
        return e && e->macs.size() == 1;
      },
      500ms))
      << (e ? e->macs.size() : 0) << " MACs answered";
}

TEST_F(NetnsServicesMore, NamespacePoolWinsOverTheGlobalOne) {
  ASSERT_TRUE(api().ensure_namespace("lab-pool-ns").ok());
  ASSERT_NO_FATAL_FAILURE(
      pools({{"range-global", "10.99.0.120-10.99.0.121"}, {"cidr-lab-pool-ns", "10.99.0.124/31"}}));
  ASSERT_NO_FATAL_FAILURE(create_unaddressed("lab-pool-ns", "lab-pool-nsa"));
  ASSERT_NO_FATAL_FAILURE(create_unaddressed("default", "lab-pool-glob"));
  auto in_ns = wait_annotation("lab-pool-ns", "lab-pool-nsa", lbips);
  auto global = wait_annotation("default", "lab-pool-glob", lbips);
  EXPECT_TRUE(in_ns == "10.99.0.124" || in_ns == "10.99.0.125") << in_ns;
  EXPECT_TRUE(global == "10.99.0.120" || global == "10.99.0.121") << global;
  if (!in_ns.empty()) {
    ASSERT_NO_FATAL_FAILURE(expect_served(in_ns));
  }
}

// Two addresses, three Services: the third waits with a Warning until a
// deletion frees an address, then gets it and is answered.
TEST_F(NetnsServicesMore, ExhaustedPoolWarnsAndADeletionFreesAnAddress) {
  ASSERT_NO_FATAL_FAILURE(pools({{"range-global", "10.99.0.126-10.99.0.127"}}));
  ASSERT_NO_FATAL_FAILURE(create_unaddressed("default", "lab-exh-a"));
  auto a = wait_annotation("default", "lab-exh-a", lbips);
  ASSERT_FALSE(a.empty());
  ASSERT_NO_FATAL_FAILURE(create_unaddressed("default", "lab-exh-b"));
  auto b = wait_annotation("default", "lab-exh-b", lbips);
  ASSERT_FALSE(b.empty());
  EXPECT_EQ((std::set<std::string>{a, b}), (std::set<std::string>{"10.99.0.126", "10.99.0.127"}));
  ASSERT_NO_FATAL_FAILURE(create_unaddressed("default", "lab-exh-c"));
  EXPECT_TRUE(wait_warning("default", "lab-exh-c", "AddressPoolExhausted"));
  EXPECT_EQ(annotation("default", "lab-exh-c", lbips), "") << "an address beyond the pool";
  auto r = api().remove("default", "lab-exh-a");
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_EQ(wait_annotation("default", "lab-exh-c", lbips), a);
  ASSERT_NO_FATAL_FAILURE(expect_served(a));
  EXPECT_EQ(annotation("default", "lab-exh-b", lbips), b);
}

} // namespace

namespace {

// kube-vip.io/ignore: left alone while "true", served once it is not.
TEST_F(NetnsServicesMore, IgnoredServiceIsNotAnnouncedUntilTheAnnotationGoes) {
  auto ignored = lab_service("lab-ignored", {"10.99.0.172"});
  ignored.annotations["kube-vip.io/ignore"] = "true";
  auto since = sweep().mark();
  ASSERT_NO_FATAL_FAILURE(create(ignored));
  ASSERT_NO_FATAL_FAILURE(create(lab_service("lab-ignored-ctl", {"10.99.0.173"})));
  ASSERT_GE(owner("10.99.0.173"), 0) << "the Service created with it is not answered";
  EXPECT_TRUE(silent("10.99.0.172", since, 1s)) << "an ignored Service is answered";
  ignored.annotations["kube-vip.io/ignore"] = "false";
  auto r = api().update(ignored);
  ASSERT_TRUE(r.ok()) << r.err().describe();
  ASSERT_NO_FATAL_FAILURE(expect_served("10.99.0.172"));
}

// Cluster policy without any EndpointSlice: announced only with
// kube-vip.io/allow-reconcile-without-endpoints=true.
TEST_F(NetnsServicesMore, ServiceWithoutEndpointsIsAnnouncedOnlyWhenAllowed) {
  auto allowed = lab_service("lab-noep-allowed", {"10.99.0.174"});
  allowed.endpoints_on = {};
  allowed.annotations["kube-vip.io/allow-reconcile-without-endpoints"] = "true";
  auto plain = lab_service("lab-noep-plain", {"10.99.0.175"});
  plain.endpoints_on = {};
  auto since = sweep().mark();
  ASSERT_NO_FATAL_FAILURE(create(plain));
  ASSERT_NO_FATAL_FAILURE(create(allowed));
  ASSERT_NO_FATAL_FAILURE(expect_served("10.99.0.174"));
  EXPECT_TRUE(silent("10.99.0.175", since, 1s)) << "announced without endpoints";
}

// Annotations of later issues: parsed, reported by a Warning Event, and the
// Service is served all the same.
TEST_F(NetnsServicesMore, LaterAnnotationsWarnAndTheServiceIsStillAnnounced) {
  auto s = lab_service("lab-later", {"10.99.0.176"});
  s.annotations = {{"kube-vip.io/egress", "true"},
                   {"kube-vip.io/serviceVLAN", "eth0.200"},
                   {"kube-vip.io/forwardUPNP", "true"}};
  ASSERT_NO_FATAL_FAILURE(create(s));
  ASSERT_NO_FATAL_FAILURE(expect_served("10.99.0.176"));
  for (const auto* key :
       {"kube-vip.io/egress", "kube-vip.io/serviceVLAN", "kube-vip.io/forwardUPNP"})
    EXPECT_TRUE(wait_warning("default", "lab-later", "NotActedOn", key)) << key;
  auto ev = api().events("default", "lab-later");
  ASSERT_TRUE(ev.ok());
  EXPECT_TRUE(kvip::test::has_warning(*ev, "NotActedOn", "not acted on yet"));
}

} // namespace

namespace {

/// A macvlan "kvs0" on eth0 in every node's namespace, with MAC 02:98:00:00:00:<i> (node
/// i's eth0 MAC with 0x98 for 0x99): a second interface on the same segment whose MAC
/// tells which interface answered. Removed again when it goes out of scope.
struct macvlans {
  kvip::sim::lab& l;
  std::vector<kvip::net::mac_address> macs;
  std::string error;

  explicit macvlans(kvip::sim::lab& lab) : l(lab) {
    for (const auto& h : l.nodes()) {
      auto mac = h.mac;
      mac[1] = 0x98;
      macs.push_back(mac);
      auto r = l.exec(h, {"ip", "link", "add", "kvs0", "link", "eth0", "address",
                          kvip::net::to_string(mac), "type", "macvlan", "mode", "bridge"});
      // The kernel must not answer for the node's eth0 address on kvs0 too (ARP
      // flux: peers would send gossip to kvs0, which rp_filter may drop).
      if (r) r = l.exec(h, {"sysctl", "-qw", "net.ipv4.conf.kvs0.arp_ignore=1"});
      if (r) r = l.exec(h, {"ip", "link", "set", "kvs0", "up"});
      if (!r) error += h.name + ": " + r.err().describe() + "; ";
    }
  }
  ~macvlans() {
    for (const auto& h : l.nodes())
      (void)l.exec(h, {"ip", "link", "del", "kvs0"});
  }
  /// The node whose kvs0 has `mac`, or -1.
  int node_of(const kvip::net::mac_address& mac) const {
    auto it = std::find(macs.begin(), macs.end(), mac);
    return it == macs.end() ? -1 : static_cast<int>(it - macs.begin());
  }
};

// kube-vip.io/serviceInterface names the interface the VIP is announced on:
// an explicit name (answered with that interface's MAC only), and `auto` (the
// interface whose subnet holds the VIP: eth0).
TEST_F(NetnsServicesMore, ServiceInterfaceChoosesTheAnsweringInterface) {
  macvlans mv{c().lab()};
  ASSERT_EQ(mv.error, "");
  auto named = lab_service("lab-iface-named", {"10.99.0.177"});
  named.annotations["kube-vip.io/serviceInterface"] = "kvs0";
  auto automatic = lab_service("lab-iface-auto", {"10.99.0.178"});
  automatic.annotations["kube-vip.io/serviceInterface"] = "auto";
  ASSERT_NO_FATAL_FAILURE(create(named));
  ASSERT_NO_FATAL_FAILURE(create(automatic));
  ASSERT_NO_FATAL_FAILURE(expect_served("10.99.0.178"));
  const auto vip = kvip::test::lab_ip("10.99.0.177");
  std::optional<kvip::sim::sweep_entry> e;
  EXPECT_TRUE(eventually(
      [&] {
        e = sweep().entry(vip);
        return e && e->current.size() == 1 && mv.node_of(e->current[0]) >= 0;
      },
      10s))
      << "10.99.0.177 not answered by one kvs0 alone: "
      << kvip::test::macs_text(e ? e->current : std::vector<kvip::net::mac_address>{});
  sweep().mark();
  EXPECT_TRUE(always(
      [&] {
        e = sweep().entry(vip);
        return e && e->macs.size() <= 1 && (e->macs.empty() || mv.node_of(e->macs[0]) >= 0);
      },
      1s))
      << "answered by "
      << kvip::test::macs_text(e ? e->macs : std::vector<kvip::net::mac_address>{});
  int o = e && !e->current.empty() ? mv.node_of(e->current[0]) : -1;
  if (o >= 0) {
    EXPECT_EQ(hello("10.99.0.177"), node_name(o) + "\n");
  }
  // The Services go before the macvlans do.
  for (const auto& [ns, name] : made_)
    (void)api().remove(ns, name);
}

} // namespace

namespace {

/// Connection tracking in every node's namespace (an nftables `ct state` rule on
/// output makes the kernel track what the node sends), removed when it goes out of
/// scope, and the entries toward an address in one node's table.
struct tracked_nodes {
  kvip::sim::lab& l;
  std::string error;

  explicit tracked_nodes(kvip::sim::lab& lab) : l(lab) {
    for (const auto& h : l.nodes()) {
      auto r = l.exec(h, {"nft", "add table inet kvct; add chain inet kvct out { type filter hook "
                                 "output priority 0; }; add rule inet kvct out ct state "
                                 "new,established,related accept"});
      if (!r) error += h.name + ": " + r.err().describe() + "; ";
    }
  }
  ~tracked_nodes() {
    for (const auto& h : l.nodes())
      (void)l.exec(h, {"nft", "delete table inet kvct"});
  }
  /// A UDP datagram from node `i` to a:port (an unreplied entry for 30 s).
  bool send(int i, const std::string& a, int port) {
    return l
        .exec(l.nodes().at(static_cast<std::size_t>(i)),
              {"bash", "-c", "echo x >/dev/udp/" + a + "/" + std::to_string(port)})
        .ok();
  }
  /// Node `i`'s entries for what it sent itself toward `a` (the owner's table
  /// also tracks what the other nodes send to the address it announces).
  std::string listed(int i, const std::string& a) {
    const auto& h = l.nodes().at(static_cast<std::size_t>(i));
    return l
        .run(h,
             {"grep", " src=" + h.ipv4.to_string() + " dst=" + a + " ", "/proc/net/nf_conntrack"})
        .output;
  }
  int entries(int i, const std::string& a) {
    auto text = listed(i, a);
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }
};

// kube-vip.io/flush-conntrack: the node that starts answering for the Service's
// address deletes the conntrack entries toward it; the other nodes' entries, and
// the entries toward a Service without the annotation, stay.
TEST_F(NetnsServicesMore, FlushConntrackDeletesTheOwnersEntriesTowardTheAddress) {
  tracked_nodes t{c().lab()};
  ASSERT_EQ(t.error, "");
  const std::string flushed = "10.99.0.179", kept = "10.99.0.180";
  for (int i = 0; i < 3; ++i)
    for (int port = 9000; port < 9003; ++port) {
      ASSERT_TRUE(t.send(i, flushed, port));
      ASSERT_TRUE(t.send(i, kept, port));
    }
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(t.entries(i, flushed), 3) << node_name(i);
    ASSERT_EQ(t.entries(i, kept), 3) << node_name(i);
  }
  auto s = lab_service("lab-ct-flush", {flushed});
  s.annotations["kube-vip.io/flush-conntrack"] = "true";
  ASSERT_NO_FATAL_FAILURE(create(s));
  ASSERT_NO_FATAL_FAILURE(create(lab_service("lab-ct-keep", {kept})));
  int o = owner(flushed), k = owner(kept);
  ASSERT_GE(o, 0) << "no single node answered for " << flushed;
  ASSERT_GE(k, 0) << "no single node answered for " << kept;
  EXPECT_TRUE(eventually([&] { return t.entries(o, flushed) == 0; }, 5s))
      << node_name(o) << " still tracks these entries toward " << flushed << ":\n"
      << t.listed(o, flushed);
  EXPECT_EQ(t.entries(k, kept), 3) << "flushed without the annotation? on " << node_name(k) << ":\n"
                                   << t.listed(k, kept);
  for (int i = 0; i < 3; ++i) {
    if (i != o) {
      EXPECT_EQ(t.entries(i, flushed), 3) << node_name(i) << " does not announce it";
    }
  }
  double ok = 0;
  for (const auto& m :
       kvip::sim::prom_samples(c().node_metrics(o), "kvip_conntrack_entries_flushed_total"))
    ok += m.value;
  EXPECT_GE(ok, 3.0) << "kvip_conntrack_entries_flushed_total on " << node_name(o);
}

} // namespace
