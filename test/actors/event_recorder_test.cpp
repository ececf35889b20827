// The event recorder (actors/event_recorder) against the embedded API server
// (simulation/) over real HTTP: the Event `kubectl describe` finds and its
// fields, a repeat folded into count 2, a burst of 100 folded into one Event
// with a bounded count, 20 objects giving 20 Events, an Event deleted on the
// server created again, refused and failing writes (retried with backoff,
// given up after max_attempts), and an API server that is down: the recorder
// keeps answering at once, drops beyond its queue bound and recovers. The
// writer is detached and blocks on HTTP, so these tests use a real actor
// system; every wait is bounded (net::eventually or a request timeout).
#define CAF_SUITE event_recorder
#include "test/actors/fixture.hpp"

#include <atomic>
#include <set>

#include <boost/json.hpp>

#include "actors/event_recorder.hpp"
#include "k8s/client.hpp"
#include "k8s/objects.hpp"
#include "k8s/resource.hpp"
#include "messages/events.hpp"
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

std::string str(const json::object& o, std::initializer_list<std::string_view> path) {
  return k8s::jsonpath::str(o, path);
}

msg::k8s_event service_event(const std::string& name, const std::string& message = "10.0.0.5 is "
                                                                                   "taken") {
  msg::k8s_event e;
  e.kind = "Service";
  e.ns = "shop";
  e.object = name;
  e.uid = "uid-" + name;
  e.type = "Warning";
  e.reason = "LoadBalancerIPConflict";
  e.message = message;
  return e;
}

struct fixture {
  kvip::net::telemetry::registry reg; // outlives the actor system
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::unique_ptr<kvip::sim::apiserver> api;
  std::shared_ptr<k8s::client> client;
  caf::scoped_actor self{sys};
  msg::event_recorder_actor recorder;
  // The injected wall clock: 2026-01-01T00:00:00Z plus `seconds`.
  std::shared_ptr<std::atomic<int>> seconds = std::make_shared<std::atomic<int>>(0);

  fixture() {
    kvip::sim::apiserver_options o;
    o.listen = "127.0.0.1:0";
    api = std::make_unique<kvip::sim::apiserver>(o);
    CAF_REQUIRE(api->start().ok());
    k8s::connection_config c;
    c.server = api->url();
    k8s::client_options opts;
    opts.request_timeout = 1000ms;
    opts.retry_backoff = 10ms;
    opts.max_retries = 0; // every failure reaches the recorder
    opts.qps = 0;
    client = std::make_shared<k8s::client>(c, opts);
    CAF_REQUIRE(
        client
            ->create(k8s::resources::namespaces, "", json::object{{"metadata", {{"name", "shop"}}}})
            .ok());
  }

  ~fixture() {
    if (!recorder) return;
    self->send_exit(recorder, caf::exit_reason::user_shutdown);
    self->wait_for(recorder);
  }

  kvip::event_recorder_options options() {
    kvip::event_recorder_options o;
    o.client = client;
    o.node_name = "node-a";
    o.retry = {10ms, 100ms, 2.0, 0.0};
    auto s = seconds;
    o.wall_clock = [s] {
      return std::chrono::system_clock::time_point{std::chrono::seconds{1767225600 + s->load()}};
    };
    return o;
  }

  void spawn(kvip::event_recorder_options o) {
    recorder = caf::actor_cast<msg::event_recorder_actor>(
        kvip::spawn_event_recorder(self.ptr(), std::move(o), reg));
  }
  void spawn() { spawn(options()); }

  void send(const msg::k8s_event& e) { self->send(recorder, e); }

  std::string dump(caf::timespan bound = 10s) {
    std::string text;
    self->request(recorder, bound, msg::dump_request{})
        .receive([&](msg::dump_reply& r) { text = r.text; },
                 [&](caf::error& e) { text = sys.render(e); });
    return text;
  }

  double outcome(const std::string& result) {
    return reg.counter_family("kvip_events_total", "", {"result"}).with({result}).Value();
  }

  /// Every Event in `ns` (an "error" entry when the list fails).
  std::vector<json::object> events(const std::string& ns = "shop",
                                   const std::string& field_selector = {}) {
    k8s::list_options o;
    o.field_selector = field_selector;
    auto r = client->list(k8s::resources::events, ns, o);
    if (!r.ok()) return {json::object{{"error", r.err().describe()}}};
    return r->items;
  }

  /// True once `ns` holds exactly `n` Events and no write is pending.
  bool settles_at(std::size_t n, const std::string& ns = "shop") {
    return eventually(
        [&] {
          return events(ns).size() == n && dump().find("0 writes queued") != std::string::npos &&
                 dump().find("none in flight") != std::string::npos;
        },
        5000ms);
  }

