// kvip's own Kubernetes client (k8s/) against the embedded API server
// (simulation/) over real HTTP and HTTPS: CRUD with selectors, pagination and
// patches, list+watch with resume after dropped streams and relist after
// compaction, Lease compare-and-swap between two candidates, outages.
#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <thread>

#include "k8s/client.hpp"
#include "k8s/kubeconfig.hpp"
#include "k8s/lease_ops.hpp"
#include "k8s/objects.hpp"
#include "k8s/watch.hpp"
#include "sim_http_client.hpp"
#include "simulation/api_listener.hpp"
#include "simulation/resources.hpp"
#include "test/support/ci.hpp"

namespace kvip::sim::test {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
namespace k8s = kvip::k8s;

k8s::client_options fast_options() {
  k8s::client_options o;
  o.request_timeout = 3000ms;
  o.retry_backoff = 10ms;
  o.max_retries = 2;
  o.qps = 0;
  return o;
}

k8s::watch_options fast_watch(std::string ns) {
  k8s::watch_options o;
  o.namespace_name = std::move(ns);
  o.timeout_seconds = 30;
  o.backoff = {10ms, 100ms, 2.0, 0.2};
  return o;
}

json::object config_map(const std::string& name, const std::string& app) {
  return json::object{{"metadata", {{"name", name}, {"labels", {{"app", app}}}}},
                      {"data", {{"k", name}}}};
}

json::object service_obj(const std::string& name) {
  return json::object{
      {"metadata", {{"name", name}, {"annotations", {{"other.io/owner", "someone-else"}}}}},
      {"spec",
       {{"type", "LoadBalancer"},
        {"sessionAffinity", "ClientIP"}, // a field no kvip view reads
        {"ports", json::array{{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}}}}}}};
}

/// Records what a watcher delivers.
struct event_log {
  std::mutex m;
  std::vector<std::pair<k8s::event_type, std::string>> events; ///< type, name
  int synced = 0;
  int errors = 0;

  k8s::watch_handlers handlers() {
    k8s::watch_handlers h;
    h.on_event = [this](const k8s::watch_event& e) {
      std::lock_guard g{m};
      events.emplace_back(e.type, k8s::jsonpath::str(e.object, {"metadata", "name"}));
    };
    h.on_error = [this](const k8s::error&) {
      std::lock_guard g{m};
      ++errors;
    };
    h.on_synced = [this] {
      std::lock_guard g{m};
      ++synced;
    };
    return h;
  }
  int count(k8s::event_type t, const std::string& name) {
    std::lock_guard g{m};
    int n = 0;
    for (auto& e : events)
      n += e.first == t && e.second == name ? 1 : 0;
    return n;
  }
  bool saw(k8s::event_type t, const std::string& name) { return count(t, name) > 0; }
  int synced_count() {
    std::lock_guard g{m};
    return synced;
  }
};

struct SimClientIntegration : ::testing::Test {
  server_fixture f;
  std::unique_ptr<k8s::client> c;

  void SetUp() override {
    ASSERT_EQ(f.start_error, "");
    c = make_client();
  }
  std::unique_ptr<k8s::client> make_client(k8s::client_options o = fast_options()) {
    k8s::connection_config cfg;
    cfg.server = f.url;
    return std::make_unique<k8s::client>(cfg, o);
  }
  void admin(const std::string& what) {
    auto r = http("POST", f.admin + "/faults/" + what);
    ASSERT_EQ(r.code, 200) << what << ": " << r.body << r.error;
  }
  void make_namespace(const std::string& ns) {
    auto r = c->create(k8s::resources::namespaces, "", json::object{{"metadata", {{"name", ns}}}});
    ASSERT_TRUE(r.ok()) << r.err().describe();
  }
};

