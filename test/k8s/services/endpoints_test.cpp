// Endpoints of a Service (k8s/services/endpoints): strict EndpointSlice and v1
// Endpoints parsing, aggregation over every slice and both families (not kube-vip's
// last-slice-wins, W8), the ready / serving / terminating rule, and eligible_nodes
// for Cluster and Local policy.
#include <gtest/gtest.h>

#include "k8s/services/endpoints.hpp"
#include "test/k8s/services/fixtures.hpp"

namespace kvip::k8s::services {
namespace {

using namespace testing;

/// An EndpointSlice of default/web named `name` with `endpoints` (a JSON array).
json::object slice_json(const std::string& name, const std::string& type,
                        const std::string& endpoints) {
  return json::parse(R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
      "metadata":{"name":")" +
                     name + R"(","namespace":"default",
                  "labels":{"kubernetes.io/service-name":"web"}},
      "addressType":")" +
                     type + R"(","endpoints":)" + endpoints +
                     R"(,"ports":[{"name":"http","protocol":"TCP","port":8080}]})")
      .as_object();
}

endpoint_slice_info slice(const std::string& name, const std::string& type,
                          const std::string& endpoints) {
  auto r = parse_endpoint_slice(slice_json(name, type, endpoints));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message);
  return r.ok() ? *r : endpoint_slice_info{};
}

std::string ep(const std::string& ip, const std::string& node, const std::string& conditions) {
  return R"({"addresses":[")" + ip + R"("],"nodeName":")" + node + R"(","conditions":)" +
         conditions + "}";
}

const std::string ready = R"({"ready":true,"serving":true,"terminating":false})";
const std::string draining = R"({"ready":false,"serving":true,"terminating":true})";
const std::string down = R"({"ready":false,"serving":false,"terminating":false})";

TEST(EndpointSlice, ParsesConditionsAndNodes) {
  auto s =
      slice("web-a", "IPv4",
            "[" + ep("10.244.1.5", "node1", ready) + "," +
                R"({"addresses":["10.244.2.5"],"hostname":"node2"},)" +
                R"({"addresses":["10.244.3.5"],"nodeName":"node3","conditions":{"ready":false}}])");
  EXPECT_EQ(s.name, "web-a");
  EXPECT_EQ(s.service_name, "web");
  ASSERT_EQ(s.endpoints.size(), 3u);
  EXPECT_EQ(s.endpoints[0],
            (endpoint{{*net::ip_address::parse("10.244.1.5")}, true, true, false, "node1"}));
  // No conditions: unknown reads as ready; hostname stands in for nodeName.
  EXPECT_EQ(s.endpoints[1],
            (endpoint{{*net::ip_address::parse("10.244.2.5")}, true, true, false, "node2"}));
  // serving absent reads as the ready value.
  EXPECT_FALSE(s.endpoints[2].serving);
  EXPECT_TRUE(slice("web-e", "IPv4", "null").endpoints.empty());
  EXPECT_EQ(slice("web-f", "FQDN", R"([{"addresses":["a.example.com"]}])").type,
            address_type::fqdn);
}

TEST(EndpointSlice, MalformedInputNamesTheField) {
  struct row {
    std::string type;
    std::string endpoints;
    std::string error;
  };
  std::vector<row> rows = {
      {"IPv5", "[]", R"(addressType: "IPv5" is not IPv4, IPv6 or FQDN)"},
      {"IPv4", R"({"a":1})", "endpoints: expected an array, got object"},
      {"IPv4", "[1]", "endpoints[0]: expected an object, got number"},
      {"IPv4", R"([{"nodeName":"n"}])", "endpoints[0].addresses: missing"},
      {"IPv4", R"([{"addresses":"10.0.0.1"}])",
       "endpoints[0].addresses: expected an array, got string"},
      {"IPv4", R"([{"addresses":["10.0.0.1"]},{"addresses":["10.0.0.2","fd00::1"]}])",
       R"(endpoints[1].addresses[1]: "fd00::1" is not an IPv4 address)"},
      {"IPv6", R"([{"addresses":["10.0.0.1"]}])",
       R"(endpoints[0].addresses[0]: "10.0.0.1" is not an IPv6 address)"},
      {"IPv4", R"([{"addresses":[5]}])",
       "endpoints[0].addresses[0]: expected a string, got number"},
      {"IPv4", R"([{"addresses":["10.0.0.1"],"conditions":{"ready":"yes"}}])",
       "endpoints[0].conditions.ready: expected a bool, got string"},
      {"IPv4", R"([{"addresses":["10.0.0.1"],"conditions":[]}])",
       "endpoints[0].conditions: expected an object, got array"},
      {"IPv4", R"([{"addresses":["10.0.0.1"],"nodeName":7}])",
       "endpoints[0].nodeName: expected a string, got number"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.endpoints);
    auto got = parse_endpoint_slice(slice_json("s", r.type, r.endpoints));
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.err().message, r.error);
  }
  auto noname =
      parse_endpoint_slice(json::parse(R"({"metadata":{},"addressType":"IPv4"})").as_object());
  ASSERT_FALSE(noname.ok());
  EXPECT_EQ(noname.err().message, "metadata.name: missing");
  auto notype = parse_endpoint_slice(json::parse(R"({"metadata":{"name":"x"}})").as_object());
  ASSERT_FALSE(notype.ok());
  EXPECT_EQ(notype.err().message, "addressType: missing");
}