  /// The count of the only Event in `ns`, or -1.
  std::int64_t only_count(const std::string& ns = "shop") {
    auto l = events(ns);
    if (l.size() != 1) return -1;
    return k8s::jsonpath::integer(l[0], {"count"}).value_or(-1);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(event_recorder_tests, fixture)

CAF_TEST(an event is created with the fields kubectl describe reads) {
  spawn();
  send(service_event("web"));
  CAF_REQUIRE(settles_at(1));
  // kubectl describe svc web asks exactly this.
  auto found = events("shop", "involvedObject.name=web,involvedObject.namespace=shop,"
                              "involvedObject.kind=Service,involvedObject.uid=uid-web");
  CAF_REQUIRE_EQUAL(found.size(), 1u);
  auto& e = found[0];
  CAF_CHECK(str(e, {"metadata", "name"}).starts_with("web."));
  CAF_CHECK_EQUAL(str(e, {"involvedObject", "apiVersion"}), "v1");
  CAF_CHECK_EQUAL(str(e, {"involvedObject", "kind"}), "Service");
  CAF_CHECK_EQUAL(str(e, {"involvedObject", "namespace"}), "shop");
  CAF_CHECK_EQUAL(str(e, {"involvedObject", "name"}), "web");
  CAF_CHECK_EQUAL(str(e, {"involvedObject", "uid"}), "uid-web");
  CAF_CHECK_EQUAL(str(e, {"reason"}), "LoadBalancerIPConflict");
  CAF_CHECK_EQUAL(str(e, {"type"}), "Warning");
  CAF_CHECK_EQUAL(str(e, {"message"}), "10.0.0.5 is taken");
  CAF_CHECK_EQUAL(k8s::jsonpath::integer(e, {"count"}).value_or(0), 1);
  CAF_CHECK_EQUAL(str(e, {"source", "component"}), "kvip");
  CAF_CHECK_EQUAL(str(e, {"source", "host"}), "node-a");
  CAF_CHECK_EQUAL(str(e, {"reportingComponent"}), "kvip");
  CAF_CHECK_EQUAL(str(e, {"reportingInstance"}), "node-a");
  CAF_CHECK_EQUAL(str(e, {"firstTimestamp"}), "2026-01-01T00:00:00Z");
  CAF_CHECK_EQUAL(str(e, {"lastTimestamp"}), "2026-01-01T00:00:00Z");
  CAF_CHECK_EQUAL(outcome("created"), 1.0);
}

CAF_TEST(a repeat folds into the same event with count 2) {
  spawn();
  send(service_event("web"));
  CAF_REQUIRE(settles_at(1));
  *seconds = 5;
  send(service_event("web"));
  CAF_REQUIRE(eventually([&] { return only_count() == 2; }, 5000ms));
  auto e = events()[0];
  CAF_CHECK_EQUAL(str(e, {"firstTimestamp"}), "2026-01-01T00:00:00Z");
  CAF_CHECK_EQUAL(str(e, {"lastTimestamp"}), "2026-01-01T00:00:05Z");
  CAF_CHECK_EQUAL(outcome("created"), 1.0);
  CAF_CHECK_EQUAL(outcome("updated"), 1.0);
}

CAF_TEST(a burst of 100 identical events yields one event with a bounded count) {
  spawn(); // burst 25 per object
  for (int i = 0; i < 100; ++i)
    send(service_event("web"));
  CAF_REQUIRE(settles_at(1));
  CAF_CHECK_EQUAL(only_count(), 25);
  CAF_CHECK_EQUAL(outcome("created"), 1.0);
  CAF_CHECK_EQUAL(outcome("rate_limited"), 75.0);
  CAF_CHECK_EQUAL(outcome("updated") + outcome("folded"), 24.0);
  CAF_MESSAGE("writes for 100 events: " << outcome("created") + outcome("updated"));
}

CAF_TEST(twenty distinct objects yield twenty events) {
  spawn();
  for (int i = 0; i < 20; ++i)
    send(service_event("web-" + std::to_string(i)));
  CAF_REQUIRE(settles_at(20));
  std::set<std::string> objects, names;
  for (auto& e : events()) {
    objects.insert(str(e, {"involvedObject", "name"}));
    names.insert(str(e, {"metadata", "name"}));
    CAF_CHECK_EQUAL(k8s::jsonpath::integer(e, {"count"}).value_or(0), 1);
  }
  CAF_CHECK_EQUAL(objects.size(), 20u);
  CAF_CHECK_EQUAL(names.size(), 20u);
  CAF_CHECK_EQUAL(outcome("created"), 20.0);
}

CAF_TEST(an event deleted on the server is created again with its count) {
  spawn();
  send(service_event("web"));
  CAF_REQUIRE(settles_at(1));
  auto first = str(events()[0], {"metadata", "name"});
  CAF_REQUIRE(client->remove(k8s::resources::events, "shop", first).ok());
  send(service_event("web"));
  CAF_REQUIRE(eventually([&] { return only_count() == 2; }, 5000ms));
  CAF_CHECK_NOT_EQUAL(str(events()[0], {"metadata", "name"}), first);
  CAF_CHECK_EQUAL(outcome("created"), 2.0);
}

CAF_TEST(failing writes are retried with backoff and refused ones are dropped) {
  auto o = options();
  o.max_attempts = 3;
  spawn(o);
  api->faults().set_write_fault("events", 500, 2); // two failures, then success
  send(service_event("web"));
  CAF_REQUIRE(settles_at(1));
  CAF_CHECK(dump().find("2 retries") != std::string::npos);
  CAF_CHECK_EQUAL(reg.counter_family("kvip_event_write_retries_total", "").with().Value(), 2.0);

  api->faults().set_write_fault("events", 500, 3); // three failures: given up
  send(service_event("api"));
  CAF_REQUIRE(eventually([&] { return outcome("failed") == 1.0; }, 5000ms));

  api->faults().set_write_fault("events", 403, 1); // refused: not retried
  send(service_event("db"));
  CAF_REQUIRE(eventually([&] { return outcome("rejected") == 1.0; }, 5000ms));

  send(service_event("cache"));
  CAF_REQUIRE(settles_at(2));
  CAF_CHECK_EQUAL(outcome("created"), 2.0);
  CAF_CHECK_EQUAL(reg.counter_family("kvip_event_write_retries_total", "").with().Value(), 4.0);
}

CAF_TEST(an api server that is down costs a bounded queue and the recorder keeps answering) {
  auto o = options();
  o.queue_limit = 8;
  o.max_attempts = 1000; // never give up while the test runs
  spawn(o);
  CAF_REQUIRE(api->set_outage(kvip::sim::outage_mode::refuse).ok());
  for (int i = 0; i < 50; ++i)
    send(service_event("web-" + std::to_string(i)));
  // One write is retrying, eight wait, the 41 oldest waiting ones were dropped.
  CAF_REQUIRE(eventually([&] { return outcome("queue_full") == 41.0; }, 5000ms));
  auto started = std::chrono::steady_clock::now();
  auto text = dump(1s);
  auto took = std::chrono::steady_clock::now() - started;
  CAF_CHECK(took < 500ms);
  CAF_CHECK(text.find("8 writes queued (at most 8)") != std::string::npos);
  CAF_REQUIRE(eventually([&] { return dump().find("0 retries") == std::string::npos; }, 5000ms));

  CAF_REQUIRE(api->set_outage(kvip::sim::outage_mode::none).ok());
  CAF_REQUIRE(settles_at(9));
  send(service_event("after"));
  CAF_REQUIRE(settles_at(10));
  CAF_CHECK_EQUAL(outcome("created"), 10.0);
  CAF_CHECK_EQUAL(outcome("queue_full"), 41.0);
  CAF_CHECK_EQUAL(outcome("failed"), 0.0);
}

CAF_TEST(repeats while the api server is down fold into the waiting write) {
  spawn();
  CAF_REQUIRE(api->set_outage(kvip::sim::outage_mode::refuse).ok());
  send(service_event("web"));
  CAF_REQUIRE(eventually([&] { return dump().find("0 retries") == std::string::npos; }, 5000ms));
  for (int i = 0; i < 10; ++i)
    send(service_event("web"));
  CAF_REQUIRE(eventually([&] { return outcome("folded") >= 9.0; }, 5000ms));
  CAF_REQUIRE(api->set_outage(kvip::sim::outage_mode::none).ok());
  CAF_REQUIRE(eventually([&] { return only_count() == 11; }, 5000ms));
  CAF_REQUIRE(settles_at(1));
  // The create carries all eleven, or one patch follows it: never one write each.
  CAF_CHECK_EQUAL(outcome("created"), 1.0);
  CAF_CHECK_LESS_OR_EQUAL(outcome("updated"), 1.0);
  CAF_CHECK_EQUAL(outcome("updated") + outcome("folded"), 10.0);
}

CAF_TEST(a server slower than the client timeout never blocks the recorder) {
  spawn();
  api->faults().latency_ms = 2000; // the client gives up after 1 s
  send(service_event("web"));
  CAF_REQUIRE(
      eventually([&] { return dump().find("one in flight") != std::string::npos; }, 1000ms));
  auto started = std::chrono::steady_clock::now();
  auto text = dump(1s);
  auto took = std::chrono::steady_clock::now() - started;
  CAF_CHECK(took < 200ms);
  CAF_CHECK(text.find("one in flight") != std::string::npos);
  CAF_REQUIRE(eventually([&] { return dump().find("1 retries") != std::string::npos; }, 3000ms));
  api->faults().latency_ms = 0;
  // The slow POST lands too: whichever is second finds the name taken, and
  // the recorder counts that as written.
  CAF_REQUIRE(settles_at(1));
  CAF_CHECK_EQUAL(only_count(), 1);
  CAF_CHECK_EQUAL(outcome("created"), 1.0);
}

CAF_TEST(it answers the child protocol) {
  spawn();
  CAF_CHECK(dump().find(api->url()) != std::string::npos);
  std::string who;
  self->request(recorder, 10s, msg::shutdown_request{})
      .receive([&](msg::shutdown_done& d) { who = d.actor; },
               [&](caf::error& e) { who = sys.render(e); });
  CAF_CHECK_EQUAL(who, "event_recorder");
}

CAF_TEST_FIXTURE_SCOPE_END()
