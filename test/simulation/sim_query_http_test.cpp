// Query parameters over HTTP against the embedded API server: booleans,
// resourceVersion/resourceVersionMatch of lists, continue snapshots, dryRun and
// propagationPolicy values, and the legacy /watch/ paths.
#include <gtest/gtest.h>

#include "sim_http_client.hpp"

namespace kvip::sim::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

struct SimQueryHttp : ::testing::Test {
  server_fixture f;
  std::string cms(const std::string& rest = {}) {
    return f.url + "/api/v1/namespaces/default/configmaps" + rest;
  }
  std::string rv_of(const reply& r) {
    return std::string(r.json().at("metadata").at("resourceVersion").as_string());
  }
  void create(const std::string& name, const std::string& v = "1") {
    ASSERT_EQ(
        http("POST", cms(), R"({"metadata":{"name":")" + name + R"("},"data":{"v":")" + v + "\"}}")
            .code,
        201);
  }
  void set(const std::string& name, const std::string& v) {
    ASSERT_EQ(http("PATCH", cms("/" + name), R"({"data":{"v":")" + v + "\"}}",
                   "application/merge-patch+json")
                  .code,
              200);
  }
  std::size_t open_watches() {
    return http("GET", f.admin + "/stats").json().at("watches").to_number<std::size_t>();
  }
  void SetUp() override { ASSERT_EQ(f.start_error, ""); }
};

std::vector<std::string> names(const reply& r) {
  std::vector<std::string> out;
  auto v = r.json(); // a range-for over r.json().at(...) would outlive the temporary
  for (const auto& i : v.at("items").as_array())
    out.emplace_back(i.at("metadata").at("name").as_string());
  return out;
}

std::string value_of(const json::value& item) {
  return std::string(item.at("data").at("v").as_string());
}

void expect_status(const reply& r, long code, const char* reason, const std::string& message) {
  EXPECT_EQ(r.code, code) << r.body;
  EXPECT_EQ(r.str("kind"), "Status");
  EXPECT_EQ(r.str("status"), "Failure");
  EXPECT_EQ(r.str("reason"), reason);
  EXPECT_EQ(r.str("message"), message);
}

TEST_F(SimQueryHttp, WatchParameterReadLikeKubeApiserver) {
  create("a");
  // The Python client sends watch=True: a watch stream, not a list.
  for (const char* v : {"True", "TRUE", "t", "1", "true"}) {
    auto r = http("GET", cms("?timeoutSeconds=1&watch=") + v);
    EXPECT_EQ(r.code, 200);
    ASSERT_EQ(events(r.body).size(), 1u) << "watch=" << v << ": " << r.body;
    EXPECT_EQ(describe(events(r.body)[0]), "ADDED a");
  }
  for (const char* v : {"False", "FALSE", "false", "0"}) {
    auto r = http("GET", cms("?watch=") + v);
    EXPECT_EQ(r.str("kind"), "ConfigMapList") << "watch=" << v;
  }
}

TEST_F(SimQueryHttp, InvalidListOptionsAre422OnListOptions) {
  auto r = http("GET", cms("?resourceVersionMatch=Exact"));
  expect_status(r, 422, "Invalid",
                "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: "
                "resourceVersionMatch is forbidden unless resourceVersion is provided");
  auto d = r.json().at("details");
  EXPECT_EQ(d.at("kind"), "ListOptions");
  EXPECT_EQ(d.at("group"), "meta.k8s.io");
  EXPECT_EQ(d.at("causes").as_array().at(0).at("field"), "resourceVersionMatch");
  expect_status(http("GET", cms("?resourceVersion=1&resourceVersionMatch=Latest")), 422, "Invalid",
                "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Unsupported "
                "value: \"Latest\": supported values: \"Exact\", \"NotOlderThan\", \"\"");
  expect_status(http("GET", cms("?limit=many")), 400, "BadRequest",
                "strconv.ParseInt: parsing \"many\": invalid syntax");
}

TEST_F(SimQueryHttp, ContinueWithAResourceVersionIs400) {
  create("a");
  create("b");
  auto first = http("GET", cms("?limit=1"));
  std::string token(first.json().at("metadata").at("continue").as_string());
  expect_status(http("GET", cms("?limit=1&resourceVersion=" + rv_of(first) + "&continue=" + token)),
                400, "BadRequest",
                "specifying resource version is not allowed when using continue");
  EXPECT_EQ(http("GET", cms("?limit=1&resourceVersion=0&continue=" + token)).code, 200);
}

TEST_F(SimQueryHttp, FutureResourceVersionIs504) {
  auto now = std::stoull(rv_of(http("GET", cms())));
  auto future = std::to_string(now + 100);
  for (const char* match :
       {"", "&resourceVersionMatch=NotOlderThan", "&resourceVersionMatch=Exact"}) {
    auto r = http("GET", cms("?resourceVersion=" + future + match));
    expect_status(r, 504, "Timeout",
                  "Too large resource version: " + future + ", current: " + std::to_string(now));
    EXPECT_EQ(r.json().at("details").at("causes").as_array().at(0).at("reason"),
              "ResourceVersionTooLarge");
  }
  // Not newer than now: the current state.
  auto ok = http(
      "GET", cms("?resourceVersion=" + std::to_string(now) + "&resourceVersionMatch=NotOlderThan"));
  EXPECT_EQ(ok.code, 200);
}

