// The k8s_io actor (actors/k8s_io) against the embedded API server
// (simulation/) over real HTTP: Lease get/create/update with their
// conflicts, a missing Lease, a slow and a failing server answered with the
// client's own error, and Events. k8s_io is detached and blocks on HTTP, so
// these tests use a real actor system; every wait is a request with a bound.
#define CAF_SUITE k8s_io
#include "test/actors/fixture.hpp"

#include <boost/json.hpp>

#include "actors/k8s_io.hpp"
#include "k8s/client.hpp"
#include "k8s/objects.hpp"
#include "k8s/resource.hpp"
#include "messages/election.hpp"
#include "messages/supervision.hpp"
#include "simulation/apiserver.hpp"

using namespace std::chrono_literals;
namespace k8s = kvip::k8s;
namespace msg = kvip::msg;

namespace {

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::unique_ptr<kvip::sim::apiserver> api;
  std::shared_ptr<k8s::client> client;
  caf::scoped_actor self{sys};
  msg::k8s_io_actor io;

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
    opts.max_retries = 1;
    opts.qps = 0;
    client = std::make_shared<k8s::client>(c, opts);
    // Events are stamped by an injected clock: 2026-01-01T00:00:00Z, then a
    // second later for each further Event.
    auto ticks = std::make_shared<int>(0);
    auto clock = [ticks] {
      return std::chrono::system_clock::time_point{std::chrono::seconds{1767225600 + (*ticks)++}};
    };
    io =
        caf::actor_cast<msg::k8s_io_actor>(kvip::spawn_k8s_io(self.ptr(), client, "node-a", clock));
  }

  ~fixture() {
    self->send_exit(io, caf::exit_reason::user_shutdown);
    self->wait_for(io);
  }

  template <class Msg>
  msg::lease_reply call(Msg m) {
    msg::lease_reply out;
    out.error_text = "no reply";
    self->request(io, 10s, std::move(m))
        .receive([&](msg::lease_reply& r) { out = std::move(r); },
                 [&](caf::error& e) { out.error_text = sys.render(e); });
    return out;
  }

  msg::lease_reply get() {
    msg::lease_get g;
    g.ns = "kube-system";
    g.lease = "plndr-cp-lock";
    return call(g);
  }

  msg::lease_reply write(const k8s::lease& l, bool create) {
    msg::lease_write w;
    w.create = create;
    w.object_json = boost::json::serialize(l.raw());
    return call(w);
  }

  static k8s::lease lease_of(const msg::lease_reply& r) {
    return k8s::lease{boost::json::parse(r.object_json).as_object()};
  }

  static k8s::lease fresh(const std::string& holder) {
    auto l = k8s::lease::make("kube-system", "plndr-cp-lock");
    l.set_holder_identity(holder);
    l.set_lease_duration_seconds(5);
    return l;
  }

  /// Waits until k8s_io has handled everything sent before (its mailbox is FIFO).
  std::string dump() {
    std::string text;
    self->request(io, 10s, msg::dump_request{})
        .receive([&](msg::dump_reply& r) { text = r.text; },
                 [&](caf::error& e) { text = sys.render(e); });
    return text;
  }

  /// "<reason> <firstTimestamp>" of each Event recorded in `ns`.
  std::vector<std::string> events(const std::string& ns) {
    std::vector<std::string> out;
    auto r = client->list(k8s::resources::events, ns);
    if (!r.ok()) return {"list failed: " + r.err().describe()};
    for (auto& e : r->items)
      out.push_back(k8s::jsonpath::str(e, {"reason"}) + " " +
                    k8s::jsonpath::str(e, {"firstTimestamp"}));
    return out;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(k8s_io_tests, fixture)

CAF_TEST(a missing lease is the not_found error) {
  auto r = get();
  CAF_CHECK(!r.ok);
  CAF_CHECK_EQUAL(r.error, k8s::error_kind::not_found);
  CAF_CHECK_EQUAL(r.http_status, 404);
}

CAF_TEST(create then get returns the lease and a second create is already_exists) {
  auto created = write(fresh("n1"), true);
  CAF_REQUIRE(created.ok);
  CAF_CHECK_EQUAL(lease_of(created).holder_identity().value_or(""), "n1");
  auto read = get();
  CAF_REQUIRE(read.ok);
  CAF_CHECK_EQUAL(lease_of(read).resource_version(), lease_of(created).resource_version());
  auto again = write(fresh("n2"), true);
  CAF_CHECK(!again.ok);
  CAF_CHECK_EQUAL(again.error, k8s::error_kind::already_exists);
  CAF_CHECK_EQUAL(again.http_status, 409);
}

CAF_TEST(a lease list returns exactly the leases with the label) {
  auto a = fresh("n1");
  a.set_name("kvip-vip-10-0-0-1");
  a.set_label("kvip.io/vip", "true");
  auto b = fresh("n2");
  b.set_name("kvip-node-n2");
  CAF_REQUIRE(write(a, true).ok);
  CAF_REQUIRE(write(b, true).ok);
  msg::lease_list l;
  l.ns = "kube-system";
  l.label_selector = "kvip.io/vip=true";
  msg::lease_list_reply out;
  self->request(io, 10s, l)
      .receive([&](msg::lease_list_reply& r) { out = std::move(r); },
               [&](caf::error& e) { out.error_text = sys.render(e); });
  CAF_REQUIRE(out.ok);
  CAF_REQUIRE_EQUAL(out.objects_json.size(), 1u);
  auto only = k8s::lease{boost::json::parse(out.objects_json[0]).as_object()};
  CAF_CHECK_EQUAL(only.name(), "kvip-vip-10-0-0-1");
  CAF_CHECK_EQUAL(only.holder_identity().value_or(""), "n1");
}

CAF_TEST(an update with a stale resource version is a conflict) {
  auto created = write(fresh("n1"), true);
  CAF_REQUIRE(created.ok);
  auto mine = lease_of(created);
  mine.set_lease_transitions(1); // a real change (a no-op write keeps the version)
  auto renewed = write(mine, false);
  CAF_REQUIRE(renewed.ok);
  CAF_CHECK_NOT_EQUAL(lease_of(renewed).resource_version(), mine.resource_version());
  auto stale = lease_of(created); // still carries the first resourceVersion
  stale.set_holder_identity("n2");
  auto lost = write(stale, false);
  CAF_CHECK(!lost.ok);
  CAF_CHECK_EQUAL(lost.error, k8s::error_kind::conflict);
  CAF_CHECK_EQUAL(lease_of(get()).holder_identity().value_or(""), "n1");
}

CAF_TEST(a write that is not json is refused as invalid) {
  msg::lease_write w;
  w.object_json = "{not json";
  auto r = call(w);
  CAF_CHECK(!r.ok);
  CAF_CHECK_EQUAL(r.error, k8s::error_kind::invalid);
}

CAF_TEST(a server slower than the client timeout gives the timeout error) {
  api->faults().latency_ms = 3000;
  auto started = std::chrono::steady_clock::now();
  auto r = get();
  auto took = std::chrono::steady_clock::now() - started;
  api->faults().latency_ms = 0;
  CAF_CHECK(!r.ok);
  CAF_CHECK_EQUAL(r.error, k8s::error_kind::timeout);
  CAF_CHECK(took < 2500ms); // the client's 1 s deadline, not the server's 3 s
}

CAF_TEST(an unavailable server gives its http status) {
  CAF_REQUIRE(api->set_outage(kvip::sim::outage_mode::unavailable).ok());
  auto r = get();
  CAF_REQUIRE(api->set_outage(kvip::sim::outage_mode::none).ok());
  CAF_CHECK(!r.ok);
  CAF_CHECK_EQUAL(r.http_status, 503);
  CAF_CHECK(!r.error_text.empty());
  CAF_CHECK(dump().find("1 failed") != std::string::npos);
}

CAF_TEST(event reports and vip conflicts are recorded as events) {
  msg::event_report e;
  e.reason = "LeaderElection";
  e.message = "node-a became leader";
  e.api_version = "coordination.k8s.io/v1";
  e.kind = "Lease";
  e.ns = "kube-system";
  e.object = "plndr-cp-lock";
  self->send(io, e);
  msg::vip_conflict c;
  c.vip = "10.0.0.100";
  c.other_mac = "02:00:00:00:00:09";
  c.interface = "eth0";
  self->send(io, c);
  dump(); // both handled (the conflict's event is queued behind the dump: ask twice)
  dump();
  CAF_CHECK_EQUAL(events("kube-system"),
                  std::vector<std::string>{"LeaderElection 2026-01-01T00:00:00Z"});
  CAF_CHECK_EQUAL(events("default"), std::vector<std::string>{"VIPConflict 2026-01-01T00:00:01Z"});
}

CAF_TEST(it answers the child protocol) {
  CAF_CHECK(dump().find(api->url()) != std::string::npos);
  std::string who;
  self->request(io, 10s, msg::shutdown_request{})
      .receive([&](msg::shutdown_done& d) { who = d.actor; },
               [&](caf::error& e) { who = sys.render(e); });
  CAF_CHECK_EQUAL(who, "k8s_io");
}

CAF_TEST_FIXTURE_SCOPE_END()
