// The status plan (k8s/status/plan): which write comes next and its exact
// body, as tables: first writes, no-ops when the Service already says so
// (also with the server's ipMode default), every difference that forces a
// rewrite, dual-stack, ports, removal of vipHost and of the ingress, and a
// recreated Service.
#include <gtest/gtest.h>

#include "k8s/object_view.hpp"
#include "k8s/status/plan.hpp"

using namespace kvip::k8s;
using namespace kvip::k8s::status;
namespace json = boost::json;

namespace {

json::object service(const std::string& status_json = "{}", const std::string& annotations = "{}") {
  auto text = R"({"apiVersion":"v1","kind":"Service",
    "metadata":{"name":"web","namespace":"shop","uid":"u-1","resourceVersion":"42",
                "labels":{"app":"web"},"annotations":)" +
              annotations + R"(},
    "spec":{"type":"LoadBalancer","ports":[{"name":"http","protocol":"TCP","port":80,
                                             "targetPort":8080,"nodePort":30080}]},
    "status":)" +
              status_json + "}";
  return json::parse(text).as_object();
}

wanted want(std::vector<std::string> ips = {"192.0.2.10"},
            std::vector<port_status> ports = {{"TCP", 80}}, std::string host = "n1") {
  return {"shop", "web", "u-1", std::move(ips), std::move(ports), std::move(host)};
}

json::value ingress_in(const json::object& svc) {
  const auto* v = jsonpath::find(svc, {"status", "loadBalancer", "ingress"});
  return v ? *v : json::value(nullptr);
}

/// The Service after applying every step (as a server that keeps what it gets).
json::object converge(const wanted& w, json::object svc, std::vector<step_kind>& kinds) {
  for (int i = 0; i < 4; ++i) {
    auto s = next_step(w, svc);
    kinds.push_back(s.kind);
    if (s.kind == step_kind::done || s.kind == step_kind::recreated) break;
    svc = s.body;
  }
  return svc;
}

} // namespace

TEST(StatusPlan, FirstWriteIsTheStatusThenTheAnnotationThenNothing) {
  auto w = want();
  auto s = next_step(w, service());
  ASSERT_EQ(s.kind, step_kind::put_status);
  EXPECT_EQ(s.what, "ingress 192.0.2.10 (TCP/80)");
  auto expected = json::parse(R"([{"ip":"192.0.2.10","ipMode":"VIP",
                                   "ports":[{"port":80,"protocol":"TCP"}]}])");
  EXPECT_EQ(ingress_in(s.body), expected);
  // The body is the Service as read: same resourceVersion (the CAS), spec and labels kept.
  object_view body{s.body};
  EXPECT_EQ(body.resource_version(), "42");
  EXPECT_EQ(body.uid(), "u-1");
  EXPECT_EQ(body.labels().at("app"), "web");
  EXPECT_EQ(*jsonpath::find(s.body, {"spec"}), *jsonpath::find(service(), {"spec"}));
  EXPECT_FALSE(body.annotation(vip_host_annotation)); // the status PUT changes only the status

  auto a = next_step(w, s.body);
  ASSERT_EQ(a.kind, step_kind::put_service);
  EXPECT_EQ(a.what, "vipHost n1");
  object_view annotated{a.body};
  EXPECT_EQ(annotated.annotation(vip_host_annotation), "n1");
  EXPECT_EQ(ingress_in(a.body), expected); // the status as read, untouched
  EXPECT_EQ(annotated.resource_version(), "42");

  EXPECT_EQ(next_step(w, a.body).kind, step_kind::done);
}

