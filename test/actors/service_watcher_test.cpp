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

#include "actors/directory.hpp"
#include "actors/event_recorder.hpp"
#include "actors/k8s_io.hpp"
#include "actors/service_watcher.hpp"
#include "k8s/client.hpp"
#include "k8s/resource.hpp"
#include "messages/election.hpp"
#include "messages/services.hpp"
#include "messages/supervision.hpp"
#include "net/config/config.hpp"
#include "net/telemetry/metrics.hpp"
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

/// `patch` merged into `base` (objects recursively; anything else replaces).
void merge_into(json::object& base, const json::object& patch) {
  for (const auto& [k, v] : patch) {
    auto it = base.find(k);
    if (it != base.end() && it->value().is_object() && v.is_object())
      merge_into(it->value().as_object(), v.as_object());
    else
      base[k] = v;
  }
}

/// `a` and `b` merged.
json::object operator+(json::object a, const json::object& b) {
  merge_into(a, b);
  return a;
}

/// A Service with these annotations / this spec (to merge into service()).
json::object annotated(std::initializer_list<std::pair<const char*, const char*>> kv) {
  json::object a;
  for (auto& [k, v] : kv)
    a[k] = v;
  return json::object{{"metadata", {{"annotations", std::move(a)}}}};
}
json::object with_spec(json::object spec) {
  return json::object{{"spec", std::move(spec)}};
}

/// Announced without endpoints (Cluster policy): Services whose endpoints do not matter.
const json::object no_endpoints_needed =
    annotated({{"kube-vip.io/allow-reconcile-without-endpoints", "true"}});

