// The node labeler (actors/node_labeler) against the embedded API server over
// real HTTP: the owners' reports become kube-vip.io/has-ip and
// service-provided.kube-vip.io/* labels on the Node, stale kvip labels go by
// prefix and other labels stay; nothing is written before every expected
// owner reported (or the startup grace ended); a repeated report writes
// nothing; reports during a write are coalesced (the latest wins); a failing
// API is retried after a backoff. Also owned_services_of, what the owners
// report. Its worker is detached and blocks on HTTP, so these tests use a real
// actor system; every wait is bounded.
#define CAF_SUITE node_labeler
#include "test/actors/fixture.hpp"

#include <map>
#include <set>

#include "actors/node_labeler.hpp"
#include "actors/owned_reports.hpp"
#include "k8s/client.hpp"
#include "k8s/object_view.hpp"
#include "k8s/resource.hpp"
#include "messages/node_labels.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/metrics.hpp"
#include "net/wait.hpp"
#include "simulation/apiserver.hpp"

using namespace std::chrono_literals;
namespace k8s = kvip::k8s;
namespace msg = kvip::msg;
namespace json = boost::json;
using kvip::net::always;
using kvip::net::eventually;
using labels = std::map<std::string, std::string>;

namespace {

const std::string web = "service-provided.kube-vip.io/web.default";
const std::string db = "service-provided.kube-vip.io/db.prod";
const std::string stale = "service-provided.kube-vip.io/old.default";

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::unique_ptr<kvip::sim::apiserver> api;
  k8s::connection_config connection;
  k8s::client_options client_opts;
  std::shared_ptr<k8s::client> client;
  caf::scoped_actor self{sys};
  kvip::net::telemetry::registry reg;
  msg::node_labeler_actor labeler;

  fixture() {
    kvip::sim::apiserver_options o;
    o.listen = "127.0.0.1:0";
    api = std::make_unique<kvip::sim::apiserver>(o);
    CAF_REQUIRE(api->start().ok());
    connection.server = api->url();
    client_opts.request_timeout = 2000ms;
    client_opts.max_retries = 0;
    client_opts.qps = 0;
    client = std::make_shared<k8s::client>(connection, client_opts);
    json::object ls;
    ls["kubernetes.io/hostname"] = "n1";
    ls[stale] = "192.0.2.7";
    ls["kube-vip.io/has-ip"] = "192.0.2.99";
    json::object md;
    md["name"] = "n1";
    md["labels"] = std::move(ls);
    json::object node;
    node["metadata"] = std::move(md);
    CAF_REQUIRE(client->create(k8s::resources::nodes, "", node).ok());
  }

  ~fixture() {
    if (!labeler) return;
    self->send_exit(labeler, caf::exit_reason::user_shutdown);
    self->wait_for(labeler);
  }

  void spawn(std::chrono::milliseconds grace = 10000ms) {
    kvip::node_labeler_options o;
    o.connection = connection;
    o.client = client_opts;
    o.node_name = "n1";
    o.expect_control_plane = true;
    o.expect_services = true;
    o.startup_grace = grace;
    o.retry = {20ms, 200ms, 2.0, 0.5};
    labeler = caf::actor_cast<msg::node_labeler_actor>(
        kvip::spawn_node_labeler(self.ptr(), std::move(o), reg));
  }

  void control_plane(std::vector<std::string> a) {
    msg::owned_control_plane m;
    m.addresses = std::move(a);
    self->send(labeler, m);
  }

  void services(std::vector<msg::owned_service> s) {
    msg::owned_services m;
    m.services = std::move(s);
    self->send(labeler, m);
  }

  labels read() {
    auto r = client->get(k8s::resources::nodes, "", "n1");
    return r ? k8s::object_view{*r}.labels() : labels{};
  }

  bool carries(const labels& want) {
    return eventually([&] { return read() == want; }, 10000ms);
  }

  std::uint64_t writes() const { return api->objects().changes(); }

  std::string dump() {
    std::string text;
    self->request(labeler, 10s, msg::dump_request{})
        .receive([&](msg::dump_reply& r) { text = r.text; },
                 [&](caf::error& e) { text = sys.render(e); });
    return text;
  }

