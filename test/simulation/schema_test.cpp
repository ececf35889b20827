// The typed body decoder: every described type resolves, and table cases of
// bodies kube-apiserver refuses (with its decoder's message) or accepts.
#include "simulation/schema.hpp"

#include <gtest/gtest.h>

namespace kvip::sim {
namespace {

namespace json = boost::json;

const resource_info& kind(std::string_view k) {
  for (const auto& r : resources())
    if (r.kind == k) return r;
  throw std::runtime_error("no kind " + std::string(k));
}

json::object obj(std::string_view text) {
  return json::parse(text).as_object();
}

TEST(Schema, EveryServedKindAndFieldTypeIsDescribed) {
  for (const auto& r : resources())
    EXPECT_FALSE(root_type(r).empty()) << r.kind;
  auto resolvable = [](std::string_view t) {
    while (!t.empty() && (t.front() == '*' || t.starts_with("[]")))
      t.remove_prefix(t.front() == '*' ? 1 : 2);
    if (t.starts_with("map[string]")) t.remove_prefix(11);
    while (!t.empty() && (t.front() == '*' || t.starts_with("[]")))
      t.remove_prefix(t.front() == '*' ? 1 : 2);
    for (auto s : {"string", "bool", "int32", "int64", "uint8", "any", "v1.Time", "v1.MicroTime",
                   "v1.FieldsV1", "intstr.IntOrString", "resource.Quantity"})
      if (t == s) return true;
    return struct_fields(t) != nullptr;
  };
  for (auto name : struct_type_names())
    for (const auto& f : *struct_fields(name))
      EXPECT_TRUE(resolvable(f.type)) << name << "." << f.name << ": " << f.type;
}

struct bad_case {
  const char* kind;
  const char* body;
  const char* message;
};

TEST(Schema, WrongTypesAreRefusedWithTheGoDecoderMessage) {
  const bad_case cases[] = {
      {"ConfigMap", R"({"metadata":{"labels":"x"}})",
       "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type "
       "map[string]string"},
      {"ConfigMap", R"({"metadata":{"labels":{"a":1}}})",
       "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type "
       "string"},
      {"ConfigMap", R"({"data":{"k":5}})",
       "json: cannot unmarshal number into Go struct field ConfigMap.data of type string"},
      {"ConfigMap", R"({"metadata":{"name":7}})",
       "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type "
       "string"},
      {"ConfigMap", R"({"metadata":{"resourceVersion":12}})",
       "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.resourceVersion "
       "of type string"},
      {"ConfigMap", R"({"metadata":"m"})",
       "json: cannot unmarshal string into Go struct field ConfigMap.metadata of type "
       "v1.ObjectMeta"},
      {"Service", R"({"spec":{"ports":[{"port":"80"}]}})",
       "json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type "
       "int32"},
      {"Service", R"({"spec":{"ports":[{"port":80.5}]}})",
       "json: cannot unmarshal number 80.5 into Go struct field ServicePort.spec.ports.port of "
       "type int32"},
      {"Service", R"({"spec":{"ports":[{"port":4294967296}]}})",
       "json: cannot unmarshal number 4294967296 into Go struct field "
       "ServicePort.spec.ports.port of type int32"},
      {"Service", R"({"spec":{"ports":{"port":80}}})",
       "json: cannot unmarshal object into Go struct field ServiceSpec.spec.ports of type "
       "[]v1.ServicePort"},
      {"Service", R"({"spec":{"ports":[{"port":80,"targetPort":true}]}})",
       "json: cannot unmarshal bool into Go value of type int32"},
      {"Service", R"({"spec":{"allocateLoadBalancerNodePorts":"yes"}})",
       "json: cannot unmarshal string into Go struct field "
       "ServiceSpec.spec.allocateLoadBalancerNodePorts of type bool"},
      {"Lease", R"({"spec":{"renewTime":"2026-11-26T08:59:06Z"}})",
       R"(parsing time "2026-11-26T08:59:06Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000")"},
      {"Lease", R"({"spec":{"acquireTime":"2026-11-26T08:59:06.123Z"}})",
       R"(parsing time "2026-11-26T08:59:06.123Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".123Z" as ".000000")"},
      {"Lease", R"({"spec":{"renewTime":"yesterday"}})",
       R"(parsing time "yesterday" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "yesterday" as "2006")"},
      {"Lease", R"({"spec":{"renewTime":5}})",
       "json: cannot unmarshal number into Go value of type string"},
      {"Lease", R"({"spec":{"leaseDurationSeconds":"15"}})",
       "json: cannot unmarshal string into Go struct field "
       "LeaseSpec.spec.leaseDurationSeconds of type int32"},
      {"Secret", R"({"data":{"p":"not base64!"}})", "illegal base64 data at input byte 3"},
      {"Secret", R"({"data":{"p":"YWJjZA"}})", "illegal base64 data at input byte 4"},
      {"Secret", R"({"data":{"p":1}})",
       "json: cannot unmarshal number into Go struct field Secret.data of type []uint8"},
      {"Event", R"({"count":"1"})",
       "json: cannot unmarshal string into Go struct field Event.count of type int32"},
      {"Event", R"({"firstTimestamp":"2026-11-26 08:50:00"})",
       R"(parsing time "2026-11-26 08:50:00" as "2006-01-02T15:04:05Z07:00": cannot parse " 08:50:00" as "T")"},
      {"Node", R"({"spec":{"unschedulable":"true"}})",
       "json: cannot unmarshal string into Go struct field NodeSpec.spec.unschedulable of type "
       "bool"},
      {"Node", R"({"status":{"capacity":{"cpu":"lots"}}})",
       "quantities must match the regular expression "
       "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"},
      {"EndpointSlice", R"({"endpoints":[{"addresses":"10.0.0.1"}]})",
       "json: cannot unmarshal string into Go struct field Endpoint.endpoints.addresses of type "
       "[]string"},
      {"EndpointSlice", R"({"endpoints":[{"conditions":{"ready":"yes"}}]})",
       "json: cannot unmarshal string into Go struct field "
       "EndpointConditions.endpoints.conditions.ready of type bool"},
      {"Endpoints", R"({"subsets":[{"ports":[{"port":"http"}]}]})",
       "json: cannot unmarshal string into Go struct field EndpointPort.subsets.ports.port of "
       "type int32"},
      {"Namespace", R"({"spec":{"finalizers":"kubernetes"}})",
       "json: cannot unmarshal string into Go struct field NamespaceSpec.spec.finalizers of "
       "type []string"},
  };
  for (const auto& c : cases) {
    auto r = decode_object(kind(c.kind), obj(c.body));
    ASSERT_FALSE(r) << c.kind << " " << c.body;
    EXPECT_EQ(r.err().message, c.message) << c.kind << " " << c.body;
  }
}

TEST(Schema, WellTypedObjectsDecodeUnchanged) {
  const std::pair<const char*, const char*> cases[] = {
      {"Service",
       R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default",
       "labels":{"app":"web"},"annotations":{"a":""},"creationTimestamp":null,
       "ownerReferences":[{"apiVersion":"v1","kind":"X","name":"x","uid":"u","controller":true}],
       "managedFields":[{"manager":"kubectl","operation":"Update","time":"2026-11-26T08:50:00Z",
       "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{}}}]},
       "spec":{"type":"LoadBalancer","ports":[{"name":"http","port":80,"targetPort":"http",
       "nodePort":30001,"protocol":"TCP"}],"selector":{"app":"web"},"clusterIPs":["10.96.0.1"],
       "ipFamilyPolicy":null},"status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.200",
       "ipMode":"VIP","ports":[{"port":80,"protocol":"TCP"}]}]}}})"},
      {"Lease",
       R"({"spec":{"holderIdentity":"a","leaseDurationSeconds":5,
       "acquireTime":"2026-11-26T08:59:06.484405Z","renewTime":"2026-11-26T08:59:06.488741Z",
       "leaseTransitions":0}})"},
      {"Secret", R"({"type":"Opaque","data":{"p":"czNjcjN0","e":""},"stringData":{"s":"x"}})"},
      {"ConfigMap", R"({"data":{"k":"v"},"binaryData":{"b":"AAE="},"immutable":false})"},
      {"Node",
       R"({"spec":{"podCIDR":"10.244.1.0/24","taints":[{"key":"k","effect":"NoSchedule"}]},
       "status":{"capacity":{"cpu":4,"memory":"8Gi"},"addresses":[{"type":"InternalIP",
       "address":"192.168.1.11"}],"daemonEndpoints":{"kubeletEndpoint":{"Port":10250}},
       "conditions":[{"type":"Ready","status":"True","lastHeartbeatTime":"2026-11-26T08:50:00Z"}]}})"},
      {"EndpointSlice",
       R"({"addressType":"IPv4","endpoints":null,"ports":[{"name":"http","port":8080}]})"},
      {"Event",
       R"({"involvedObject":{"kind":"Service","name":"web"},"reason":"R","count":1,
       "eventTime":null,"source":{"component":"kube-vip"},"series":{"count":2,
       "lastObservedTime":"2026-11-26T08:50:00.000000Z"}})"},
      {"Pod", R"({"spec":{"containers":[{"name":"c","image":"i"}]},"status":{"phase":"Running",
       "podIPs":[{"ip":"10.0.0.1"}],"containerStatuses":[{"name":"c"}]}})"},
  };
  for (const auto& [k, body] : cases) {
    auto r = decode_object(kind(k), obj(body));
    ASSERT_TRUE(r) << k << ": " << r.err().message;
    EXPECT_TRUE(r->unknown_fields.empty()) << k << ": " << r->unknown_fields.front();
    EXPECT_EQ(r->object, obj(body)) << k;
  }
}

