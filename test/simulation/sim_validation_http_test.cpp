// Validation over real HTTP: a refused write is a 422 Status with every cause,
// and it stores nothing (no new object, no changed object, no RV bump).
#include <gtest/gtest.h>

#include "sim_http_client.hpp"

namespace kvip::sim::test {
namespace {

namespace json = boost::json;

struct SimValidation : ::testing::Test {
  server_fixture f;
  void SetUp() override { ASSERT_EQ(f.start_error, ""); }
  std::string ns_url(const std::string& rest) {
    return f.url + "/api/v1/namespaces/default/" + rest;
  }
  std::string slices_url(const std::string& rest = {}) {
    return f.url + "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices" + rest;
  }
  /// The fields of the causes of a 422 (fails the test for anything else).
  static std::vector<std::string> fields_of(const reply& r) {
    std::vector<std::string> out;
    EXPECT_EQ(r.code, 422) << r.body;
    auto v = r.json();
    if (!v.is_object()) return out;
    EXPECT_EQ(v.at("kind"), "Status");
    EXPECT_EQ(v.at("reason"), "Invalid");
    EXPECT_EQ(v.at("code"), 422);
    for (const auto& c : v.at("details").at("causes").as_array()) {
      EXPECT_TRUE(c.as_object().contains("reason"));
      EXPECT_TRUE(c.as_object().contains("message"));
      out.emplace_back(c.at("field").as_string());
    }
    return out;
  }
};

using list = std::vector<std::string>;

TEST_F(SimValidation, RefusedCreateStoresNothing) {
  auto before = http("GET", ns_url("services")).json().at("metadata").at("resourceVersion");
  auto r = http("POST", ns_url("services"),
                R"({"metadata":{"name":"web","labels":{"-x":"y"}},"spec":{"type":"LoadBalancer",
                    "loadBalancerIP":"192.168.1.300","ports":[{"port":80},{"port":443}]}})");
  EXPECT_EQ(fields_of(r), (list{"metadata.labels", "spec.ports[0].name", "spec.ports[1].name",
                                "spec.loadBalancerIP"}));
  auto v = r.json();
  EXPECT_EQ(v.at("details").at("kind"), "Service");
  EXPECT_EQ(v.at("details").at("name"), "web");
  EXPECT_EQ(v.at("message").as_string().find("Service \"web\" is invalid: [metadata.labels: "
                                             "Invalid value: \"-x\": "),
            0u);
  EXPECT_EQ(http("GET", ns_url("services/web")).code, 404);
  auto after = http("GET", ns_url("services")).json().at("metadata").at("resourceVersion");
  EXPECT_EQ(before, after);
  // Names: DNS-1035 for Services, DNS-1123 label for Namespaces.
  auto digit = http("POST", ns_url("services"),
                    R"({"metadata":{"name":"1web"},"spec":{"ports":[{"port":80}]}})");
  EXPECT_EQ(fields_of(digit), list{"metadata.name"});
  EXPECT_NE(digit.body.find("DNS-1035"), std::string::npos);
  auto dotted = http("POST", f.url + "/api/v1/namespaces", R"({"metadata":{"name":"a.b"}})");
  EXPECT_EQ(fields_of(dotted), list{"metadata.name"});
  EXPECT_EQ(http("POST", ns_url("configmaps"), R"({"metadata":{"name":"a.b"}})").code, 201);
  EXPECT_EQ(fields_of(http("POST", ns_url("configmaps"),
                           R"({"metadata":{"name":"keys"},"data":{"a b":"1"}})")),
            list{"data[a b]"});
  EXPECT_EQ(http("GET", ns_url("configmaps/keys")).code, 404);
}

