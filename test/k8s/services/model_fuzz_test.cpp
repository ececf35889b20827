// k8s/services: Services, EndpointSlices and Endpoints whose fields have the wrong
// type or odd values never crash or throw; each parse gives a value or an error,
// and every later step (addresses, filter, identity, endpoints, sharing) accepts
// whatever a successful parse gives. Seeded, so failures reproduce.
#include <random>

#include <gtest/gtest.h>

#include "k8s/services/endpoints.hpp"
#include "k8s/services/filter.hpp"
#include "k8s/services/identity.hpp"
#include "k8s/services/sharing.hpp"
#include "test/k8s/services/fixtures.hpp"

namespace kvip::k8s::services {
namespace {

using namespace testing;

/// A value of a random kind, biased to what the parsers check.
json::value odd_value(std::mt19937& rng) {
  static const std::vector<json::value> pool = {nullptr,
                                                5,
                                                -1,
                                                70000,
                                                1.5,
                                                1e30,
                                                true,
                                                "",
                                                "x",
                                                "IPv6",
                                                "Local",
                                                "LoadBalancer",
                                                "0.0.0.0",
                                                "::",
                                                "10.0.0.1",
                                                "fd00::1",
                                                "10.0.0.1,fd00::1,a.b",
                                                json::array{},
                                                json::array{"IPv4", "IPv6"},
                                                json::object{},
                                                json::object{{"port", 80}}};
  return pool[rng() % pool.size()];
}

/// Replaces one random value somewhere in `v` (descending at random).
void scramble(std::mt19937& rng, json::value& v, int depth = 0) {
  if (depth < 8 && rng() % 4 != 0) {
    if (v.is_object() && !v.get_object().empty()) {
      auto& o = v.get_object();
      return scramble(rng, (o.begin() + static_cast<long>(rng() % o.size()))->value(), depth + 1);
    }
    if (v.is_array() && !v.get_array().empty()) {
      auto& a = v.get_array();
      return scramble(rng, a[rng() % a.size()], depth + 1);
    }
  }
  v = odd_value(rng);
}

/// Scrambles `k` values below the top level of object `v`.
void scramble_members(std::mt19937& rng, json::object& o, int k) {
  for (; k > 0; --k)
    scramble(rng, (o.begin() + static_cast<long>(rng() % o.size()))->value(), 1);
}

json::object slice_obj() {
  return json::parse(R"({"metadata":{"name":"web-a","labels":{"kubernetes.io/service-name":"web"}},
      "addressType":"IPv4","endpoints":[{"addresses":["10.244.1.5"],"nodeName":"n1",
      "conditions":{"ready":true,"serving":true,"terminating":false}}]})")
      .as_object();
}

TEST(ServiceModelFuzz, OddFieldsNeverCrash) {
  std::mt19937 rng{10};
  const auto good = service_json(R"({"metadata":{"annotations":{
      "kube-vip.io/loadbalancerIPs":"10.0.0.1,fd00::1","kube-vip.io/hwaddr":"00:00:6c:00:00:01",
      "kube-vip.io/leaseName":"a/b","kube-vip.io/egress-destination-ports":"tcp:443"}},
    "spec":{"ipFamilies":["IPv4","IPv6"],"ipFamilyPolicy":"PreferDualStack",
      "externalTrafficPolicy":"Local","loadBalancerIP":"10.0.0.1"},
    "status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.1"},{"hostname":"a.example.com"}]}}})");
  const auto reference = *parse_service(good);
  int ok = 0;
  sharing_table table;
  for (int i = 0; i < 20000; ++i) {
    json::value v = good;
    scramble_members(rng, v.as_object(), 1 + static_cast<int>(rng() % 3));
    auto s = parse_service(v.get_object());
    if (!s) {
      EXPECT_FALSE(s.err().message.empty());
      continue;
    }
    ++ok;
    auto sel = select_addresses(*s);
    (void)filter_service(*s, filter_config{});
    (void)identity_changes(reference, *s);
    table.upsert(claim_of(*s, sel, rng() % 2 == 0));
    (void)eligible_nodes(*s, endpoint_summary{}, {"n1"});
  }
  for (const auto& ip : table.addresses())
    (void)table.holders(ip);
  EXPECT_GT(ok, 100); // both paths exercised
}

TEST(ServiceModelFuzz, OddEndpointSlicesNeverCrash) {
  std::mt19937 rng{11};
  service_endpoints eps;
  int ok = 0;
  for (int i = 0; i < 20000; ++i) {
    json::value v = slice_obj();
    scramble_members(rng, v.as_object(), 1 + static_cast<int>(rng() % 2));
    if (auto s = parse_endpoint_slice(v.get_object())) {
      ++ok;
      eps.upsert_slice(*s);
    }
    json::object legacy{{"metadata", {{"name", "web"}}},
                        {"subsets", json::array{json::object{{"addresses", odd_value(rng)}}}}};
    (void)parse_endpoints(legacy);
  }
  (void)eps.summary();
  EXPECT_GT(ok, 100);
}

} // namespace
} // namespace kvip::k8s::services
