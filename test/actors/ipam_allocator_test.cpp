// The IPAM allocator (actors/ipam_allocator) against the embedded API server over
// real HTTP: a Service without an address gets one from the `kubevip` ConfigMap
// (annotation, spec.loadBalancerIP, label), the legacy adoption, ignored Services;
// 300 Services created at once across namespaces with pools of their own and the
// global one; a restart that keeps every address with its Service; pool
// exhaustion (a Warning Event, a counted result) and a ConfigMap change that
// brings a new range; writes refused with 409 or failing with 500 retried without
// losing or duplicating an address; two allocators racing, of which only the
// Lease holder writes. The allocator's I/O is detached, so these tests use a real
// actor system; every wait is bounded.
#define CAF_SUITE ipam_allocator
#include "test/actors/fixture.hpp"

#include <map>
#include <set>
#include <thread>

#include "actors/event_recorder.hpp"
#include "actors/ipam_allocator.hpp"
#include "k8s/client.hpp"
#include "k8s/objects.hpp"
#include "k8s/resource.hpp"
#include "messages/ipam.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/metrics.hpp"
#include "net/wait.hpp"
#include "simulation/apiserver.hpp"

using namespace std::chrono_literals;
namespace k8s = kvip::k8s;
namespace msg = kvip::msg;
namespace json = boost::json;
using kvip::net::eventually;

namespace {

using data_t = std::map<std::string, std::string>;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::unique_ptr<kvip::sim::apiserver> api;
  std::shared_ptr<k8s::client> client; ///< the test's own
  caf::scoped_actor self{sys};
  kvip::net::telemetry::registry reg;
  caf::actor recorder;
  std::vector<caf::actor> allocators;

  fixture() {
    kvip::sim::apiserver_options o;
    o.listen = "127.0.0.1:0";
    api = std::make_unique<kvip::sim::apiserver>(o);
    CAF_REQUIRE(api->start().ok());
    client = make_client();
    allocators.reserve(8); // spawn() hands out references into it
    kvip::event_recorder_options ro;
    ro.client = make_client();
    ro.node_name = "n1";
    recorder = kvip::spawn_event_recorder(self.ptr(), std::move(ro), reg);
  }

  ~fixture() {
    for (auto& a : allocators)
      stop(a);
    stop(recorder);
  }

  void stop(caf::actor& a) {
    if (!a) return;
    self->send_exit(a, caf::exit_reason::user_shutdown);
    self->wait_for(a);
    a = nullptr;
  }

  std::shared_ptr<k8s::client> make_client() {
    k8s::connection_config c;
    c.server = api->url();
    k8s::client_options opts;
    opts.request_timeout = 2000ms;
    opts.retry_backoff = 10ms;
    opts.max_retries = 0;
    opts.qps = 0;
    return std::make_shared<k8s::client>(c, opts);
  }

  /// Spawns an allocator with identity `node` (short Lease timings).
  caf::actor& spawn(const std::string& node) {
    kvip::ipam_allocator_options o;
    o.client = make_client();
    o.timings.identity = node;
    o.timings.lease_duration = 3000ms;
    o.timings.renew_deadline = 2000ms;
    o.timings.retry_period = 300ms;
    o.retry = {20ms, 300ms, 2.0, 0.5};
    o.events = recorder;
    o.watch.timeout_seconds = 30;
    o.watch.backoff = {10ms, 100ms, 2.0, 0.2};
    o.request_timeout = 2000ms;
    o.random_seed = 7;
    allocators.push_back(kvip::spawn_ipam_allocator(self.ptr(), std::move(o), reg));
    return allocators.back();
  }

  void namespace_(const std::string& ns) {
    auto r =
        client->create(k8s::resources::namespaces, "", json::object{{"metadata", {{"name", ns}}}});
    CAF_REQUIRE(r.ok() || r.err().kind == k8s::error_kind::already_exists);
  }

