// Table and PartialObjectMetadata(List) answers over real HTTP: the Accept
// header kubectl get sends, single gets, lists, includeObject, pages.
#include <gtest/gtest.h>

#include "sim_http_client.hpp"

namespace kvip::sim::test {
namespace {

namespace json = boost::json;

constexpr const char* kubectl_accept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
    "g=meta.k8s.io,application/json";

/// GET `url` with `Accept: accept`.
reply get_as(const std::string& url, const std::string& accept) {
  reply r;
  CURL* c = curl_easy_init();
  curl_slist* h = curl_slist_append(nullptr, ("Accept: " + accept).c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  if (auto rc = curl_easy_perform(c); rc != CURLE_OK) r.error = curl_easy_strerror(rc);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.code);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return r;
}

struct PrintHttp : ::testing::Test {
  server_fixture f;
  std::string svc_url(const std::string& rest = {}) {
    return f.url + "/api/v1/namespaces/default/services" + rest;
  }
  void SetUp() override {
    ASSERT_EQ(f.start_error, "");
    auto c = http("POST", svc_url(), R"({"metadata":{"name":"web"},"spec":{"type":"LoadBalancer",
      "selector":{"app":"web"},"ports":[{"port":80,"protocol":"TCP"}]}})");
    ASSERT_EQ(c.code, 201) << c.body;
    auto s = http("PATCH", svc_url("/web/status"),
                  R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.200"}]}}})",
                  "application/merge-patch+json");
    ASSERT_EQ(s.code, 200) << s.body;
  }
};

const json::array* row_of(const json::value& table, const std::string& name) {
  for (auto& r : table.at("rows").as_array())
    if (r.at("cells").as_array().at(0) == name.c_str()) return &r.at("cells").as_array();
  return nullptr;
}

TEST_F(PrintHttp, ServiceListAsTableShowsExternalIp) {
  auto r = get_as(svc_url("?limit=500"), kubectl_accept);
  ASSERT_EQ(r.code, 200) << r.body;
  EXPECT_NE(r.headers.find("Content-Type: application/json\r\n"), std::string::npos) << r.headers;
  auto t = r.json();
  EXPECT_EQ(t.at("kind"), "Table");
  EXPECT_EQ(t.at("apiVersion"), "meta.k8s.io/v1");
  EXPECT_FALSE(t.at("metadata").at("resourceVersion").as_string().empty());
  EXPECT_EQ(t.at("columnDefinitions").as_array().at(3).at("name"), "External-IP");
  auto* cells = row_of(t, "web");
  ASSERT_NE(cells, nullptr) << r.body;
  EXPECT_EQ(cells->at(1), "LoadBalancer");
  EXPECT_EQ(cells->at(3), "192.168.1.200");
  auto port = std::string(cells->at(4).as_string());
  EXPECT_EQ(port.rfind("80:", 0), 0u) << port; // a nodePort was allocated
  EXPECT_EQ(port.substr(port.size() - 4), "/TCP");
  auto& obj = t.at("rows").as_array().at(0).at("object");
  EXPECT_EQ(obj.at("kind"), "PartialObjectMetadata");
}

TEST_F(PrintHttp, SingleGetIncludeObjectAndPlainJson) {
  auto one = get_as(svc_url("/web?includeObject=Object"), kubectl_accept);
  ASSERT_EQ(one.code, 200) << one.body;
  auto t = one.json();
  ASSERT_EQ(t.at("rows").as_array().size(), 1u);
  auto& obj = t.at("rows").as_array().at(0).at("object");
  EXPECT_EQ(obj.at("kind"), "Service");
  EXPECT_EQ(obj.at("spec").at("type"), "LoadBalancer");
  auto none = get_as(svc_url("/web?includeObject=None"), kubectl_accept).json();
  EXPECT_TRUE(none.at("rows").as_array().at(0).at("object").is_null());
  auto bad = get_as(svc_url("/web?includeObject=All"), kubectl_accept);
  EXPECT_EQ(bad.code, 400);
  EXPECT_EQ(bad.str("reason"), "BadRequest");
  EXPECT_EQ(bad.str("message"), "unrecognized includeObject value: \"All\"");
  auto missing = get_as(svc_url("/nope"), kubectl_accept);
  EXPECT_EQ(missing.code, 404);
  EXPECT_EQ(missing.str("kind"), "Status");
  // No Table unless asked for.
  EXPECT_EQ(get_as(svc_url("/web"), "application/json").str("kind"), "Service");
  EXPECT_EQ(http("GET", svc_url()).str("kind"), "ServiceList");
}

