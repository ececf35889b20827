// The IPAM allocator's knobs through load(): defaults (kube-vip-cloud-provider's
// ConfigMap kube-system/kubevip, Lease kvip-ipam), kube-vip-cloud-provider's env
// names KUBEVIP_CONFIG_MAP / KUBEVIP_NAMESPACE, kvip's own env and flag names and
// their precedence, and names Kubernetes would refuse.
#include "net/config/config.hpp"

#include <gtest/gtest.h>

using namespace kvip::net::config;

namespace {

load_result load_with(std::map<std::string, std::string> env,
                      std::map<std::string, std::string> flags = {}) {
  sources s;
  s.env = {{"vip_arp", "true"}, {"svc_enable", "true"}};
  s.env.insert(env.begin(), env.end());
  s.flags = std::move(flags);
  s.hostname = "node";
  return load(s);
}

std::string dump(const load_result& r) {
  std::string out;
  for (auto& p : r.problems)
    out += to_string(p) + "\n";
  return out;
}

TEST(ConfigIpamKnobs, DefaultsAreKubeVipCloudProvidersNames) {
  auto r = load_with({});
  ASSERT_TRUE(r.problems.empty()) << dump(r);
  EXPECT_EQ(r.cfg.ipam_config_map, "kubevip");
  EXPECT_EQ(r.cfg.ipam_config_map_namespace, "kube-system");
  EXPECT_EQ(r.cfg.ipam_lease_name, "kvip-ipam");
  int found = 0;
  for (auto& k : knobs())
    if (k.env.rfind("kvip_ipam_", 0) == 0) {
      ++found;
      EXPECT_EQ(k.kind, knob_kind::text) << k.env;
      EXPECT_FALSE(k.help.empty()) << k.env;
    }
  EXPECT_EQ(found, 3);
}

TEST(ConfigIpamKnobs, CloudProviderEnvNamesAndPrecedence) {
  auto cp = load_with({{"KUBEVIP_CONFIG_MAP", "pools"}, {"KUBEVIP_NAMESPACE", "lb-system"}});
  ASSERT_TRUE(cp.problems.empty()) << dump(cp);
  EXPECT_EQ(cp.cfg.ipam_config_map, "pools");
  EXPECT_EQ(cp.cfg.ipam_config_map_namespace, "lb-system");
  auto own = load_with({{"kvip_ipam_configmap", "mine"}, {"kvip_ipam_leasename", "ipam-lock"}},
                       {{"ipamNamespace", "flagged"}});
  ASSERT_TRUE(own.problems.empty()) << dump(own);
  EXPECT_EQ(own.cfg.ipam_config_map, "mine");
  EXPECT_EQ(own.cfg.ipam_config_map_namespace, "flagged");
  EXPECT_EQ(own.cfg.ipam_lease_name, "ipam-lock");
  auto flag = load_with({{"KUBEVIP_CONFIG_MAP", "env"}}, {{"ipamConfigMap", "flag"}});
  EXPECT_EQ(flag.cfg.ipam_config_map, "flag");
}

TEST(ConfigIpamKnobs, NamesKubernetesWouldRefuseAreErrors) {
  for (auto [env, value] : std::map<std::string, std::string>{{"KUBEVIP_CONFIG_MAP", "Kube_VIP"},
                                                              {"kvip_ipam_namespace", "a.b"},
                                                              {"kvip_ipam_leasename", "x/y"}}) {
    auto r = load_with({{env, value}});
    ASSERT_FALSE(r.problems.empty()) << env;
    EXPECT_NE(dump(r).find(value), std::string::npos) << dump(r);
  }
}

} // namespace
