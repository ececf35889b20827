// Field validation of stored objects (pure): metadata, ConfigMap/Secret keys,
// EndpointSlice, Node, Event, Lease; the 422 it builds.
#include <gtest/gtest.h>

#include "simulation/validation.hpp"

namespace kvip::sim {
namespace {

namespace json = boost::json;

const resource_info& R(const char* group, const char* plural) {
  return *find_resource(group, "v1", plural);
}

json::object parse(const std::string& text) {
  return json::parse(text).as_object();
}

/// "field reason" for every cause of validating `obj` (replacing `old` when not empty).
std::vector<std::string> causes(const resource_info& res, const std::string& obj,
                                const std::string& old = {}) {
  auto o = parse(obj);
  json::object before = old.empty() ? json::object{} : parse(old);
  auto e = validate_object(res, old.empty() ? nullptr : &before, o);
  std::vector<std::string> out;
  if (!e) return out;
  EXPECT_EQ(e->code, 422);
  EXPECT_EQ(e->reason, "Invalid");
  for (const auto& c : e->details.at("causes").as_array())
    out.push_back(std::string(c.at("field").as_string()) + " " +
                  std::string(c.at("reason").as_string()));
  return out;
}

using list = std::vector<std::string>;

struct row {
  const char* obj;
  list want;
};

TEST(Validation, LabelsAndAnnotations) {
  const row rows[] = {
      {R"({"metadata":{"name":"a","labels":{"app":"web","example.com/x_y.z":"","k":"v-1.2_3"}}})",
       {}},
      {R"({"metadata":{"name":"a","labels":{"-app":"web"}}})",
       {"metadata.labels FieldValueInvalid"}},
      {R"({"metadata":{"name":"a","labels":{"a/b/c":"x"}}})",
       {"metadata.labels FieldValueInvalid"}},
      {R"({"metadata":{"name":"a","labels":{"Example.com/x":"x"}}})",
       {"metadata.labels FieldValueInvalid"}},
      {R"({"metadata":{"name":"a","labels":{"app":"-web"}}})",
       {"metadata.labels FieldValueInvalid"}},
      {R"({"metadata":{"name":"a","labels":{"app":"a b","bad key":"ok"}}})",
       {"metadata.labels FieldValueInvalid", "metadata.labels FieldValueInvalid"}},
      {R"({"metadata":{"name":"a","annotations":{"kube-vip.io/vipHost":"node1","Example.COM/X":"any text / at all"}}})",
       {}},
      {R"({"metadata":{"name":"a","annotations":{"not valid":"x"}}})",
       {"metadata.annotations FieldValueInvalid"}},
  };
  for (const auto& r : rows)
    EXPECT_EQ(causes(R("", "configmaps"), r.obj), r.want) << r.obj;
  auto label64 = R"({"metadata":{"name":"a","labels":{"k":")" + std::string(64, 'v') + "\"}}}";
  EXPECT_EQ(causes(R("", "configmaps"), label64), list{"metadata.labels FieldValueInvalid"});
  auto key64 = R"({"metadata":{"name":"a","labels":{")" + std::string(64, 'k') + "\":\"v\"}}}";
  EXPECT_EQ(causes(R("", "configmaps"), key64), list{"metadata.labels FieldValueInvalid"});
  auto big = R"({"metadata":{"name":"a","annotations":{"a":")" + std::string(200 * 1024, 'x') +
             R"(","b":")" + std::string(60 * 1024, 'x') + "\"}}}";
  EXPECT_EQ(causes(R("", "configmaps"), big), list{"metadata.annotations FieldValueTooLong"});
  auto just = R"({"metadata":{"name":"a","annotations":{"a":")" + std::string(256 * 1024 - 1, 'x') +
              "\"}}}";
  EXPECT_EQ(causes(R("", "configmaps"), just), list{});
}