TEST_F(PrintHttp, LeasesAndNodesColumns) {
  auto lease = http("POST", f.url + "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases",
                    R"({"metadata":{"name":"plndr-cp-lock"},"spec":{"holderIdentity":"node1"}})");
  ASSERT_EQ(lease.code, 201) << lease.body;
  auto lt =
      get_as(f.url + "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", kubectl_accept)
          .json();
  EXPECT_EQ(lt.at("columnDefinitions").as_array().at(1).at("name"), "Holder");
  auto* lc = row_of(lt, "plndr-cp-lock");
  ASSERT_NE(lc, nullptr);
  EXPECT_EQ(lc->at(1), "node1");
  auto node = http("POST", f.url + "/api/v1/nodes", R"({"metadata":{"name":"n1",
    "labels":{"node-role.kubernetes.io/control-plane":""}},
    "status":{"conditions":[{"type":"Ready","status":"True"}]}})");
  ASSERT_EQ(node.code, 201) << node.body;
  auto nt = get_as(f.url + "/api/v1/nodes", kubectl_accept).json();
  auto* nc = row_of(nt, "n1");
  ASSERT_NE(nc, nullptr);
  EXPECT_EQ(nc->at(2), "control-plane");
}

TEST_F(PrintHttp, PartialObjectMetadataAndPages) {
  auto pom =
      get_as(svc_url("/web"), "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1");
  ASSERT_EQ(pom.code, 200);
  EXPECT_EQ(pom.str("kind"), "PartialObjectMetadata");
  EXPECT_EQ(pom.json().at("metadata").at("name"), "web");
  EXPECT_FALSE(pom.json().as_object().contains("spec"));
  ASSERT_EQ(http("POST", svc_url(), R"({"metadata":{"name":"web2"},"spec":{
    "ports":[{"port":81}]}})")
                .code,
            201);
  auto accept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
  auto page = get_as(svc_url("?limit=1"), accept).json();
  EXPECT_EQ(page.at("kind"), "PartialObjectMetadataList");
  ASSERT_EQ(page.at("items").as_array().size(), 1u);
  EXPECT_EQ(page.at("items").as_array().at(0).at("kind"), "PartialObjectMetadata");
  auto token = std::string(page.at("metadata").at("continue").as_string());
  auto t2 = get_as(svc_url("?limit=1&continue=" + token), kubectl_accept).json();
  EXPECT_EQ(t2.at("kind"), "Table");
  ASSERT_EQ(t2.at("rows").as_array().size(), 1u);
  // A list asked for as a single PartialObjectMetadata falls back to the plain list.
  EXPECT_EQ(get_as(svc_url(), "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,"
                              "application/json")
                .str("kind"),
            "ServiceList");
}

TEST_F(PrintHttp, WatchSendsOneRowTablesHeadersFirst) {
  auto r = get_as(svc_url("?watch=true&resourceVersion=0&timeoutSeconds=1"), kubectl_accept);
  ASSERT_EQ(r.code, 200) << r.body;
  auto evs = events(r.body);
  ASSERT_EQ(evs.size(), 2u) << r.body; // kubernetes and web
  for (std::size_t i = 0; i < evs.size(); ++i) {
    EXPECT_EQ(evs[i].at("type"), "ADDED");
    auto& t = evs[i].at("object");
    EXPECT_EQ(t.at("kind"), "Table");
    ASSERT_EQ(t.at("rows").as_array().size(), 1u);
    EXPECT_EQ(t.at("columnDefinitions").is_array(), i == 0);
  }
  auto pom = get_as(svc_url("?watch=true&resourceVersion=0&timeoutSeconds=1"),
                    "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1");
  auto pevs = events(pom.body);
  ASSERT_FALSE(pevs.empty());
  EXPECT_EQ(pevs[0].at("object").at("kind"), "PartialObjectMetadata");
  EXPECT_FALSE(pevs[0].at("object").as_object().contains("spec"));
  auto bad = get_as(svc_url("?watch=true&includeObject=x"), kubectl_accept);
  EXPECT_EQ(bad.code, 400);
  // Without a Table Accept a watch sends the objects themselves.
  auto plain = http("GET", svc_url("?watch=true&resourceVersion=0&timeoutSeconds=1"));
  EXPECT_EQ(events(plain.body).at(0).at("object").at("kind"), "Service");
}

} // namespace
} // namespace kvip::sim::test
