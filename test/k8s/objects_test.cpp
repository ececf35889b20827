// Typed views: tolerant parsing and read-modify-write that keeps unknown fields.
#include <gtest/gtest.h>

#include "k8s/objects.hpp"

using namespace kvip::k8s;
namespace json = boost::json;

namespace {

json::object parse(std::string_view s) {
  return json::parse(s).as_object();
}

} // namespace

TEST(K8sObjects, ServiceAccessors) {
  service svc(parse(R"({"apiVersion":"v1","kind":"Service",
    "metadata":{"name":"web","namespace":"default","uid":"u1","resourceVersion":"1234",
      "labels":{"app":"web"},"annotations":{"kube-vip.io/loadbalancerIPs":"192.168.1.200"}},
    "spec":{"type":"LoadBalancer","loadBalancerClass":"kube-vip.io/kube-vip-class",
      "loadBalancerIP":"192.168.1.200","selector":{"app":"web"},
      "ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080,"nodePort":30001},
               {"name":"dns","protocol":"UDP","port":53,"targetPort":"dns"}],
      "clusterIP":"10.96.0.11","clusterIPs":["10.96.0.11"],"externalTrafficPolicy":"Local"},
    "status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.200","ipMode":"VIP"}]},
      "conditions":[{"type":"X"}]}})"));
  EXPECT_EQ(svc.name(), "web");
  EXPECT_EQ(svc.key(), "default/web");
  EXPECT_EQ(svc.resource_version(), "1234");
  EXPECT_EQ(svc.type(), "LoadBalancer");
  EXPECT_EQ(svc.load_balancer_class(), "kube-vip.io/kube-vip-class");
  EXPECT_EQ(svc.annotation("kube-vip.io/loadbalancerIPs"), "192.168.1.200");
  EXPECT_FALSE(svc.annotation("kube-vip.io/vipHost"));
  EXPECT_EQ(svc.external_traffic_policy(), "Local");
  EXPECT_EQ(svc.cluster_ips(), std::vector<std::string>{"10.96.0.11"});
  auto ports = svc.ports();
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_EQ(ports[0].node_port, 30001);
  EXPECT_EQ(ports[0].target_port, "8080");
  EXPECT_EQ(ports[1].target_port, "dns");
  EXPECT_EQ(ports[1].protocol, "UDP");
  ASSERT_EQ(svc.ingress().size(), 1u);
  EXPECT_EQ(svc.ingress()[0].ip_mode, "VIP");
}

TEST(K8sObjects, TolerantOfMissingNullAndWrongTypes) {
  service bare(parse(R"({"metadata":{"name":"x","labels":null},"spec":{"ports":null,
    "type":5},"status":{"loadBalancer":{}}})"));
  EXPECT_EQ(bare.kind(), ""); // list items come without kind
  EXPECT_EQ(bare.type(), "");
  EXPECT_TRUE(bare.ports().empty());
  EXPECT_TRUE(bare.ingress().empty());
  EXPECT_TRUE(bare.labels().empty());
  EXPECT_EQ(bare.key(), "x");
  object_view empty;
  EXPECT_EQ(empty.name(), "");

  endpoint_slice es(parse(R"({"metadata":{"name":"web-abc","namespace":"default",
    "labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4",
    "endpoints":[{"addresses":["10.244.1.5"],"conditions":{"ready":true,"serving":true,
      "terminating":false},"nodeName":"node1","zone":"a"},{"addresses":["10.244.2.9"]}],
    "ports":null,"someFutureField":{"x":1}})"));
  EXPECT_EQ(es.service_name(), "web");
  EXPECT_EQ(es.address_type(), "IPv4");
  auto eps = es.endpoints();
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps[0].ready, true);
  EXPECT_EQ(eps[0].node_name, "node1");
  EXPECT_FALSE(eps[1].ready.has_value()); // absent = unknown
  EXPECT_TRUE(es.ports().empty());
  endpoint_slice no_endpoints(parse(R"({"metadata":{"name":"e"},"endpoints":null})"));
  EXPECT_TRUE(no_endpoints.endpoints().empty());
}

TEST(K8sObjects, EndpointsNodeConfigMapSecret) {
  endpoints ep(parse(R"({"metadata":{"name":"web"},"subsets":[{"addresses":[{"ip":"10.244.1.5",
    "nodeName":"node1"}],"notReadyAddresses":[{"ip":"10.244.2.9"}],
    "ports":[{"name":"http","port":8080}]}]})"));
  auto subs = ep.subsets();
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0].addresses[0].node_name, "node1");
  EXPECT_EQ(subs[0].not_ready_addresses[0].ip, "10.244.2.9");
  EXPECT_EQ(subs[0].ports[0].protocol, "TCP");

  node n(
      parse(R"({"metadata":{"name":"node1","labels":{"node-role.kubernetes.io/control-plane":""}},
    "status":{"addresses":[{"type":"InternalIP","address":"192.168.1.11"},
      {"type":"Hostname","address":"node1"}],
      "conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True"}]}})"));
  EXPECT_EQ(n.address_of("InternalIP"), "192.168.1.11");
  EXPECT_EQ(n.ready(), true);
  EXPECT_EQ(n.label("node-role.kubernetes.io/control-plane"), "");
  EXPECT_FALSE(n.unschedulable());
  EXPECT_FALSE(node(parse(R"({"status":{}})")).ready().has_value());

  config_map cm(parse(R"({"metadata":{"name":"kubevip","namespace":"kube-system"},
    "data":{"cidr-global":"192.168.1.200/29"},"binaryData":{"b":"czNjcjN0"}})"));
  EXPECT_EQ(cm.value("cidr-global"), "192.168.1.200/29");
  EXPECT_FALSE(cm.value("range-global"));
  EXPECT_EQ(cm.binary_data().at("b"), "s3cr3t");

  secret s(
      parse(R"({"metadata":{"name":"bgp-auth"},"type":"Opaque","data":{"password":"czNjcjN0"}})"));
  EXPECT_EQ(s.type(), "Opaque");
  EXPECT_EQ(s.value("password"), "s3cr3t");
  EXPECT_EQ(s.data().at("password"), "s3cr3t");
}