TEST(Endpoints, CoreV1ReadyAndNotReady) {
  auto r = parse_endpoints(json::parse(R"({"metadata":{"name":"web","namespace":"default"},
      "subsets":[{"addresses":[{"ip":"10.244.1.5","nodeName":"node1"}],
                  "notReadyAddresses":[{"ip":"10.244.2.9","nodeName":"node2"}]},
                 {"addresses":[{"ip":"fd00::5","hostname":"node3"}]}]})")
                               .as_object());
  ASSERT_TRUE(r.ok()) << r.err().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_TRUE((*r)[0].ready);
  EXPECT_FALSE((*r)[1].ready);
  EXPECT_FALSE((*r)[1].serving);
  EXPECT_EQ((*r)[2].node, "node3");
  auto s = summarize(*r);
  EXPECT_EQ(s.nodes, (std::set<std::string>{"node1", "node3"}));
  EXPECT_EQ(s.ready, 2u);

  struct row {
    std::string body;
    std::string error;
  };
  std::vector<row> rows = {
      {R"("subsets":{})", "subsets: expected an array, got object"},
      {R"("subsets":[{"addresses":[{"nodeName":"n"}]}])", "subsets[0].addresses[0].ip: missing"},
      {R"("subsets":[{"addresses":[{"ip":"10.0.0.1"}]},{"notReadyAddresses":[{"ip":"x"}]}])",
       R"(subsets[1].notReadyAddresses[0].ip: "x" is not an IP address)"},
  };
  for (const auto& row : rows) {
    auto got =
        parse_endpoints(json::parse(R"({"metadata":{"name":"web"},)" + row.body + "}").as_object());
    ASSERT_FALSE(got.ok()) << row.body;
    EXPECT_EQ(got.err().message, row.error);
  }
}

TEST(ServiceEndpoints, AggregatesEverySliceAndBothFamilies) {
  service_endpoints eps;
  eps.upsert_slice(slice("web-a", "IPv4", "[" + ep("10.244.1.5", "node1", ready) + "]"));
  eps.upsert_slice(slice("web-b", "IPv4", "[" + ep("10.244.2.5", "node2", ready) + "]"));
  eps.upsert_slice(slice("web-6", "IPv6", "[" + ep("fd00::5", "node3", ready) + "]"));
  // kube-vip would see node2 and node3 only (the last IPv4 slice replaces the first).
  EXPECT_EQ(eps.summary().nodes, (std::set<std::string>{"node1", "node2", "node3"}));
  EXPECT_EQ(eps.summary().ready, 3u);
  EXPECT_EQ(eps.slice_count(), 3u);
  // A MODIFIED slice replaces only itself.
  eps.upsert_slice(slice("web-a", "IPv4", "[" + ep("10.244.1.5", "node1", down) + "]"));
  EXPECT_EQ(eps.summary().nodes, (std::set<std::string>{"node2", "node3"}));
  eps.remove_slice("web-b");
  EXPECT_EQ(eps.summary().nodes, (std::set<std::string>{"node3"}));
  EXPECT_EQ(eps.summary().addresses.at("node3"),
            (std::vector<net::ip_address>{*net::ip_address::parse("fd00::5")}));
  // FQDN slices add nothing.
  eps.upsert_slice(
      slice("web-f", "FQDN", R"([{"addresses":["a.example.com"],"nodeName":"node9"}])"));
  EXPECT_EQ(eps.summary().total, 2u);
  eps.set_endpoints({endpoint{{*net::ip_address::parse("10.0.0.7")}, true, true, false, "n7"}});
  EXPECT_EQ(eps.summary().nodes, (std::set<std::string>{"n7"}));
  eps.clear();
  EXPECT_EQ(eps.summary(), endpoint_summary{});
}

