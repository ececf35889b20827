// The service watcher's pure parts, without threads or HTTP: the model
// (actors/service_watcher_model.hpp: Service and EndpointSlice events -> the
// set of Service IPs and the per-Service reports) and its share of kube-vip's
// metric families (actors/service_watcher_metrics.hpp).
#define CAF_SUITE service_watcher_model
#include "test/actors/fixture.hpp"

#include <string>

#include <boost/json.hpp>

#include "actors/service_watcher_metrics.hpp"
#include "actors/service_watcher_model.hpp"
#include "net/telemetry/kube_vip_metrics.hpp"
#include "net/telemetry/metrics.hpp"
#include "test/support/exposition.hpp"

namespace {

using kvip::service_watch_model;
using kvip::k8s::event_type;
using kvip::k8s::watch_event;

/// A LoadBalancer Service in `ns` with `ip` in kube-vip.io/loadbalancerIPs
/// ("" = no address) and one TCP port.
watch_event service(event_type t, const std::string& ns, const std::string& name,
                    const std::string& ip, int port = 80, const std::string& policy = "Cluster") {
  boost::json::object ann;
  if (!ip.empty()) ann["kube-vip.io/loadbalancerIPs"] = ip;
  boost::json::object meta{
      {"name", name}, {"namespace", ns}, {"uid", ns + "-" + name + "-uid"}, {"annotations", ann}};
  boost::json::object spec{
      {"type", "LoadBalancer"},
      {"externalTrafficPolicy", policy},
      {"ports", boost::json::array{boost::json::object{{"port", port}, {"protocol", "TCP"}}}}};
  return {t, boost::json::object{
                 {"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", meta}, {"spec", spec}}};
}

/// An EndpointSlice of ns/svc with one ready endpoint on `node`.
watch_event slice(event_type t, const std::string& ns, const std::string& svc,
                  const std::string& node) {
  boost::json::object meta{{"name", svc + "-abc"},
                           {"namespace", ns},
                           {"labels", boost::json::object{{"kubernetes.io/service-name", svc}}}};
  boost::json::object ep{{"addresses", boost::json::array{"10.244.0.5"}},
                         {"conditions", boost::json::object{{"ready", true}, {"serving", true}}},
                         {"nodeName", node}};
  return {t, boost::json::object{{"apiVersion", "discovery.k8s.io/v1"},
                                 {"kind", "EndpointSlice"},
                                 {"metadata", meta},
                                 {"addressType", "IPv4"},
                                 {"endpoints", boost::json::array{ep}}}};
}

double value(const std::string& text, const std::string& name,
             const kvip::test::label_set& labels) {
  return kvip::test::exposed_value(text, name, labels).value_or(-1);
}

} // namespace

CAF_TEST(a Cluster Service is announced from any node and a Local one only where it has endpoints) {
  service_watch_model m{{}};
  CAF_CHECK(m.on_service(service(event_type::added, "shop", "web", "10.99.2.1")));
  CAF_CHECK(m.on_service(service(event_type::added, "shop", "db", "10.99.2.2", 5432, "Local")));
  // A Cluster Service waits for an endpoint anywhere (kube-vip: WaitingEndpoints).
  CAF_CHECK_EQUAL(m.compute().reports["shop/web"].reason, "no_endpoints");
  std::string problem;
  CAF_CHECK(m.on_endpoint_slice(slice(event_type::added, "shop", "web", "n1"), problem));
  CAF_CHECK(m.on_endpoint_slice(slice(event_type::added, "shop", "db", "n2"), problem));
  CAF_CHECK_EQUAL(problem, "");
  auto set = m.compute();
  CAF_REQUIRE_EQUAL(set.ips.size(), 2u);
  CAF_CHECK_EQUAL(set.ips[0].address, "10.99.2.1");
  CAF_CHECK(set.ips[0].any_node);
  CAF_CHECK_EQUAL(set.ips[1].address, "10.99.2.2");
  CAF_CHECK(!set.ips[1].any_node);
  CAF_CHECK_EQUAL(set.ips[1].nodes, std::vector<std::string>{"n2"});
  // The endpoint moves: so do the eligible nodes.
  CAF_CHECK(m.on_endpoint_slice(slice(event_type::modified, "shop", "db", "n3"), problem));
  auto moved = m.compute();
  CAF_REQUIRE_EQUAL(moved.ips.size(), 2u);
  CAF_CHECK_EQUAL(moved.ips[1].nodes.size(), 1u);
  CAF_CHECK_EQUAL(moved.ips[1].nodes.front(), "n3");
  CAF_CHECK(m.on_service(service(event_type::deleted, "shop", "web", "10.99.2.1")));
  CAF_CHECK_EQUAL(m.compute().ips.size(), 1u);
}

