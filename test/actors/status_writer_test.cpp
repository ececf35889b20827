// The status writer (actors/status_writer) against the embedded API server
// over real HTTP: a Service gets its ingress and vipHost (and a repeated
// request writes nothing); requests for a Service being written, or waiting
// for the window, are coalesced (the store counts the writes); conflicts are
// read again, and beyond max_reads retried after a backoff; a Service the API
// keeps refusing delays no other; an API outage is waited out; a Service that
// is gone or was recreated drops its request; 100 Services all land. Its
// workers are detached and block on HTTP, so these tests use a real actor
// system; every wait is bounded.
#define CAF_SUITE status_writer
#include "test/actors/fixture.hpp"

#include <map>
#include <regex>

#include "actors/status_writer.hpp"
#include "k8s/client.hpp"
#include "k8s/object_view.hpp"
#include "k8s/resource.hpp"
#include "k8s/status/plan.hpp"
#include "messages/services.hpp"
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

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::unique_ptr<kvip::sim::apiserver> api;
  k8s::connection_config connection;
  k8s::client_options client_opts;
  std::shared_ptr<k8s::client> client; ///< the test's own
  caf::scoped_actor self{sys};
  kvip::net::telemetry::registry reg;
  msg::status_writer_actor writer;
  std::map<std::string, std::string> uids; ///< Service name -> uid

  fixture() {
    kvip::sim::apiserver_options o;
    o.listen = "127.0.0.1:0";
    api = std::make_unique<kvip::sim::apiserver>(o);
    CAF_REQUIRE(api->start().ok());
    connection.server = api->url();
    client_opts.request_timeout = 2000ms;
    client_opts.retry_backoff = 10ms;
    client_opts.max_retries = 0;
    client_opts.qps = 0;
    client = std::make_shared<k8s::client>(connection, client_opts);
  }

  ~fixture() {
    if (!writer) return;
    self->send_exit(writer, caf::exit_reason::user_shutdown);
    self->wait_for(writer);
  }

  void spawn(std::size_t window = 8, int max_reads = 4, double qps = 0) {
    kvip::status_writer_options o;
    o.connection = connection;
    o.client = client_opts;
    o.client.qps = qps;
    o.client.burst = 1;
    o.node_name = "n1";
    o.max_in_flight = window;
    o.max_reads = max_reads;
    o.retry = {20ms, 200ms, 2.0, 0.5};
    writer = caf::actor_cast<msg::status_writer_actor>(
        kvip::spawn_status_writer(self.ptr(), std::move(o), reg));
  }

  void create(const std::string& name) {
    json::object svc{
        {"metadata", {{"name", name}, {"namespace", "default"}}},
        {"spec",
         {{"type", "LoadBalancer"},
          {"selector", {{"app", name}}},
          {"ports",
           json::array{json::object{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}},
                       json::object{{"name", "dns"}, {"port", 53}, {"protocol", "UDP"}}}}}}};
    auto r = client->create(k8s::resources::services, "default", svc);
    if (!r) CAF_FAIL("creating " << name << ": " << r.err().describe());
    uids[name] = k8s::object_view{*r}.uid();
  }

  msg::service_status request(const std::string& name, const std::string& host,
                              std::vector<std::string> ips = {"192.0.2.10", "2001:db8::10"}) {
    msg::service_status m;
    m.ns = "default";
    m.service = name;
    m.uid = uids[name];
    m.ingress_ips = std::move(ips);
    m.ports = {{"TCP", 80}, {"UDP", 53}};
    m.vip_host = host;
    return m;
  }

  void send(const msg::service_status& m) { self->send(writer, m); }

  /// Whether the Service now says what `m` asks (nothing left to write).
  bool landed(const msg::service_status& m) {
    auto r = client->get(k8s::resources::services, m.ns, m.service);
    if (!r) return false;
    k8s::status::wanted w{m.ns, m.service, m.uid, m.ingress_ips, {}, m.vip_host};
    for (const auto& p : m.ports)
      w.ports.push_back({p.protocol, p.port});
    return k8s::status::next_step(w, *r).kind == k8s::status::step_kind::done;
  }

  std::string dump() {
    std::string text;
    self->request(writer, 10s, msg::dump_request{})
        .receive([&](msg::dump_reply& r) { text = r.text; },
                 [&](caf::error& e) { text = sys.render(e); });
    return text;
  }

  /// Whether the dump says `part` within 10 s.
  bool dump_says(const std::string& part) {
    return eventually([&] { return dump().find(part) != std::string::npos; }, 10000ms);
  }

  std::uint64_t writes() const { return api->objects().changes(); }
};