TEST_F(SimClientIntegration, ConfigMapsCreateGetListPagePatchDelete) {
  for (int i = 0; i < 7; ++i) {
    auto r = c->create(k8s::resources::config_maps, "default",
                       config_map("cm" + std::to_string(i), i % 2 == 0 ? "web" : "db"));
    ASSERT_TRUE(r.ok()) << r.err().describe();
    EXPECT_EQ(k8s::object_view(*r).kind(), "ConfigMap");
    EXPECT_FALSE(k8s::object_view(*r).uid().empty());
  }
  auto dup = c->create(k8s::resources::config_maps, "default", config_map("cm0", "web"));
  EXPECT_TRUE(dup.is(k8s::error_kind::already_exists)) << dup.err().describe();

  auto got = c->get(k8s::resources::config_maps, "default", "cm3");
  ASSERT_TRUE(got.ok()) << got.err().describe();
  EXPECT_EQ(k8s::config_map(*got).value("k"), "cm3");
  EXPECT_TRUE(
      c->get(k8s::resources::config_maps, "default", "nope").is(k8s::error_kind::not_found));

  k8s::list_options sel;
  sel.label_selector = "app=web";
  auto web = c->list(k8s::resources::config_maps, "default", sel);
  ASSERT_TRUE(web.ok()) << web.err().describe();
  EXPECT_EQ(web->items.size(), 4u);
  sel.label_selector = "app in (db),app!=web";
  EXPECT_EQ(c->list(k8s::resources::config_maps, "default", sel)->items.size(), 3u);

  // The server really pages: one raw page of 2 carries a continue token.
  auto page = c->execute({"GET", "/api/v1/namespaces/default/configmaps?limit=2", {}, {}});
  ASSERT_TRUE(page.ok()) << page.err().describe();
  auto page_json = json::parse(page->body).as_object();
  EXPECT_EQ(page_json.at("items").as_array().size(), 2u);
  EXPECT_FALSE(k8s::jsonpath::str(page_json, {"metadata", "continue"}).empty());
  // A page size of 2 over 7 objects (+ the bootstrap kube-root-ca.crt, if any): every item
  // arrives once, in order, so the continue tokens were followed.
  k8s::list_options paged;
  paged.limit = 2;
  auto all = c->list(k8s::resources::config_maps, "default", paged);
  auto unpaged = c->list(k8s::resources::config_maps, "default", {.limit = 0});
  ASSERT_TRUE(all.ok() && unpaged.ok());
  ASSERT_EQ(all->items.size(), unpaged->items.size());
  EXPECT_GE(all->items.size(), 7u);
  for (std::size_t i = 0; i < all->items.size(); ++i)
    EXPECT_EQ(k8s::object_key(all->items[i]), k8s::object_key(unpaged->items[i]));
  EXPECT_FALSE(all->resource_version.empty());

  // Merge patch: add a key, delete one with null.
  auto p = c->merge_patch(k8s::resources::config_maps, "default", "cm1",
                          json::object{{"data", {{"k", nullptr}, {"new", "v"}}}});
  ASSERT_TRUE(p.ok()) << p.err().describe();
  EXPECT_EQ(k8s::config_map(*p).data(), (std::map<std::string, std::string>{{"new", "v"}}));

  // Update with a stale resourceVersion is a conflict; the fresh one works.
  auto stale = *got;
  ASSERT_TRUE(c->merge_patch(k8s::resources::config_maps, "default", "cm3",
                             json::object{{"data", {{"k", "changed"}}}})
                  .ok());
  k8s::config_map(stale).raw()["data"] = json::object{{"k", "lost update"}};
  EXPECT_TRUE(
      c->update(k8s::resources::config_maps, "default", stale).is(k8s::error_kind::conflict));

  // Delete: a wrong precondition conflicts, the plain delete removes it.
  EXPECT_TRUE(
      c->remove(k8s::resources::config_maps, "default", "cm2", "1").is(k8s::error_kind::conflict));
  ASSERT_TRUE(c->remove(k8s::resources::config_maps, "default", "cm2").ok());
  EXPECT_TRUE(c->get(k8s::resources::config_maps, "default", "cm2").is(k8s::error_kind::not_found));
  EXPECT_TRUE(
      c->remove(k8s::resources::config_maps, "default", "cm2").is(k8s::error_kind::not_found));
}

