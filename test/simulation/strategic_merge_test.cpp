// Strategic merge patch: per-kind list strategies, directives, and the exact patch shapes
// kubectl's client-side apply sends (reference/k8s-api-subset.md §4 and §9.3).
#include "simulation/patch.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include "patch_check.hpp"

#include <string>
#include <vector>

using namespace kvip::sim;
namespace json = boost::json;

namespace {

struct smp_case {
  const char* name;
  const char* kind;
  const char* target;
  const char* patch;
  const char* want;  // expected object; nullptr = an error is expected
  const char* error; // substring of the expected error (when want == nullptr)
};

void check(const std::vector<smp_case>& cases) {
  for (auto& c : cases) {
    auto apply = [&c](json::value& target, const json::value& patch) {
      return apply_strategic_merge_patch(target, patch, c.kind);
    };
    kvip::sim::test::check_patch({c.name, c.target, c.patch, c.want, c.error}, apply, true);
  }
}

// A live Service as the server holds it after the first `kubectl apply` (§9.2).
constexpr const char* live_web = R"({
  "apiVersion":"v1","kind":"Service",
  "metadata":{"name":"web","namespace":"default","uid":"3f0c","resourceVersion":"106",
    "labels":{"app":"web"},
    "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"annotations\":{},\"labels\":{\"app\":\"web\"},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"loadBalancerIP\":\"192.168.1.200\",\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":8080}],\"selector\":{\"app\":\"web\"},\"type\":\"LoadBalancer\"}}\n"}},
  "spec":{"type":"LoadBalancer","loadBalancerIP":"192.168.1.200","clusterIP":"10.96.0.12",
    "clusterIPs":["10.96.0.12"],"selector":{"app":"web"},"sessionAffinity":"None",
    "ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":8080,"nodePort":31080}]},
  "status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.200","ipMode":"VIP"}]}}})";

std::string annotation(const json::value& svc) {
  auto* a = svc.at("metadata")
                .at("annotations")
                .as_object()
                .if_contains("kubectl.kubernetes.io/last-applied-configuration");
  return a != nullptr && a->is_string() ? std::string{a->get_string()} : std::string{};
}

} // namespace

TEST(SimPatchStrategic, KubectlClientSideApplySequence) {
  auto svc = json::parse(live_web);
  // Second apply: loadBalancerIP and targetPort changed, port 443 added (§9.3).
  auto first = json::parse(R"({
    "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"v\":2}\n"}},
    "spec":{"$setElementOrder/ports":[{"port":80},{"port":443}],"loadBalancerIP":"192.168.1.201",
            "ports":[{"port":80,"targetPort":8081},{"name":"https","port":443,"targetPort":8443}]}})");
  ASSERT_TRUE(apply_strategic_merge_patch(svc, first, "Service").ok());
  auto& spec = svc.at("spec").as_object();
  EXPECT_EQ(spec.at("loadBalancerIP"), "192.168.1.201");
  EXPECT_EQ(annotation(svc), "{\"v\":2}\n");
  EXPECT_TRUE(json_equal(spec.at("ports"), json::parse(R"([
      {"name":"http","port":80,"protocol":"TCP","targetPort":8081,"nodePort":31080},
      {"name":"https","port":443,"targetPort":8443}])")))
      << json::serialize(spec.at("ports"));
  EXPECT_EQ(spec.at("clusterIP"), "10.96.0.12"); // server-set fields survive
  EXPECT_EQ(svc.at("metadata").at("uid"), "3f0c");
  EXPECT_FALSE(spec.contains("$setElementOrder/ports"));

  // Third apply: loadBalancerIP and port 443 removed.
  auto second = json::parse(R"({
    "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"v\":3}\n"}},
    "spec":{"$setElementOrder/ports":[{"port":80}],"loadBalancerIP":null,
            "ports":[{"port":80,"targetPort":8080},{"$patch":"delete","port":443}]}})");
  ASSERT_TRUE(apply_strategic_merge_patch(svc, second, "Service").ok());
  auto& spec2 = svc.at("spec").as_object();
  EXPECT_FALSE(spec2.contains("loadBalancerIP"));
  EXPECT_TRUE(json_equal(spec2.at("ports"), json::parse(R"([
      {"name":"http","port":80,"protocol":"TCP","targetPort":8080,"nodePort":31080}])")))
      << json::serialize(spec2.at("ports"));
  EXPECT_EQ(annotation(svc), "{\"v\":3}\n");
  EXPECT_TRUE(json_equal(svc.at("status"), json::parse(live_web).at("status")));
}