  bool dump_says(const std::string& part) {
    return eventually([&] { return dump().find(part) != std::string::npos; }, 10000ms);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(node_labeler_tests, fixture)

CAF_TEST(owned vips and services become labels and stale kvip labels go) {
  spawn();
  auto before = writes();
  control_plane({"192.0.2.1"});
  // Only one of the two owners reported: nothing is written yet.
  CAF_CHECK(dump_says("waiting for the owners' first reports"));
  CAF_CHECK(always([&] { return writes() == before; }, 300ms));
  services({{"default", "web", {"192.0.2.10", "2001:db8::10"}}});
  CAF_CHECK(carries({{"kubernetes.io/hostname", "n1"},
                     {"kube-vip.io/has-ip", "192.0.2.1"},
                     {web, "192.0.2.10_20010db8000000000000000000000010"}}));
  CAF_CHECK(dump_says("1 written"));
  CAF_CHECK_EQUAL(writes(), before + 1);

  // The same again: nothing to write.
  services({{"default", "web", {"192.0.2.10", "2001:db8::10"}}});
  CAF_CHECK(always([&] { return writes() == before + 1; }, 300ms));

  // The VIP moved away and another Service arrived.
  control_plane({});
  services({{"prod", "db", {"2001:db8::b"}}});
  CAF_CHECK(carries({{"kubernetes.io/hostname", "n1"}, {db, "20010db800000000000000000000000b"}}));

  // Nothing owned any more: only the foreign label stays.
  services({});
  CAF_CHECK(carries({{"kubernetes.io/hostname", "n1"}}));
  CAF_CHECK(dump_says("0 label(s) wanted, on the Node"));
}

CAF_TEST(the startup grace ends the wait for an owner that never reports) {
  spawn(200ms);
  services({{"default", "web", {"192.0.2.10"}}});
  CAF_CHECK(carries({{"kubernetes.io/hostname", "n1"}, {web, "192.0.2.10"}}));
}

CAF_TEST(reports during a write are coalesced and the latest wins) {
  spawn();
  control_plane({});
  api->faults().latency_ms = 150; // a write (GET + PATCH) takes >= 300 ms
  auto before = writes();
  for (int i = 1; i <= 6; ++i)
    services({{"default", "web", {"192.0.2." + std::to_string(i)}}});
  CAF_CHECK(carries({{"kubernetes.io/hostname", "n1"}, {web, "192.0.2.6"}}));
  // The first report's write, then one for the latest; the others never.
  CAF_CHECK(always([&] { return writes() <= before + 2; }, 500ms));
  CAF_CHECK(dump_says("on the Node"));
}

CAF_TEST(a failing api is retried after a backoff) {
  api->faults().set_write_fault("nodes", 500, 3);
  spawn();
  control_plane({"192.0.2.1"});
  services({});
  CAF_CHECK(carries({{"kubernetes.io/hostname", "n1"}, {"kube-vip.io/has-ip", "192.0.2.1"}}));
  CAF_CHECK(dump_says("3 failed"));
  auto text = reg.expose();
  CAF_CHECK(text.find(R"(kvip_node_label_writes_total{node="n1",outcome="failed"} 3)") !=
            std::string::npos);
}

CAF_TEST(owners report the services on the addresses they hold) {
  std::vector<msg::service_ip> ips(3);
  ips[0].address = "192.0.2.10";
  ips[0].services = {{"default", "web", "u1", {}, {"192.0.2.10", "2001:db8::10"}},
                     {"prod", "db", "u2", {}, {"192.0.2.10"}}};
  ips[1].address = "2001:db8::10";
  ips[1].services = {{"default", "web", "u1", {}, {"192.0.2.10", "2001:db8::10"}}};
  ips[2].address = "192.0.2.20";
  ips[2].services = {{"default", "other", "u3", {}, {}}};
  auto held = [](std::set<std::string> s) {
    return [s](const std::string& a) { return s.count(a) > 0; };
  };
  using owned = std::vector<msg::owned_service>;
  CAF_CHECK_EQUAL(kvip::owned_services_of(ips, held({})).size(), 0u);
  CAF_CHECK(
      kvip::owned_services_of(ips, held({"192.0.2.10", "2001:db8::10"})) ==
      (owned{{"default", "web", {"192.0.2.10", "2001:db8::10"}}, {"prod", "db", {"192.0.2.10"}}}));
  // A dual-stack Service half held here: only the half held.
  CAF_CHECK(kvip::owned_services_of(ips, held({"2001:db8::10", "192.0.2.20"})) ==
            (owned{{"default", "other", {"192.0.2.20"}}, {"default", "web", {"2001:db8::10"}}}));
}

CAF_TEST_FIXTURE_SCOPE_END()
