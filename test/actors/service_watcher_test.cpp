// The service watcher (actors/service_watcher) against the embedded API server
// over real HTTP: Services and EndpointSlices (or Endpoints) created, changed
// and deleted through the API, and the msg::service_ips the subscriber gets:
// create / modify / delete, a no-op update that sends nothing, externalTraffic-
// Policy Local with endpoints moving between nodes and across slices, shared IPs
// with disjoint and with conflicting ports (the later Service left out, counted,
// with an Event), Services without an address, ignored or of another class, a
// burst of 200 Services (few sets), the coalescing window, and a Service deleted
// while the watch was cut and its history compacted. The watcher is detached
// with threads of its own, so these tests use a real actor system; every wait
// is bounded.
#define CAF_SUITE service_watcher
#include "test/actors/fixture.hpp"

#include <optional>

#include "actors/k8s_io.hpp"
#include "actors/service_watcher.hpp"
#include "k8s/client.hpp"
#include "k8s/resource.hpp"
#include "messages/election.hpp"
#include "messages/services.hpp"
#include "messages/supervision.hpp"
#include "net/wait.hpp"
#include "simulation/apiserver.hpp"
#include "simulation/resources.hpp"

using namespace std::chrono_literals;
namespace k8s = kvip::k8s;
namespace msg = kvip::msg;
namespace json = boost::json;
using ip_list = std::vector<msg::service_ip>;