TEST(Validation, MessageShapeOfOneAndSeveralCauses) {
  auto one = parse(R"({"metadata":{"name":"a","labels":{"app":"-web"}}})");
  auto e = validate_object(R("", "configmaps"), nullptr, one);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "ConfigMap \"a\" is invalid: metadata.labels: Invalid value: \"-web\": a "
                        "valid label must be an empty string or consist of alphanumeric "
                        "characters, '-', '_' or '.', and must start and end with an "
                        "alphanumeric character");
  EXPECT_EQ(e->details.at("kind"), "ConfigMap");
  EXPECT_EQ(e->details.at("name"), "a");
  EXPECT_FALSE(e->details.contains("group"));
  auto two = parse(R"({"metadata":{"name":"a"},"data":{"a b":"x","..c":"y"}})");
  e = validate_object(R("", "configmaps"), nullptr, two);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message.rfind("ConfigMap \"a\" is invalid: [data[a b]: Invalid value: \"a b\": a "
                             "valid config key must consist of alphanumeric characters",
                             0),
            0u)
      << e->message;
  EXPECT_NE(e->message.find(", data[..c]: Invalid value: \"..c\": must not start with '..']"),
            std::string::npos)
      << e->message;
  EXPECT_EQ(e->details.at("causes").as_array().size(), 2u);
  EXPECT_EQ(e->message.back(), ']');
  auto lease = parse(R"({"metadata":{"name":"l"},"spec":{"leaseDurationSeconds":0}})");
  e = validate_object(R("coordination.k8s.io", "leases"), nullptr, lease);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->details.at("group"), "coordination.k8s.io");
  EXPECT_EQ(e->message, "Lease.coordination.k8s.io \"l\" is invalid: spec.leaseDurationSeconds: "
                        "Invalid value: 0: must be greater than 0");
  EXPECT_EQ(e->details.at("kind"), "Lease");
}

TEST(Validation, ConfigMapAndSecretKeys) {
  const row rows[] = {
      {R"({"metadata":{"name":"a"},"data":{"key.name":"1","KEY_NAME":"2","key-name":"3"}})", {}},
      {R"({"metadata":{"name":"a"},"data":{"a/b":"1"}})", {"data[a/b] FieldValueInvalid"}},
      {R"({"metadata":{"name":"a"},"data":{".":"1"}})", {"data[.] FieldValueInvalid"}},
      {R"({"metadata":{"name":"a"},"data":{"..":"1"}})", {"data[..] FieldValueInvalid"}},
      {R"({"metadata":{"name":"a"},"data":{"":"1"}})", {"data[] FieldValueInvalid"}},
      {R"({"metadata":{"name":"a"},"binaryData":{"x y":"AA=="}})",
       {"binaryData[x y] FieldValueInvalid"}},
      {R"({"metadata":{"name":"a"},"data":{"k":"1"},"binaryData":{"k":"AA=="}})",
       {"data[k] FieldValueInvalid"}},
  };
  for (const auto& r : rows)
    EXPECT_EQ(causes(R("", "configmaps"), r.obj), r.want) << r.obj;
  auto long_key = R"({"metadata":{"name":"a"},"data":{")" + std::string(254, 'k') + "\":\"v\"}}";
  EXPECT_EQ(causes(R("", "configmaps"), long_key),
            list{"data[" + std::string(254, 'k') + "] FieldValueInvalid"});
  EXPECT_EQ(causes(R("", "secrets"), R"({"metadata":{"name":"s"},"data":{"pass word":"eA=="}})"),
            list{"data[pass word] FieldValueInvalid"});
  // 1 MiB in all: a ConfigMap's values as they are, base64 values decoded.
  auto sized = [](const char* bag, std::size_t n) {
    return R"({"metadata":{"name":"a"},")" + std::string(bag) + R"(":{"a":")" +
           std::string(n, 'x') + R"(","b":"x"}})";
  };
  EXPECT_EQ(causes(R("", "configmaps"), sized("data", 1024 * 1024 - 1)), list{});
  EXPECT_EQ(causes(R("", "configmaps"), sized("data", 1024 * 1024)), list{"[] FieldValueTooLong"});
  EXPECT_EQ(causes(R("", "secrets"), sized("data", 1024 * 1024)), list{}); // base64: 3/4 of it
  EXPECT_EQ(causes(R("", "secrets"), sized("data", 1500 * 1024)), list{"data FieldValueTooLong"});
  auto big = json::object{{"metadata", json::object{{"name", "a"}}},
                          {"data", json::object{{"k", std::string(1024 * 1024 + 1, 'x')}}}};
  auto e = validate_object(R("", "configmaps"), nullptr, big);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message,
            "ConfigMap \"a\" is invalid: []: Too long: must have at most 1048576 bytes");
}

