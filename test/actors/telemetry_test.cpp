#define CAF_SUITE telemetry
#include "test/actors/fixture.hpp"

#include <curl/curl.h>

#include <string>

#include "actors/telemetry.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/metrics.hpp"

// The telemetry actor with its real HTTP listener on an ephemeral port of
// 127.0.0.1. The actor runs under the deterministic coordinator; the HTTP
// handlers run on the listener's own thread and only read what the actor
// wrote, so a request made after sched.run() sees the state it left.

namespace {

struct http_reply {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
};

std::size_t append_body(char* p, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

http_reply http_get(std::uint16_t port, const std::string& path) {
  http_reply r;
  auto url = "http://127.0.0.1:" + std::to_string(port) + path;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  r.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup(curl);
  return r;
}

struct fixture : test_coordinator_fixture<> {
  kvip::net::telemetry::registry reg;
  kvip::msg::telemetry_actor telemetry;
  std::uint16_t port = 0;

  ~fixture() {
    if (telemetry) caf::anon_send_exit(telemetry, caf::exit_reason::user_shutdown);
    sched.run();
  }

  /// Starts the actor on an ephemeral port and learns the port from its dump.
  void start(bool config_valid = true) {
    kvip::telemetry_options o;
    o.listen = "127.0.0.1:0";
    o.config_valid = config_valid;
    telemetry = kvip::spawn_telemetry(self.ptr(), o, reg);
    sched.run();
    auto text = dump();
    auto at = text.find("(port ");
    CAF_REQUIRE(at != std::string::npos);
    port = static_cast<std::uint16_t>(std::stoi(text.substr(at + 6)));
    CAF_REQUIRE(port != 0);
  }

  std::string dump() {
    auto h = self->request(telemetry, caf::infinite, kvip::msg::dump_request{});
    sched.run();
    std::string text;
    h.receive([&](kvip::msg::dump_reply& r) { text = r.text; },
              [&](caf::error& e) { CAF_FAIL("dump_request failed: " << sys.render(e)); });
    return text;
  }

  void status(std::uint32_t up, std::uint32_t total, bool stopping = false) {
    kvip::msg::children_status m;
    m.up = up;
    m.total = total;
    m.stopping = stopping;
    caf::anon_send(telemetry, m);
    sched.run();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(telemetry_tests, fixture)

CAF_TEST(healthz answers while the process lives and metrics serves the registry) {
  reg.counter_family("kvip_telemetry_test_total", "A counter only this test writes.", {})
      .with({})
      .Increment(3.0);
  start();
  auto h = http_get(port, "/healthz");
  CAF_REQUIRE_EQUAL(h.code, CURLE_OK);
  CAF_CHECK_EQUAL(h.status, 200);
  auto m = http_get(port, "/metrics");
  CAF_REQUIRE_EQUAL(m.code, CURLE_OK);
  CAF_CHECK_EQUAL(m.status, 200);
  CAF_CHECK_NOT_EQUAL(m.body.find("kvip_telemetry_test_total 3"), std::string::npos);
}

CAF_TEST(readyz flips with the children count) {
  start();
  auto r = http_get(port, "/readyz");
  CAF_CHECK_EQUAL(r.status, 503); // no children_status yet
  CAF_CHECK_NOT_EQUAL(r.body.find("actors starting"), std::string::npos);
  status(1, 2);
  r = http_get(port, "/readyz");
  CAF_CHECK_EQUAL(r.status, 503);
  CAF_CHECK_NOT_EQUAL(r.body.find("1 of 2 actors up"), std::string::npos);
  status(2, 2);
  r = http_get(port, "/readyz");
  CAF_CHECK_EQUAL(r.status, 200);
  status(1, 2);
  CAF_CHECK_EQUAL(http_get(port, "/readyz").status, 503);
  status(2, 2);
  CAF_CHECK_EQUAL(http_get(port, "/readyz").status, 200);
  status(2, 2, true);
  r = http_get(port, "/readyz");
  CAF_CHECK_EQUAL(r.status, 503);
  CAF_CHECK_NOT_EQUAL(r.body.find("shutting down"), std::string::npos);
  CAF_CHECK_EQUAL(http_get(port, "/healthz").status, 200); // alive while stopping
}

CAF_TEST(readyz reports an invalid configuration) {
  start(false);
  status(1, 1);
  auto r = http_get(port, "/readyz");
  CAF_CHECK_EQUAL(r.status, 503);
  CAF_CHECK_NOT_EQUAL(r.body.find("configuration invalid"), std::string::npos);
}

CAF_TEST(shutdown request stops the listener and is confirmed) {
  start();
  CAF_CHECK_EQUAL(http_get(port, "/healthz").status, 200);
  auto h = self->request(telemetry, caf::infinite, kvip::msg::shutdown_request{});
  sched.run();
  std::string who;
  h.receive([&](kvip::msg::shutdown_done& d) { who = d.actor; },
            [&](caf::error& e) { CAF_FAIL("shutdown_request failed: " << sys.render(e)); });
  CAF_CHECK_EQUAL(who, "telemetry");
  CAF_CHECK_NOT_EQUAL(http_get(port, "/healthz").code, CURLE_OK);
}

CAF_TEST(a port already in use makes the actor exit with an error) {
  start();
  auto out = std::make_shared<kvip::test::exit_record>();
  kvip::telemetry_options o;
  o.listen = "127.0.0.1:" + std::to_string(port);
  auto second = kvip::spawn_telemetry(self.ptr(), o, reg);
  auto watcher = kvip::test::observe_exit(sys, caf::actor_cast<caf::actor>(second), out);
  sched.run();
  CAF_CHECK(out->down);
  CAF_CHECK(out->reason);
  CAF_CHECK_EQUAL(http_get(port, "/healthz").status, 200); // the first one still serves
}

CAF_TEST_FIXTURE_SCOPE_END()
