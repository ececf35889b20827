// Between the allocator and the API (k8s/ipam/allocation): what a Service holds
// and needs, the write-back and its merge patch, and an allocator rebuilt from
// Service objects (the annotations a restart finds).
#include <gtest/gtest.h>

#include "k8s/ipam/allocation.hpp"
#include "test/k8s/ipam/allocator_rows.hpp"

namespace kvip::k8s::ipam {
namespace {

namespace json = boost::json;
using namespace testing;

/// A Service of `type` with annotations, spec fields and status ingress IPs.
service svc(const std::string& name, json::object annotations, json::object spec = {},
            std::vector<std::string> ingress = {}, const std::string& type = "LoadBalancer") {
  spec["type"] = type;
  json::array ing;
  for (auto& i : ingress)
    ing.push_back(json::object{{"ip", i}});
  return service{json::object{
      {"metadata", {{"name", name}, {"namespace", "team-a"}, {"annotations", annotations}}},
      {"spec", spec},
      {"status", {{"loadBalancer", {{"ingress", ing}}}}}}};
}

std::string addresses(const std::vector<net::ip_address>& as) {
  std::string out;
  for (auto& a : as)
    out += (out.empty() ? "" : ",") + a.to_string();
  return out;
}

TEST(IpamAllocation, WhatAServiceHoldsAndNeeds) {
  const json::object ports{{"ports", json::array{json::object{{"port", 80}},
                                                 json::object{{"port", 53}, {"protocol", "UDP"}}}}};
  struct row {
    service s;
    std::string held;
    service_need need;
    std::string legacy = "";
  };
  std::vector<row> rows = {
      {svc("new", {}), "", service_need::allocate},
      {svc("blank", {{"kube-vip.io/loadbalancerIPs", " "}}), "", service_need::allocate},
      {svc("set", {{"kube-vip.io/loadbalancerIPs", "10.0.0.5, fd00::5,lb.example.com"}}),
       "10.0.0.5,fd00::5", service_need::nothing},
      {svc("legacy", {}, {{"loadBalancerIP", "10.0.0.7"}}), "10.0.0.7", service_need::adopt_legacy,
       "10.0.0.7"},
      {svc("both", {{"kube-vip.io/loadbalancerIPs", "10.0.0.8"}}, {{"loadBalancerIP", "10.0.0.9"}},
           {"10.0.0.10", "10.0.0.8"}),
       "10.0.0.8,10.0.0.9,10.0.0.10", service_need::nothing},
      {svc("status-only", {}, {}, {"10.0.0.11"}), "10.0.0.11", service_need::allocate},
      {svc("clusterip", {}, ports, {}, "ClusterIP"), "", service_need::nothing},
  };
  for (auto& r : rows) {
    auto got = read_service(r.s);
    EXPECT_EQ(got.held.service, (service_id{"team-a", r.s.name()}));
    EXPECT_EQ(addresses(got.held.addresses), r.held) << r.s.name();
    EXPECT_EQ(got.need, r.need) << r.s.name() << ": " << to_string(got.need);
    EXPECT_EQ(got.legacy.load_balancer_ips, r.legacy) << r.s.name();
    EXPECT_TRUE(got.problems.empty()) << r.s.name() << ": " << got.problems.front();
  }
  auto p = read_service(svc("ports", {}, ports));
  EXPECT_EQ(p.held.ports, (std::vector<port_id>{{"TCP", 80}, {"UDP", 53}}));
  EXPECT_EQ(p.want.ports, p.held.ports);
}

TEST(IpamAllocation, FamiliesPolicyAndProblems) {
  auto s = read_service(
      svc("dual", {},
          {{"ipFamilies", json::array{"IPv6", "IPv4"}}, {"ipFamilyPolicy", "RequireDualStack"}}));
  EXPECT_EQ(s.want.families, (std::vector<ip_family>{ip_family::v6, ip_family::v4}));
  EXPECT_EQ(s.want.policy, family_policy::require_dual_stack);
  EXPECT_EQ(read_service(svc("p", {}, {{"ipFamilyPolicy", "PreferDualStack"}})).want.policy,
            family_policy::prefer_dual_stack);
  auto bad = read_service(svc("bad", {},
                              {{"ipFamilies", json::array{"IPv5"}},
                               {"ipFamilyPolicy", "Sometimes"},
                               {"loadBalancerIP", "not-an-ip"}},
                              {"also-not"}));
  EXPECT_TRUE(bad.want.families.empty());
  EXPECT_EQ(bad.want.policy, family_policy::single_stack);
  EXPECT_EQ(bad.problems,
            (std::vector<std::string>{
                "spec.ipFamilies: \"IPv5\" is not IPv4 or IPv6",
                "spec.ipFamilyPolicy: \"Sometimes\" is not SingleStack, PreferDualStack or "
                "RequireDualStack; using SingleStack",
                "spec.loadBalancerIP: \"not-an-ip\" is not an IP address",
                "status.loadBalancer.ingress: \"also-not\" is not an IP address"}));
}

TEST(IpamAllocation, WritebackAndMergePatch) {
  allocation a;
  a.addresses = {ip("10.0.0.1"), ip("fd00::1")};
  a.interface = "eth1";
  auto w = writeback_for(a);
  EXPECT_EQ(w, (writeback{"10.0.0.1,fd00::1", "10.0.0.1", "eth1"}));
  EXPECT_EQ(
      json::serialize(service_patch(w, "42")),
      R"({"metadata":{"annotations":{"kube-vip.io/loadbalancerIPs":"10.0.0.1,fd00::1",)"
      R"("kube-vip.io/serviceInterface":"eth1"},"labels":{"implementation":"kube-vip","ipam-address":null},)"
      R"("resourceVersion":"42"},"spec":{"loadBalancerIP":"10.0.0.1"}})");
  allocation dhcp;
  dhcp.addresses = {ip("0.0.0.0")};
  dhcp.dhcp = true;
  EXPECT_EQ(
      json::serialize(service_patch(writeback_for(dhcp))),
      R"({"metadata":{"annotations":{"kube-vip.io/loadbalancerIPs":"0.0.0.0"},)"
      R"("labels":{"implementation":"kube-vip","ipam-address":null}},"spec":{"loadBalancerIP":"0.0.0.0"}})");
}

TEST(IpamAllocation, AnAllocatorRebuiltFromServiceObjectsKeepsTheirAddresses) {
  allocator before{parse_pool_config(data_t{{"cidr-global", "10.0.0.0/29"}})};
  std::vector<service> services;
  for (auto* name : {"a", "b", "c"}) {
    auto s = svc(name, {});
    auto r = read_service(s);
    ASSERT_EQ(r.need, service_need::allocate);
    auto got = before.allocate(r.want);
    ASSERT_TRUE(got);
    // What the patch does to the object.
    auto w = writeback_for(*got);
    s.set_annotation(loadbalancer_ips_annotation, w.load_balancer_ips);
    services.push_back(s);
  }
  services.push_back(svc("legacy", {}, {{"loadBalancerIP", "10.0.0.4"}}));
  allocator after{parse_pool_config(data_t{{"cidr-global", "10.0.0.0/29"}})};
  for (auto& s : services)
    after.observe(read_service(s).held);
  auto got = after.allocate(read_service(svc("d", {})).want);
  EXPECT_EQ(text(got), "10.0.0.5");
}

TEST(IpamAllocation, AStatusOnlyServiceGetsANewAddressAndKeepsTheOldInUse) {
  allocator a{parse_pool_config(data_t{{"cidr-global", "10.0.0.0/29"}})};
  auto r = read_service(svc("status-only", {}, {}, {"10.0.0.1"}));
  a.observe(r.held);
  EXPECT_EQ(text(a.allocate(r.want)), "10.0.0.2");
  EXPECT_TRUE(a.in_use(ip("10.0.0.1")));
  EXPECT_EQ(text(a.allocate(read_service(svc("other", {})).want)), "10.0.0.3");
}

} // namespace
} // namespace kvip::k8s::ipam
