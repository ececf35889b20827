// Verbs and object lifecycle over real HTTP: deletecollection only where
// kube-apiserver serves it, a deleted Namespace goes Terminating and refuses new
// content, no new finalizers on an object being deleted, status reset on create.
#include <gtest/gtest.h>

#include "sim_http_client.hpp"

namespace kvip::sim::test {
namespace {

namespace json = boost::json;

struct Lifecycle : ::testing::Test {
  server_fixture f;
  std::string ns_url(const std::string& ns, const std::string& rest) {
    return f.url + "/api/v1/namespaces/" + ns + "/" + rest;
  }
  void SetUp() override { ASSERT_EQ(f.start_error, ""); }
};

json::array verbs_of(const json::value& list, const std::string& name) {
  for (auto& r : list.at("resources").as_array())
    if (r.at("name") == name.c_str()) return r.at("verbs").as_array();
  return {};
}

bool has(const json::array& a, const char* s) {
  for (auto& v : a)
    if (v == s) return true;
  return false;
}

TEST_F(Lifecycle, DeleteCollectionOnlyWhereServed) {
  for (const auto& url : {ns_url("default", "services"), f.url + "/api/v1/namespaces"}) {
    auto r = http("DELETE", url);
    EXPECT_EQ(r.code, 405) << url;
    EXPECT_EQ(r.str("reason"), "MethodNotAllowed");
    EXPECT_EQ(r.str("message"), "the server does not allow this method on the requested resource");
  }
  EXPECT_EQ(http("GET", ns_url("default", "services/kubernetes")).code, 200); // nothing deleted
  ASSERT_EQ(http("POST", ns_url("default", "configmaps"), R"({"metadata":{"name":"c"}})").code,
            201);
  auto bulk = http("DELETE", ns_url("default", "configmaps"));
  EXPECT_EQ(bulk.code, 200);
  EXPECT_EQ(bulk.str("kind"), "ConfigMapList");
  EXPECT_EQ(http("GET", ns_url("default", "configmaps/c")).code, 404);

  auto v1 = http("GET", f.url + "/api/v1").json();
  EXPECT_FALSE(has(verbs_of(v1, "services"), "deletecollection"));
  EXPECT_FALSE(has(verbs_of(v1, "namespaces"), "deletecollection"));
  EXPECT_TRUE(has(verbs_of(v1, "services"), "delete"));
  EXPECT_TRUE(has(verbs_of(v1, "configmaps"), "deletecollection"));
  auto leases = http("GET", f.url + "/apis/coordination.k8s.io/v1").json();
  EXPECT_TRUE(has(verbs_of(leases, "leases"), "deletecollection"));
  // Aggregated discovery says the same.
  CURL* c = curl_easy_init();
  std::string body;
  curl_slist* h = curl_slist_append(
      nullptr, "Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  curl_easy_setopt(c, CURLOPT_URL, (f.url + "/api").c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  ASSERT_EQ(curl_easy_perform(c), CURLE_OK);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  auto agg = json::parse(body);
  int checked = 0;
  for (auto& g : agg.at("items").as_array())
    for (auto& v : g.at("versions").as_array())
      for (auto& r : v.at("resources").as_array()) {
        if (r.at("resource") == "services" || r.at("resource") == "namespaces") {
          EXPECT_FALSE(has(r.at("verbs").as_array(), "deletecollection"));
          ++checked;
        }
        if (r.at("resource") == "configmaps") {
          EXPECT_TRUE(has(r.at("verbs").as_array(), "deletecollection"));
          ++checked;
        }
      }
  EXPECT_EQ(checked, 3);
}

TEST_F(Lifecycle, DeletedNamespaceIsTerminatingUntilEmpty) {
  ASSERT_EQ(http("POST", f.url + "/api/v1/namespaces", R"({"metadata":{"name":"team"}})").code,
            201);
  ASSERT_EQ(http("POST", ns_url("team", "configmaps"), R"({"metadata":{"name":"plain"}})").code,
            201);
  ASSERT_EQ(http("POST", ns_url("team", "configmaps"),
                 R"({"metadata":{"name":"held","finalizers":["example.com/hold"]}})")
                .code,
            201);
  auto del = http("DELETE", f.url + "/api/v1/namespaces/team");
  ASSERT_EQ(del.code, 200) << del.body;
  auto ns = del.json();
  EXPECT_EQ(ns.at("kind"), "Namespace");
  EXPECT_EQ(ns.at("status").at("phase"), "Terminating");
  EXPECT_TRUE(ns.at("metadata").as_object().contains("deletionTimestamp"));
  EXPECT_EQ(ns.at("spec").at("finalizers"), (json::array{"kubernetes"}));
  EXPECT_EQ(http("GET", ns_url("team", "configmaps/plain")).code, 404);
  auto held = http("GET", ns_url("team", "configmaps/held")).json();
  EXPECT_TRUE(held.at("metadata").as_object().contains("deletionTimestamp"));
  auto now = http("GET", f.url + "/api/v1/namespaces/team");
  EXPECT_EQ(now.json().at("status").at("phase"), "Terminating");

  auto refused = http("POST", ns_url("team", "configmaps"), R"({"metadata":{"name":"new"}})");
  EXPECT_EQ(refused.code, 403);
  EXPECT_EQ(refused.str("reason"), "Forbidden");
  EXPECT_EQ(refused.str("message"),
            "configmaps \"new\" is forbidden: unable to create new content in namespace team "
            "because it is being terminated");
  auto cause = refused.json().at("details").at("causes").as_array().at(0);
  EXPECT_EQ(cause.at("reason"), "NamespaceTerminating");
  EXPECT_EQ(cause.at("field"), "metadata.namespace");
  auto lease = http("POST", f.url + "/apis/coordination.k8s.io/v1/namespaces/team/leases",
                    R"({"metadata":{"generateName":"l-"}})");
  EXPECT_EQ(lease.str("message"), "leases.coordination.k8s.io is forbidden: unable to create "
                                  "new content in namespace team because it is being terminated");
  // A PUT that would create (Leases allow it) is a create too; updates still pass.
  auto put = http("PUT", f.url + "/apis/coordination.k8s.io/v1/namespaces/team/leases/l",
                  R"({"metadata":{"name":"l"},"spec":{}})");
  EXPECT_EQ(put.code, 403);
  auto touch = http("PATCH", ns_url("team", "configmaps/held"),
                    R"({"metadata":{"labels":{"a":"b"}}})", "application/merge-patch+json");
  EXPECT_EQ(touch.code, 200);
  // Deleting it again changes nothing; releasing the last finalizer lets the namespace go.
  EXPECT_EQ(http("DELETE", f.url + "/api/v1/namespaces/team").code, 200);
  auto release = http("PATCH", ns_url("team", "configmaps/held"),
                      R"({"metadata":{"finalizers":null}})", "application/merge-patch+json");
  EXPECT_EQ(release.code, 200) << release.body;
  EXPECT_EQ(http("GET", ns_url("team", "configmaps/held")).code, 404);
  EXPECT_EQ(http("GET", f.url + "/api/v1/namespaces/team").code, 404);
  // An empty namespace goes at once.
  ASSERT_EQ(http("POST", f.url + "/api/v1/namespaces", R"({"metadata":{"name":"empty"}})").code,
            201);
  EXPECT_EQ(http("DELETE", f.url + "/api/v1/namespaces/empty").json().at("status").at("phase"),
            "Terminating");
  EXPECT_EQ(http("GET", f.url + "/api/v1/namespaces/empty").code, 404);
}

TEST_F(Lifecycle, NoNewFinalizersWhileDeleting) {
  auto url = ns_url("default", "configmaps/c");
  ASSERT_EQ(http("POST", ns_url("default", "configmaps"),
                 R"({"metadata":{"name":"c","finalizers":["a"]}})")
                .code,
            201);
  // Before deletion finalizers may be added freely.
  ASSERT_EQ(
      http("PATCH", url, R"({"metadata":{"finalizers":["a","z"]}})", "application/merge-patch+json")
          .code,
      200);
  ASSERT_EQ(http("DELETE", url).code, 200);
  auto r = http("PATCH", url, R"({"metadata":{"finalizers":["a","z","c","b"]}})",
                "application/merge-patch+json");
  EXPECT_EQ(r.code, 422);
  EXPECT_EQ(r.str("reason"), "Invalid");
  EXPECT_EQ(r.str("message"),
            "ConfigMap \"c\" is invalid: metadata.finalizers: Forbidden: no new finalizers can be "
            "added if the object is being deleted, found new finalizers []string{\"b\", \"c\"}");
  auto cause = r.json().at("details").at("causes").as_array().at(0);
  EXPECT_EQ(cause.at("reason"), "FieldValueForbidden");
  EXPECT_EQ(cause.at("field"), "metadata.finalizers");
  EXPECT_EQ(http("GET", url).json().at("metadata").at("finalizers"), (json::array{"a", "z"}));
  // Removing them is fine, and the object goes with the last one.
  EXPECT_EQ(
      http("PATCH", url, R"({"metadata":{"finalizers":["z"]}})", "application/merge-patch+json")
          .code,
      200);
  EXPECT_EQ(
      http("PATCH", url, R"({"metadata":{"finalizers":[]}})", "application/merge-patch+json").code,
      200);
  EXPECT_EQ(http("GET", url).code, 404);
}

TEST_F(Lifecycle, ClientStatusIsResetOnCreate) {
  auto ns = http("POST", f.url + "/api/v1/namespaces",
                 R"({"metadata":{"name":"x"},"status":{"phase":"Terminating"}})");
  ASSERT_EQ(ns.code, 201) << ns.body;
  EXPECT_EQ(ns.json().at("status"), (json::object{{"phase", "Active"}}));
  auto ns2 = http("POST", f.url + "/api/v1/namespaces",
                  R"({"metadata":{"name":"y"},"spec":{"finalizers":["example.com/x"]}})");
  EXPECT_EQ(ns2.json().at("spec").at("finalizers"), (json::array{"example.com/x", "kubernetes"}));
  auto svc = http("POST", ns_url("default", "services"), R"({"metadata":{"name":"web"},
    "spec":{"type":"LoadBalancer","ports":[{"port":80}]},
    "status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.200"}]}}})");
  ASSERT_EQ(svc.code, 201) << svc.body;
  EXPECT_EQ(svc.json().at("status"), (json::object{{"loadBalancer", json::object{}}}));
  auto pod = http("POST", ns_url("default", "pods"), R"({"metadata":{"name":"p"},
    "spec":{"containers":[{"name":"c","image":"busybox"}]},"status":{"phase":"Running"}})");
  ASSERT_EQ(pod.code, 201) << pod.body;
  EXPECT_EQ(pod.json().at("status").at("phase"), "Pending");
}

} // namespace
} // namespace kvip::sim::test