TEST(SimPatchStrategic, MapsAndMapDirectives) {
  check({
      {"data merges, null deletes", "ConfigMap", R"({"data":{"a":"1","b":"2"}})",
       R"({"data":{"b":null,"c":"3"}})", R"({"data":{"a":"1","c":"3"}})"},
      {"labels and annotations", "ConfigMap",
       R"({"metadata":{"labels":{"a":"1"},"annotations":{"x":"1","y":"2"}}})",
       R"({"metadata":{"labels":{"b":"2"},"annotations":{"x":null}}})",
       R"({"metadata":{"labels":{"a":"1","b":"2"},"annotations":{"y":"2"}}})"},
      {"new map is cleaned", "ConfigMap", "{}", R"({"data":{"$patch":"merge","a":null,"b":"1"}})",
       R"({"data":{"b":"1"}})"},
      {"$patch replace on a map", "ConfigMap", R"({"data":{"a":"1","b":"2"},"k":1})",
       R"({"data":{"$patch":"replace","c":"3"}})", R"({"data":{"c":"3"},"k":1})"},
      {"$patch delete on a map", "ConfigMap", R"({"data":{"a":"1"},"k":1})",
       R"({"data":{"$patch":"delete"}})", R"({"k":1})"},
      {"$patch delete at the top", "ConfigMap", R"({"data":{"a":"1"}})", R"({"$patch":"delete"})",
       "{}"},
      {"$patch merge is the default", "Secret", R"({"data":{"a":"eA=="}})",
       R"({"data":{"$patch":"merge","b":"eQ=="}})", R"({"data":{"a":"eA==","b":"eQ=="}})"},
      {"$retainKeys drops unlisted keys", "Pod", R"({"spec":{"a":1,"b":2,"c":3}})",
       R"({"spec":{"$retainKeys":["a","d"],"d":4}})", R"({"spec":{"a":1,"d":4}})"},
      {"other dollar keys are data", "ConfigMap", R"({"data":{}})", R"({"data":{"$x":"1"}})",
       R"({"data":{"$x":"1"}})"},
      {"scalar replaces map", "ConfigMap", R"({"data":{"a":"1"}})", R"({"data":"x"})",
       R"({"data":"x"})"},
      {"lease renew", "Lease",
       R"({"spec":{"holderIdentity":"node-a","leaseDurationSeconds":5,
                   "renewTime":"2026-11-26T08:59:06.488741Z","leaseTransitions":0}})",
       R"({"spec":{"holderIdentity":"node-b","renewTime":"2026-11-26T09:00:00.000000Z",
                   "leaseTransitions":1}})",
       R"({"spec":{"holderIdentity":"node-b","leaseDurationSeconds":5,
                   "renewTime":"2026-11-26T09:00:00.000000Z","leaseTransitions":1}})"},
      {"unknown $patch", "ConfigMap", R"({"data":{"a":"1"}})", R"({"data":{"$patch":"frob"}})",
       nullptr, "unknown patch type"},
      {"$patch not a string", "ConfigMap", R"({"data":{}})", R"({"data":{"$patch":1}})", nullptr,
       "$patch must be a string"},
      {"$retainKeys not strings", "Pod", R"({"spec":{}})", R"({"spec":{"$retainKeys":[1]}})",
       nullptr, "$retainKeys"},
      {"patch is not an object", "ConfigMap", R"({"a":1})", R"([1])", nullptr, "JSON object"},
  });
}

