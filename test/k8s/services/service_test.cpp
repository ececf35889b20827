// The Service model (k8s/services/service): strict parsing with errors naming the
// field and the value, the Lease name, and select_addresses (reference §3.2:
// annotation > status unless spec differs for the family > spec; DHCP requests;
// DNS names; the ipFamilies filter).
#include <gtest/gtest.h>

#include "k8s/services/service.hpp"
#include "test/k8s/services/fixtures.hpp"

namespace kvip::k8s::services {
namespace {

using namespace testing;
using source = address_selection::source;

TEST(ServiceParse, ReadsEveryField) {
  auto s = parsed(R"({"metadata":{"labels":{"app":"web"},
      "annotations":{"kube-vip.io/loadbalancerIPs":"192.168.1.200","kube-vip.io/vipHost":"node1"}},
    "spec":{"loadBalancerClass":"kube-vip.io/kube-vip-class","loadBalancerIP":"192.168.1.200",
      "ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080,"nodePort":30001},
               {"name":"dns","protocol":"UDP","port":53}],
      "ipFamilies":["IPv4","IPv6"],"ipFamilyPolicy":"PreferDualStack",
      "externalTrafficPolicy":"Local"},
    "status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.200","ipMode":"VIP"},
                                          {"hostname":"lb.example.com"}]}}})");
  EXPECT_EQ(s.key(), "default/web");
  EXPECT_EQ(s.uid, "u-web");
  EXPECT_EQ(s.resource_version, "1");
  ASSERT_TRUE(s.created.has_value());
  EXPECT_EQ(net::format_rfc3339(*s.created, false), "2026-01-01T00:00:00Z");
  EXPECT_TRUE(s.is_load_balancer());
  EXPECT_EQ(s.load_balancer_class, "kube-vip.io/kube-vip-class");
  EXPECT_EQ(s.external_traffic_policy, traffic_policy::local);
  EXPECT_EQ(s.ip_families, (std::vector<ip_family>{ip_family::v4, ip_family::v6}));
  EXPECT_EQ(s.ip_family_policy, family_policy::prefer_dual_stack);
  EXPECT_EQ(s.ports,
            (std::vector<service_port>{{"http", protocol::tcp, 80}, {"dns", protocol::udp, 53}}));
  EXPECT_EQ(s.load_balancer_ip, net::ip_address::parse("192.168.1.200"));
  ASSERT_EQ(s.ingress.size(), 2u);
  EXPECT_EQ(s.ingress[0].ip, net::ip_address::parse("192.168.1.200"));
  EXPECT_EQ(s.ingress[1].hostname, "lb.example.com");
  EXPECT_EQ(s.labels.at("app"), "web");
  EXPECT_EQ(s.kv.vip_host, "node1");
  ASSERT_TRUE(s.kv.loadbalancer_ips.has_value());
  EXPECT_EQ(s.kv.loadbalancer_ips->ips.size(), 1u);
}

TEST(ServiceParse, DefaultsOfAbsentFields) {
  auto r = parse_service(json::parse(R"({"metadata":{"name":"a","namespace":"b"}})").as_object());
  ASSERT_TRUE(r.ok()) << r.err().message;
  EXPECT_EQ(r->type, "ClusterIP");
  EXPECT_FALSE(r->is_load_balancer());
  EXPECT_FALSE(r->load_balancer_class.has_value());
  EXPECT_EQ(r->external_traffic_policy, traffic_policy::cluster);
  EXPECT_EQ(r->ip_family_policy, family_policy::unset);
  EXPECT_TRUE(r->ports.empty());
  EXPECT_FALSE(r->created.has_value());
  // null reads as absent, as the API server may send it.
  auto n = parse_service(service_json(R"({"spec":{"ports":null,"loadBalancerIP":"",
      "externalTrafficPolicy":""},"status":{"loadBalancer":{"ingress":null}}})"));
  ASSERT_TRUE(n.ok()) << n.err().message;
  EXPECT_TRUE(n->ports.empty());
  EXPECT_FALSE(n->load_balancer_ip.has_value());
}