/// A LoadBalancer Service `name` in default: `ip` through kube-vip.io/loadbalancerIPs ("" =
/// none), TCP ports, and `extra` merged in.
json::object service(const std::string& name, const std::string& ip, std::vector<int> ports,
                     const json::object& extra = {}) {
  json::array ps;
  for (auto p : ports)
    ps.push_back(json::object{{"name", "p" + std::to_string(p)}, {"port", p}, {"protocol", "TCP"}});
  json::object o{{"metadata", {{"name", name}, {"namespace", "default"}}},
                 {"spec", {{"type", "LoadBalancer"}, {"ports", std::move(ps)}}}};
  if (!ip.empty()) merge_into(o, annotated({{"kube-vip.io/loadbalancerIPs", ip.c_str()}}));
  merge_into(o, extra);
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
  caf::actor events; ///< the Event recorder of the watcher's Events, when asked for

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

  /// The reasons of the Events recorded on Service `name`.
  std::vector<std::string> event_reasons(const std::string& name) {
    std::vector<std::string> out;
    auto l = client->list(k8s::resources::events, "default");
    if (!l) return out;
    for (const auto& e : l->items)
      if (e.at("involvedObject").at("name") == name.c_str())
        out.push_back(json::value_to<std::string>(e.at("reason")));
    return out;
  }

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
  add_service("plain", "", {80}, with_spec({{"type", "ClusterIP"}})); // never a candidate
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
  auto local = with_spec({{"externalTrafficPolicy", "Local"}});
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

CAF_TEST(services share an ip with disjoint ports and a conflicting later one is left out) {
  kvip::net::telemetry::registry reg;
  auto o = options();
  o.metrics = &reg;
  o.report_events = true;
  kvip::event_recorder_options eo;
  eo.client = client;
  eo.node_name = "n1";
  // The recorder may outlive this test body (the fixture stops it): its own registry.
  static kvip::net::telemetry::registry recorder_reg;
  events = kvip::spawn_event_recorder(self.ptr(), eo, recorder_reg);
  o.events = events;
  start("", o);
  add_service("a", "10.0.3.1", {80}, no_endpoints_needed);
  CAF_CHECK_EQUAL(next_shown(), "10.0.3.1 default/a *");
  add_service("b", "10.0.3.1", {443}, no_endpoints_needed);
  auto ips = next_ips();
  CAF_REQUIRE(ips.has_value());
  CAF_CHECK_EQUAL(show(*ips), "10.0.3.1 default/a+default/b *");
  CAF_CHECK(ips->at(0).services.at(1).ports == std::vector<msg::service_port>{{"TCP", 443}});
  CAF_CHECK_EQUAL(ips->at(0).lease_name, "kubevip-a"); // the oldest Service's Lease

  add_service("c", "10.0.3.1", {8080, 80}, no_endpoints_needed); // TCP/80 is a's
  CAF_CHECK(quiet_for(300ms));
  auto d = dump();
  CAF_CHECK(contains(d, "left out default/c (ip_conflict): 10.0.3.1 TCP/80 is already "
                        "announced for default/a"));
  CAF_CHECK(contains(d, "counted since start: ip_conflict=1"));
  CAF_CHECK(kvip::net::eventually(
      [&] {
        auto r = event_reasons("c");
        return r == std::vector<std::string>{"AddressConflict"};
      },
      5000ms));
  CAF_CHECK(event_reasons("a").empty());
  auto text = reg.expose();
  CAF_CHECK(contains(text, "kvip_service_watch_skipped_total{reason=\"ip_conflict\"} 1"));
  CAF_CHECK(contains(text, "kvip_service_watch_ips 1"));

  remove(k8s::resources::services, "a"); // c may join b now
  CAF_CHECK_EQUAL(next_shown(), "10.0.3.1 default/b+default/c *");
  CAF_CHECK(contains(dump(), "left out now:\n"));
}

CAF_TEST(services without an address ignored of another class or broken are left out) {
  start();
  add_service("noaddr", "", {80}, no_endpoints_needed);
  add_service("ignored", "10.0.4.2", {80},
              no_endpoints_needed + annotated({{"kube-vip.io/ignore", "true"}}));
  add_service("other", "10.0.4.3", {80},
              no_endpoints_needed + with_spec({{"loadBalancerClass", "example.com/other"}}));
  add_service("broken", "10.0.4.5,not an address!", {80}, no_endpoints_needed);
  add_service("classy", "10.0.4.4,fd00::4", {80},
              no_endpoints_needed + with_spec({{"loadBalancerClass", "kube-vip.io/kube-vip-class"},
                                               {"ipFamilyPolicy", "PreferDualStack"},
                                               {"ipFamilies", json::array{"IPv4", "IPv6"}}}));
  // Only classy (dual-stack: one entry per address); the others sent nothing.
  CAF_CHECK_EQUAL(next_shown(), "10.0.4.4 default/classy * | fd00::4 default/classy *");
  auto d = dump();
  CAF_CHECK(contains(d, "left out default/noaddr (no_address)"));
  CAF_CHECK(contains(d, "left out default/ignored (ignored)"));
  CAF_CHECK(contains(d, "left out default/other (load_balancer_class)"));
  CAF_CHECK(contains(d, "left out default/broken (invalid_service): "));
  CAF_CHECK(contains(d, "not an address!"));
  CAF_CHECK(contains(d, "ignored=1 invalid_service=1 load_balancer_class=1 no_address=1"));

  // The address arrives in the status (an allocator wrote it); the ignore annotation goes.
  CAF_REQUIRE(
      client
          ->patch_status(
              k8s::resources::services, "default", "noaddr",
              json::object{{"status",
                            {{"loadBalancer",
                              {{"ingress", json::array{json::object{{"ip", "10.0.4.1"}}}}}}}}})
          .ok());
  CAF_CHECK_EQUAL(next_shown(), "10.0.4.1 default/noaddr * | 10.0.4.4 default/classy * | "
                                "fd00::4 default/classy *");
  patch_service("ignored",
                json::object{{"metadata", {{"annotations", {{"kube-vip.io/ignore", nullptr}}}}}});
  CAF_CHECK_EQUAL(next_shown(), "10.0.4.1 default/noaddr * | 10.0.4.2 default/ignored * | "
                                "10.0.4.4 default/classy * | fd00::4 default/classy *");
}

CAF_TEST(each address of a dual stack service carries all of its addresses for the status) {
  // Its two IPs may be owned by different nodes; each owner writes the whole
  // status.loadBalancer.ingress, so each must know every address.
  start();
  add_service("dual", "10.0.5.1,fd00::5", {80},
              no_endpoints_needed + with_spec({{"ipFamilyPolicy", "RequireDualStack"},
                                               {"ipFamilies", json::array{"IPv4", "IPv6"}}}));
  auto ips = next_ips();
  CAF_REQUIRE(ips && ips->size() == 2u);
  for (const auto& ip : *ips) {
    CAF_REQUIRE_EQUAL(ip.services.size(), 1u);
    CAF_CHECK_EQUAL(ip.services[0].addresses, (std::vector<std::string>{"10.0.5.1", "fd00::5"}));
  }
}

CAF_TEST(a burst of 200 services gives a few sets and the complete one) {
  start();
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i)
    add_service("burst-" + std::to_string(i), "10.1.0." + std::to_string(i + 1), {80},
                no_endpoints_needed);
  int sets = 0;
  std::optional<ip_list> last;
  while (!last || last->size() < 200) {
    last = next_ips();
    if (!last) break;
    ++sets;
  }
  auto elapsed = std::chrono::steady_clock::now() - t0;
  CAF_REQUIRE(last.has_value());
  CAF_CHECK_EQUAL(last->size(), 200u);
  CAF_MESSAGE(sets << " sets in " << elapsed / 1ms << " ms");
  // At most one set per coalescing window (10 ms), plus the leading one.
  CAF_CHECK_LESS_OR_EQUAL(sets, elapsed / 10ms + 2);
  CAF_CHECK_LESS(sets, 100);
  CAF_CHECK(quiet_for(200ms));
}

