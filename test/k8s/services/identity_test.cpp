// Identity of a MODIFIED Service (k8s/services/identity, reference §3.1a step 6):
// which changes make a new instance, and which are in-place updates.
#include <gtest/gtest.h>

#include "k8s/services/identity.hpp"
#include "test/k8s/services/fixtures.hpp"

namespace kvip::k8s::services {
namespace {

using namespace testing;

TEST(Identity, WhichChangesMakeANewInstance) {
  const std::string base =
      R"({"metadata":{"annotations":{"kube-vip.io/loadbalancerIPs":"10.0.0.1,fd00::1"}},
      "spec":{"ipFamilies":["IPv4","IPv6"],"ipFamilyPolicy":"PreferDualStack"}})";
  struct row {
    std::string name;
    std::string patch; ///< merged over `base`
    std::vector<std::string> want;
  };
  std::vector<row> rows = {
      {"nothing", "{}", {}},
      {"ports, labels, other annotations, status: in place",
       R"({"metadata":{"labels":{"a":"b"},"resourceVersion":"9",
                       "annotations":{"kube-vip.io/vipHost":"n2","kube-vip.io/flush-conntrack":"true"}},
           "spec":{"ports":[{"port":443}]},
           "status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.9"}]}}})",
       {}},
      {"reordered addresses: same set",
       R"({"metadata":{"annotations":{"kube-vip.io/loadbalancerIPs":"fd00::1, 10.0.0.1"}}})",
       {}},
      {"address",
       R"({"metadata":{"annotations":{"kube-vip.io/loadbalancerIPs":"10.0.0.2,fd00::1"}}})",
       {"addresses"}},
      {"DHCP instead",
       R"({"metadata":{"annotations":{"kube-vip.io/loadbalancerIPs":"0.0.0.0,fd00::1"}}})",
       {"addresses"}},
      {"hostname added",
       R"({"metadata":{"annotations":{"kube-vip.io/loadbalancerIPs":"10.0.0.1,fd00::1,a.example.com"}}})",
       {"hostnames"}},
      {"traffic policy",
       R"({"spec":{"externalTrafficPolicy":"Local"}})",
       {"externalTrafficPolicy"}},
      {"families", R"({"spec":{"ipFamilies":["IPv6","IPv4"]}})", {"ipFamilies"}},
      {"family policy", R"({"spec":{"ipFamilyPolicy":"RequireDualStack"}})", {"ipFamilyPolicy"}},
      {"ddns", R"({"metadata":{"annotations":{"kube-vip.io/ddns":"true"}}})", {"kube-vip.io/ddns"}},
      {"leaseName",
       R"({"metadata":{"annotations":{"kube-vip.io/leaseName":"shared"}}})",
       {"kube-vip.io/leaseName"}},
      {"empty leaseName is the same as none",
       R"({"metadata":{"annotations":{"kube-vip.io/leaseName":""}}})",
       {}},
      {"recreated under the same name", R"({"metadata":{"uid":"u-web-2"}})", {"metadata.uid"}},
      {"several at once",
       R"({"metadata":{"annotations":{"kube-vip.io/loadbalancerIPs":"10.0.0.2"}},
           "spec":{"externalTrafficPolicy":"Local","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack"}})",
       {"addresses", "externalTrafficPolicy", "ipFamilies", "ipFamilyPolicy"}},
  };
  auto before = parsed(base);
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto obj = service_json(base);
    merge_into(obj, json::parse(r.patch).as_object());
    auto after = parse_service(obj);
    ASSERT_TRUE(after.ok()) << after.err().message;
    EXPECT_EQ(identity_changes(before, *after), r.want);
    EXPECT_EQ(identity_changed(before, *after), !r.want.empty());
  }
}

TEST(Identity, AddressesAsSelectedNotAsWritten) {
  // Status catching up with spec.loadBalancerIP does not change the addresses.
  auto spec_only = parsed(R"({"spec":{"loadBalancerIP":"10.0.0.5"}})");
  auto with_status = parsed(R"({"spec":{"loadBalancerIP":"10.0.0.5"},
      "status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.5"}]}}})");
  EXPECT_FALSE(identity_changed(spec_only, with_status));
  auto moved = parsed(R"({"spec":{"loadBalancerIP":"10.0.0.6"},
      "status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.5"}]}}})");
  EXPECT_EQ(identity_changes(with_status, moved), std::vector<std::string>{"addresses"});
}

} // namespace
} // namespace kvip::k8s::services