  /// Creates or replaces the pool ConfigMap kube-system/kubevip.
  void pools(const data_t& data) {
    json::object d;
    for (const auto& [k, v] : data)
      d[k] = v;
    json::object cm{{"metadata", {{"name", "kubevip"}, {"namespace", "kube-system"}}},
                    {"data", std::move(d)}};
    auto got = client->get(k8s::resources::config_maps, "kube-system", "kubevip");
    if (got.ok()) {
      cm["metadata"].as_object()["resourceVersion"] = got->at("metadata").at("resourceVersion");
      CAF_REQUIRE(client->update(k8s::resources::config_maps, "kube-system", cm).ok());
    } else {
      CAF_REQUIRE(client->create(k8s::resources::config_maps, "kube-system", cm).ok());
    }
  }

  static json::object service(const std::string& ns, const std::string& name,
                              const json::object& extra_spec = {},
                              const json::object& annotations = {}) {
    json::object spec{{"type", "LoadBalancer"},
                      {"ports", json::array{json::object{{"port", 80}, {"protocol", "TCP"}}}}};
    for (const auto& [k, v] : extra_spec)
      spec[k] = v;
    return json::object{
        {"metadata", {{"name", name}, {"namespace", ns}, {"annotations", annotations}}},
        {"spec", std::move(spec)}};
  }

  void add(const std::string& ns, const std::string& name, const json::object& extra_spec = {},
           const json::object& annotations = {}) {
    auto r =
        client->create(k8s::resources::services, ns, service(ns, name, extra_spec, annotations));
    if (!r.ok()) CAF_FAIL("create " << ns << "/" << name << ": " << r.err().describe());
  }

  /// The Service's kube-vip.io/loadbalancerIPs ("" = none or no Service).
  std::string address(const std::string& ns, const std::string& name) {
    auto s = client->get(k8s::resources::services, ns, name);
    if (!s.ok()) return "";
    auto* a = s->at("metadata").as_object().if_contains("annotations");
    if (a == nullptr || !a->is_object()) return "";
    auto* v = a->as_object().if_contains("kube-vip.io/loadbalancerIPs");
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : "";
  }

  /// ns/name -> annotation of every Service that has one.
  std::map<std::string, std::string> addresses() {
    std::map<std::string, std::string> out;
    auto l = client->list(k8s::resources::services, "");
    CAF_REQUIRE(l.ok());
    for (const auto& s : l->items) {
      k8s::service v{s};
      if (auto a = v.annotation("kube-vip.io/loadbalancerIPs"))
        out[v.namespace_name() + "/" + v.name()] = *a;
    }
    return out;
  }

  /// Waits until `n` Services have an address; then checks no address is given twice.
  std::map<std::string, std::string> wait_for_addresses(std::size_t n, caf::timespan budget = 20s) {
    std::map<std::string, std::string> got;
    bool ok = eventually(
        [&] {
          got = addresses();
          return got.size() >= n;
        },
        std::chrono::duration_cast<std::chrono::milliseconds>(budget));
    if (!ok) CAF_MESSAGE("only " << got.size() << " of " << n << " addressed; " << dumps());
    CAF_CHECK(ok);
    std::map<std::string, std::string> holder;
    for (const auto& [svc, a] : got) {
      auto [it, fresh] = holder.emplace(a, svc);
      if (!fresh) CAF_FAIL(a << " given to " << it->second << " and " << svc);
    }
    return got;
  }

  std::vector<std::string> event_reasons(const std::string& ns, const std::string& name) {
    std::vector<std::string> out;
    auto l = client->list(k8s::resources::events, ns);
    if (!l) return out;
    for (const auto& e : l->items)
      if (e.at("involvedObject").at("name") == name.c_str())
        out.push_back(json::value_to<std::string>(e.at("reason")));
    return out;
  }

  std::string dump(const caf::actor& a) {
    std::string text;
    self->request(caf::actor_cast<msg::ipam_allocator_actor>(a), 10s, msg::dump_request{})
        .receive([&](msg::dump_reply& r) { text = r.text; },
                 [&](caf::error& e) { text = sys.render(e); });
    return text;
  }

  std::string dumps() {
    std::string text;
    for (const auto& a : allocators)
      if (a) text += "\n" + dump(a);
    return text;
  }