/// The number before `what` in a dump ("3 failed" -> 3), or -1.
long count_in(const std::string& dump, const std::string& what) {
  std::smatch m;
  std::regex re{"(\\d+) " + what};
  return std::regex_search(dump, m, re) ? std::stol(m[1]) : -1;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(status_writer_tests, fixture)

CAF_TEST(a service gets its ingress and vip host and a repeated request writes nothing) {
  create("web");
  spawn();
  auto before = writes();
  auto m = request("web", "n1");
  send(m);
  CAF_CHECK(eventually([&] { return landed(m); }, 10000ms));
  CAF_CHECK(dump_says("0 Services pending"));
  CAF_CHECK(dump_says("1 written"));
  CAF_CHECK_EQUAL(writes(), before + 2); // the status PUT and the Service PUT
  auto svc = client->get(k8s::resources::services, "default", "web");
  CAF_REQUIRE(svc.ok());
  CAF_CHECK_EQUAL(k8s::object_view{*svc}.annotation("kube-vip.io/vipHost").value_or(""), "n1");
  auto ingress = json::serialize(svc->at("status"));
  CAF_CHECK_EQUAL(
      ingress,
      R"({"loadBalancer":{"ingress":[)"
      R"({"ip":"192.0.2.10","ipMode":"VIP","ports":[{"port":80,"protocol":"TCP"},{"port":53,"protocol":"UDP"}]},)"
      R"({"ip":"2001:db8::10","ipMode":"VIP","ports":[{"port":80,"protocol":"TCP"},{"port":53,"protocol":"UDP"}]}]}})");

  send(m);
  CAF_CHECK(dump_says("1 unchanged"));
  CAF_CHECK_EQUAL(writes(), before + 2);

  // The owner withdraws: the ingress is cleared and the annotation removed.
  auto gone = request("web", "", {});
  send(gone);
  CAF_CHECK(eventually([&] { return landed(gone); }, 10000ms));
  CAF_CHECK(dump_says("2 written"));
  CAF_CHECK_EQUAL(writes(), before + 4);
}

CAF_TEST(requests for a service being written or waiting for the window are coalesced) {
  create("web-a");
  create("web-b");
  spawn(1);                       // one write at a time
  api->faults().latency_ms = 100; // every API request takes 100 ms: a write takes >= 300 ms
  auto before = writes();
  send(request("web-a", "n1"));         // written at once
  send(request("web-b", "n1"));         // waits for the window...
  send(request("web-b", "n2"));         // ...and is replaced: web-b/n1 is never written
  send(request("web-a", "n3"));         // web-a is being written: follows it...
  auto last_a = request("web-a", "n4"); // ...replaced in turn: n3 is never written
  send(last_a);
  auto last_b = request("web-b", "n2");
  CAF_CHECK(eventually([&] { return landed(last_a) && landed(last_b); }, 10000ms));
  CAF_CHECK(dump_says("0 Services pending"));
  // web-a: status + vipHost n1, then vipHost n4; web-b: status + vipHost n2.
  CAF_CHECK_EQUAL(writes(), before + 5);
  CAF_CHECK(dump_says("5 requests; 3 written"));
}

CAF_TEST(conflicts are read again and beyond max reads retried after a backoff) {
  create("web");
  spawn(8, 3);
  // Two 409s: the first two reads end in a conflict, the third one's PUTs land.
  api->faults().set_write_fault("services", 409, 2);
  auto m = request("web", "n1");
  send(m);
  CAF_CHECK(eventually([&] { return landed(m); }, 10000ms));
  CAF_CHECK(dump_says("1 written, 0 unchanged, 0 gone, 0 recreated, 0 failed, 2 conflicts"));

  // Six more: each write meets three (max_reads = 3) and fails; the third lands.
  api->faults().set_write_fault("services", 409, 6);
  auto n2 = request("web", "n2");
  send(n2);
  CAF_CHECK(eventually([&] { return landed(n2); }, 10000ms));
  CAF_CHECK(dump_says("2 written, 0 unchanged, 0 gone, 0 recreated, 2 failed, 8 conflicts"));
  CAF_CHECK(dump_says("last failure: default/web: conflicts after each of 3 reads"));
  auto text = reg.expose();
  for (auto line : {R"(kvip_service_status_writes_total{node="n1",outcome="written"} 2)",
                    R"(kvip_service_status_writes_total{node="n1",outcome="failed"} 2)",
                    R"(kvip_service_status_conflicts_total{node="n1"} 8)",
                    R"(kvip_service_status_pending{node="n1"} 0)"})
    if (text.find(line) == std::string::npos) CAF_FAIL(line << " not in\n" << text);
}

CAF_TEST(a service the api keeps refusing delays no other and an outage is waited out) {
  create("bad");
  create("good");
  spawn(1);                                  // the refused Service must not hold the only slot
  send(request("bad", "n1", {"not-an-ip"})); // 422 Invalid, forever
  auto good = request("good", "n1");
  send(good);
  CAF_CHECK(eventually([&] { return landed(good); }, 10000ms));
  CAF_CHECK(dump_says("1 Services pending"));
  CAF_CHECK(dump_says("last failure: default/bad: writing ingress not-an-ip"));
  // Retried, with a backoff of its own.
  CAF_CHECK(eventually([&] { return count_in(dump(), "failed") >= 2; }, 10000ms));

  CAF_REQUIRE(api->set_outage(kvip::sim::outage_mode::unavailable).ok());
  auto moved = request("good", "n2");
  send(moved);
  CAF_CHECK(dump_says("2 Services pending"));
  CAF_CHECK(dump_says("failing: default/bad (")); // one slot, yet both are tried
  CAF_CHECK(dump_says(", default/good ("));
  CAF_REQUIRE(api->set_outage(kvip::sim::outage_mode::none).ok());
  CAF_CHECK(eventually([&] { return landed(moved); }, 10000ms));
  // The good request is done; only the refused one stays.
  CAF_CHECK(dump_says("1 Services pending"));
}

CAF_TEST(a service that is gone or was recreated drops its request) {
  create("web");
  spawn();
  send(request("missing", "n1"));
  CAF_CHECK(dump_says("1 gone"));
  auto stale = request("web", "n1");
  CAF_REQUIRE(client->remove(k8s::resources::services, "default", "web").ok());
  create("web"); // same name, new uid
  auto before = writes();
  send(stale);
  CAF_CHECK(dump_says("1 recreated"));
  CAF_CHECK(dump_says("0 Services pending"));
  CAF_CHECK_EQUAL(writes(), before); // nothing written for the old incarnation
  auto fresh = request("web", "n1");
  send(fresh);
  CAF_CHECK(eventually([&] { return landed(fresh); }, 10000ms));
}

CAF_TEST(a hundred services all land) {
  std::vector<msg::service_status> all;
  for (int i = 0; i < 100; ++i) {
    auto name = "svc-" + std::to_string(i);
    create(name);
    all.push_back(request(name, "n" + std::to_string(i % 3), {"192.0.2." + std::to_string(i + 1)}));
  }
  spawn();
  auto before = writes();
  for (const auto& m : all)
    send(m);
  CAF_CHECK(dump_says("0 Services pending"));
  CAF_CHECK(dump_says("100 written"));
  CAF_CHECK_EQUAL(writes(), before + 200);
  int ok = 0;
  for (const auto& m : all)
    ok += landed(m) ? 1 : 0;
  CAF_CHECK_EQUAL(ok, 100);
  auto d = dump();
  CAF_MESSAGE(d);
  CAF_CHECK(d.find("window 8,") != std::string::npos);
  auto workers = count_in(d, "workers");
  CAF_CHECK(workers >= 1 && workers <= 8);
}

CAF_TEST(every worker takes its tokens from one rate limiter) {
  std::vector<msg::service_status> all;
  for (int i = 0; i < 5; ++i) {
    auto name = "svc-" + std::to_string(i);
    create(name);
    all.push_back(request(name, "n1", {"192.0.2." + std::to_string(i + 1)}));
  }
  spawn(8, 4, 20); // 20 requests/s, burst 1, for all workers together
  auto start = std::chrono::steady_clock::now();
  for (const auto& m : all)
    send(m);
  CAF_CHECK(dump_says("5 written"));
  // 5 x (GET + 2 PUTs) = 15 calls: the last no sooner than 14 / 20 s after the first
  // (with a limiter per connection the five writes would run side by side).
  auto took = std::chrono::steady_clock::now() - start;
  CAF_CHECK_GREATER_OR_EQUAL(took, 700ms);
  CAF_MESSAGE("5 writes at 20 requests/s took "
              << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
}

CAF_TEST_FIXTURE_SCOPE_END()