CAF_TEST(reports name the reason a Service is left out) {
  service_watch_model m{{}};
  m.on_service(service(event_type::added, "a", "noaddr", ""));
  m.on_service(service(event_type::added, "a", "dhcp", "0.0.0.0"));
  m.on_service(service(event_type::added, "a", "first", "10.99.2.9", 80));
  m.on_service(service(event_type::added, "b", "second", "10.99.2.9", 80)); // same port
  std::string problem;
  m.on_endpoint_slice(slice(event_type::added, "a", "first", "n1"), problem);
  m.on_endpoint_slice(slice(event_type::added, "b", "second", "n1"), problem);
  auto set = m.compute();
  CAF_CHECK_EQUAL(set.reports["a/noaddr"].reason, "no_address");
  CAF_CHECK(!set.reports["a/noaddr"].warning);
  CAF_CHECK_EQUAL(set.reports["a/dhcp"].reason, "unsupported_address");
  CAF_CHECK(set.reports["a/dhcp"].warning);
  CAF_CHECK_EQUAL(set.reports["b/second"].reason, "ip_conflict");
  CAF_CHECK(set.reports["b/second"].warning);
  CAF_REQUIRE_EQUAL(set.ips.size(), 1u);
  CAF_CHECK_EQUAL(set.ips[0].services.size(), 1u);
  CAF_CHECK_EQUAL(set.ips[0].services[0].name, "first");
}

CAF_TEST(every report reason has a skip reason of kube_vip_metrics) {
  using kvip::net::telemetry::skip_reason;
  for (const char* r :
       {"invalid_service", "invalid_config", "ignored", "load_balancer_class", "no_address",
        "unsupported_address", "ip_conflict", "no_endpoints", "local_endpoints_elsewhere"})
    CAF_CHECK(kvip::skip_reason_of(r).has_value());
  CAF_CHECK(!kvip::skip_reason_of("").has_value());
  CAF_CHECK(kvip::skip_reason_of("unsupported_address") == skip_reason::unsupported_address);
  CAF_CHECK(kvip::skip_reason_of("local_endpoints_elsewhere") == skip_reason::no_endpoints);
}

CAF_TEST(published metrics follow the set and forget Services that left) {
  kvip::net::telemetry::registry reg;
  kvip::net::telemetry::kube_vip_metrics kv{reg, "n1"};
  kvip::kube_vip_view view;
  service_watch_model m{{}};
  m.on_service(service(event_type::added, "shop", "web", "10.99.2.1"));
  m.on_service(service(event_type::added, "shop", "api", "10.99.2.3"));
  m.on_service(service(event_type::added, "ops", "noaddr", ""));
  std::string problem;
  m.on_endpoint_slice(slice(event_type::added, "shop", "web", "n1"), problem);
  m.on_endpoint_slice(slice(event_type::added, "shop", "api", "n2"), problem);
  kvip::publish_kube_vip(kv, m.compute(), view);
  kvip::count_reconcile_error(kv, "ops/broken", "invalid_service");
  auto text = reg.expose();
  CAF_CHECK_EQUAL(value(text, "kube_vip_active_services", {{"namespace", "shop"}}), 2);
  CAF_CHECK_EQUAL(value(text, "kvip_services_skipped", {{"reason", "no_address"}}), 1);
  CAF_CHECK_EQUAL(value(text, "kvip_services_skipped", {{"reason", "ip_conflict"}}), 0);
  CAF_CHECK_EQUAL(value(text, "kube_vip_service_reconcile_errors_total",
                        {{"namespace", "ops"}, {"name", "broken"}, {"reason", "invalid_config"}}),
                  1);
  m.on_service(service(event_type::deleted, "shop", "web", "10.99.2.1"));
  m.on_service(service(event_type::deleted, "shop", "api", "10.99.2.3"));
  m.on_service(service(event_type::deleted, "ops", "noaddr", ""));
  kvip::publish_kube_vip(kv, m.compute(), view);
  text = reg.expose();
  // A namespace without Services has no series, as in kube-vip.
  CAF_CHECK_EQUAL(value(text, "kube_vip_active_services", {{"namespace", "shop"}}), -1);
  CAF_CHECK_EQUAL(value(text, "kvip_services_skipped", {{"reason", "no_address"}}), 0);
  CAF_CHECK(view.services.empty());
}

