// The embedded API server over real HTTP (libcurl): discovery, every verb,
// status codes and Status bodies, patch types, selectors, bad input.
#include <gtest/gtest.h>

#include "sim_http_client.hpp"

namespace kvip::sim::test {
namespace {

namespace json = boost::json;

struct SimHttp : ::testing::Test {
  server_fixture f;
  std::string ns_url(const std::string& rest) {
    return f.url + "/api/v1/namespaces/default/" + rest;
  }
  std::string leases_url(const std::string& rest = {}) {
    return f.url + "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases" + rest;
  }
  void SetUp() override { ASSERT_EQ(f.start_error, ""); }
};

std::string rv_of(const reply& r) {
  auto v = r.json();
  return std::string(v.at("metadata").at("resourceVersion").as_string());
}

TEST_F(SimHttp, HealthVersionAndDiscovery) {
  for (const char* p : {"/healthz", "/livez", "/readyz"}) {
    auto r = http("GET", f.url + p);
    EXPECT_EQ(r.code, 200);
    EXPECT_EQ(r.body, "ok");
  }
  auto v = http("GET", f.url + "/version?timeout=5s");
  EXPECT_EQ(v.str("minor"), "31");
  EXPECT_EQ(v.str("gitVersion"), "v1.31.0");
  auto api = http("GET", f.url + "/api");
  EXPECT_EQ(api.json().at("kind"), "APIVersions");
  auto groups = http("GET", f.url + "/apis");
  EXPECT_EQ(groups.json().at("groups").as_array().size(), 2u);
  auto v1 = http("GET", f.url + "/api/v1").json();
  bool status_sub = false;
  for (auto& r : v1.at("resources").as_array())
    status_sub |= r.at("name") == "services/status";
  EXPECT_TRUE(status_sub);
  EXPECT_EQ(http("GET", f.url + "/apis/coordination.k8s.io/v1").json().at("groupVersion"),
            "coordination.k8s.io/v1");
  // Aggregated discovery only on request, with its exact Content-Type.
  CURL* c = curl_easy_init();
  std::string body, headers;
  curl_slist* h = curl_slist_append(
      nullptr, "Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
               "application/json");
  curl_easy_setopt(c, CURLOPT_URL, (f.url + "/apis").c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &headers);
  ASSERT_EQ(curl_easy_perform(c), CURLE_OK);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  EXPECT_NE(headers.find("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"),
            std::string::npos);
  EXPECT_EQ(json::parse(body).at("kind"), "APIGroupDiscoveryList");
  // OpenAPI v3 stub: index and a per-group-version doc with PATCH + fieldValidation.
  auto idx = http("GET", f.url + "/openapi/v3").json();
  auto rel = std::string(idx.at("paths").at("api/v1").at("serverRelativeURL").as_string());
  auto doc = http("GET", f.url + rel).json();
  auto& op = doc.at("paths").at("/api/v1/namespaces/{namespace}/services/{name}").at("patch");
  EXPECT_EQ(op.at("x-kubernetes-group-version-kind").at("kind"), "Service");
  EXPECT_EQ(http("GET", f.url + "/openapi/v2").code, 404);
  auto nf = http("GET", f.url + "/nope");
  EXPECT_EQ(nf.code, 404);
  EXPECT_EQ(nf.str("kind"), "Status");
}

TEST_F(SimHttp, CreateGetListDelete) {
  auto created =
      http("POST", ns_url("configmaps"),
           R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c1"},"data":{"a":"1"}})");
  ASSERT_EQ(created.code, 201) << created.body;
  EXPECT_EQ(created.json().at("metadata").at("namespace"), "default");
  auto dup = http("POST", ns_url("configmaps"), R"({"metadata":{"name":"c1"}})");
  EXPECT_EQ(dup.code, 409);
  EXPECT_EQ(dup.str("reason"), "AlreadyExists");
  EXPECT_EQ(dup.str("message"), "configmaps \"c1\" already exists");
  auto got = http("GET", ns_url("configmaps/c1"));
  EXPECT_EQ(got.code, 200);
  EXPECT_EQ(got.str("kind"), "ConfigMap");
  auto list = http("GET", ns_url("configmaps?limit=500"));
  auto lv = list.json();
  EXPECT_EQ(lv.at("kind"), "ConfigMapList");
  EXPECT_FALSE(rv_of(list).empty());
  ASSERT_EQ(lv.at("items").as_array().size(), 1u);
  EXPECT_FALSE(lv.at("items").at(0).as_object().contains("kind")); // like the real server
  auto all = http("GET", f.url + "/api/v1/configmaps");
  EXPECT_EQ(all.json().at("items").as_array().size(), 1u);
  auto del = http("DELETE", ns_url("configmaps/c1"), R"({"propagationPolicy":"Background"})");
  EXPECT_EQ(del.code, 200);
  EXPECT_EQ(del.str("status"), "Success");
  auto missing = http("GET", ns_url("configmaps/c1"));
  EXPECT_EQ(missing.code, 404);
  EXPECT_EQ(missing.str("reason"), "NotFound");
  EXPECT_EQ(
      http("POST", f.url + "/api/v1/namespaces/nosuch/configmaps", R"({"metadata":{"name":"x"}})")
          .code,
      404);
}

TEST_F(SimHttp, AdminStatsCountWritesByResourceAndClient) {
  auto writes = [&] { return http("GET", f.admin + "/stats").json().at("writes").as_object(); };
  EXPECT_EQ(writes().at("total"), 0);
  ASSERT_EQ(http("POST", leases_url(), R"({"metadata":{"name":"w"}})").code, 201);
  ASSERT_EQ(http("GET", leases_url("/w")).code, 200); // reads are not counted
  EXPECT_EQ(http("PUT", leases_url("/w"), R"({"metadata":{"name":"w"}})").code, 422);
  EXPECT_EQ(http("DELETE", ns_url("configmaps/nosuch")).code, 404);
  auto w = writes();
  EXPECT_EQ(w.at("total"), 3); // every mutating request, answered with an error or not
  EXPECT_EQ(w.at("byResource").at("leases"), 2);
  EXPECT_EQ(w.at("byResource").at("configmaps"), 1);
  EXPECT_EQ(w.at("byClient").at("127.0.0.1"), 3);
  // Every request, reads included (the admin port's own are not).
  auto rq = http("GET", f.admin + "/stats").json().at("requests").as_object();
  EXPECT_EQ(rq.at("total"), 4);
  EXPECT_EQ(rq.at("byResource").at("leases"), 3);
  EXPECT_EQ(rq.at("byClient").at("127.0.0.1"), 4);
}

TEST_F(SimHttp, UpdateConflictAndLeaseRules) {
  auto lease = http(
      "POST", leases_url(),
      R"({"metadata":{"name":"plndr-cp-lock"},"spec":{"holderIdentity":"a","leaseDurationSeconds":5,"renewTime":"2026-11-26T08:59:06.488741Z"}})");
  ASSERT_EQ(lease.code, 201);
  auto obj = lease.json().as_object();
  obj["spec"].as_object()["holderIdentity"] = "b";
  auto ok = http("PUT", leases_url("/plndr-cp-lock"), json::serialize(obj));
  EXPECT_EQ(ok.code, 200);
  auto stale = http("PUT", leases_url("/plndr-cp-lock"), json::serialize(obj));
  EXPECT_EQ(stale.code, 409);
  EXPECT_EQ(stale.str("reason"), "Conflict");
  EXPECT_NE(stale.str("message").find("leases.coordination.k8s.io \"plndr-cp-lock\""),
            std::string::npos);
  obj["metadata"].as_object().erase("resourceVersion");
  auto norv = http("PUT", leases_url("/plndr-cp-lock"), json::serialize(obj));
  EXPECT_EQ(norv.code, 422);
  EXPECT_EQ(norv.str("reason"), "Invalid");
  auto fresh = http("PUT", leases_url("/new-lock"), R"({"metadata":{"name":"new-lock"}})");
  EXPECT_EQ(fresh.code, 201); // create-on-PUT for Leases
  EXPECT_EQ(http("PUT", ns_url("configmaps/none"), R"({"metadata":{"name":"none"}})").code, 404);
  auto mismatch = http("PUT", leases_url("/new-lock"), R"({"metadata":{"name":"other"}})");
  EXPECT_EQ(mismatch.code, 400);
}

TEST_F(SimHttp, PatchTypesAndStatusSubresource) {
  ASSERT_EQ(
      http(
          "POST", ns_url("services"),
          R"({"metadata":{"name":"web"},"spec":{"type":"LoadBalancer","ports":[{"port":80,"name":"http"}]}})")
          .code,
      201);
  auto st = http("PATCH", ns_url("services/web/status"),
                 R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.200"}]}}})",
                 "application/merge-patch+json");
  ASSERT_EQ(st.code, 200) << st.body;
  auto sv = st.json();
  EXPECT_EQ(sv.at("status").at("loadBalancer").at("ingress").at(0).at("ipMode"), "VIP");
  auto again = http("PATCH", ns_url("services/web/status"),
                    R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.200"}]}}})",
                    "application/merge-patch+json");
  EXPECT_EQ(rv_of(again), rv_of(st)); // no-op: same RV
  auto main = http("PATCH", ns_url("services/web"),
                   R"({"metadata":{"labels":{"a":"b"}},"status":{"loadBalancer":null}})",
                   "application/merge-patch+json");
  EXPECT_EQ(main.json().at("metadata").at("labels").at("a"), "b");
  EXPECT_TRUE(main.json().at("status").at("loadBalancer").as_object().contains("ingress"));
  auto smp = http(
      "PATCH", ns_url("services/web"),
      R"({"spec":{"$setElementOrder/ports":[{"port":80},{"port":443}],"ports":[{"port":443,"name":"https"}]}})",
      "application/strategic-merge-patch+json");
  ASSERT_EQ(smp.code, 200) << smp.body;
  EXPECT_EQ(smp.json().at("spec").at("ports").as_array().size(), 2u);
  auto jp = http("PATCH", ns_url("services/web"),
                 R"([{"op":"replace","path":"/spec/type","value":"NodePort"}])",
                 "application/json-patch+json");
  EXPECT_EQ(jp.code, 200);
  EXPECT_EQ(jp.json().at("spec").at("type"), "NodePort");
  auto failed = http("PATCH", ns_url("services/web"),
                     R"([{"op":"test","path":"/spec/type","value":"ClusterIP"}])",
                     "application/json-patch+json");
  EXPECT_EQ(failed.code, 422);
  EXPECT_EQ(http("PATCH", ns_url("services/web"), "{}", "application/apply-patch+yaml").code, 415);
  EXPECT_EQ(http("PATCH", ns_url("services/nope"), "{}", "application/merge-patch+json").code, 404);
  auto del = http("DELETE", ns_url("services/web"));
  EXPECT_EQ(del.code, 200);
  EXPECT_EQ(del.str("kind"), "Service"); // Services answer with the object
}

TEST_F(SimHttp, SelectorsAndPagination) {
  for (int i = 0; i < 4; ++i) {
    auto body = R"({"metadata":{"name":"s)" + std::to_string(i) +
                R"(","labels":{"kubernetes.io/service-name":")" + (i < 2 ? "web" : "db") +
                R"("}},"addressType":"IPv4","endpoints":null})";
    ASSERT_EQ(
        http("POST", f.url + "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", body)
            .code,
        201);
  }
  auto base = f.url + "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices";
  auto web = http("GET", base + "?labelSelector=kubernetes.io%2Fservice-name%3Dweb").json();
  EXPECT_EQ(web.at("items").as_array().size(), 2u);
  EXPECT_TRUE(web.at("items").at(0).at("endpoints").is_null()); // null stays null
  EXPECT_EQ(web.at("items").at(0).at("metadata").at("generation"), 1);
  auto by_name = http("GET", base + "?fieldSelector=metadata.name%3Ds3").json();
  EXPECT_EQ(by_name.at("items").as_array().size(), 1u);
  auto notin =
      http("GET", base + "?labelSelector=kubernetes.io%2Fservice-name%20notin%20(web)").json();
  EXPECT_EQ(notin.at("items").as_array().size(), 2u);
  EXPECT_EQ(http("GET", base + "?labelSelector=%3D%3Dbad").code, 400);
  auto unsupported = http("GET", base + "?fieldSelector=spec.foo%3Dx");
  EXPECT_EQ(unsupported.code, 400);
  EXPECT_EQ(unsupported.str("message"), "field label not supported: spec.foo");
  auto page = http("GET", base + "?limit=3").json();
  EXPECT_EQ(page.at("items").as_array().size(), 3u);
  auto token = std::string(page.at("metadata").at("continue").as_string());
  EXPECT_EQ(page.at("metadata").at("remainingItemCount"), 1);
  auto rest = http("GET", base + "?limit=3&continue=" + token).json();
  EXPECT_EQ(rest.at("items").as_array().size(), 1u);
  EXPECT_FALSE(rest.at("metadata").as_object().contains("continue"));
  auto bulk = http("DELETE", base + "?labelSelector=kubernetes.io%2Fservice-name%3Ddb");
  EXPECT_EQ(bulk.json().at("items").as_array().size(), 2u);
  EXPECT_EQ(http("GET", base).json().at("items").as_array().size(), 2u);
}