TEST(ServiceParse, MalformedInputNamesTheFieldAndValue) {
  struct row {
    std::string patch;
    std::string error;
  };
  std::vector<row> rows = {
      {R"({"kind":"Pod"})", R"(kind: "Pod" is not Service)"},
      {R"({"metadata":{"name":5}})", "metadata.name: expected a string, got number"},
      {R"({"metadata":{"name":""}})", "metadata.name: missing"},
      {R"({"metadata":{"namespace":null}})", "metadata.namespace: missing"},
      {R"({"metadata":{"annotations":{"a":1}}})",
       "metadata.annotations.a: expected a string, got number"},
      {R"({"metadata":{"labels":["x"]}})", "metadata.labels: expected an object, got array"},
      {R"({"metadata":{"creationTimestamp":"yesterday"}})",
       R"(metadata.creationTimestamp: "yesterday" is not an RFC 3339 time)"},
      {R"({"spec":"x"})", "spec: expected an object, got string"},
      {R"({"spec":{"type":"Balancer"}})",
       R"(spec.type: "Balancer" is not ClusterIP, NodePort, LoadBalancer or ExternalName)"},
      {R"({"spec":{"loadBalancerClass":5}})",
       "spec.loadBalancerClass: expected a string, got number"},
      {R"({"spec":{"ports":"80"}})", "spec.ports: expected an array, got string"},
      {R"({"spec":{"ports":[80]}})", "spec.ports[0]: expected an object, got number"},
      {R"({"spec":{"ports":[{"port":"80"}]}})",
       "spec.ports[0].port: expected an integer, got string"},
      {R"({"spec":{"ports":[{"port":70000}]}})",
       "spec.ports[0].port: 70000 is not a port number (1-65535)"},
      {R"({"spec":{"ports":[{"port":1.5}]}})",
       "spec.ports[0].port: 1.5E0 is not an integer in range"},
      {R"({"spec":{"ports":[{"name":"x"}]}})", "spec.ports[0].port: missing"},
      {R"({"spec":{"ports":[{"port":80},{"protocol":"HTTP","port":81}]}})",
       R"(spec.ports[1].protocol: "HTTP" is not TCP, UDP or SCTP)"},
      {R"({"spec":{"ipFamilies":"IPv4"}})", "spec.ipFamilies: expected an array, got string"},
      {R"({"spec":{"ipFamilies":["IPv4","IPv5"]}})",
       R"(spec.ipFamilies[1]: "IPv5" is not IPv4 or IPv6)"},
      {R"({"spec":{"ipFamilies":["IPv4",6]}})",
       "spec.ipFamilies[1]: expected a string, got number"},
      {R"({"spec":{"ipFamilies":["IPv6","IPv6"]}})",
       R"(spec.ipFamilies[1]: "IPv6" is listed twice)"},
      {R"({"spec":{"ipFamilyPolicy":"DualStack"}})",
       R"(spec.ipFamilyPolicy: "DualStack" is not SingleStack, PreferDualStack or RequireDualStack)"},
      {R"({"spec":{"ipFamilyPolicy":"SingleStack","ipFamilies":["IPv4","IPv6"]}})",
       "spec.ipFamilyPolicy: SingleStack with two spec.ipFamilies"},
      {R"({"spec":{"externalTrafficPolicy":"Global"}})",
       R"(spec.externalTrafficPolicy: "Global" is not Cluster or Local)"},
      {R"({"spec":{"loadBalancerIP":"10.0.0.300"}})",
       R"(spec.loadBalancerIP: "10.0.0.300" is not an IP address)"},
      {R"({"status":{"loadBalancer":{"ingress":"x"}}})",
       "status.loadBalancer.ingress: expected an array, got string"},
      {R"({"status":{"loadBalancer":{"ingress":[5]}}})",
       "status.loadBalancer.ingress[0]: expected an object, got number"},
      {R"({"status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.1"},{"ip":"bad"}]}}})",
       R"(status.loadBalancer.ingress[1].ip: "bad" is not an IP address)"},
      {R"({"status":{"loadBalancer":{"ingress":[{"hostname":7}]}}})",
       "status.loadBalancer.ingress[0].hostname: expected a string, got number"},
      {R"({"status":[]})", "status: expected an object, got array"},
      {R"({"metadata":{"annotations":{"kube-vip.io/loadbalancerIPs":"10.0.0.1,10.0.0.300"}}})",
       R"(kube-vip.io/loadbalancerIPs: "10.0.0.1,10.0.0.300" has "10.0.0.300", neither an IP address nor a DNS name)"},
      {R"({"metadata":{"annotations":{"kube-vip.io/serviceInterface":"eth0:1"}}})",
       R"(kube-vip.io/serviceInterface: "eth0:1" is not an interface name (1-15 bytes, no '/', ':' or spaces) or "auto")"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.patch);
    auto got = parse_service(service_json(r.patch));
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.err().kind, error_kind::invalid);
    EXPECT_EQ(got.err().message, r.error);
  }
}

