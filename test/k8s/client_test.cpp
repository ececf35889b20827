// The REST client against the scriptable test server: verbs, headers, errors,
// retries, Retry-After, timeouts, big objects, rate limiting, token rotation.
#include <gtest/gtest.h>

#include <atomic>

#include "fake_clock.hpp"
#include "k8s/client.hpp"
#include "k8s/lease_ops.hpp"
#include "k8s/objects.hpp"
#include "temp_dir.hpp"
#include "test_server.hpp"

using namespace kvip::k8s;
using namespace kvip::k8s::test_support;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::string status_body(int code, const std::string& reason, const std::string& message) {
  return json::serialize(json::object{{"kind", "Status"},
                                      {"apiVersion", "v1"},
                                      {"status", "Failure"},
                                      {"reason", reason},
                                      {"message", message},
                                      {"code", code}});
}

connection_config cfg_for(const test_server& s) {
  connection_config c;
  c.server = s.url();
  return c;
}

client_options fast_options() {
  client_options o;
  o.request_timeout = 2000ms;
  o.retry_backoff = 1ms;
  return o;
}

const std::string svc_json =
    R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default","resourceVersion":"5"},"spec":{"type":"LoadBalancer"}})";

} // namespace

TEST(K8sClient, GetSendsHeadersAndParses) {
  test_server srv([](const recorded_request&, connection& c) { c.respond(200, svc_json); });
  client cl(cfg_for(srv), fast_options());
  auto r = cl.get(resources::services, "default", "web");
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_EQ(service(*r).type(), "LoadBalancer");
  auto req = srv.requests().at(0);
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.path, "/api/v1/namespaces/default/services/web");
  EXPECT_EQ(req.headers["accept"], "application/json");
  EXPECT_EQ(req.headers["user-agent"].rfind("kvip/", 0), 0u);
  EXPECT_FALSE(req.headers.count("authorization")); // never a token over plain http by default
}

TEST(K8sClient, ErrorsCarryStatusAndKind) {
  test_server srv([](const recorded_request& r, connection& c) {
    if (r.path.ends_with("/missing"))
      c.respond(404, status_body(404, "NotFound", "services \"missing\" not found"));
    else if (r.method == "POST")
      c.respond(409, status_body(409, "AlreadyExists", "services \"web\" already exists"));
    else if (r.method == "PUT")
      c.respond(409, status_body(409, "Conflict", "the object has been modified"));
    else if (r.path.ends_with("/gone"))
      c.respond(410, status_body(410, "Expired", "too old"));
    else
      c.respond(200, "{not json");
  });
  client cl(cfg_for(srv), fast_options());
  auto nf = cl.get(resources::services, "default", "missing");
  ASSERT_FALSE(nf.ok());
  EXPECT_EQ(nf.err().kind, error_kind::not_found);
  EXPECT_EQ(nf.err().http_status, 404);
  EXPECT_EQ(nf.err().reason, "NotFound");
  EXPECT_NE(nf.err().describe().find("not found"), std::string::npos);
  EXPECT_TRUE(cl.create(resources::services, "default", json::parse(svc_json).as_object())
                  .is(error_kind::already_exists));
  auto conflict = cl.update(resources::services, "default", json::parse(svc_json).as_object());
  EXPECT_TRUE(conflict.is(error_kind::conflict));
  EXPECT_TRUE(cl.get(resources::services, "default", "gone").is(error_kind::gone));
  auto bad = cl.get(resources::services, "default", "web");
  ASSERT_TRUE(bad.is(error_kind::parse));
  EXPECT_NE(bad.err().message.find("invalid JSON"), std::string::npos);
}