CAF_TEST(reconcile durations are observed for Services the set still names) {
  kvip::net::telemetry::registry reg;
  kvip::net::telemetry::kube_vip_metrics kv{reg, "n1"};
  kvip::kube_vip_view view;
  service_watch_model m{{}};
  m.on_service(service(event_type::added, "shop", "web", "10.99.2.1"));
  std::string problem;
  m.on_endpoint_slice(slice(event_type::added, "shop", "web", "n1"), problem);
  // "ops/gone" changed, then left before the compute: never observed.
  kvip::publish_kube_vip(kv, m.compute(), view, {{"shop/web", 0.012}, {"ops/gone", 0.5}});
  auto text = reg.expose();
  CAF_CHECK_EQUAL(
      value(text, "kube_vip_service_reconcile_duration_seconds_count", {{"namespace", "shop"}}), 1);
  CAF_CHECK_EQUAL(
      value(text, "kube_vip_service_reconcile_duration_seconds_count", {{"namespace", "ops"}}), -1);
  CAF_CHECK_EQUAL(value(text, "kube_vip_service_reconcile_duration_seconds_bucket",
                        {{"namespace", "shop"}, {"le", "0.01"}}),
                  0);
  CAF_CHECK_EQUAL(value(text, "kube_vip_service_reconcile_duration_seconds_bucket",
                        {{"namespace", "shop"}, {"le", "0.025"}}),
                  1);
  // The namespace's last Service goes: so does its histogram.
  m.on_service(service(event_type::deleted, "shop", "web", "10.99.2.1"));
  kvip::publish_kube_vip(kv, m.compute(), view);
  text = reg.expose();
  CAF_CHECK_EQUAL(
      value(text, "kube_vip_service_reconcile_duration_seconds_count", {{"namespace", "shop"}}),
      -1);
}

CAF_TEST(forcePerServiceElection gives an IP its own Lease only with on demand election) {
  auto forced = [](const std::string& name, const std::string& ip) {
    auto e = service(event_type::added, "shop", name, ip);
    e.object.at("metadata")
        .as_object()["annotations"]
        .as_object()["kube-vip.io/forcePerServiceElection"] = "true";
    return e;
  };
  for (bool on_demand : {false, true}) {
    kvip::k8s::services::filter_config cfg;
    cfg.per_service_election_on_demand = on_demand;
    service_watch_model m{cfg};
    m.on_service(forced("web", "10.99.2.1"));
    m.on_service(service(event_type::added, "shop", "api", "10.99.2.2"));
    std::string problem;
    m.on_endpoint_slice(slice(event_type::added, "shop", "web", "n1"), problem);
    m.on_endpoint_slice(slice(event_type::added, "shop", "api", "n1"), problem);
    auto set = m.compute();
    CAF_REQUIRE_EQUAL(set.ips.size(), 2u);
    CAF_CHECK_EQUAL(set.ips[0].own_lease, on_demand); // its Service forces it
    CAF_CHECK_EQUAL(set.ips[0].lease_name, "kubevip-web");
    CAF_CHECK(!set.ips[1].own_lease);
  }
}

CAF_TEST(flush - conntrack on any Service of a shared IP flags the IP) {
  auto flagged = [](const std::string& name, const std::string& ip, const char* value,
                    int port = 80) {
    auto e = service(event_type::added, "shop", name, ip, port);
    e.object.at("metadata").as_object()["annotations"].as_object()["kube-vip.io/flush-conntrack"] =
        value;
    return e;
  };
  service_watch_model m{kvip::k8s::services::filter_config{}};
  m.on_service(flagged("web", "10.99.2.1", "true"));
  m.on_service(flagged("off", "10.99.2.2", "false"));
  m.on_service(service(event_type::added, "shop", "api", "10.99.2.3"));
  m.on_service(service(event_type::added, "shop", "plain", "10.99.2.4", 80));
  m.on_service(flagged("shared", "10.99.2.4", "true", 81)); // shares the IP, other port
  std::string problem;
  for (const char* s : {"web", "off", "api", "plain", "shared"})
    m.on_endpoint_slice(slice(event_type::added, "shop", s, "n1"), problem);
  auto set = m.compute();
  CAF_REQUIRE_EQUAL(set.ips.size(), 4u);
  CAF_CHECK(set.ips[0].flush_conntrack);
  CAF_CHECK(!set.ips[1].flush_conntrack);
  CAF_CHECK(!set.ips[2].flush_conntrack);
  CAF_CHECK_EQUAL(set.ips[3].services.size(), 2u);
  CAF_CHECK(set.ips[3].flush_conntrack);
}