TEST(Validation, EndpointSlice) {
  auto& es = R("discovery.k8s.io", "endpointslices");
  const row rows[] = {
      {R"({"metadata":{"name":"e"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"]}]})",
       {}},
      {R"({"metadata":{"name":"e"},"addressType":"IPv6","endpoints":[{"addresses":["fd00::1"]}]})",
       {}},
      {R"({"metadata":{"name":"e"},"addressType":"FQDN","endpoints":[{"addresses":["db.example.com"]}]})",
       {}},
      {R"({"metadata":{"name":"e"},"addressType":"IPv4","endpoints":null})", {}},
      {R"({"metadata":{"name":"e"}})", {"addressType FieldValueRequired"}},
      {R"({"metadata":{"name":"e"},"addressType":"IPv5"})", {"addressType FieldValueNotSupported"}},
      {R"({"metadata":{"name":"e"},"addressType":"IPv4","endpoints":[{"addresses":["fd00::1","10.0.0.1","x"]}]})",
       {"endpoints[0].addresses[0] FieldValueInvalid",
        "endpoints[0].addresses[2] FieldValueInvalid"}},
      {R"({"metadata":{"name":"e"},"addressType":"IPv6","endpoints":[{"addresses":["10.0.0.1"]}]})",
       {"endpoints[0].addresses[0] FieldValueInvalid"}},
      {R"({"metadata":{"name":"e"},"addressType":"FQDN","endpoints":[{"addresses":["db"]}]})",
       {"endpoints[0].addresses[0] FieldValueInvalid"}},
      {R"({"metadata":{"name":"e"},"addressType":"IPv4","endpoints":[{"addresses":[]}]})",
       {"endpoints[0].addresses FieldValueRequired"}},
  };
  for (const auto& r : rows)
    EXPECT_EQ(causes(es, r.obj), r.want) << r.obj;
  const row ports[] = {
      {R"([{"name":"http","protocol":"TCP","port":8080},{"name":"dns","protocol":"UDP","port":53}])",
       {}},
      {R"([{"name":"","protocol":"TCP","port":80}])", {}},
      {R"([{"name":"","protocol":"TCP","port":80},{"name":"","protocol":"TCP","port":81}])",
       {"ports[1].name FieldValueDuplicate"}},
      {R"([{"name":"Http_1","protocol":"TCP"}])", {"ports[0].name FieldValueInvalid"}},
      {R"([{"name":"a","protocol":"ICMP"}])", {"ports[0].protocol FieldValueNotSupported"}},
      {R"([{"name":"a"}])", {"ports[0].protocol FieldValueRequired"}},
  };
  for (const auto& r : ports) {
    auto obj =
        std::string(R"({"metadata":{"name":"e"},"addressType":"IPv4","ports":)") + r.obj + "}";
    EXPECT_EQ(causes(es, obj), r.want) << r.obj;
  }
  auto v4 = R"({"metadata":{"name":"e"},"addressType":"IPv4"})";
  EXPECT_EQ(causes(es, R"({"metadata":{"name":"e"},"addressType":"IPv6"})", v4),
            list{"addressType FieldValueInvalid"});
  EXPECT_EQ(causes(es, v4, v4), list{});
}

TEST(Validation, NodePodCIDRIsImmutableOnceSet) {
  auto& nodes = R("", "nodes");
  auto none = R"({"metadata":{"name":"n"},"spec":{}})";
  auto one = R"({"metadata":{"name":"n"},"spec":{"podCIDR":"10.244.1.0/24"}})";
  auto both =
      R"({"metadata":{"name":"n"},"spec":{"podCIDR":"10.244.1.0/24","podCIDRs":["10.244.1.0/24"]}})";
  auto other =
      R"({"metadata":{"name":"n"},"spec":{"podCIDR":"10.244.2.0/24","podCIDRs":["10.244.2.0/24"]}})";
  EXPECT_EQ(causes(nodes, one, none), list{}); // "" -> valid is allowed
  EXPECT_EQ(causes(nodes, both, one), list{}); // same CIDR, also listed
  EXPECT_EQ(causes(nodes, one, both), list{});
  EXPECT_EQ(causes(nodes, other, both), list{"spec.podCIDRs FieldValueForbidden"});
  EXPECT_EQ(causes(nodes, none, both), list{"spec.podCIDRs FieldValueForbidden"});
  EXPECT_EQ(causes(nodes, R"({"metadata":{"name":"n"},"spec":{"podCIDR":"10.244.1.0"}})"),
            list{"spec.podCIDRs[0] FieldValueInvalid"});
}