TEST(K8sClient, ListFollowsContinueAndPassesSelectors) {
  test_server srv([](const recorded_request& r, connection& c) {
    std::string cont = r.q("continue");
    if (cont.empty())
      c.respond(200, R"({"kind":"EndpointSliceList","metadata":{"resourceVersion":"100",
        "continue":"page2"},"items":[{"metadata":{"name":"a","namespace":"d"}}]})");
    else
      c.respond(200, R"({"metadata":{"resourceVersion":"100"},"items":[{"metadata":{"name":"b",
        "namespace":"d"}}]})");
  });
  client cl(cfg_for(srv), fast_options());
  list_options lo;
  lo.label_selector = "kubernetes.io/service-name=web";
  lo.field_selector = "metadata.name=a";
  lo.limit = 1;
  auto r = cl.list(resources::endpoint_slices, "d", lo);
  ASSERT_TRUE(r.ok()) << r.err().describe();
  ASSERT_EQ(r->items.size(), 2u);
  EXPECT_EQ(r->resource_version, "100");
  auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].path, "/apis/discovery.k8s.io/v1/namespaces/d/endpointslices");
  EXPECT_EQ(reqs[0].q("labelSelector"), "kubernetes.io/service-name=web");
  EXPECT_EQ(reqs[0].q("fieldSelector"), "metadata.name=a");
  EXPECT_EQ(reqs[0].q("limit"), "1");
  EXPECT_EQ(reqs[1].q("continue"), "page2");
}

// A server whose later pages report a newer resourceVersion (the embedded one did): the
// list's watch start point is the first page's, so changes between pages are replayed.
TEST(K8sClient, ListKeepsTheFirstPageResourceVersion) {
  test_server srv([](const recorded_request& r, connection& c) {
    if (r.q("continue").empty())
      c.respond(200, R"({"metadata":{"resourceVersion":"100","continue":"p2"},"items":[]})");
    else
      c.respond(200, R"({"metadata":{"resourceVersion":"105"},"items":[]})");
  });
  client cl(cfg_for(srv), fast_options());
  auto r = cl.list(resources::config_maps, "d", {.limit = 1});
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_EQ(r->resource_version, "100");
  EXPECT_EQ(srv.requests().size(), 2u);
}

TEST(K8sClient, WritesUseTheRightVerbsAndBodies) {
  test_server srv([](const recorded_request& r, connection& c) {
    c.respond(r.method == "POST" ? 201 : 200,
              r.method == "DELETE" ? R"({"kind":"Status"})" : r.body);
  });
  client cl(cfg_for(srv), fast_options());
  json::object cm{{"metadata", json::object{{"name", "kubevip"}}}};
  ASSERT_TRUE(cl.create(resources::config_maps, "kube-system", cm).ok());
  service svc(json::parse(svc_json).as_object());
  svc.set_ingress({{"192.168.1.200", "", "VIP"}});
  ASSERT_TRUE(cl.update_status(resources::services, "default", svc.raw()).ok());
  ASSERT_TRUE(
      cl.patch_status(resources::services, "default", "web", ingress_status_patch({})).ok());
  ASSERT_TRUE(cl.remove(resources::leases, "kube-system", "l", "42").ok());
  auto ev =
      make_event(svc, {"Assigned", "m", "Normal", "kvip", "n1"}, std::chrono::system_clock::now());
  ASSERT_TRUE(cl.create_event("default", ev).ok());

  auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/api/v1/namespaces/kube-system/configmaps");
  auto created = json::parse(reqs[0].body).as_object();
  EXPECT_EQ(created.at("kind"), "ConfigMap"); // filled in
  EXPECT_EQ(reqs[0].headers["content-type"], "application/json");
  EXPECT_EQ(reqs[1].method, "PUT");
  EXPECT_EQ(reqs[1].path, "/api/v1/namespaces/default/services/web/status");
  EXPECT_EQ(json::parse(reqs[1].body).at("metadata").at("resourceVersion"), "5");
  EXPECT_EQ(reqs[2].method, "PATCH");
  EXPECT_EQ(reqs[2].headers["content-type"], "application/merge-patch+json");
  EXPECT_EQ(reqs[2].body, R"({"status":{"loadBalancer":{"ingress":null}}})");
  EXPECT_EQ(reqs[3].method, "DELETE");
  EXPECT_EQ(json::parse(reqs[3].body).at("preconditions").at("resourceVersion"), "42");
  EXPECT_EQ(reqs[4].path, "/api/v1/namespaces/default/events");
  EXPECT_FALSE(reqs[4].headers.count("expect")); // no 100-continue stall
}