// Every page of one list reports the first page's resourceVersion, so a watch from it
// replays a change made between pages; a compacted token is 410 Expired.
TEST_F(SimClientIntegration, ContinuedPagesKeepTheFirstPageResourceVersion) {
  make_namespace("pages");
  for (const char* n : {"p1", "p2", "p3"})
    ASSERT_TRUE(c->create(k8s::resources::config_maps, "pages", config_map(n, "web")).ok());
  auto page = [&](const std::string& cont) -> k8s::result<json::object> {
    auto r = c->execute({"GET",
                         k8s::with_query("/api/v1/namespaces/pages/configmaps",
                                         {{"limit", "1"}, {"continue", cont}}),
                         {},
                         {}});
    if (!r) return r.err();
    return json::parse(r->body).as_object();
  };
  auto first = page("");
  ASSERT_TRUE(first.ok()) << first.err().describe();
  auto rv1 = k8s::jsonpath::str(*first, {"metadata", "resourceVersion"});
  ASSERT_TRUE(c->merge_patch(k8s::resources::config_maps, "pages", "p1",
                             json::object{{"data", {{"k", "between pages"}}}})
                  .ok());
  auto second = page(k8s::jsonpath::str(*first, {"metadata", "continue"}));
  ASSERT_TRUE(second.ok()) << second.err().describe();
  auto rv2 = k8s::jsonpath::str(*second, {"metadata", "resourceVersion"});
  EXPECT_EQ(rv2, rv1);

  // A watch from the list's resourceVersion sees the change made between the pages.
  std::string body;
  k8s::watch_request wr;
  wr.resource_version = rv2;
  auto watched = c->watch(k8s::resources::config_maps, "pages", wr,
                          [&](std::string_view bytes) {
                            body += bytes;
                            return body.find("between pages") == std::string::npos;
                          },
                          2000ms, {});
  ASSERT_TRUE(watched.ok()) << watched.err().describe();
  EXPECT_NE(body.find(R"("type":"MODIFIED")"), std::string::npos) << body;

  admin("compact");
  auto expired = page(k8s::jsonpath::str(*second, {"metadata", "continue"}));
  EXPECT_TRUE(expired.is(k8s::error_kind::gone)) << expired.err().describe();
  EXPECT_TRUE(page("bm90IGEgdG9rZW4").is(k8s::error_kind::invalid));
  EXPECT_EQ(c->list(k8s::resources::config_maps, "pages", {.limit = 1})->items.size(), 3u);
}

