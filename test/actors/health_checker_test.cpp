// The health_checker actor (actors/health_checker) probing a local HTTP
// endpoint whose answers follow a script, reporting to an elector stand-in:
// a report after every probe, unhealthy only after `failure_threshold`
// failures in a row, healthy again after one success. The checker is
// detached and blocks on HTTP, so this uses a real actor system; every wait
// is a receive with a bound.
#define CAF_SUITE health_checker
#include "test/actors/fixture.hpp"

#include <atomic>
#include <mutex>

#include "actors/directory.hpp"
#include "actors/health_checker.hpp"
#include "messages/election.hpp"
#include "messages/supervision.hpp"
#include "net/http/server.hpp"

using namespace std::chrono_literals;
namespace msg = kvip::msg;

namespace {

/// An HTTP endpoint answering /healthz with the scripted statuses, one per
/// request, then 200 for ever.
struct scripted_endpoint {
  kvip::net::http::server srv{"127.0.0.1:0"};
  std::mutex m;
  std::vector<int> script;
  std::size_t served = 0;

  explicit scripted_endpoint(std::vector<int> statuses) : script(std::move(statuses)) {
    srv.route("GET", "/healthz", [this](const kvip::net::http::request&) {
      std::lock_guard g{m};
      int status = served < script.size() ? script[served] : 200;
      ++served;
      return kvip::net::http::response::text(status, "ok\n");
    });
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(srv.port()) + "/healthz"; }
};

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor elector{sys}; // the stand-in the checker reports to
  caf::actor checker;

  ~fixture() {
    if (checker) {
      elector->send_exit(checker, caf::exit_reason::user_shutdown);
      elector->wait_for(checker);
    }
  }

  void start(const std::string& url, int threshold) {
    auto siblings = std::make_shared<kvip::directory>();
    siblings->publish(kvip::sibling_role::elector, elector->address());
    kvip::health_options o;
    o.url = url;
    o.period = 20ms;
    o.timeout = 1000ms;
    o.failure_threshold = threshold;
    checker = kvip::spawn_health_checker(elector.ptr(), o, siblings);
  }

  /// The next n reports ("healthy"/"unhealthy: <detail>"), or "none" once
  /// none came within 5 s.
  std::vector<std::string> reports(int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i)
      elector->receive(
          [&](msg::health_status& h) {
            out.push_back(h.healthy ? std::string{"healthy"} : "unhealthy: " + h.detail);
          },
          caf::after(5s) >> [&] { out.push_back("none"); });
    return out;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(health_checker_tests, fixture)

CAF_TEST(unhealthy after the threshold of failures in a row and healthy after one success) {
  scripted_endpoint ep{{200, 503, 503, 503, 200}};
  CAF_REQUIRE(ep.srv.start().ok());
  start(ep.url(), 3);
  auto r = reports(5);
  auto bad = "unhealthy: " + ep.url() + ": HTTP 503";
  CAF_CHECK_EQUAL(r, (std::vector<std::string>{"healthy", "healthy", "healthy", bad, "healthy"}));
}

CAF_TEST(a success in between resets the count of failures) {
  scripted_endpoint ep{{503, 503, 200, 503, 503, 200}};
  CAF_REQUIRE(ep.srv.start().ok());
  start(ep.url(), 3);
  auto r = reports(6);
  CAF_CHECK_EQUAL(r, std::vector<std::string>(6, "healthy"));
}

CAF_TEST(a threshold of one reports the first failure) {
  scripted_endpoint ep{{503, 200}};
  CAF_REQUIRE(ep.srv.start().ok());
  start(ep.url(), 1);
  auto r = reports(2);
  CAF_CHECK_EQUAL(r,
                  (std::vector<std::string>{"unhealthy: " + ep.url() + ": HTTP 503", "healthy"}));
}

CAF_TEST(an endpoint that does not answer is a failure) {
  // Nothing listens on the port of a server that was started and stopped.
  std::string url;
  {
    scripted_endpoint ep{{}};
    CAF_REQUIRE(ep.srv.start().ok());
    url = ep.url();
  }
  start(url, 2);
  auto r = reports(2);
  CAF_CHECK_EQUAL(r.at(0), "healthy");
  CAF_CHECK(r.at(1).rfind("unhealthy: " + url, 0) == 0);
}

CAF_TEST(it answers the child protocol) {
  scripted_endpoint ep{{}};
  CAF_REQUIRE(ep.srv.start().ok());
  start(ep.url(), 3);
  CAF_CHECK_EQUAL(reports(1), std::vector<std::string>{"healthy"});
  std::string text;
  elector->request(checker, 10s, msg::dump_request{})
      .receive([&](msg::dump_reply& d) { text = d.text; },
               [&](caf::error& e) { text = sys.render(e); });
  CAF_CHECK(text.find("healthy") != std::string::npos);
  std::string who;
  elector->request(checker, 10s, msg::shutdown_request{})
      .receive([&](msg::shutdown_done& d) { who = d.actor; },
               [&](caf::error& e) { who = sys.render(e); });
  CAF_CHECK_EQUAL(who, "health_checker");
}

CAF_TEST_FIXTURE_SCOPE_END()