CAF_TEST(the first change after a quiet spell goes at once and the next waits for the window) {
  auto o = options();
  o.coalesce = 400ms;
  start("", o);
  CAF_CHECK(quiet_for(450ms)); // the window of the first set has passed
  auto t0 = std::chrono::steady_clock::now();
  add_service("first", "10.0.8.1", {80}, no_endpoints_needed);
  CAF_CHECK_EQUAL(next_shown(), "10.0.8.1 default/first *");
  auto t1 = std::chrono::steady_clock::now();
  add_service("second", "10.0.8.2", {80}, no_endpoints_needed);
  CAF_CHECK_EQUAL(next_shown(), "10.0.8.1 default/first * | 10.0.8.2 default/second *");
  auto t2 = std::chrono::steady_clock::now();
  CAF_MESSAGE("first after " << (t1 - t0) / 1ms << " ms, second " << (t2 - t1) / 1ms
                             << " ms later");
  CAF_CHECK_LESS(t1 - t0, 300ms);
  CAF_CHECK_GREATER_OR_EQUAL(t2 - t1, 300ms);
}

CAF_TEST(a service deleted while the watch was down and compacted away leaves after the relist) {
  add_service("a", "10.0.5.1", {80}, no_endpoints_needed);
  add_service("b", "10.0.5.2", {80}, no_endpoints_needed);
  start("10.0.5.1 default/a * | 10.0.5.2 default/b *");

  CAF_REQUIRE(api->set_outage(kvip::sim::outage_mode::refuse).ok());
  auto* services = kvip::sim::find_resource("", "v1", "services");
  CAF_REQUIRE(services != nullptr);
  auto removed = api->objects().remove(*services, "default", "b");
  CAF_REQUIRE(!removed.error.has_value());
  api->objects().compact();
  CAF_REQUIRE(api->set_outage(kvip::sim::outage_mode::none).ok());

  CAF_CHECK_EQUAL(next_shown(), "10.0.5.1 default/a *");
  CAF_CHECK(contains(dump(), "Services: 2 lists (1 after 410)"));
}