TEST_F(SimValidation, ClusterIPAndNodePorts) {
  auto a = http(
      "POST", ns_url("services"),
      R"({"metadata":{"name":"a"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30080}]}})");
  ASSERT_EQ(a.code, 201) << a.body;
  auto ip = std::string(a.json().at("spec").at("clusterIP").as_string());
  auto rv = std::string(a.json().at("metadata").at("resourceVersion").as_string());
  auto same_port = http(
      "POST", ns_url("services"),
      R"({"metadata":{"name":"b"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30080}]}})");
  EXPECT_EQ(fields_of(same_port), list{"spec.ports[0].nodePort"});
  EXPECT_NE(same_port.body.find("provided port is already allocated"), std::string::npos);
  auto out_of_range = http(
      "POST", ns_url("services"),
      R"({"metadata":{"name":"b"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":8080}]}})");
  EXPECT_EQ(fields_of(out_of_range), list{"spec.ports[0].nodePort"});
  auto same_ip = http("POST", ns_url("services"),
                      R"({"metadata":{"name":"b"},"spec":{"clusterIP":")" + ip +
                          R"(","ports":[{"port":80}]}})");
  EXPECT_EQ(fields_of(same_ip), list{"spec.clusterIPs"});
  // The allocator never hands out what another Service holds.
  auto b = http("POST", ns_url("services"),
                R"({"metadata":{"name":"b"},"spec":{"type":"NodePort","ports":[{"port":80}]}})");
  ASSERT_EQ(b.code, 201) << b.body;
  EXPECT_NE(b.json().at("spec").at("ports").at(0).at("nodePort"), 30080);
  EXPECT_NE(b.json().at("spec").at("clusterIP"), json::value(ip));
  // clusterIP is immutable: a merge patch or a PUT that changes it is refused, nothing stored.
  auto patched = http("PATCH", ns_url("services/a"), R"({"spec":{"clusterIP":"10.96.9.9"}})",
                      "application/merge-patch+json");
  EXPECT_EQ(fields_of(patched), list{"spec.clusterIPs[0]"});
  EXPECT_NE(patched.body.find("may not change once set"), std::string::npos);
  auto body = a.json().as_object();
  body["spec"].as_object()["clusterIP"] = "10.96.9.9";
  body["spec"].as_object()["clusterIPs"] = json::array{"10.96.9.9"};
  EXPECT_EQ(fields_of(http("PUT", ns_url("services/a"), json::serialize(body))),
            list{"spec.clusterIPs[0]"});
  auto now = http("GET", ns_url("services/a")).json();
  EXPECT_EQ(now.at("spec").at("clusterIP"), json::value(ip));
  EXPECT_EQ(now.at("metadata").at("resourceVersion"), json::value(rv));
}

TEST_F(SimValidation, TypeChangeToClusterIPDropsNodePortFields) {
  auto lb = http(
      "POST", ns_url("services"),
      R"({"metadata":{"name":"web"},"spec":{"type":"LoadBalancer","externalTrafficPolicy":"Local","ports":[{"name":"http","port":80}]}})");
  ASSERT_EQ(lb.code, 201) << lb.body;
  auto freed = lb.json().at("spec").at("ports").at(0).at("nodePort").as_int64();
  auto r = http("PATCH", ns_url("services/web"), R"({"spec":{"type":"ClusterIP"}})",
                "application/merge-patch+json");
  ASSERT_EQ(r.code, 200) << r.body;
  auto changed = r.json();
  const auto& spec = changed.at("spec").as_object();
  for (const char* gone :
       {"allocateLoadBalancerNodePorts", "externalTrafficPolicy", "healthCheckNodePort"})
    EXPECT_FALSE(spec.contains(gone)) << gone;
  EXPECT_FALSE(spec.at("ports").at(0).as_object().contains("nodePort"));
  // The freed node port can be taken by another Service now.
  auto other = http(
      "POST", ns_url("services"),
      R"({"metadata":{"name":"other"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":)" +
          std::to_string(freed) + "}]}}");
  EXPECT_EQ(other.code, 201) << other.body;
}