TEST_F(SimQueryHttp, ExactListAnswersFromThatVersionOr410) {
  create("a", "old");
  auto then = rv_of(http("GET", cms()));
  set("a", "new");
  create("b");
  auto r = http("GET", cms("?resourceVersionMatch=Exact&resourceVersion=" + then));
  ASSERT_EQ(r.code, 200) << r.body;
  EXPECT_EQ(rv_of(r), then);
  EXPECT_EQ(names(r), std::vector<std::string>{"a"});
  EXPECT_EQ(value_of(r.json().at("items").at(0)), "old");
  ASSERT_EQ(http("POST", f.admin + "/faults/compact").code, 200);
  expect_status(http("GET", cms("?resourceVersionMatch=Exact&resourceVersion=" + then)), 410,
                "Expired", "The resourceVersion for the provided list is too old.");
}

TEST_F(SimQueryHttp, ContinuePagesAreASnapshotAtTheFirstPage) {
  create("a", "1");
  create("b", "1");
  create("c", "1");
  auto first = http("GET", cms("?limit=1"));
  ASSERT_EQ(names(first), std::vector<std::string>{"a"});
  std::string token(first.json().at("metadata").at("continue").as_string());
  set("b", "2");
  ASSERT_EQ(http("DELETE", cms("/c")).code, 200);
  create("d");
  auto second = http("GET", cms("?limit=5&continue=" + token));
  ASSERT_EQ(second.code, 200) << second.body;
  EXPECT_EQ(rv_of(second), rv_of(first));
  EXPECT_EQ(names(second), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(value_of(second.json().at("items").at(0)), "1"); // b at its first-page state
}

TEST_F(SimQueryHttp, DryRunValuesAndNoWrite) {
  auto bad = http("POST", cms("?dryRun=true"), R"({"metadata":{"name":"x"}})");
  expect_status(bad, 422, "Invalid",
                "CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: "
                "[]string{\"true\"}: supported values: \"All\"");
  EXPECT_EQ(bad.json().at("details").at("kind"), "CreateOptions");
  EXPECT_EQ(http("GET", cms("/x")).code, 404);
  auto dry = http("POST", cms("?dryRun=All"), R"({"metadata":{"name":"x"},"data":{"v":"1"}})");
  EXPECT_EQ(dry.code, 201);
  EXPECT_EQ(dry.json().at("metadata").at("name"), "x");
  EXPECT_EQ(http("GET", cms("/x")).code, 404);
  create("y");
  EXPECT_EQ(http("DELETE", cms("/y?dryRun=All")).code, 200);
  EXPECT_EQ(http("GET", cms("/y")).code, 200);
  EXPECT_EQ(http("PATCH", cms("/y?dryRun=yes"), "{}", "application/merge-patch+json").code, 422);
}

TEST_F(SimQueryHttp, PropagationPolicyValues) {
  create("y");
  auto bad = http("DELETE", cms("/y?propagationPolicy=Cascade"));
  expect_status(
      bad, 422, "Invalid",
      "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: "
      "\"Cascade\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"");
  EXPECT_EQ(http("GET", cms("/y")).code, 200);
  // kubectl sends it in the body.
  EXPECT_EQ(http("DELETE", cms("/y"), R"({"propagationPolicy":"orphan"})").code, 422);
  EXPECT_EQ(http("GET", cms("/y")).code, 200);
  EXPECT_EQ(http("DELETE", cms("/y?propagationPolicy=Orphan")).code, 200);
  EXPECT_EQ(http("GET", cms("/y")).code, 404);
}

TEST_F(SimQueryHttp, LegacyWatchPaths) {
  create("a");
  auto rv = rv_of(http("GET", cms()));
  int round = 0;
  const std::string lease_body = R"({"metadata":{"name":"l"},"spec":{"holderIdentity":"n1"}})";
  for (const std::string path :
       {"/api/v1/watch/namespaces/default/configmaps", "/api/v1/watch/configmaps",
        "/api/v1/watch/namespaces/default/configmaps/b",
        "/apis/coordination.k8s.io/v1/watch/namespaces/kube-system/leases",
        "/apis/coordination.k8s.io/v1/watch/leases",
        "/apis/coordination.k8s.io/v1/watch/namespaces/kube-system/leases/l"}) {
    SCOPED_TRACE(path);
    background_watch w(f.url + path + "?timeoutSeconds=2&resourceVersion=" + rv);
    ASSERT_TRUE(eventually([&] { return open_watches() == 1; }, 5s));
    bool cm = path.find("configmaps") != std::string::npos;
    if (cm) {
      set("a", "r" + std::to_string(++round)); // seen only by the collection watches
      create("b");
      ASSERT_EQ(http("DELETE", cms("/b")).code, 200);
    } else {
      auto leases = f.url + "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases";
      ASSERT_EQ(http("POST", leases, lease_body).code, 201);
      ASSERT_EQ(http("DELETE", leases + "/l").code, 200);
    }
    auto& r = w.finish();
    EXPECT_EQ(r.code, 200);
    std::vector<std::string> seen;
    for (auto& ev : events(r.body))
      seen.push_back(describe(ev));
    std::vector<std::string> want{"ADDED l", "DELETED l"};
    if (cm) want = {"ADDED b", "DELETED b"};
    if (cm && path.back() == 's') want.insert(want.begin(), "MODIFIED a");
    EXPECT_EQ(seen, want);
    rv = rv_of(http("GET", cms()));
  }
  // Subresources are not watched; only GET is served on watch paths.
  EXPECT_EQ(http("GET", f.url + "/api/v1/watch/namespaces/default/configmaps/a/status").code, 404);
  EXPECT_EQ(http("POST", f.url + "/api/v1/watch/namespaces/default/configmaps", "{}").code, 405);
  EXPECT_EQ(http("GET", f.url + "/api/v1/watch").code, 404);
}

} // namespace
} // namespace kvip::sim::test