TEST(ServiceParse, NotAnObjectAtAllIsAnError) {
  auto r = parse_service(json::object{{"metadata", "x"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().message, "metadata: expected an object, got string");
  EXPECT_EQ(parse_service(json::object{}).err().message, "metadata: missing");
}

TEST(ServiceLease, KubeVipNames) {
  EXPECT_EQ(service_lease(parsed()), (lease_ref{"default", "kubevip-web"}));
  EXPECT_EQ(
      service_lease(parsed(R"({"metadata":{"annotations":{"kube-vip.io/leaseName":"shared"}}})")),
      (lease_ref{"default", "shared"}));
  EXPECT_EQ(service_lease(
                parsed(R"({"metadata":{"annotations":{"kube-vip.io/leaseName":"infra/shared"}}})")),
            (lease_ref{"infra", "shared"}));
  // Empty reads as absent (kube-vip: the default name).
  EXPECT_EQ(service_lease(parsed(R"({"metadata":{"annotations":{"kube-vip.io/leaseName":""}}})")),
            (lease_ref{"default", "kubevip-web"}));
}

std::vector<std::string> texts(const std::vector<net::ip_address>& ips) {
  std::vector<std::string> out;
  for (const auto& ip : ips)
    out.push_back(ip.to_string());
  return out;
}

struct address_row {
  std::string name;
  std::string patch;
  source from;
  std::vector<std::string> addresses;
  std::vector<std::string> hostnames = {};
  bool dhcp_v4 = false;
  bool dhcp_v6 = false;
  std::size_t excluded = 0;
  std::size_t notes = 0;
};

const std::string a = R"({"metadata":{"annotations":{"kube-vip.io/loadbalancerIPs":)";
const std::string st = R"("status":{"loadBalancer":{"ingress":)";
const std::string dual = R"("ipFamilies":["IPv4","IPv6"],"ipFamilyPolicy":"PreferDualStack")";

// Reference §3.2 order: annotation, status, spec.
std::vector<address_row> priority_rows() {
  return {
      {"annotation, dual stack",
       a + R"(" 10.0.0.1 , fd00::1"}}})",
       source::annotation,
       {"10.0.0.1", "fd00::1"}},
      {"annotation wins over status and spec",
       a + R"("10.0.0.1"}},"spec":{"loadBalancerIP":"10.0.0.3"},)" + st +
           R"([{"ip":"10.0.0.2"}]}}})",
       source::annotation,
       {"10.0.0.1"}},
      {"status", "{" + st + R"([{"ip":"10.0.0.2"}]}}})", source::status, {"10.0.0.2"}},
      {"status equal to spec",
       R"({"spec":{"loadBalancerIP":"10.0.0.2"},)" + st + R"([{"ip":"10.0.0.2"}]}}})",
       source::status,
       {"10.0.0.2"}},
      {"spec differs from status of its family: spec wins",
       R"({"spec":{"loadBalancerIP":"10.0.0.3"},)" + st + R"([{"ip":"10.0.0.2"}]}}})",
       source::status_and_spec,
       {"10.0.0.3"}},
      {"spec replaces only its family",
       R"({"spec":{"loadBalancerIP":"10.0.0.3",)" + dual + "}," + st +
           R"([{"ip":"10.0.0.2"},{"ip":"fd00::2"},{"ip":"10.0.0.4"}]}}})",
       source::status_and_spec,
       {"10.0.0.3", "fd00::2"}},
      {"spec of a family status lacks: status as is",
       R"({"spec":{"loadBalancerIP":"10.0.0.3",)" + dual + "}," + st + R"([{"ip":"fd00::2"}]}}})",
       source::status,
       {"fd00::2"}},
      {"spec only", R"({"spec":{"loadBalancerIP":"10.0.0.3"}})", source::spec, {"10.0.0.3"}},
      {"nothing", "{}", source::none, {}},
  };
}

// DHCP requests, DNS names, families, duplicates.
std::vector<address_row> kind_rows() {
  return {
      {"annotation 0.0.0.0 is DHCP", a + R"("0.0.0.0"}}})", source::annotation, {}, {}, true},
      {"annotation 0.0.0.0 and ::",
       a + R"("0.0.0.0,::"}},"spec":{)" + dual + "}}",
       source::annotation,
       {},
       {},
       true,
       true},
      {"spec 0.0.0.0 is DHCP",
       R"({"spec":{"loadBalancerIP":"0.0.0.0"}})",
       source::spec,
       {},
       {},
       true},
      {"DNS names",
       a + R"("web.example.com,10.0.0.1"}}})",
       source::annotation,
       {"10.0.0.1"},
       {"web.example.com"}},
      {"status hostname",
       "{" + st + R"([{"hostname":"lb.example.com"}]}}})",
       source::status,
       {},
       {"lb.example.com"}},
      {"SingleStack IPv4 drops IPv6",
       a + R"("10.0.0.1,fd00::1"}},"spec":{"ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack"}})",
       source::annotation,
       {"10.0.0.1"},
       {},
       false,
       false,
       1},
      {"IPv6 only drops IPv4 and its DHCP",
       a + R"("10.0.0.1,0.0.0.0"}},"spec":{"ipFamilies":["IPv6"]}})",
       source::annotation,
       {},
       {},
       false,
       false,
       2},
      {"PreferDualStack IPv6 first keeps both",
       a + R"("10.0.0.1,fd00::1"}},"spec":{"ipFamilies":["IPv6","IPv4"],"ipFamilyPolicy":"PreferDualStack"}})",
       source::annotation,
       {"10.0.0.1", "fd00::1"}},
      {"RequireDualStack with one family: a note",
       a + R"("10.0.0.1"}},"spec":{"ipFamilies":["IPv4","IPv6"],"ipFamilyPolicy":"RequireDualStack"}})",
       source::annotation,
       {"10.0.0.1"},
       {},
       false,
       false,
       0,
       1},
      {"duplicates once, canonical",
       a + R"("fd00::1,fd00:0::1,10.0.0.1,10.0.0.1"}}})",
       source::annotation,
       {"fd00::1", "10.0.0.1"}},
      {"empty annotation falls through to spec",
       a + R"(""}},"spec":{"loadBalancerIP":"10.0.0.3"}})",
       source::spec,
       {"10.0.0.3"}},
  };
}

TEST(SelectAddresses, ReferenceOrderDhcpDnsAndFamilies) {
  auto rows = priority_rows();
  for (const auto& r : kind_rows())
    rows.push_back(r);
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto s = parsed(r.patch);
    auto got = select_addresses(s);
    EXPECT_EQ(got.from, r.from) << to_string(got.from);
    EXPECT_EQ(texts(got.addresses), r.addresses);
    EXPECT_EQ(got.hostnames, r.hostnames);
    EXPECT_EQ(got.dhcp_v4, r.dhcp_v4);
    EXPECT_EQ(got.dhcp_v6, r.dhcp_v6);
    EXPECT_EQ(got.excluded.size(), r.excluded);
    EXPECT_EQ(got.notes.size(), r.notes);
    EXPECT_EQ(got.empty(), r.addresses.empty() && r.hostnames.empty() && !r.dhcp_v4 && !r.dhcp_v6);
  }
}

TEST(SelectAddresses, ExclusionAndNoteSayWhy) {
  auto got = select_addresses(parsed(
      R"({"metadata":{"annotations":{"kube-vip.io/loadbalancerIPs":"10.0.0.1,fd00::1"}},
          "spec":{"ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack"}})"));
  ASSERT_EQ(got.excluded.size(), 1u);
  EXPECT_EQ(got.excluded[0],
            "fd00::1: not announced, the Service's families are IPv4 (spec.ipFamilies, "
            "ipFamilyPolicy)");
  auto req = select_addresses(parsed(
      R"({"spec":{"loadBalancerIP":"fd00::5","ipFamilies":["IPv6","IPv4"],
                  "ipFamilyPolicy":"RequireDualStack"}})"));
  ASSERT_EQ(req.notes.size(), 1u);
  EXPECT_EQ(req.notes[0], "spec.ipFamilyPolicy RequireDualStack but no IPv4 address");
}

TEST(SelectAddresses, DhcpAndDuplicateDhcpInTheAnnotation) {
  auto r = parse_service(service_json(
      R"({"metadata":{"annotations":{"kube-vip.io/loadbalancerIPs":"0.0.0.0,0.0.0.0"}}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().message,
            R"(kube-vip.io/loadbalancerIPs: "0.0.0.0,0.0.0.0" lists "0.0.0.0" twice)");
  auto e = parse_service(service_json(
      R"({"metadata":{"annotations":{"kube-vip.io/loadbalancerIPs":"10.0.0.1,,10.0.0.2"}}})"));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.err().message,
            R"(kube-vip.io/loadbalancerIPs: "10.0.0.1,,10.0.0.2" has an empty entry)");
}

} // namespace
} // namespace kvip::k8s::services