TEST_F(SimValidation, StatusIngressMustBeAddresses) {
  ASSERT_EQ(
      http("POST", ns_url("services"),
           R"({"metadata":{"name":"web"},"spec":{"type":"LoadBalancer","ports":[{"port":80}]}})")
          .code,
      201);
  auto bad = http("PATCH", ns_url("services/web/status"),
                  R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.2000"}]}}})",
                  "application/merge-patch+json");
  EXPECT_EQ(fields_of(bad), list{"status.loadBalancer.ingress[0].ip"});
  auto now = http("GET", ns_url("services/web")).json();
  EXPECT_FALSE(now.at("status").at("loadBalancer").as_object().contains("ingress"));
  EXPECT_EQ(http("PATCH", ns_url("services/web/status"),
                 R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.200"}]}}})",
                 "application/merge-patch+json")
                .code,
            200);
}

TEST_F(SimValidation, EndpointSliceAndNode) {
  auto es = http(
      "POST", slices_url(),
      R"({"metadata":{"name":"web-1"},"addressType":"IPv4","endpoints":[{"addresses":["10.244.1.5"]}]})");
  ASSERT_EQ(es.code, 201) << es.body;
  auto change = http("PATCH", slices_url("/web-1"), R"({"addressType":"IPv6"})",
                     "application/merge-patch+json");
  EXPECT_EQ(fields_of(change), (list{"addressType", "endpoints[0].addresses[0]"}));
  auto v6 = http(
      "POST", slices_url(),
      R"({"metadata":{"name":"web-2"},"addressType":"IPv6","endpoints":[{"addresses":["10.244.1.5"]}]})");
  EXPECT_EQ(fields_of(v6), list{"endpoints[0].addresses[0]"});
  auto unnamed =
      http("POST", slices_url(),
           R"({"metadata":{"name":"web-3"},"addressType":"IPv4","ports":[{"port":80}]})");
  ASSERT_EQ(unnamed.code, 201) << unnamed.body; // defaulted: name "", protocol TCP
  EXPECT_EQ(unnamed.json().at("ports").at(0),
            json::parse(R"({"port":80,"protocol":"TCP","name":""})"));
  auto two_unnamed = http(
      "POST", slices_url(),
      R"({"metadata":{"name":"web-4"},"addressType":"IPv4","ports":[{"port":80},{"port":81}]})");
  EXPECT_EQ(fields_of(two_unnamed), list{"ports[1].name"});
  auto v6_details = v6.json().at("details").as_object();
  EXPECT_EQ(v6_details.at("group"), "discovery.k8s.io");
  EXPECT_EQ(v6_details.at("kind"), "EndpointSlice");

  auto node = http(
      "POST", f.url + "/api/v1/nodes",
      R"({"metadata":{"name":"n1"},"spec":{"podCIDR":"10.244.1.0/24","podCIDRs":["10.244.1.0/24"]}})");
  ASSERT_EQ(node.code, 201) << node.body;
  auto moved = http("PATCH", f.url + "/api/v1/nodes/n1",
                    R"({"spec":{"podCIDR":"10.244.2.0/24","podCIDRs":["10.244.2.0/24"]}})",
                    "application/merge-patch+json");
  EXPECT_EQ(fields_of(moved), list{"spec.podCIDRs"});
  EXPECT_EQ(moved.json().at("details").at("causes").at(0).at("reason"), "FieldValueForbidden");
  EXPECT_EQ(http("PATCH", f.url + "/api/v1/nodes/n1", R"({"metadata":{"labels":{"a":"b"}}})",
                 "application/merge-patch+json")
                .code,
            200);
}

TEST_F(SimValidation, EventNamespaceMustMatchItsObject) {
  auto ev = http(
      "POST", f.url + "/api/v1/namespaces/kube-system/events",
      R"({"metadata":{"name":"web.1"},"type":"Normal","reason":"X","involvedObject":{"kind":"Service","namespace":"default","name":"web"}})");
  EXPECT_EQ(fields_of(ev), list{"involvedObject.namespace"});
  EXPECT_NE(ev.body.find("does not match event.namespace"), std::string::npos);
  EXPECT_EQ(
      http(
          "POST", ns_url("events"),
          R"({"metadata":{"name":"web.2"},"type":"Warning","reason":"X","involvedObject":{"kind":"Service","namespace":"default","name":"web"}})")
          .code,
      201);
}

} // namespace
} // namespace kvip::sim::test
