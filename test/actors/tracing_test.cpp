#define CAF_SUITE tracing
#include "test/actors/fixture.hpp"

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <boost/json.hpp>

#include "actors/tracing.hpp"

namespace {

/// Test-only messages for a three-actor chain.
struct kick : kvip::msg::traced {
  static constexpr const char* name = "kick";
  int n = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kick& x) {
  return f(caf::meta::type_name(kick::name), x.n);
}

struct hop : kvip::msg::traced {
  static constexpr const char* name = "hop";
  int n = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hop& x) {
  return f(caf::meta::type_name(hop::name), x.n);
}

/// Forwards a kick or hop to `next` as a hop with n+1; the last link records
/// the cause it saw.
caf::behavior link(caf::event_based_actor* self, caf::actor next,
                   std::shared_ptr<std::vector<std::uint64_t>> seen) {
  auto forward = [self, next, seen](int n) {
    seen->push_back(kvip::current_cause());
    if (!next) return;
    hop h;
    h.n = n + 1;
    kvip::tell(self, next, h);
  };
  return {
      kvip::on(self, [forward](const kick& k) { forward(k.n); }),
      kvip::on(self, [forward](const hop& h) { forward(h.n); }),
  };
}

struct fixture : test_coordinator_fixture<> {
  std::string path;
  std::shared_ptr<std::vector<std::uint64_t>> seen = std::make_shared<std::vector<std::uint64_t>>();
  caf::actor a, b, c;

  fixture() {
    char tmpl[] = "/tmp/kvip-trace-test-XXXXXX";
    int fd = mkstemp(tmpl);
    ::close(fd);
    path = tmpl;
    auto& sink = kvip::net::telemetry::trace_sink::instance();
    sink.set_node("test-node");
    CAF_REQUIRE(sink.set_path(path).ok());
    c = sys.spawn(link, caf::actor{}, seen);
    b = sys.spawn(link, c, seen);
    a = sys.spawn(link, b, seen);
    kvip::name_actor(a.address(), "a");
    kvip::name_actor(b.address(), "b");
    kvip::name_actor(c.address(), "c");
    run();
  }

  ~fixture() {
    (void)kvip::net::telemetry::trace_sink::instance().set_enabled(false);
    (void)kvip::net::telemetry::trace_sink::instance().set_path("");
    std::remove(path.c_str());
  }

  std::vector<boost::json::object> records() {
    std::vector<boost::json::object> out;
    std::ifstream in{path};
    for (std::string line; std::getline(in, line);) {
      boost::system::error_code ec;
      auto v = boost::json::parse(line, ec);
      CAF_REQUIRE(!ec);
      out.push_back(v.as_object());
    }
    return out;
  }

  void kick_chain(int n) {
    kick k;
    k.n = n;
    kvip::tell_anon(a, k);
    run();
  }
};

std::string str(const boost::json::object& o, const char* key) {
  return std::string{o.at(key).as_string().c_str()};
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(tracing_tests, fixture)

CAF_TEST(a three actor chain is recorded with one causal id) {
  CAF_REQUIRE(kvip::net::telemetry::trace_sink::instance().set_enabled(true).ok());
  kick_chain(1);
  auto recs = records();
  CAF_REQUIRE_EQUAL(recs.size(), 3u);
  CAF_CHECK_EQUAL(str(recs[0], "from"), "external");
  CAF_CHECK_EQUAL(str(recs[0], "to"), "a");
  CAF_CHECK_EQUAL(str(recs[0], "type"), "kick");
  CAF_CHECK_EQUAL(str(recs[1], "from"), "a");
  CAF_CHECK_EQUAL(str(recs[1], "to"), "b");
  CAF_CHECK_EQUAL(str(recs[1], "type"), "hop");
  CAF_CHECK_EQUAL(str(recs[1], "msg"), "hop(2)");
  CAF_CHECK_EQUAL(str(recs[2], "from"), "b");
  CAF_CHECK_EQUAL(str(recs[2], "to"), "c");
  CAF_CHECK_EQUAL(str(recs[2], "msg"), "hop(3)");
  for (auto& r : recs) {
    CAF_CHECK_EQUAL(str(r, "cause"), str(recs[0], "cause"));
    CAF_CHECK_EQUAL(str(r, "node"), "test-node");
    CAF_CHECK(r.contains("t"));
  }
  // Every actor in the chain handled the message under the same cause.
  CAF_REQUIRE_EQUAL(seen->size(), 3u);
  CAF_CHECK_EQUAL((*seen)[0], (*seen)[1]);
  CAF_CHECK_EQUAL((*seen)[1], (*seen)[2]);
  CAF_CHECK_EQUAL(kvip::net::telemetry::cause_to_string((*seen)[0]), str(recs[0], "cause"));
}

CAF_TEST(independent chains get different causal ids) {
  CAF_REQUIRE(kvip::net::telemetry::trace_sink::instance().set_enabled(true).ok());
  kick_chain(1);
  kick_chain(10);
  auto recs = records();
  CAF_REQUIRE_EQUAL(recs.size(), 6u);
  CAF_CHECK_EQUAL(str(recs[0], "cause"), str(recs[2], "cause"));
  CAF_CHECK_EQUAL(str(recs[3], "cause"), str(recs[5], "cause"));
  CAF_CHECK_NOT_EQUAL(str(recs[0], "cause"), str(recs[3], "cause"));
}

CAF_TEST(nothing is written while tracing is off but causes still propagate) {
  kick_chain(1);
  CAF_CHECK_EQUAL(records().size(), 0u);
  CAF_REQUIRE_EQUAL(seen->size(), 3u);
  CAF_CHECK_NOT_EQUAL((*seen)[0], 0u);
  CAF_CHECK_EQUAL((*seen)[0], (*seen)[2]);
}

CAF_TEST(tracing switched on at run time records from then on) {
  kick_chain(1);
  CAF_CHECK(kvip::net::telemetry::trace_sink::instance().toggle());
  kick_chain(2);
  CAF_CHECK(!kvip::net::telemetry::trace_sink::instance().toggle());
  kick_chain(3);
  auto recs = records();
  CAF_REQUIRE_EQUAL(recs.size(), 3u);
  CAF_CHECK_EQUAL(str(recs[0], "msg"), "kick(2)");
}

CAF_TEST(tracing cannot be enabled without a file) {
  auto& sink = kvip::net::telemetry::trace_sink::instance();
  CAF_REQUIRE(sink.set_path("").ok());
  CAF_CHECK(!sink.set_enabled(true).ok());
  CAF_CHECK(!sink.enabled());
  CAF_CHECK(!sink.toggle());
}

CAF_TEST_FIXTURE_SCOPE_END()