TEST(StatusPlan, NothingToWriteWhenTheServiceAlreadySaysSo) {
  struct row {
    const char* name;
    wanted w;
    std::string status, annotations;
  };
  std::vector<row> rows{
      {"ipMode defaulted by the server", want(),
       R"({"loadBalancer":{"ingress":[{"ip":"192.0.2.10","ipMode":"VIP",
            "ports":[{"port":80,"protocol":"TCP"}]}]}})",
       R"({"kube-vip.io/vipHost":"n1"})"},
      {"no ipMode (older server)", want(),
       R"({"loadBalancer":{"ingress":[{"ip":"192.0.2.10","ports":[{"port":80,"protocol":"TCP"}]}]}})",
       R"({"kube-vip.io/vipHost":"n1","other":"x"})"},
      {"empty protocol reads as TCP", want({"192.0.2.10"}, {{"", 80}}),
       R"({"loadBalancer":{"ingress":[{"ip":"192.0.2.10","ports":[{"port":80,"protocol":"TCP"}]}]}})",
       R"({"kube-vip.io/vipHost":"n1"})"},
      {"no ingress wanted, none there", want({}, {{"TCP", 80}}, ""), R"({"loadBalancer":{}})",
       "{}"},
      {"no ingress wanted, empty list, other status kept", want({}, {}, ""),
       R"({"loadBalancer":{"ingress":[]},"conditions":[{"type":"x"}]})", R"({"a":"b"})"},
      {"no ports wanted", want({"192.0.2.10"}, {}),
       R"({"loadBalancer":{"ingress":[{"ip":"192.0.2.10","ipMode":"VIP"}]}})",
       R"({"kube-vip.io/vipHost":"n1"})"},
      {"no uid in the request", wanted{"shop", "web", "", {}, {}, ""}, "{}", "{}"},
  };
  for (const auto& r : rows) {
    auto s = next_step(r.w, service(r.status, r.annotations));
    EXPECT_EQ(s.kind, step_kind::done) << r.name << ": " << s.what;
  }
}

TEST(StatusPlan, EveryDifferenceInTheIngressRewritesIt) {
  const std::string host = R"({"kube-vip.io/vipHost":"n1"})";
  std::vector<std::pair<const char*, std::string>> rows{
      {"none yet", R"({"loadBalancer":{}})"},
      {"another IP", R"({"loadBalancer":{"ingress":[{"ip":"192.0.2.11","ipMode":"VIP",
                        "ports":[{"port":80,"protocol":"TCP"}]}]}})"},
      {"an extra IP", R"({"loadBalancer":{"ingress":[{"ip":"192.0.2.10","ports":[{"port":80,
                        "protocol":"TCP"}]},{"ip":"192.0.2.11","ports":[{"port":80,"protocol":"TCP"}]}]}})"},
      {"no ports", R"({"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}})"},
      {"another protocol", R"({"loadBalancer":{"ingress":[{"ip":"192.0.2.10",
                             "ports":[{"port":80,"protocol":"UDP"}]}]}})"},
      {"a port error", R"({"loadBalancer":{"ingress":[{"ip":"192.0.2.10",
                         "ports":[{"port":80,"protocol":"TCP","error":"Pending"}]}]}})"},
      {"ipMode Proxy", R"({"loadBalancer":{"ingress":[{"ip":"192.0.2.10","ipMode":"Proxy",
                         "ports":[{"port":80,"protocol":"TCP"}]}]}})"},
      {"a hostname", R"({"loadBalancer":{"ingress":[{"ip":"192.0.2.10","hostname":"a.example",
                       "ports":[{"port":80,"protocol":"TCP"}]}]}})"},
      {"not a list", R"({"loadBalancer":{"ingress":"192.0.2.10"}})"},
  };
  for (const auto& [name, status] : rows) {
    auto s = next_step(want(), service(status, host));
    ASSERT_EQ(s.kind, step_kind::put_status) << name;
    EXPECT_EQ(ingress_in(s.body), json::value(ingress_of(want()))) << name;
    EXPECT_EQ(next_step(want(), s.body).kind, step_kind::done) << name;
  }
}

TEST(StatusPlan, DualStackGetsOneEntryPerIpEachWithEveryPort) {
  auto w = want({"192.0.2.10", "2001:db8::10"}, {{"TCP", 443}, {"UDP", 443}, {"SCTP", 9000}});
  auto s = next_step(w, service());
  ASSERT_EQ(s.kind, step_kind::put_status);
  EXPECT_EQ(s.what, "ingress 192.0.2.10, 2001:db8::10 (TCP/443, UDP/443, SCTP/9000)");
  auto ports = R"([{"port":443,"protocol":"TCP"},{"port":443,"protocol":"UDP"},
                   {"port":9000,"protocol":"SCTP"}])";
  auto expected =
      json::parse(std::string{R"([{"ip":"192.0.2.10","ipMode":"VIP","ports":)"} + ports +
                  R"(},{"ip":"2001:db8::10","ipMode":"VIP","ports":)" + ports + "}]");
  EXPECT_EQ(ingress_in(s.body), expected);
  // The order of the request is the order written: swapped families differ.
  auto swapped = want({"2001:db8::10", "192.0.2.10"}, w.ports);
  EXPECT_EQ(next_step(swapped, s.body).kind, step_kind::put_status);
}