TEST(SimPatchStrategic, ServiceLists) {
  constexpr auto two = R"({"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP"},
                                            {"name":"https","port":443,"protocol":"TCP"}]}})";
  check({
      {"merge by port keeps server fields", "Service",
       R"({"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP","nodePort":31080}]}})",
       R"({"spec":{"ports":[{"port":80,"targetPort":9090}]}})",
       R"({"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP","nodePort":31080,
                             "targetPort":9090}]}})"},
      {"new port appended", "Service", two, R"({"spec":{"ports":[{"port":53,"protocol":"UDP"}]}})",
       R"({"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP"},
                            {"name":"https","port":443,"protocol":"TCP"},
                            {"port":53,"protocol":"UDP"}]}})"},
      {"merge key compares numbers by value", "Service", two,
       R"({"spec":{"ports":[{"port":443.0,"name":"tls"}]}})",
       R"({"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP"},
                            {"name":"tls","port":443,"protocol":"TCP"}]}})"},
      {"$patch delete removes a port", "Service", two,
       R"({"spec":{"ports":[{"$patch":"delete","port":80}]}})",
       R"({"spec":{"ports":[{"name":"https","port":443,"protocol":"TCP"}]}})"},
      {"$patch delete of an absent port", "Service", two,
       R"({"spec":{"ports":[{"$patch":"delete","port":8080}]}})", two},
      {"$patch replace on an element", "Service", two,
       R"({"spec":{"ports":[{"$patch":"replace","port":80,"targetPort":1}]}})",
       R"({"spec":{"ports":[{"port":80,"targetPort":1},
                            {"name":"https","port":443,"protocol":"TCP"}]}})"},
      {"$patch replace on the list", "Service", two,
       R"({"spec":{"ports":[{"$patch":"replace"},{"port":53,"protocol":"UDP"}]}})",
       R"({"spec":{"ports":[{"port":53,"protocol":"UDP"}]}})"},
      {"$setElementOrder reorders", "Service", two,
       R"({"spec":{"$setElementOrder/ports":[{"port":443},{"port":80}]}})",
       R"({"spec":{"ports":[{"name":"https","port":443,"protocol":"TCP"},
                            {"name":"http","port":80,"protocol":"TCP"}]}})"},
      {"$setElementOrder leaves unlisted elements in their slots", "Service",
       R"({"spec":{"ports":[{"port":80},{"port":8080},{"port":443}]}})",
       R"({"spec":{"$setElementOrder/ports":[{"port":443},{"port":80}]}})",
       R"({"spec":{"ports":[{"port":443},{"port":8080},{"port":80}]}})"},
      {"$setElementOrder with an added port", "Service", two,
       R"({"spec":{"$setElementOrder/ports":[{"port":53},{"port":80},{"port":443}],
                   "ports":[{"port":53}]}})",
       R"({"spec":{"ports":[{"port":53},{"name":"http","port":80,"protocol":"TCP"},
                            {"name":"https","port":443,"protocol":"TCP"}]}})"},
      {"$setElementOrder for an absent list", "Service", R"({"spec":{}})",
       R"({"spec":{"$setElementOrder/ports":[{"port":80}]}})", R"({"spec":{}})"},
      {"ingress is replaced", "Service",
       R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.1"},{"ip":"192.0.2.2"}]}}})",
       R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.9","ipMode":"VIP"}]}}})",
       R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.9","ipMode":"VIP"}]}}})"},
      {"externalIPs are replaced", "Service", R"({"spec":{"externalIPs":["192.0.2.1"]}})",
       R"({"spec":{"externalIPs":["192.0.2.2"]}})", R"({"spec":{"externalIPs":["192.0.2.2"]}})"},
      {"status conditions merge by type", "Service",
       R"({"status":{"conditions":[{"type":"A","status":"True"},{"type":"B","status":"True"}]}})",
       R"({"status":{"conditions":[{"type":"B","status":"False"}]}})",
       R"({"status":{"conditions":[{"type":"A","status":"True"},{"type":"B","status":"False"}]}})"},
      {"port without merge key", "Service", two, R"({"spec":{"ports":[{"name":"x"}]}})", nullptr,
       "does not contain declared merge key: port"},
      {"delete without merge key", "Service", two, R"({"spec":{"ports":[{"$patch":"delete"}]}})",
       nullptr, "merge key"},
      {"port element not an object", "Service", two, R"({"spec":{"ports":[80]}})", nullptr,
       "spec.ports[0]"},
      {"$setElementOrder not a list", "Service", two,
       R"({"spec":{"$setElementOrder/ports":{"port":80}}})", nullptr, "must be a list"},
      {"error in a later field leaves all unchanged", "Service", two,
       R"({"metadata":{"labels":{"a":"b"}},"spec":{"ports":[{"name":"x"}]}})", nullptr,
       "merge key"},
  });
}