TEST(K8sClient, LeaseCompareAndSwap) {
  std::atomic<int> puts{0};
  test_server srv([&](const recorded_request& r, connection& c) {
    if (r.method == "GET") {
      c.respond(200, R"({"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{
        "name":"plndr-cp-lock","namespace":"kube-system","resourceVersion":"106"},
        "spec":{"holderIdentity":"node-a","leaseDurationSeconds":5,"leaseTransitions":0}})");
    } else if (r.method == "PUT" && puts++ == 0) {
      c.respond(200, r.body);
    } else {
      c.respond(409, status_body(409, "Conflict",
                                 "Operation cannot be fulfilled on "
                                 "leases.coordination.k8s.io"));
    }
  });
  client cl(cfg_for(srv), fast_options());
  auto l = get_lease(cl, "kube-system", "plndr-cp-lock");
  ASSERT_TRUE(l.ok()) << l.err().describe();
  EXPECT_EQ(l->holder_identity(), "node-a");
  l->set_holder_identity("node-b");
  l->set_lease_transitions(1);
  EXPECT_TRUE(update_lease(cl, *l).ok());
  auto lost = update_lease(cl, *l);
  EXPECT_TRUE(lost.is(error_kind::conflict));
  auto fresh = lease::make("kube-system", "x");
  EXPECT_TRUE(update_lease(cl, fresh).is(error_kind::invalid)); // no RV, refused locally
  EXPECT_TRUE(create_lease(cl, *l).is(error_kind::invalid));    // RV set on create
  EXPECT_EQ(json::parse(srv.requests().at(1).body).at("metadata").at("resourceVersion"), "106");
}

TEST(K8sClient, RetriesGetOn500WithBackoff) {
  std::atomic<int> n{0};
  test_server srv([&](const recorded_request&, connection& c) {
    if (n++ < 2)
      c.respond(500, status_body(500, "InternalError", "etcd hiccup"));
    else
      c.respond(200, svc_json);
  });
  fake_clock clk;
  auto o = fast_options();
  o.clock = clk.hooks();
  o.retry_backoff = 100ms;
  client cl(cfg_for(srv), o);
  auto r = cl.get(resources::services, "default", "web");
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_EQ(n.load(), 3);
  EXPECT_EQ(clk.sleeps(), (std::vector<steady::duration>{100ms, 200ms}));
}

TEST(K8sClient, DoesNotRetryWritesOn500) {
  std::atomic<int> n{0};
  test_server srv([&](const recorded_request&, connection& c) {
    ++n;
    c.respond(500, status_body(500, "InternalError", "boom"));
  });
  client cl(cfg_for(srv), fast_options());
  auto r = cl.create(resources::config_maps, "d", json::object{});
  EXPECT_EQ(r.err().http_status, 500);
  EXPECT_EQ(n.load(), 1);
}