TEST_F(SimClientIntegration, ServiceReadModifyWriteKeepsUnknownFieldsAndStatus) {
  auto created = c->create(k8s::resources::services, "default", service_obj("web"));
  ASSERT_TRUE(created.ok()) << created.err().describe();
  k8s::service svc(*created);
  ASSERT_FALSE(svc.cluster_ips().empty()); // allocated by the server
  auto node_port = svc.ports().at(0).node_port;
  EXPECT_GT(node_port, 0);

  // Read-modify-write through the typed view: only a label changes.
  auto got = c->get(k8s::resources::services, "default", "web");
  ASSERT_TRUE(got.ok());
  k8s::service edit(*got);
  edit.set_label("kvip/managed", "true");
  auto updated = c->update(k8s::resources::services, "default", edit.raw());
  ASSERT_TRUE(updated.ok()) << updated.err().describe();
  k8s::service after(*updated);
  EXPECT_EQ(after.label("kvip/managed"), "true");
  EXPECT_EQ(k8s::jsonpath::str(after.raw(), {"spec", "sessionAffinity"}), "ClientIP");
  EXPECT_EQ(after.annotation("other.io/owner"), "someone-else");
  EXPECT_EQ(after.cluster_ips(), svc.cluster_ips());
  EXPECT_EQ(after.ports().at(0).node_port, node_port);

  // Status through the subresource: merge patch, then a full status PUT.
  k8s::load_balancer_ingress ing{"192.0.2.10", "", "VIP"};
  auto st =
      c->patch_status(k8s::resources::services, "default", "web", k8s::ingress_status_patch({ing}));
  ASSERT_TRUE(st.ok()) << st.err().describe();
  EXPECT_EQ(k8s::service(*st).ingress(), std::vector<k8s::load_balancer_ingress>{ing});
  k8s::service st_edit(*st);
  k8s::load_balancer_ingress ing2{"192.0.2.11", "", ""};
  st_edit.set_ingress({ing, ing2});
  auto st2 = c->update_status(k8s::resources::services, "default", st_edit.raw());
  ASSERT_TRUE(st2.ok()) << st2.err().describe();
  EXPECT_EQ(k8s::service(*st2).ingress().size(), 2u);
  // A status write does not touch the spec, a spec write does not touch the status.
  EXPECT_EQ(k8s::jsonpath::str(st2->at("spec").as_object(), {"sessionAffinity"}), "ClientIP");
  auto spec_patch = c->merge_patch(k8s::resources::services, "default", "web",
                                   json::object{{"status", {{"loadBalancer", nullptr}}},
                                                {"spec", {{"sessionAffinity", "None"}}}});
  ASSERT_TRUE(spec_patch.ok()) << spec_patch.err().describe();
  EXPECT_EQ(k8s::service(*spec_patch).ingress().size(), 2u);
  EXPECT_EQ(k8s::jsonpath::str(*spec_patch, {"spec", "sessionAffinity"}), "None");

  // List Services by label, one per page.
  for (const char* n : {"api", "db"}) {
    auto extra = service_obj(n);
    extra["metadata"].as_object()["labels"] = json::object{{"kvip/managed", "true"}};
    ASSERT_TRUE(c->create(k8s::resources::services, "default", extra).ok());
  }
  auto managed = c->list(k8s::resources::services, "default",
                         {.label_selector = "kvip/managed=true", .limit = 1});
  ASSERT_TRUE(managed.ok()) << managed.err().describe();
  std::vector<std::string> names;
  for (const auto& item : managed->items)
    names.push_back(k8s::object_view(item).name());
  EXPECT_EQ(names, (std::vector<std::string>{"api", "db", "web"}));

  ASSERT_TRUE(c->remove(k8s::resources::services, "default", "web").ok());
  EXPECT_TRUE(c->get(k8s::resources::services, "default", "web").is(k8s::error_kind::not_found));
}

TEST_F(SimClientIntegration, ServerSideWatchTimeoutsResumeWithoutRelist) {
  auto reader = make_client();
  auto o = fast_watch("default");
  o.timeout_seconds = 1; // the server ends each stream after a second
  k8s::watcher w(*reader, k8s::resources::config_maps, o);
  event_log log;
  std::jthread run([&](std::stop_token st) { w.run(st, log.handlers()); });
  ASSERT_TRUE(eventually([&] { return log.synced_count() == 1; }, 5s));
  ASSERT_TRUE(c->create(k8s::resources::config_maps, "default", config_map("t1", "web")).ok());
  ASSERT_TRUE(eventually([&] { return w.stats().streams >= 3; }, 5s));
  ASSERT_TRUE(c->create(k8s::resources::config_maps, "default", config_map("t2", "web")).ok());
  ASSERT_TRUE(eventually([&] { return log.saw(k8s::event_type::added, "t2"); }, 5s));
  EXPECT_EQ(log.count(k8s::event_type::added, "t1"), 1);
  EXPECT_EQ(w.stats().lists, 1);
  EXPECT_EQ(w.stats().errors, 0);
}

