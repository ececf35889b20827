// The gossip actor's Kubernetes records (actors/gossip_leases.cpp): real
// gossip actors on loopback (gossip_lab.hpp) writing through a real k8s_io
// to the embedded API server over HTTP. The node Lease is renewed every
// node_lease_period, not every lease tick (the steady-state write budget);
// the owner of a Service IP records itself on the VIP's own Lease and on its
// Services' kube-vip Lease (kubevip-<service> in the Service's namespace, or
// the kube-vip.io/leaseName), again when the IP moves and when the Lease
// name changes. Real time; every wait is bounded.
#define CAF_SUITE gossip_leases
#include "test/actors/gossip_lab.hpp"

#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "actors/k8s_io.hpp"
#include "k8s/client.hpp"
#include "k8s/object_view.hpp"
#include "k8s/resource.hpp"
#include "messages/services.hpp"
#include "simulation/apiserver.hpp"

using namespace kvip::test::gossip_lab;
namespace k8s = kvip::k8s;

namespace {

constexpr const char* svc_ip = "10.99.1.10";
const std::vector<std::string> all{"n1", "n2", "n3"};

/// One Service default/web on svc_ip, recorded on Lease `lease` in "default",
/// owned only by `nodes`.
msg::service_ips web(std::vector<std::string> nodes, const std::string& lease = "kubevip-web") {
  msg::service_ip ip;
  ip.address = svc_ip;
  ip.services = {{"default", "web", "uid-1", {{"TCP", 80}}}};
  ip.any_node = false;
  ip.nodes = std::move(nodes);
  ip.lease_name = lease;
  ip.lease_namespace = "default";
  msg::service_ips ips;
  ips.ips = {ip};
  return ips;
}

struct leases_fixture : fixture {
  std::unique_ptr<kvip::sim::apiserver> api;
  std::shared_ptr<k8s::client> client;
  caf::actor io;

  leases_fixture() {
    kvip::sim::apiserver_options o;
    o.listen = "127.0.0.1:0";
    api = std::make_unique<kvip::sim::apiserver>(o);
    CAF_REQUIRE(api->start().ok());
    k8s::connection_config c;
    c.server = api->url();
    k8s::client_options opts;
    opts.request_timeout = 1000ms;
    opts.max_retries = 1;
    opts.qps = 0;
    client = std::make_shared<k8s::client>(c, opts);
    io = kvip::spawn_k8s_io(self.ptr(), client, "test",
                            [] { return std::chrono::system_clock::now(); });
    siblings = std::make_shared<kvip::directory>();
    siblings->publish(kvip::sibling_role::k8s_io, io.address());
  }

  ~leases_fixture() {
    self->send_exit(io, caf::exit_reason::user_shutdown);
    self->wait_for(io);
  }

  std::optional<boost::json::object> lease(const std::string& ns, const std::string& name) {
    auto l = client->get(k8s::resources::leases, ns, name);
    if (!l) return std::nullopt;
    return *l;
  }
  std::string holder(const std::string& ns, const std::string& name) {
    auto l = lease(ns, name);
    return l ? k8s::jsonpath::str(*l, {"spec", "holderIdentity"}) : "";
  }
  std::string version(const std::string& ns, const std::string& name) {
    auto l = lease(ns, name);
    return l ? k8s::jsonpath::str(*l, {"metadata", "resourceVersion"}) : "";
  }
  void send_all(const msg::service_ips& ips) {
    for (const auto& n : all)
      self->send(nodes.at(n), ips);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(gossip_leases_tests, leases_fixture)

// Lease ticks every 100 ms, node Lease period 1.5 s: the Lease is created,
// then left alone for the period (it was rewritten at every tick: one write
// per node per retry period, 3 writes/s on 3 nodes whatever else happens),
// then renewed, with the node Lease's own duration.
CAF_TEST(the node lease is renewed every node lease period not every lease tick) {
  CAF_REQUIRE(port != 0);
  tweak = [](kvip::gossip_options& o) {
    o.retry_period = 100ms;
    o.node_lease_period = 1500ms;
    o.node_lease_duration = 6000ms;
  };
  start("n1");
  list("n1", {"n1"});
  std::string first;
  CAF_REQUIRE(
      eventually([&] { return !(first = version("kube-system", "kvip-node-n1")).empty(); }));
  CAF_CHECK(
      kvip::net::always([&] { return version("kube-system", "kvip-node-n1") == first; }, 900ms));
  CAF_CHECK(eventually([&] { return version("kube-system", "kvip-node-n1") != first; }));
  auto l = lease("kube-system", "kvip-node-n1");
  CAF_REQUIRE(l);
  CAF_CHECK_EQUAL(k8s::jsonpath::str(*l, {"spec", "holderIdentity"}), "n1");
  CAF_CHECK_EQUAL(k8s::jsonpath::integer(*l, {"spec", "leaseDurationSeconds"}).value_or(0), 6);
}

// A Service IP owned by n2 (its only local endpoint): kvip's VIP Lease and
// the Service's kube-vip Lease name n2; the endpoint moves to n3, both name
// n3; the Service's Lease name changes (kube-vip.io/leaseName set), the new
// Lease names n3 too, written by the owner without a new claim.
CAF_TEST(the owner of a service ip is recorded on its kube - vip lease) {
  CAF_REQUIRE(port != 0);
  for (const auto& n : all)
    start(n);
  for (const auto& n : all)
    list(n, all);
  send_all(web({"n2"}));
  CAF_CHECK(eventually([&] { return holder("default", "kubevip-web") == "n2"; }));
  CAF_CHECK(
      eventually([&] { return holder("kube-system", kvip::vip_lease_name(svc_ip)) == "n2"; }));
  send_all(web({"n3"}));
  CAF_CHECK(eventually([&] { return holder("default", "kubevip-web") == "n3"; }));
  CAF_CHECK(
      eventually([&] { return holder("kube-system", kvip::vip_lease_name(svc_ip)) == "n3"; }));
  auto l = lease("default", "kubevip-web");
  CAF_REQUIRE(l);
  // Not one of kvip's own VIP records (those carry kvip.io/vip=true).
  CAF_CHECK(k8s::jsonpath::string_map(*l, {"metadata", "labels"}).count("kvip.io/vip") == 0);
  send_all(web({"n3"}, "shared-web"));
  CAF_CHECK(eventually([&] { return holder("default", "shared-web") == "n3"; }));
  CAF_CHECK(answering("n3", svc_ip));
}

CAF_TEST_FIXTURE_SCOPE_END()