TEST(K8sObjects, ReadModifyWriteKeepsUnknownFields) {
  auto original = parse(R"({"apiVersion":"v1","kind":"Service",
    "metadata":{"name":"web","namespace":"default","resourceVersion":"7",
      "annotations":{"other-controller/state":"keep-me"},"managedFields":[{"manager":"x"}],
      "finalizers":["other/finalizer"]},
    "spec":{"type":"LoadBalancer","ports":[{"port":80,"appProtocol":"http"}],
      "futureSpecField":{"nested":[1,2,3]}},
    "status":{"loadBalancer":{"ingress":[{"ip":"1.1.1.1"}]},"conditions":[{"type":"X"}]}})");
  service svc(original);
  svc.set_annotation("kube-vip.io/vipHost", "node1");
  svc.set_ingress({{"192.168.1.200", "", "VIP"}});
  svc.remove_annotation("absent");
  const auto& out = svc.raw();
  EXPECT_EQ(out.at("spec"), original.at("spec"));
  EXPECT_EQ(out.at("metadata").at("managedFields"), original.at("metadata").at("managedFields"));
  EXPECT_EQ(out.at("metadata").at("finalizers"), original.at("metadata").at("finalizers"));
  EXPECT_EQ(out.at("metadata").at("annotations").at("other-controller/state"), "keep-me");
  EXPECT_EQ(out.at("metadata").at("annotations").at("kube-vip.io/vipHost"), "node1");
  EXPECT_EQ(out.at("status").at("conditions"), original.at("status").at("conditions"));
  EXPECT_EQ(svc.ingress()[0].ip, "192.168.1.200");
  // Serialised and parsed back, nothing is lost.
  EXPECT_EQ(json::parse(json::serialize(out)).as_object(), out);
}

TEST(K8sObjects, IngressStatusPatch) {
  EXPECT_EQ(json::serialize(ingress_status_patch({{"192.168.1.200", "", "VIP"}})),
            R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.200","ipMode":"VIP"}]}}})");
  EXPECT_EQ(json::serialize(ingress_status_patch({})),
            R"({"status":{"loadBalancer":{"ingress":null}}})");
}

TEST(K8sObjects, LeaseFields) {
  auto l = lease::make("kube-system", "plndr-cp-lock");
  EXPECT_EQ(l.kind(), "Lease");
  EXPECT_EQ(l.api_version(), "coordination.k8s.io/v1");
  EXPECT_FALSE(l.holder_identity());
  l.set_holder_identity("node-a");
  l.set_lease_duration_seconds(5);
  auto t = parse_micro_time("2026-11-26T08:59:06.484405Z").value();
  l.set_acquire_time(t);
  l.set_renew_time(t + std::chrono::microseconds(4336));
  l.set_lease_transitions(2);
  EXPECT_EQ(l.holder_identity(), "node-a");
  EXPECT_EQ(l.lease_duration_seconds(), 5);
  EXPECT_EQ(l.acquire_time(), t);
  EXPECT_EQ(l.lease_transitions(), 2);
  EXPECT_EQ(l.raw().at("spec").at("renewTime"), "2026-11-26T08:59:06.488741Z");
  // A released Lease: holder "" is present, not absent.
  lease released(parse(R"({"spec":{"holderIdentity":"","leaseDurationSeconds":1,
    "renewTime":"2026-11-26T08:59:06Z"}})"));
  EXPECT_EQ(released.holder_identity(), "");
  EXPECT_FALSE(released.renew_time()); // not six digits
}

TEST(K8sObjects, MakeEvent) {
  service svc(parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web",
    "namespace":"default","uid":"u1","resourceVersion":"9"}})"));
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  event ev(make_event(
      svc, {"LoadBalancerAssigned", "assigned 192.168.1.200", "Normal", "kvip", "node1"}, now));
  EXPECT_EQ(ev.kind(), "Event");
  EXPECT_EQ(ev.namespace_name(), "default");
  EXPECT_EQ(ev.name().rfind("web.", 0), 0u);
  EXPECT_EQ(ev.reason(), "LoadBalancerAssigned");
  EXPECT_EQ(ev.involved_kind(), "Service");
  EXPECT_EQ(ev.involved_name(), "web");
  EXPECT_EQ(ev.raw().at("firstTimestamp"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(ev.raw().at("source").at("host"), "node1");
}
