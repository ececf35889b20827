// Watch streams over HTTP and the fault-injection admin API.
#include <gtest/gtest.h>

#include "sim_http_client.hpp"

namespace kvip::sim::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

struct SimWatchHttp : ::testing::Test {
  server_fixture f;
  std::string cms() { return f.url + "/api/v1/namespaces/default/configmaps"; }
  std::string list_rv() {
    return std::string(http("GET", cms()).json().at("metadata").at("resourceVersion").as_string());
  }
  void create(const std::string& name) {
    ASSERT_EQ(http("POST", cms(), R"({"metadata":{"name":")" + name + R"("}})").code, 201);
  }
  std::size_t open_watches() {
    return http("GET", f.admin + "/stats").json().at("watches").to_number<std::size_t>();
  }
  void SetUp() override { ASSERT_EQ(f.start_error, ""); }
};

TEST_F(SimWatchHttp, WatchFromListRvSeesLaterChangesAndEndsOnTimeout) {
  create("before");
  auto rv = list_rv();
  background_watch w(cms() + "?watch=true&resourceVersion=" + rv + "&timeoutSeconds=2");
  ASSERT_TRUE(eventually([&] { return open_watches() == 1; }, 5s));
  create("after");
  ASSERT_EQ(
      http("PATCH", cms() + "/after", R"({"data":{"x":"y"}})", "application/merge-patch+json").code,
      200);
  ASSERT_EQ(http("DELETE", cms() + "/after").code, 200);
  auto& r = w.finish();
  EXPECT_EQ(r.code, 200);
  EXPECT_NE(r.headers.find("chunked"), std::string::npos);
  std::vector<std::string> seen;
  for (auto& ev : events(r.body))
    seen.push_back(describe(ev));
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED after", "MODIFIED after", "DELETED after"}));
}

TEST_F(SimWatchHttp, ReplayInitialEventsAndBookmarks) {
  create("a");
  auto rv = list_rv();
  create("b");
  auto replay = http("GET", cms() + "?watch=1&resourceVersion=" + rv + "&timeoutSeconds=1");
  auto evs = events(replay.body);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(describe(evs[0]), "ADDED b");
  auto initial = http(
      "GET", cms() + "?watch=1&resourceVersion=0&timeoutSeconds=1&fieldSelector=metadata.name%3Da");
  evs = events(initial.body);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(describe(evs[0]), "ADDED a");
  auto bm = http("GET", cms() + "?watch=1&resourceVersion=" + list_rv() +
                            "&timeoutSeconds=1&allowWatchBookmarks=true");
  evs = events(bm.body);
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back().at("type"), "BOOKMARK");
  EXPECT_EQ(evs.back().at("object").at("kind"), "ConfigMap");
  auto plain = http("GET", cms() + "?watch=1&resourceVersion=" + list_rv() + "&timeoutSeconds=1");
  EXPECT_TRUE(events(plain.body).empty()); // no bookmarks unless asked
  EXPECT_EQ(http("GET", cms() + "?watch=1&labelSelector=%21%21").code, 400);
}

TEST_F(SimWatchHttp, CompactionGivesExpiredErrorEvent) {
  auto rv = list_rv();
  create("x");
  ASSERT_EQ(http("POST", f.admin + "/faults/compact").code, 200);
  auto r = http("GET", cms() + "?watch=1&resourceVersion=" + rv);
  EXPECT_EQ(r.code, 200);
  auto evs = events(r.body);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].at("type"), "ERROR");
  EXPECT_EQ(evs[0].at("object").at("code"), 410);
  EXPECT_EQ(evs[0].at("object").at("reason"), "Expired");
}

TEST_F(SimWatchHttp, DropWatchesEndsStreams) {
  background_watch w(cms() + "?watch=1");
  ASSERT_TRUE(eventually([&] { return open_watches() == 1; }, 5s));
  ASSERT_EQ(http("POST", f.admin + "/faults/drop-watches").code, 200);
  auto& r = w.finish();
  EXPECT_EQ(r.code, 200);
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(eventually([&] { return open_watches() == 0; }, 5s));
}

TEST_F(SimWatchHttp, ManyConcurrentWatchesAllSeeAnEvent) {
  std::vector<std::unique_ptr<background_watch>> ws;
  auto rv = list_rv();
  for (int i = 0; i < 50; ++i)
    ws.push_back(std::make_unique<background_watch>(
        cms() + "?watch=1&timeoutSeconds=2&resourceVersion=" + rv));
  ASSERT_TRUE(eventually([&] { return open_watches() == 50; }, 5s));
  create("fanout");
  for (auto& w : ws) {
    auto evs = events(w->finish().body);
    ASSERT_EQ(evs.size(), 1u);
    EXPECT_EQ(describe(evs[0]), "ADDED fanout");
  }
}

TEST_F(SimWatchHttp, FaultLatencyOutageAndFailedWrites) {
  auto bad = http("POST", f.admin + "/faults/latency?ms=abc");
  EXPECT_EQ(bad.code, 400);
  ASSERT_EQ(http("POST", f.admin + "/faults/latency?ms=300").code, 200);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(http("GET", f.url + "/healthz").code, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(290));
  ASSERT_EQ(http("POST", f.admin + "/faults/latency?ms=0").code, 200);

  ASSERT_EQ(http("POST", f.admin + "/faults/outage?mode=503").code, 200);
  auto down = http("GET", cms());
  EXPECT_EQ(down.code, 503);
  EXPECT_EQ(down.str("kind"), "Status");
  ASSERT_EQ(http("POST", f.admin + "/faults/outage?mode=refuse").code, 200);
  auto refused = http("GET", cms(), {}, {}, nullptr, 2000);
  EXPECT_EQ(refused.code, 0);
  EXPECT_NE(refused.error, "");
  ASSERT_EQ(http("POST", f.admin + "/faults/outage?mode=none").code, 200);
  EXPECT_TRUE(eventually([&] { return http("GET", cms()).code == 200; }, 5s));

  auto leases = f.url + "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases";
  ASSERT_EQ(http("POST", f.admin + "/faults/fail-writes?resource=leases&code=409&count=1").code,
            200);
  EXPECT_EQ(http("GET", f.admin + "/faults").json().at("failWrites").at("leases").at("code"), 409);
  auto failed = http("POST", leases, R"({"metadata":{"name":"l"}})");
  EXPECT_EQ(failed.code, 409);
  EXPECT_EQ(failed.str("kind"), "Status");
  EXPECT_EQ(http("POST", leases, R"({"metadata":{"name":"l"}})").code, 201); // count used up
  ASSERT_EQ(http("POST", f.admin + "/faults/fail-writes?resource=leases&code=500").code, 200);
  EXPECT_EQ(http("PUT", leases + "/l", R"({"metadata":{"name":"l"}})").code, 500);
  EXPECT_EQ(http("GET", leases + "/l").code, 200); // reads unaffected
  ASSERT_EQ(http("POST", f.admin + "/faults/reset").code, 200);
  EXPECT_EQ(http("GET", f.admin + "/faults").json().at("failWrites").as_object().size(), 0u);
  EXPECT_EQ(http("POST", f.admin + "/faults/fail-writes?resource=nope&code=500").code, 400);
}

} // namespace
} // namespace kvip::sim::test