TEST(SimPatchStrategic, NodeLists) {
  constexpr auto node = R"({"metadata":{"name":"n1"},
    "spec":{"podCIDRs":["10.244.0.0/24"],"taints":[{"key":"a","effect":"NoSchedule"}]},
    "status":{"conditions":[{"type":"Ready","status":"True"},{"type":"DiskPressure","status":"False"}],
              "addresses":[{"type":"InternalIP","address":"192.0.2.11"},{"type":"Hostname","address":"n1"}]}})";
  check({
      {"cordon", "Node", R"({"spec":{}})", R"({"spec":{"unschedulable":true}})",
       R"({"spec":{"unschedulable":true}})"},
      {"uncordon", "Node", R"({"spec":{"unschedulable":true}})",
       R"({"spec":{"unschedulable":null}})", R"({"spec":{}})"},
      {"conditions merge by type", "Node",
       R"({"status":{"conditions":[{"type":"Ready","status":"True"},
         {"type":"DiskPressure","status":"False"}]}})",
       R"({"status":{"conditions":[{"type":"Ready","status":"False","reason":"KubeletDown"}]}})",
       R"({"status":{"conditions":[{"type":"Ready","status":"False","reason":"KubeletDown"},
         {"type":"DiskPressure","status":"False"}]}})"},
      {"addresses merge by type", "Node", node,
       R"({"status":{"addresses":[{"type":"InternalIP","address":"192.0.2.12"}]}})",
       R"({"metadata":{"name":"n1"},
         "spec":{"podCIDRs":["10.244.0.0/24"],"taints":[{"key":"a","effect":"NoSchedule"}]},
         "status":{"conditions":[{"type":"Ready","status":"True"},{"type":"DiskPressure","status":"False"}],
           "addresses":[{"type":"InternalIP","address":"192.0.2.12"},{"type":"Hostname","address":"n1"}]}})"},
      {"taints are replaced", "Node", R"({"spec":{"taints":[{"key":"a","effect":"NoSchedule"}]}})",
       R"({"spec":{"taints":[{"key":"b","effect":"NoExecute"}]}})",
       R"({"spec":{"taints":[{"key":"b","effect":"NoExecute"}]}})"},
      {"podCIDRs merge as a set", "Node", R"({"spec":{"podCIDRs":["10.244.0.0/24"]}})",
       R"({"spec":{"podCIDRs":["fd00::/64","10.244.0.0/24"]}})",
       R"({"spec":{"podCIDRs":["10.244.0.0/24","fd00::/64"]}})"},
      {"condition deleted by type", "Node",
       R"({"status":{"conditions":[{"type":"Ready"},{"type":"X"}]}})",
       R"({"status":{"conditions":[{"type":"X","$patch":"delete"}]}})",
       R"({"status":{"conditions":[{"type":"Ready"}]}})"},
  });
}

TEST(SimPatchStrategic, MetadataLists) {
  check({
      {"finalizers merge as a set", "ConfigMap", R"({"metadata":{"finalizers":["a"]}})",
       R"({"metadata":{"finalizers":["b","a"]}})", R"({"metadata":{"finalizers":["a","b"]}})"},
      {"$deleteFromPrimitiveList", "ConfigMap", R"({"metadata":{"finalizers":["a","b","c"]}})",
       R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b","zz"]}})",
       R"({"metadata":{"finalizers":["a","c"]}})"},
      {"$deleteFromPrimitiveList on an absent list", "ConfigMap", R"({"metadata":{}})",
       R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b"]}})", R"({"metadata":{}})"},
      {"$setElementOrder on a set", "Service", R"({"metadata":{"finalizers":["a","b"]}})",
       R"({"metadata":{"$setElementOrder/finalizers":["b","a"],"finalizers":["b"]}})",
       R"({"metadata":{"finalizers":["b","a"]}})"},
      {"ownerReferences merge by uid", "EndpointSlice",
       R"({"metadata":{"ownerReferences":[{"uid":"u1","kind":"Service","name":"web"}]}})",
       R"({"metadata":{"ownerReferences":[{"uid":"u1","controller":true},{"uid":"u2","name":"x"}]}})",
       R"({"metadata":{"ownerReferences":[{"uid":"u1","kind":"Service","name":"web","controller":true},
                                          {"uid":"u2","name":"x"}]}})"},
      {"unknown kind replaces lists", "Widget", R"({"metadata":{"finalizers":["a"]}})",
       R"({"metadata":{"finalizers":["b"]}})", R"({"metadata":{"finalizers":["b"]}})"},
      {"unknown kind still honours map directives", "Widget", R"({"spec":{"a":1}})",
       R"({"spec":{"$patch":"replace","b":2}})", R"({"spec":{"b":2}})"},
      {"$deleteFromPrimitiveList not a list", "ConfigMap", R"({"metadata":{"finalizers":["a"]}})",
       R"({"metadata":{"$deleteFromPrimitiveList/finalizers":"a"}})", nullptr, "must be a list"},
      {"set element is an object", "ConfigMap", R"({"metadata":{"finalizers":["a"]}})",
       R"({"metadata":{"finalizers":[{"a":1}]}})", nullptr, "primitive"},
  });
}