TEST(StatusPlan, AnEmptyRequestClearsTheIngressAndRemovesVipHost) {
  auto svc = service(R"({"loadBalancer":{"ingress":[{"ip":"192.0.2.10","ipMode":"VIP"}]},
                         "conditions":[{"type":"Ready","status":"True"}]})",
                     R"({"kube-vip.io/vipHost":"n1","keep":"me"})");
  std::vector<step_kind> kinds;
  auto end = converge(want({}, {{"TCP", 80}}, ""), svc, kinds);
  EXPECT_EQ(kinds, (std::vector<step_kind>{step_kind::put_status, step_kind::put_service,
                                           step_kind::done}));
  EXPECT_EQ(*jsonpath::find(end, {"status"}),
            json::parse(R"({"loadBalancer":{},"conditions":[{"type":"Ready","status":"True"}]})"));
  object_view v{end};
  EXPECT_FALSE(v.annotation(vip_host_annotation));
  EXPECT_EQ(v.annotation("keep"), "me");
  EXPECT_EQ(next_step(want({}, {}, ""), end).what, "");
}

TEST(StatusPlan, OnlyTheAnnotationWhenTheStatusIsRight) {
  auto status = R"({"loadBalancer":{"ingress":[{"ip":"192.0.2.10","ipMode":"VIP",
                    "ports":[{"port":80,"protocol":"TCP"}]}]}})";
  struct row {
    std::string annotations, host;
    step_kind kind;
    std::string what;
  };
  std::vector<row> rows{
      {"{}", "n1", step_kind::put_service, "vipHost n1"},
      {R"({"kube-vip.io/vipHost":"n2"})", "n1", step_kind::put_service, "vipHost n1"},
      {R"({"kube-vip.io/vipHost":""})", "n1", step_kind::put_service, "vipHost n1"},
      {R"({"kube-vip.io/vipHost":"n2"})", "", step_kind::put_service, "vipHost removed"},
      {R"({"kube-vip.io/vipHost":""})", "", step_kind::put_service, "vipHost removed"},
      {"{}", "", step_kind::done, ""},
  };
  for (const auto& r : rows) {
    auto s = next_step(want({"192.0.2.10"}, {{"TCP", 80}}, r.host), service(status, r.annotations));
    EXPECT_EQ(s.kind, r.kind) << r.annotations << " -> " << r.host;
    EXPECT_EQ(s.what, r.what);
    if (s.kind != step_kind::put_service) continue;
    auto got = object_view{s.body}.annotation(vip_host_annotation);
    EXPECT_EQ(got.value_or("<absent>"), r.host.empty() ? "<absent>" : r.host);
    EXPECT_EQ(*jsonpath::find(s.body, {"status"}), json::parse(status));
  }
}

TEST(StatusPlan, ARecreatedServiceIsNotWritten) {
  auto w = want();
  w.uid = "u-0"; // the request was made for the Service before it was deleted and created again
  auto s = next_step(w, service());
  EXPECT_EQ(s.kind, step_kind::recreated);
  EXPECT_EQ(s.what, "uid u-1 is not the requested u-0");
  EXPECT_TRUE(s.body.empty());
}

TEST(StatusPlan, DescribesTheIngress) {
  EXPECT_EQ(describe_ingress(want({}, {{"TCP", 80}})), "none");
  EXPECT_EQ(describe_ingress(want({"192.0.2.1"}, {})), "192.0.2.1");
  EXPECT_EQ(describe_ingress(want({"192.0.2.1"}, {{"", 53}, {"UDP", 53}})),
            "192.0.2.1 (TCP/53, UDP/53)");
  EXPECT_STREQ(to_string(step_kind::put_status), "put_status");
}