  /// The allocator's own count of `result` in the metrics, as text ("" = none).
  bool counted(const std::string& result) {
    return contains(reg.expose(), "kvip_ipam_allocations_total{result=\"" + result + "\"}");
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(ipam_allocator_tests, fixture)

CAF_TEST(a service without an address gets one written back) {
  pools({{"cidr-global", "10.1.0.0/29"}, {"interface-global", "eth1"}});
  add("default", "taken", {}, json::object{{"kube-vip.io/loadbalancerIPs", "10.1.0.1"}});
  add("default", "legacy", json::object{{"loadBalancerIP", "10.1.0.2"}});
  add("default", "ignored", {}, json::object{{"kube-vip.io/ignore", "true"}});
  add("default", "classy", json::object{{"loadBalancerClass", "example.com/other"}});
  add("default", "plain", json::object{{"type", "ClusterIP"}});
  spawn("n1");
  add("default", "web");
  CAF_CHECK(eventually([&] { return address("default", "web") == "10.1.0.3"; }, 10s));
  auto web = client->get(k8s::resources::services, "default", "web");
  CAF_REQUIRE(web.ok());
  CAF_CHECK_EQUAL(json::serialize(web->at("spec").at("loadBalancerIP")), "\"10.1.0.3\"");
  CAF_CHECK_EQUAL(json::serialize(web->at("metadata").at("labels").at("implementation")),
                  "\"kube-vip\"");
  CAF_CHECK_EQUAL(
      json::serialize(web->at("metadata").at("annotations").at("kube-vip.io/serviceInterface")),
      "\"eth1\"");
  CAF_CHECK_EQUAL(address("default", "legacy"), "10.1.0.2"); // adopted, not allocated
  CAF_CHECK(kvip::net::always(
      [&] { return address("default", "ignored").empty() && address("default", "classy").empty(); },
      300ms));
  CAF_CHECK(address("default", "plain").empty());
  CAF_CHECK(counted("allocated"));
  CAF_CHECK(counted("adopted"));
  CAF_CHECK(contains(dump(allocators[0]), "leading"));
}

CAF_TEST(three hundred services at once across namespaces get distinct addresses) {
  const std::vector<std::string> spaces{"team-a", "team-b", "team-c", "default"};
  for (const auto& ns : spaces)
    namespace_(ns);
  pools({{"cidr-global", "10.2.0.0/24"},
         {"cidr-team-a", "10.3.0.0/24"},
         {"range-team-b", "10.4.0.10-10.4.0.200"}});
  spawn("n1");
  CAF_REQUIRE(eventually([&] { return contains(dump(allocators[0]), "synced"); }, 10s));
  std::vector<std::jthread> creators; // four writers at once, each with its own connection
  for (int t = 0; t < 4; ++t)
    creators.emplace_back([this, t, &spaces] {
      auto c = make_client();
      for (int i = t; i < 300; i += 4) {
        const auto& ns = spaces[static_cast<std::size_t>(i) % spaces.size()];
        auto name = "svc-" + std::to_string(i);
        (void)c->create(k8s::resources::services, ns, service(ns, name));
      }
    });
  creators.clear(); // joined
  auto got = wait_for_addresses(300, 30s);
  CAF_REQUIRE_EQUAL(got.size(), 300u);
  for (const auto& [svc, a] : got) {
    auto ns = svc.substr(0, svc.find('/'));
    auto prefix = ns == "team-a" ? "10.3.0." : ns == "team-b" ? "10.4.0." : "10.2.0.";
    if (a.rfind(prefix, 0) != 0) CAF_FAIL(svc << " got " << a << ", outside its pool");
  }
}

CAF_TEST(a restart keeps every address with its service and hands out no duplicate) {
  pools({{"cidr-global", "10.6.0.0/26"}});
  auto& first = spawn("n1");
  for (int i = 0; i < 20; ++i)
    add("default", "old-" + std::to_string(i));
  auto before = wait_for_addresses(20);
  stop(first); // crashed: no release, the Lease stays with n1
  add("default", "while-down");
  spawn("n1"); // the same node again, as the supervisor restarts it
  for (int i = 0; i < 10; ++i)
    add("default", "new-" + std::to_string(i));
  auto after = wait_for_addresses(31);
  for (const auto& [svc, a] : before)
    CAF_CHECK_EQUAL(after[svc], a);
  CAF_CHECK(!after["default/while-down"].empty());
}

CAF_TEST(an exhausted pool gives a warning event and a new range is picked up) {
  pools({{"range-global", "10.5.0.1-10.5.0.2"}});
  spawn("n1");
  for (auto* n : {"a", "b", "c"})
    add("default", n);
  auto got = wait_for_addresses(2);
  std::string starved;
  for (auto* n : {"a", "b", "c"})
    if (!got.count(std::string("default/") + n)) starved = n;
  CAF_REQUIRE(!starved.empty());
  CAF_CHECK(eventually(
      [&] {
        auto r = event_reasons("default", starved);
        return std::find(r.begin(), r.end(), "AddressPoolExhausted") != r.end();
      },
      10s));
  CAF_CHECK(counted("exhausted"));
  CAF_CHECK(contains(dump(allocators[0]), "no address: default/" + starved));

  pools({{"range-global", "10.5.0.1-10.5.0.3"}});
  CAF_CHECK(eventually([&] { return address("default", starved) == "10.5.0.3"; }, 10s));

  pools({{"range-global", "10.5.0.1-10.5.0.3"}, {"cidr-global", "10.5.1.0/33"}});
  CAF_CHECK(eventually(
      [&] {
        auto r = event_reasons("kube-system", "kubevip");
        return std::find(r.begin(), r.end(), "InvalidAddressPool") != r.end();
      },
      10s));
  CAF_CHECK(counted("invalid_config"));
}

CAF_TEST(refused and failed writes are retried without losing or duplicating an address) {
  namespace_("later");
  for (int i = 0; i < 4; ++i) {
    add("default", "s" + std::to_string(i));
    add("later", "l" + std::to_string(i));
  }
  spawn("n1"); // no ConfigMap yet: no pool, nothing written
  CAF_REQUIRE(eventually([&] { return counted("no_pool"); }, 10s));
  api->faults().set_write_fault("services", 409, 3); // refused: nothing landed
  pools({{"cidr-default", "10.7.0.0/29"}});
  wait_for_addresses(4);
  CAF_CHECK(counted("conflict"));
  api->faults().set_write_fault("services", 500, 3); // failed: may have landed
  pools({{"cidr-default", "10.7.0.0/29"}, {"cidr-later", "10.7.0.0/28"}}); // overlapping pools
  auto got = wait_for_addresses(8);
  CAF_CHECK(counted("failed"));
  for (int i = 0; i < 4; ++i)
    CAF_CHECK_EQUAL(got["later/l" + std::to_string(i)].rfind("10.7.0.", 0), 0u);
}

CAF_TEST(two allocators race and only the lease holder writes) {
  pools({{"cidr-global", "10.8.0.0/24"}});
  auto& a = spawn("n1");
  auto& b = spawn("n2");
  std::vector<std::jthread> creators;
  for (int t = 0; t < 2; ++t)
    creators.emplace_back([this, t] {
      auto c = make_client();
      for (int i = t; i < 100; i += 2)
        (void)c->create(k8s::resources::services, "default",
                        service("default", "race-" + std::to_string(i)));
    });
  creators.clear();
  wait_for_addresses(100);
  auto da = dump(a), db = dump(b);
  CAF_CHECK_NOT_EQUAL(contains(da, "leading"), contains(db, "leading"));
  auto& leader = contains(da, "leading") ? a : b;
  auto& other = contains(da, "leading") ? b : a;
  CAF_CHECK(!contains(dump(other), "allocated="));
  // The leader stops (releasing the Lease); the other takes over without duplicates.
  self->request(caf::actor_cast<msg::ipam_allocator_actor>(leader), 10s, msg::shutdown_request{})
      .receive([](msg::shutdown_done&) {}, [](caf::error&) {});
  stop(leader);
  for (int i = 100; i < 120; ++i)
    add("default", "race-" + std::to_string(i));
  wait_for_addresses(120);
  CAF_CHECK(contains(dump(other), "leading"));
}

CAF_TEST_FIXTURE_SCOPE_END()