TEST_F(SimHttp, BadInputGetsStatusErrors) {
  auto bad_json = http("POST", ns_url("configmaps"), "{not json");
  EXPECT_EQ(bad_json.code, 400);
  EXPECT_EQ(bad_json.str("kind"), "Status");
  EXPECT_EQ(http("POST", ns_url("configmaps"), "[1,2]").code, 400);
  EXPECT_EQ(http("POST", ns_url("configmaps"), R"({"kind":"Secret","metadata":{"name":"x"}})").code,
            400);
  EXPECT_EQ(http("POST", ns_url("configmaps"), R"({"metadata":{"name":"x"}})",
                 "application/vnd.kubernetes.protobuf")
                .code,
            415);
  std::string deep(100, '[');
  EXPECT_EQ(http("POST", ns_url("configmaps"), deep).code, 400);
  std::string huge =
      R"({"metadata":{"name":"big"},"data":{"k":")" + std::string(4 << 20, 'x') + "\"}}";
  auto big = http("POST", ns_url("configmaps"), huge);
  EXPECT_EQ(big.code, 413);
  EXPECT_EQ(http("PUT", ns_url("configmaps"), "{}").code, 405);
  EXPECT_EQ(http("POST", f.url + "/api/v1/services", "{}").code, 405);
  auto svc = http("POST", ns_url("services"),
                  R"({"metadata":{"name":"p"},"spec":{"ports":[{"port":0}]}})");
  EXPECT_EQ(svc.code, 422);
  EXPECT_NE(svc.str("message").find("must be between 1 and 65535"), std::string::npos);
  EXPECT_EQ(http("GET", f.url + "/healthz").code, 200); // still alive
}

} // namespace
} // namespace kvip::sim::test