namespace {

/// One endpoint of a slice: address, node, ready.
struct ep {
  std::string ip;
  std::string node;
  bool ready = true;
};

json::array slice_endpoints(const std::vector<ep>& eps) {
  json::array a;
  for (const auto& e : eps)
    a.push_back(json::object{{"addresses", json::array{json::string(e.ip)}},
                             {"conditions", {{"ready", e.ready}}},
                             {"nodeName", e.node}});
  return a;
}

/// A LoadBalancer Service `name` in default: `ip` through kube-vip.io/loadbalancerIPs ("" =
/// none), TCP ports, and `extra` merged into the object (metadata/spec maps merged).
json::object service(const std::string& name, const std::string& ip, std::vector<int> ports,
                     json::object extra = {}) {
  json::array ps;
  for (auto p : ports)
    ps.push_back(json::object{{"name", "p" + std::to_string(p)}, {"port", p}, {"protocol", "TCP"}});
  json::object annotations;
  if (!ip.empty()) annotations["kube-vip.io/loadbalancerIPs"] = ip;
  json::object o{{"metadata", {{"name", name}, {"namespace", "default"}}},
                 {"spec", {{"type", "LoadBalancer"}, {"ports", std::move(ps)}}}};
  if (!annotations.empty()) o["metadata"].as_object()["annotations"] = std::move(annotations);
  for (auto& [k, v] : extra) {
    auto& into = o[k];
    if (into.is_object() && v.is_object())
      for (auto& [k2, v2] : v.as_object())
        into.as_object()[k2] = v2;
    else
      into = v;
  }
  return o;
}

/// "10.0.0.1 default/a+default/b *" per IP ("*": any node, else "[n1 n2]"), joined by " | ".
std::string show(const ip_list& ips) {
  std::string out;
  for (const auto& ip : ips) {
    std::string refs;
    for (const auto& r : ip.services)
      refs += (refs.empty() ? "" : "+") + r.ns + "/" + r.name;
    std::string where = ip.any_node ? "*" : "[";
    if (!ip.any_node) {
      for (const auto& n : ip.nodes)
        where += (where.size() > 1 ? " " : "") + n;
      where += "]";
    }
    out += (out.empty() ? "" : " | ") + ip.address + " " + refs + " " + where;
  }
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::unique_ptr<kvip::sim::apiserver> api;
  std::shared_ptr<k8s::client> client;       ///< the test's writes
  std::shared_ptr<k8s::client> watch_client; ///< the watcher's
  caf::scoped_actor self{sys};
  msg::service_watcher_actor watcher;
  caf::actor events; ///< k8s_io recording the watcher's Events, when asked for

  fixture() {
    kvip::sim::apiserver_options o;
    o.listen = "127.0.0.1:0";
    api = std::make_unique<kvip::sim::apiserver>(o);
    CAF_REQUIRE(api->start().ok());
    client = make_client();
    watch_client = make_client();
  }

  std::shared_ptr<k8s::client> make_client() {
    k8s::connection_config c;
    c.server = api->url();
    k8s::client_options opts;
    opts.request_timeout = 2000ms;
    opts.retry_backoff = 10ms;
    opts.max_retries = 1;
    opts.qps = 0;
    return std::make_shared<k8s::client>(c, opts);
  }

  ~fixture() {
    for (auto a : {caf::actor_cast<caf::actor>(watcher), events}) {
      if (!a) continue;
      self->send_exit(a, caf::exit_reason::user_shutdown);
      self->wait_for(a);
    }
  }

  kvip::service_watcher_options options() {
    kvip::service_watcher_options o;
    o.client = watch_client;
    o.subscriber = caf::actor_cast<caf::actor>(self);
    o.watch.timeout_seconds = 30;
    o.watch.backoff = {10ms, 100ms, 2.0, 0.2};
    return o;
  }

  void spawn(kvip::service_watcher_options o) {
    watcher = caf::actor_cast<msg::service_watcher_actor>(
        kvip::spawn_service_watcher(self.ptr(), std::move(o)));
  }

  /// Spawns the watcher and checks its first set.
  void start(const std::string& first = "", kvip::service_watcher_options o = {}) {
    if (!o.client) o = options();
    spawn(std::move(o));
    CAF_CHECK_EQUAL(next_shown(), first);
  }

  json::object create(const k8s::resource& r, const json::object& obj) {
    auto res = client->create(r, "default", obj);
    CAF_REQUIRE(res.ok());
    return *res;
  }

  json::object add_service(const std::string& name, const std::string& ip,
                           std::vector<int> ports = {80}, json::object extra = {}) {
    return create(k8s::resources::services, service(name, ip, std::move(ports), std::move(extra)));
  }

  void patch_service(const std::string& name, const json::object& patch) {
    CAF_REQUIRE(client->merge_patch(k8s::resources::services, "default", name, patch).ok());
  }

  void remove(const k8s::resource& r, const std::string& name) {
    CAF_REQUIRE(client->remove(r, "default", name).ok());
  }

  /// An IPv4 EndpointSlice `name` of Service `svc`.
  void add_slice(const std::string& name, const std::string& svc, const std::vector<ep>& eps) {
    json::object s{{"metadata",
                    {{"name", name},
                     {"namespace", "default"},
                     {"labels", {{"kubernetes.io/service-name", svc}}}}},
                   {"addressType", "IPv4"},
                   {"endpoints", slice_endpoints(eps)}};
    create(k8s::resources::endpoint_slices, s);
  }

  void set_slice(const std::string& name, const std::vector<ep>& eps) {
    CAF_REQUIRE(client
                    ->merge_patch(k8s::resources::endpoint_slices, "default", name,
                                  json::object{{"endpoints", slice_endpoints(eps)}})
                    .ok());
  }

  /// The next set the subscriber gets, or nullopt after 10 s.
  std::optional<ip_list> next_ips(caf::timespan budget = 10s) {
    std::optional<ip_list> out;
    self->receive([&](msg::service_ips& m) { out = std::move(m.ips); },
                  caf::after(budget) >> [] {});
    return out;
  }

  std::string next_shown() {
    auto ips = next_ips();
    return ips ? show(*ips) : "(no set within 10 s)";
  }

  /// True when no set arrives within `d`.
  bool quiet_for(caf::timespan d) { return !next_ips(d).has_value(); }

  std::string dump() {
    std::string text;
    self->request(watcher, 10s, msg::dump_request{})
        .receive([&](msg::dump_reply& r) { text = r.text; },
                 [&](caf::error& e) { text = sys.render(e); });
    return text;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(service_watcher_tests, fixture)

CAF_TEST(services are created modified and deleted and a no - op update sends nothing) {
  add_service("web", "10.0.0.10", {80, 443});
  add_slice("web-1", "web", {{"10.244.0.5", "n1"}});
  add_service("plain", "", {80},
              json::object{{"spec", {{"type", "ClusterIP"}}}}); // never a candidate
  start("10.0.0.10 default/web *");

  auto db = add_service("db", "10.0.0.20", {5432});
  CAF_CHECK(quiet_for(200ms)); // no endpoints yet: not announced
  add_slice("db-1", "db", {{"10.244.0.6", "n2"}});
  auto ips = next_ips();
  if (!ips) CAF_MESSAGE(dump());
  CAF_REQUIRE(ips.has_value());
  CAF_CHECK_EQUAL(show(*ips), "10.0.0.10 default/web * | 10.0.0.20 default/db *");
  const auto& entry = ips->at(1);
  CAF_CHECK_EQUAL(entry.services.at(0).uid,
                  json::value_to<std::string>(db.at("metadata").at("uid")));
  CAF_CHECK(entry.services.at(0).ports == std::vector<msg::service_port>{{"TCP", 5432}});
  CAF_CHECK_EQUAL(entry.lease_name, "kubevip-db");
  CAF_CHECK_EQUAL(entry.lease_namespace, "default");
  CAF_CHECK_EQUAL(entry.interface, "");

  // A new label, and endpoints that change nothing a Cluster Service's IP depends on:
  // the set is the same, so nothing is sent.
  patch_service("web", json::object{{"metadata", {{"labels", {{"tier", "front"}}}}}});
  set_slice("web-1", {{"10.244.0.5", "n1"}, {"10.244.0.7", "n3"}}); // still usable: no-op
  CAF_CHECK(quiet_for(300ms));

  patch_service("web", json::object{{"metadata",
                                     {{"annotations",
                                       {{"kube-vip.io/loadbalancerIPs", "10.0.0.11"},
                                        {"kube-vip.io/serviceInterface", "eth1"},
                                        {"kube-vip.io/leaseName", "shared/web-lease"}}}}}});
  ips = next_ips();
  CAF_REQUIRE(ips.has_value());
  CAF_CHECK_EQUAL(show(*ips), "10.0.0.11 default/web * | 10.0.0.20 default/db *");
  CAF_CHECK_EQUAL(ips->at(0).interface, "eth1");
  CAF_CHECK_EQUAL(ips->at(0).lease_name, "web-lease");
  CAF_CHECK_EQUAL(ips->at(0).lease_namespace, "shared");

  remove(k8s::resources::services, "web");
  CAF_CHECK_EQUAL(next_shown(), "10.0.0.20 default/db *");
  remove(k8s::resources::endpoint_slices, "db-1"); // Cluster: no endpoint left
  CAF_CHECK_EQUAL(next_shown(), "");
  CAF_CHECK(contains(dump(), "left out default/db (no_endpoints)"));
}

CAF_TEST(etp local follows ready endpoints across nodes and slices) {
  add_service("app", "10.0.1.1", {80},
              json::object{{"spec", {{"externalTrafficPolicy", "Local"}}}});
  add_slice("app-a", "app", {{"10.244.1.1", "n1"}, {"10.244.2.1", "n2", false}});
  start("10.0.1.1 default/app [n1]");

  set_slice("app-a", {{"10.244.1.1", "n1", false}, {"10.244.2.1", "n2"}, {"10.244.3.1", "n3"}});
  CAF_CHECK_EQUAL(next_shown(), "10.0.1.1 default/app [n2 n3]");
  add_slice("app-b", "app", {{"10.244.4.1", "n4"}}); // a second slice adds, never replaces
  CAF_CHECK_EQUAL(next_shown(), "10.0.1.1 default/app [n2 n3 n4]");
  remove(k8s::resources::endpoint_slices, "app-a");
  CAF_CHECK_EQUAL(next_shown(), "10.0.1.1 default/app [n4]");
  set_slice("app-b", {{"10.244.4.1", "n4", false}});
  CAF_CHECK_EQUAL(next_shown(), "");

  // A Cluster Service on the same IP (disjoint port) is served from anywhere; the
  // Local one, with endpoints again, narrows the IP to its nodes.
  add_service("api", "10.0.1.1", {8080});
  add_slice("api-1", "api", {{"10.244.5.1", "n5"}});
  CAF_CHECK_EQUAL(next_shown(), "10.0.1.1 default/api *");
  set_slice("app-b", {{"10.244.4.1", "n4"}});
  CAF_CHECK_EQUAL(next_shown(), "10.0.1.1 default/api+default/app [n4]");
}

CAF_TEST(two local services on one ip take the nodes that serve both or else the most) {
  json::object local{{"spec", {{"externalTrafficPolicy", "Local"}}}};
  add_service("a", "10.0.2.1", {80}, local);
  add_service("b", "10.0.2.1", {81}, local);
  add_slice("a-1", "a", {{"10.244.1.1", "n1"}, {"10.244.1.2", "n2"}});
  add_slice("b-1", "b", {{"10.244.2.1", "n2"}, {"10.244.2.2", "n3"}});
  start("10.0.2.1 default/a+default/b [n2]");
  set_slice("b-1", {{"10.244.2.2", "n3"}});
  CAF_CHECK_EQUAL(next_shown(), "10.0.2.1 default/a+default/b [n1 n2 n3]");
  auto d = dump();
  CAF_CHECK(contains(d, "left out default/a (local_endpoints_elsewhere)"));
  CAF_CHECK(contains(d, "left out default/b (local_endpoints_elsewhere)"));
}

CAF_TEST_FIXTURE_SCOPE_END()