TEST(Validation, EventsAsCoreV1ValidatesThem) {
  auto& events = R("", "events");
  const row rows[] = {
      {R"({"metadata":{"name":"e","namespace":"default"},"type":"Normal","involvedObject":{"kind":"Service","namespace":"default","name":"web"}})",
       {}},
      {R"({"metadata":{"name":"e","namespace":"default"},"type":"Warning","involvedObject":{"kind":"Node","name":"n1"}})",
       {}},
      // core/v1 does not check `type` (events.k8s.io/v1 does).
      {R"({"metadata":{"name":"e","namespace":"default"},"type":"Info","involvedObject":{"kind":"Node","name":"n1"}})",
       {}},
      {R"({"metadata":{"name":"e","namespace":"kube-system"},"type":"Normal"})",
       {"involvedObject.namespace FieldValueInvalid"}},
      {R"({"metadata":{"name":"e","namespace":"kube-system"},"type":"Normal","involvedObject":{"namespace":"default"}})",
       {"involvedObject.namespace FieldValueInvalid"}},
      // New-style events (eventTime set) need the reporting fields.
      {R"({"metadata":{"name":"e","namespace":"kube-system"},"eventTime":"2026-11-26T08:50:00.000000Z","reportingComponent":"kube-vip.io/kvip","reportingInstance":"node1","action":"Elected","reason":"Leader","involvedObject":{"kind":"Lease","namespace":"kube-system","name":"l"}})",
       {}},
      {R"({"metadata":{"name":"e","namespace":"team-a"},"eventTime":"2026-11-26T08:50:00.000000Z"})",
       {"involvedObject.namespace FieldValueInvalid", "reportingComponent FieldValueRequired",
        "reportingInstance FieldValueRequired", "action FieldValueRequired",
        "reason FieldValueRequired"}},
  };
  for (const auto& r : rows)
    EXPECT_EQ(causes(events, r.obj), r.want) << r.obj;
  auto long_message =
      R"({"metadata":{"name":"e","namespace":"default"},"eventTime":"2026-11-26T08:50:00.000000Z","reportingComponent":"kvip","reportingInstance":"n","action":"a","reason":"r","message":")" +
      std::string(1025, 'm') + R"("})";
  EXPECT_EQ(causes(events, long_message), list{"message FieldValueInvalid"});
}

TEST(Validation, LeaseNumbers) {
  auto& leases = R("coordination.k8s.io", "leases");
  EXPECT_EQ(
      causes(
          leases,
          R"({"metadata":{"name":"l"},"spec":{"leaseDurationSeconds":15,"leaseTransitions":0}})"),
      list{});
  EXPECT_EQ(
      causes(
          leases,
          R"({"metadata":{"name":"l"},"spec":{"leaseDurationSeconds":-1,"leaseTransitions":-2}})"),
      (list{"spec.leaseDurationSeconds FieldValueInvalid",
            "spec.leaseTransitions FieldValueInvalid"}));
}

TEST(Validation, QuoteAndShownValues) {
  EXPECT_EQ(quote("a\"b\\c\n"), R"("a\"b\\c\n")");
  EXPECT_EQ(shown(json::value("x")), "\"x\"");
  EXPECT_EQ(shown(json::value(80)), "80");
  EXPECT_EQ(shown(json::value(nullptr)), "null");
  EXPECT_TRUE(is_ip("192.168.1.200"));
  EXPECT_TRUE(is_ip("fd00::1"));
  EXPECT_FALSE(is_ip("192.168.1"));
  EXPECT_FALSE(is_ip("node1"));
}

} // namespace
} // namespace kvip::sim