TEST(SimPatchStrategic, AtomicListsOfOtherKinds) {
  check({
      {"EndpointSlice endpoints replaced", "EndpointSlice",
       R"({"endpoints":[{"addresses":["10.0.0.1"]},{"addresses":["10.0.0.2"]}],"ports":[{"port":80}]})",
       R"({"endpoints":[{"addresses":["10.0.0.3"],"conditions":{"ready":true}}]})",
       R"({"endpoints":[{"addresses":["10.0.0.3"],"conditions":{"ready":true}}],"ports":[{"port":80}]})"},
      {"EndpointSlice endpoints emptied", "EndpointSlice", R"({"endpoints":[{"addresses":["a"]}]})",
       R"({"endpoints":[]})", R"({"endpoints":[]})"},
      {"Endpoints subsets replaced", "Endpoints",
       R"({"subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]}]})",
       R"({"subsets":[{"addresses":[{"ip":"10.0.0.2"}]}]})",
       R"({"subsets":[{"addresses":[{"ip":"10.0.0.2"}]}]})"},
      {"directives stripped from replaced lists", "Endpoints", R"({"subsets":[]})",
       R"({"subsets":[{"$patch":"replace"},{"addresses":[{"ip":"1","$patch":"merge"}]}]})",
       R"({"subsets":[{"addresses":[{"ip":"1"}]}]})"},
  });
}

TEST(SimPatchStrategic, PodContainersAndVolumes) {
  check({
      {"containers merge by name, env by name", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"a:1","env":[{"name":"X","value":"1"},
                                 {"name":"Y","value":"2"}]},{"name":"side","image":"s:1"}]}})",
       R"({"spec":{"containers":[{"name":"app","image":"a:2","env":[{"name":"Y","value":"3"}]},
                                 {"name":"new","image":"n:1"}]}})",
       R"({"spec":{"containers":[{"name":"app","image":"a:2","env":[{"name":"X","value":"1"},
                                 {"name":"Y","value":"3"}]},{"name":"side","image":"s:1"},
                                 {"name":"new","image":"n:1"}]}})"},
      {"volume source switched with $retainKeys", "Pod",
       R"({"spec":{"volumes":[{"name":"v","emptyDir":{}},{"name":"w","emptyDir":{}}]}})",
       R"({"spec":{"volumes":[{"name":"v","$retainKeys":["configMap","name"],
                               "configMap":{"name":"c"}}]}})",
       R"({"spec":{"volumes":[{"name":"v","configMap":{"name":"c"}},{"name":"w","emptyDir":{}}]}})"},
      {"container ports merge by containerPort", "Pod",
       R"({"spec":{"containers":[{"name":"app","ports":[{"containerPort":80,"name":"http"}]}]}})",
       R"({"spec":{"containers":[{"name":"app","ports":[{"containerPort":80,"protocol":"TCP"}]}]}})",
       R"({"spec":{"containers":[{"name":"app","ports":[{"containerPort":80,"name":"http",
                                                         "protocol":"TCP"}]}]}})"},
      {"tolerations are replaced", "Pod", R"({"spec":{"tolerations":[{"key":"a"}]}})",
       R"({"spec":{"tolerations":[{"key":"b"}]}})", R"({"spec":{"tolerations":[{"key":"b"}]}})"},
  });
}