TEST(K8sClient, HonoursRetryAfterOn429) {
  std::atomic<int> n{0};
  test_server srv([&](const recorded_request&, connection& c) {
    if (n++ == 0)
      c.respond(429, status_body(429, "TooManyRequests", "slow down"), {{"Retry-After", "3"}});
    else
      c.respond(201, svc_json);
  });
  fake_clock clk;
  auto o = fast_options();
  o.clock = clk.hooks();
  o.request_timeout = 10000ms;
  client cl(cfg_for(srv), o);
  auto r = cl.create(resources::services, "default", json::parse(svc_json).as_object());
  ASSERT_TRUE(r.ok()) << r.err().describe(); // a 429 write is safe to repeat
  EXPECT_EQ(clk.sleeps(), std::vector<steady::duration>{3s});
  // A Retry-After beyond the deadline fails at once with the 429 error.
  n = 0;
  o.request_timeout = 1000ms;
  client short_cl(cfg_for(srv), o);
  auto late = short_cl.get(resources::services, "default", "web");
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.err().http_status, 429);
  EXPECT_NE(late.err().message.find("deadline"), std::string::npos);
}

TEST(K8sClient, SlowResponseTimesOut) {
  test_server srv([](const recorded_request&, connection& c) {
    if (c.wait(3000ms)) c.respond(200, svc_json);
  });
  auto o = fast_options();
  o.request_timeout = 200ms;
  o.max_retries = 0;
  client cl(cfg_for(srv), o);
  auto start = std::chrono::steady_clock::now();
  auto r = cl.get(resources::services, "default", "web");
  EXPECT_TRUE(r.is(error_kind::timeout)) << (r.ok() ? "ok" : r.err().describe());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
}

TEST(K8sClient, TenMegabyteObject) {
  std::string big(10 << 20, 'x');
  std::string body =
      R"({"kind":"ConfigMap","metadata":{"name":"big"},"data":{"blob":")" + big + R"("}})";
  test_server srv([&](const recorded_request&, connection& c) { c.respond(200, body); });
  client cl(cfg_for(srv), fast_options());
  auto r = cl.get(resources::config_maps, "d", "big");
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_EQ(config_map(*r).value("blob")->size(), big.size());
}

TEST(K8sClient, RateLimitWaitsThenFailsAtDeadline) {
  test_server srv([](const recorded_request&, connection& c) { c.respond(200, svc_json); });
  fake_clock clk;
  auto o = fast_options();
  o.clock = clk.hooks();
  o.qps = 0.5; // one token per 2 s
  o.burst = 1;
  o.request_timeout = 1000ms;
  client cl(cfg_for(srv), o);
  EXPECT_TRUE(cl.get(resources::services, "d", "web").ok());
  auto r = cl.get(resources::services, "d", "web"); // token in 2 s > 1 s deadline
  ASSERT_TRUE(r.is(error_kind::timeout));
  EXPECT_NE(r.err().message.find("rate limit"), std::string::npos);
  clk.advance(2s);
  EXPECT_TRUE(cl.get(resources::services, "d", "web").ok());
  EXPECT_EQ(srv.requests().size(), 2u);
}

TEST(K8sClient, BearerTokenFileRotates) {
  temp_dir d;
  auto token_file = d.write("token", "first\n");
  test_server srv([&](const recorded_request&, connection& c) { c.respond(200, svc_json); });
  auto cfg = cfg_for(srv);
  cfg.token_file = token_file;
  auto o = fast_options();
  o.transport.allow_bearer_over_http = true;
  client cl(cfg, o);
  ASSERT_TRUE(cl.get(resources::services, "d", "web").ok());
  d.write("token", "second-longer\n"); // rotated (size changes, so the stamp does too)
  ASSERT_TRUE(cl.get(resources::services, "d", "web").ok());
  auto reqs = srv.requests();
  EXPECT_EQ(reqs[0].headers["authorization"], "Bearer first");
  EXPECT_EQ(reqs[1].headers["authorization"], "Bearer second-longer");
}

TEST(K8sClient, TransportFailureIsAnErrorNotAnException) {
  connection_config c;
  c.server = "http://127.0.0.1:1"; // nothing listens
  auto o = fast_options();
  o.max_retries = 1;
  client cl(c, o);
  auto r = cl.get(resources::services, "d", "web");
  ASSERT_TRUE(r.is(error_kind::transport));
  EXPECT_FALSE(r.err().transport.empty());
}