endpoint on(const std::string& node, bool is_ready, bool serving, bool terminating) {
  return endpoint{{*net::ip_address::parse("10.244.0.1")}, is_ready, serving, terminating, node};
}

TEST(Summary, ReadyThenServingFallback) {
  struct row {
    std::string name;
    std::vector<endpoint> eps;
    std::set<std::string> nodes;
    std::size_t ready;
    bool fallback;
  };
  std::vector<row> rows = {
      {"none", {}, {}, 0, false},
      {"ready ones only, a draining pod elsewhere does not count",
       {on("n1", true, true, false), on("n2", false, true, true)},
       {"n1"},
       1,
       false},
      {"no ready endpoint: the serving (draining) ones keep the VIP",
       {on("n1", false, false, false), on("n2", false, true, true)},
       {"n2"},
       0,
       true},
      {"not ready, not serving: nothing", {on("n1", false, false, false)}, {}, 0, false},
      {"endpoint without node counts but is local nowhere",
       {on("", true, true, false)},
       {},
       1,
       false},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto s = summarize(r.eps);
    EXPECT_EQ(s.nodes, r.nodes);
    EXPECT_EQ(s.ready, r.ready);
    EXPECT_EQ(s.serving_fallback, r.fallback);
    EXPECT_EQ(s.total, r.eps.size());
  }
}

TEST(EligibleNodes, ClusterAndLocalPolicy) {
  const std::string local = R"({"spec":{"externalTrafficPolicy":"Local"}})";
  const std::string allow =
      R"({"metadata":{"annotations":{"kube-vip.io/allow-reconcile-without-endpoints":"true"}}})";
  const std::string local_allow =
      R"({"metadata":{"annotations":{"kube-vip.io/allow-reconcile-without-endpoints":"true"}},
          "spec":{"externalTrafficPolicy":"Local"}})";
  const std::vector<std::string> healthy = {"n3", "n1", "n2", "n1"};
  struct row {
    std::string name;
    std::string patch;
    std::vector<endpoint> eps;
    eligibility want;
  };
  const auto e1 = on("n1", true, true, false);
  const auto e9 = on("n9", true, true, false); // on a node that is not healthy
  const auto d2 = on("n2", false, true, true);
  std::vector<row> rows = {
      {"Cluster, endpoints anywhere: every healthy node", "{}", {e9}, {{"n1", "n2", "n3"}, ""}},
      {"Cluster, none",
       "{}",
       {},
       {{}, "no ready or serving endpoint (externalTrafficPolicy Cluster)"}},
      {"Cluster, none, allow-reconcile", allow, {}, {{"n1", "n2", "n3"}, ""}},
      {"Local: nodes with a ready local endpoint",
       local,
       {e1, e9, d2},
       {{"n1"}, "externalTrafficPolicy Local: only nodes with a ready local endpoint"}},
      {"Local: serving fallback",
       local,
       {d2},
       {{"n2"}, "externalTrafficPolicy Local: only nodes with a serving local endpoint"}},
      {"Local: endpoints only on unhealthy nodes",
       local,
       {e9},
       {{}, "no healthy node has a ready local endpoint (externalTrafficPolicy Local)"}},
      {"Local: none, allow-reconcile has no effect",
       local_allow,
       {},
       {{}, "no ready or serving endpoint (externalTrafficPolicy Local)"}},
      {"Local: every healthy node has one",
       local,
       {e1, on("n2", true, true, false), on("n3", true, true, false)},
       {{"n1", "n2", "n3"}, ""}},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    EXPECT_EQ(eligible_nodes(parsed(r.patch), summarize(r.eps), healthy), r.want);
  }
}

} // namespace
} // namespace kvip::k8s::services