TEST_F(SimClientIntegration, WatcherSeesChangesResumesAfterDropAndRelistsAfterCompact) {
  make_namespace("team-a");
  auto writer = make_client();
  ASSERT_TRUE(writer->create(k8s::resources::services, "team-a", service_obj("pre")).ok());
  auto reader = make_client();
  k8s::watcher w(*reader, k8s::resources::services, fast_watch("team-a"));
  event_log log;
  std::jthread run([&](std::stop_token st) { w.run(st, log.handlers()); });
  ASSERT_TRUE(eventually([&] { return log.synced_count() == 1; }, 5s));
  EXPECT_TRUE(log.saw(k8s::event_type::added, "pre"));

  // Another client's changes arrive as ADDED/MODIFIED/DELETED.
  ASSERT_TRUE(writer->create(k8s::resources::services, "team-a", service_obj("a")).ok());
  ASSERT_TRUE(writer
                  ->merge_patch(k8s::resources::services, "team-a", "a",
                                json::object{{"metadata", {{"labels", {{"x", "1"}}}}}})
                  .ok());
  ASSERT_TRUE(writer->remove(k8s::resources::services, "team-a", "pre").ok());
  ASSERT_TRUE(eventually([&] { return log.saw(k8s::event_type::deleted, "pre"); }, 5s));
  EXPECT_TRUE(log.saw(k8s::event_type::added, "a"));
  EXPECT_TRUE(log.saw(k8s::event_type::modified, "a"));

  // Dropped streams: the watcher re-watches from its last resourceVersion (no replay).
  auto rv_before = w.resource_version();
  admin("drop-watches");
  ASSERT_TRUE(eventually([&] { return w.stats().streams >= 2; }, 5s));
  ASSERT_TRUE(writer->create(k8s::resources::services, "team-a", service_obj("b")).ok());
  ASSERT_TRUE(eventually([&] { return log.saw(k8s::event_type::added, "b"); }, 5s));
  EXPECT_EQ(log.count(k8s::event_type::added, "a"), 1);
  EXPECT_EQ(log.count(k8s::event_type::added, "pre"), 1);
  EXPECT_EQ(log.count(k8s::event_type::added, "b"), 1);
  EXPECT_EQ(w.stats().lists, 1);
  EXPECT_EQ(w.stats().relists, 0);
  EXPECT_NE(w.resource_version(), rv_before);

  // An object deleted while the watch is down, and the history compacted: the resume gets
  // 410, the watcher relists and reports the vanished object as DELETED.
  admin("outage?mode=503"); // ends the stream; re-watches fail until the outage ends
  const auto* services = find_resource("", "v1", "services");
  ASSERT_NE(services, nullptr);
  auto del = f.srv->objects().remove(*services, "team-a", "a");
  ASSERT_FALSE(del.error.has_value());
  admin("compact");
  admin("outage?mode=none");
  ASSERT_TRUE(eventually([&] { return log.saw(k8s::event_type::deleted, "a"); }, 5s));
  EXPECT_EQ(w.stats().relists, 1);
  EXPECT_EQ(log.synced_count(), 2);
  EXPECT_EQ(log.count(k8s::event_type::added, "b"), 1); // unchanged: not re-announced
  EXPECT_EQ(w.cache().keys(), std::vector<std::string>{"team-a/b"});

  // And it keeps watching live after the relist.
  ASSERT_TRUE(writer->create(k8s::resources::services, "team-a", service_obj("c")).ok());
  EXPECT_TRUE(eventually([&] { return log.saw(k8s::event_type::added, "c"); }, 5s));
}