TEST(Schema, TimesAreStoredAsTheServerEncodesThemAndNullStringsAsEmpty) {
  auto r = decode_object(
      kind("Lease"),
      obj(R"({"metadata":{"labels":{"a":null},"finalizers":[null],"creationTimestamp":)"
          R"("2026-11-26T09:50:00.75+01:00"},"spec":{"renewTime":"2026-11-26T09:59:06.488741+01:00",)"
          R"("acquireTime":null}})"));
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(r->object,
            obj(R"({"metadata":{"labels":{"a":""},"finalizers":[""],)"
                R"("creationTimestamp":"2026-11-26T08:50:00Z"},)"
                R"("spec":{"renewTime":"2026-11-26T08:59:06.488741Z","acquireTime":null}})"));
}

TEST(Schema, UnknownFieldsAreListedWithTheirPathAndPruned) {
  auto r = decode_object(
      kind("Service"),
      obj(R"({"foo":1,"metadata":{"name":"a","Labels":{}},"spec":{"ports":[{"port":1},)"
          R"({"port":2,"bar":true}],"foo":"x"},"status":{"loadBalancer":{"ingres":[]}}})"));
  ASSERT_TRUE(r) << r.err().message;
  std::vector<std::string> want{"foo", "metadata.Labels", "spec.ports[1].bar", "spec.foo",
                                "status.loadBalancer.ingres"};
  EXPECT_EQ(r->unknown_fields, want);
  EXPECT_EQ(r->object, obj(R"({"metadata":{"name":"a"},"spec":{"ports":[{"port":1},{"port":2}]},)"
                           R"("status":{"loadBalancer":{}}})"));
}

} // namespace
} // namespace kvip::sim