CAF_TEST(with enable_endpoints the core v1 endpoints decide and slices are ignored) {
  add_service("legacy", "10.0.6.1", {80}, with_spec({{"externalTrafficPolicy", "Local"}}));
  add_slice("legacy-x", "legacy", {{"10.244.9.1", "n9"}});
  auto subsets = [](const char* ready_node, const char* unready_node) {
    return json::array{json::object{
        {"addresses", json::array{json::object{{"ip", "10.244.1.1"}, {"nodeName", ready_node}}}},
        {"notReadyAddresses",
         json::array{json::object{{"ip", "10.244.2.1"}, {"nodeName", unready_node}}}},
        {"ports", json::array{json::object{{"port", 80}}}}}};
  };
  create(k8s::resources::endpoints,
         json::object{{"metadata", {{"name", "legacy"}, {"namespace", "default"}}},
                      {"subsets", subsets("n1", "n2")}});
  kvip::net::config::settings cfg;
  cfg.enable_endpoints = true;
  cfg.svc_namespace = "default";
  auto o = kvip::service_watcher_settings(cfg, watch_client);
  CAF_CHECK(o.use_endpoints);
  CAF_CHECK_EQUAL(o.filter.svc_namespace, "default");
  CAF_CHECK_EQUAL(o.filter.lb_class_name, "kube-vip.io/kube-vip-class");
  o.subscriber = caf::actor_cast<caf::actor>(self);
  o.watch = options().watch;
  start("10.0.6.1 default/legacy [n1]", o);
  CAF_REQUIRE(client
                  ->merge_patch(k8s::resources::endpoints, "default", "legacy",
                                json::object{{"subsets", subsets("n2", "n1")}})
                  .ok());
  CAF_CHECK_EQUAL(next_shown(), "10.0.6.1 default/legacy [n2]");
  remove(k8s::resources::endpoints, "legacy");
  CAF_CHECK_EQUAL(next_shown(), "");
  CAF_CHECK(contains(dump(), "Endpoints: 1 lists"));
}

CAF_TEST(sets go to the elector role and again to its next incarnation) {
  auto dir = std::make_shared<kvip::directory>();
  auto elector = [&](int id) {
    caf::actor sink = caf::actor_cast<caf::actor>(self);
    return sys.spawn([sink, id](caf::event_based_actor* a) -> caf::behavior {
      return {[a, sink, id](msg::service_ips& m) { a->send(sink, id, std::move(m)); }};
    });
  };
  auto next_from = [&]() {
    std::pair<int, std::string> out{0, "(nothing within 10 s)"};
    self->receive(
        [&](int id, msg::service_ips& m) {
          out = {id, show(m.ips)};
        },
        caf::after(10s) >> [] {});
    return out;
  };
  add_service("a", "10.0.9.1", {80}, no_endpoints_needed);
  auto e1 = elector(1);
  dir->publish(kvip::sibling_role::elector, e1.address());
  auto o = options();
  o.subscriber = caf::actor{};
  o.siblings = dir;
  spawn(o);
  CAF_CHECK_EQUAL(next_from(), std::make_pair(1, std::string("10.0.9.1 default/a *")));

  dir->withdraw(kvip::sibling_role::elector, e1.address()); // as the supervisor does
  self->send_exit(e1, caf::exit_reason::kill);
  self->wait_for(e1);
  auto e2 = elector(2);
  dir->publish(kvip::sibling_role::elector, e2.address());
  CAF_CHECK_EQUAL(next_from(), std::make_pair(2, std::string("10.0.9.1 default/a *")));
  self->send_exit(e2, caf::exit_reason::user_shutdown);
  self->wait_for(e2);
}

CAF_TEST_FIXTURE_SCOPE_END()