TEST_F(SimClientIntegration, LeaseCompareAndSwapBetweenTwoCandidates) {
  auto a = make_client();
  auto b = make_client();
  // Six digits with leading zeros in the fraction must survive the round trip.
  k8s::sys_micros t0{std::chrono::seconds(1'790'000'000) + std::chrono::microseconds(4'005)};
  auto l = k8s::lease::make("kube-system", "plndr-cp-lock");
  l.set_holder_identity("node-a");
  l.set_lease_duration_seconds(5);
  l.set_acquire_time(t0);
  l.set_renew_time(t0);
  l.set_lease_transitions(0);

  auto mine = k8s::create_lease(*a, l);
  ASSERT_TRUE(mine.ok()) << mine.err().describe();
  auto theirs = k8s::create_lease(*b, l);
  EXPECT_TRUE(theirs.is(k8s::error_kind::already_exists)) << theirs.err().describe();

  auto seen_by_b = k8s::get_lease(*b, "kube-system", "plndr-cp-lock");
  ASSERT_TRUE(seen_by_b.ok());
  EXPECT_EQ(seen_by_b->holder_identity(), "node-a");
  EXPECT_EQ(seen_by_b->acquire_time(), t0);
  EXPECT_EQ(k8s::jsonpath::str(seen_by_b->raw(), {"spec", "renewTime"}),
            "2026-09-21T14:13:20.004005Z");

  // A renews; B's copy is now stale.
  auto renew = *mine;
  renew.set_renew_time(t0 + 1s);
  auto renewed = k8s::update_lease(*a, renew);
  ASSERT_TRUE(renewed.ok()) << renewed.err().describe();
  EXPECT_EQ(renewed->renew_time(), t0 + 1s);

  auto takeover = *seen_by_b;
  takeover.set_holder_identity("node-b");
  takeover.set_lease_transitions(1);
  EXPECT_TRUE(k8s::update_lease(*b, takeover).is(k8s::error_kind::conflict));

  auto fresh = k8s::get_lease(*b, "kube-system", "plndr-cp-lock");
  ASSERT_TRUE(fresh.ok());
  takeover = *fresh;
  takeover.set_holder_identity("node-b");
  takeover.set_lease_transitions(1);
  takeover.set_acquire_time(t0 + 2s);
  auto won = k8s::update_lease(*b, takeover);
  ASSERT_TRUE(won.ok()) << won.err().describe();
  EXPECT_EQ(won->holder_identity(), "node-b");
  EXPECT_EQ(won->lease_transitions(), 1);
  EXPECT_EQ(won->acquire_time(), t0 + 2s);
  EXPECT_EQ(won->renew_time(), t0 + 1s);
  // A's renewal with its old copy now loses.
  EXPECT_TRUE(k8s::update_lease(*a, *renewed).is(k8s::error_kind::conflict));
  // Without a resourceVersion no CAS is possible: refused locally.
  auto no_rv = *won;
  no_rv.set_resource_version("");
  EXPECT_TRUE(k8s::update_lease(*a, no_rv).is(k8s::error_kind::invalid));
}

TEST_F(SimClientIntegration, OutageGivesCleanErrorsAndRecovers) {
  auto o = fast_options();
  o.request_timeout = 1500ms;
  o.max_retries = 1;
  auto cl = make_client(o);
  ASSERT_TRUE(cl->create(k8s::resources::config_maps, "default", config_map("x", "web")).ok());
  auto reader = make_client();
  k8s::watcher w(*reader, k8s::resources::config_maps, fast_watch("default"));
  event_log log;
  std::jthread run([&](std::stop_token st) { w.run(st, log.handlers()); });
  ASSERT_TRUE(eventually([&] { return log.synced_count() == 1; }, 5s));

  admin("outage?mode=503");
  auto g = cl->get(k8s::resources::config_maps, "default", "x");
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(g.err().http_status == 503 || g.is(k8s::error_kind::timeout)) << g.err().describe();
  auto cr = cl->create(k8s::resources::config_maps, "default", config_map("y", "web"));
  ASSERT_FALSE(cr.ok());
  EXPECT_EQ(cr.err().http_status, 503) << cr.err().describe();
  EXPECT_FALSE(cl->list(k8s::resources::config_maps, "default").ok());

  admin("outage?mode=refuse");
  auto start = std::chrono::steady_clock::now();
  auto r = cl->get(k8s::resources::config_maps, "default", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.is(k8s::error_kind::transport) || r.is(k8s::error_kind::timeout))
      << r.err().describe();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  EXPECT_FALSE(
      cl->merge_patch(k8s::resources::config_maps, "default", "x", json::object{{"data", nullptr}})
          .ok());

  admin("outage?mode=none");
  auto back = cl->get(k8s::resources::config_maps, "default", "x");
  ASSERT_TRUE(back.ok()) << back.err().describe();
  ASSERT_TRUE(cl->create(k8s::resources::config_maps, "default", config_map("z", "web")).ok());
  // The watcher rode out the outage and sees the new object exactly once.
  ASSERT_TRUE(eventually([&] { return log.saw(k8s::event_type::added, "z"); }, 5s));
  EXPECT_EQ(log.count(k8s::event_type::added, "x"), 1);
  EXPECT_GT(w.stats().errors, 0);
}

// -- HTTPS with the generated kubeconfig ---------------------------------------------

TEST(SimClientIntegrationTls, KubeconfigTokenAndClientCertContexts) {
  if (!tls_supported()) KVIP_SKIP("libmicrohttpd has no TLS support");
  auto dir = fs::temp_directory_path() / ("kvip-client-tls-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  apiserver_options o;
  o.tls_dir = dir.string();
  o.gen_certs = true;
  {
    server_fixture f(o);
    ASSERT_EQ(f.start_error, "");
    ASSERT_FALSE(f.srv->kubeconfig().empty());

    auto token_cfg = k8s::load_kubeconfig(f.srv->kubeconfig());
    ASSERT_TRUE(token_cfg.ok()) << token_cfg.err().describe();
    EXPECT_EQ(token_cfg->server, f.url);
    EXPECT_FALSE(token_cfg->token.empty());
    auto cert_cfg = k8s::load_kubeconfig(f.srv->kubeconfig(), "kvip-cert");
    ASSERT_TRUE(cert_cfg.ok()) << cert_cfg.err().describe();
    EXPECT_TRUE(cert_cfg->token.empty());
    EXPECT_FALSE(cert_cfg->client_cert_file.empty() && cert_cfg->client_cert_pem.empty());

    k8s::client by_token(*token_cfg, fast_options());
    k8s::client by_cert(*cert_cfg, fast_options());
    k8s::watcher w(by_cert, k8s::resources::config_maps, fast_watch("default"));
    event_log log;
    std::jthread run([&](std::stop_token st) { w.run(st, log.handlers()); });
    ASSERT_TRUE(eventually([&] { return log.synced_count() == 1; }, 5s));

    auto made = by_token.create(k8s::resources::config_maps, "default", config_map("tls", "web"));
    ASSERT_TRUE(made.ok()) << made.err().describe();
    auto seen = by_cert.get(k8s::resources::config_maps, "default", "tls");
    ASSERT_TRUE(seen.ok()) << seen.err().describe();
    EXPECT_EQ(k8s::config_map(*seen).value("k"), "tls");
    ASSERT_TRUE(by_cert
                    .merge_patch(k8s::resources::config_maps, "default", "tls",
                                 json::object{{"data", {{"k", "patched"}}}})
                    .ok());
    auto listed = by_token.list(k8s::resources::config_maps, "default", {.label_selector = "app"});
    ASSERT_TRUE(listed.ok()) << listed.err().describe();
    EXPECT_EQ(listed->items.size(), 1u);
    ASSERT_TRUE(eventually([&] { return log.saw(k8s::event_type::modified, "tls"); }, 5s));
    EXPECT_EQ(log.count(k8s::event_type::added, "tls"), 1);

    // Without credentials the server refuses, cleanly.
    k8s::connection_config anon = *token_cfg;
    anon.token.clear();
    k8s::client nobody(anon, fast_options());
    EXPECT_TRUE(nobody.get(k8s::resources::config_maps, "default", "tls")
                    .is(k8s::error_kind::unauthorized));
  }
  fs::remove_all(dir);
}

} // namespace
} // namespace kvip::sim::test
