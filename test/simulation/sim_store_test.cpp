// Store, history and watch-hub logic of the embedded API server, without HTTP.
#include <gtest/gtest.h>

#include "simulation/object_util.hpp"
#include "simulation/patch.hpp"
#include "simulation/routing.hpp"
#include "simulation/store.hpp"
#include "watch_events.hpp"

namespace kvip::sim {
namespace {

namespace json = boost::json;

const resource_info& R(const char* group, const char* plural) {
  return *find_resource(group, "v1", plural);
}

json::object cm(const char* name, const char* value = "v") {
  return json::object{{"metadata", json::object{{"name", name}}},
                      {"data", json::object{{"k", value}}}};
}

/// Drains a watcher into "TYPE name" strings.
std::vector<std::string> drain(watcher& w) {
  return test::types_and_names(test::drain(w));
}

std::shared_ptr<watcher> make_watcher(const resource_info& res, const std::string& ns = "",
                                      const std::string& labels = "") {
  watch_filter f{&res, ns, std::nullopt, std::nullopt};
  if (!labels.empty()) f.labels = *label_selector::parse(labels);
  return std::make_shared<watcher>(f, true, watcher::clock::now() + std::chrono::hours(1));
}

struct SimStore : ::testing::Test {
  store st{100, 1000};
  void SetUp() override { st.bootstrap(); }
};

TEST_F(SimStore, CreateSetsServerFieldsAndBumpsRv) {
  auto before = st.current_rv();
  auto r = st.create(R("", "configmaps"), "default", cm("c1"));
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(r.code, 201);
  const auto& o = r.obj->obj;
  EXPECT_EQ(jsonpath::str(o, {"kind"}), "ConfigMap");
  EXPECT_EQ(jsonpath::str(o, {"apiVersion"}), "v1");
  EXPECT_EQ(jsonpath::str(o, {"metadata", "namespace"}), "default");
  EXPECT_EQ(jsonpath::str(o, {"metadata", "uid"}).size(), 36u);
  EXPECT_EQ(jsonpath::str(o, {"metadata", "creationTimestamp"}).back(), 'Z');
  EXPECT_EQ(jsonpath::str(o, {"metadata", "resourceVersion"}), std::to_string(before + 1));
  EXPECT_EQ(st.current_rv(), before + 1);
}

TEST_F(SimStore, CreateErrors) {
  auto& cms = R("", "configmaps");
  ASSERT_FALSE(st.create(cms, "default", cm("c1")).error);
  EXPECT_EQ(st.create(cms, "default", cm("c1")).error->reason, "AlreadyExists");
  EXPECT_EQ(st.create(cms, "nosuchns", cm("c2")).error->code, 404);
  EXPECT_EQ(st.create(cms, "nosuchns", cm("c2")).error->message,
            "namespaces \"nosuchns\" not found");
  EXPECT_EQ(st.create(cms, "default", cm("Bad_Name")).error->code, 422);
  EXPECT_EQ(st.create(cms, "default", json::object{}).error->code, 422);
  auto wrong_ns = cm("c3");
  wrong_ns["metadata"].as_object()["namespace"] = "kube-system";
  EXPECT_EQ(st.create(cms, "default", wrong_ns).error->code, 400);
  auto with_rv = cm("c4");
  with_rv["metadata"].as_object()["resourceVersion"] = "5";
  EXPECT_EQ(st.create(cms, "default", with_rv).error->code, 500);
  auto wrong_kind = cm("c5");
  wrong_kind["kind"] = "Secret";
  EXPECT_EQ(st.create(cms, "default", wrong_kind).error->code, 400);
}

TEST_F(SimStore, GenerateName) {
  json::object o{{"metadata", json::object{{"generateName", "web-"}}}};
  auto r = st.create(R("", "configmaps"), "default", o);
  ASSERT_FALSE(r.error);
  auto name = jsonpath::str(r.obj->obj, {"metadata", "name"});
  EXPECT_EQ(name.size(), 9u);
  EXPECT_EQ(name.rfind("web-", 0), 0u);
}

TEST_F(SimStore, UpdateConflictAndNoop) {
  auto& cms = R("", "configmaps");
  auto created = st.create(cms, "default", cm("c1")).obj;
  auto body = created->obj;
  body["data"].as_object()["k"] = "v2";
  auto r = st.update(cms, "default", "c1", body);
  ASSERT_FALSE(r.error);
  EXPECT_GT(r.obj->rv, created->rv);
  // The same stale body again: 409 Conflict.
  auto stale = st.update(cms, "default", "c1", body);
  ASSERT_TRUE(stale.error);
  EXPECT_EQ(stale.error->reason, "Conflict");
  // A no-op update keeps the RV and emits nothing.
  auto rv = st.current_rv();
  auto same = st.update(cms, "default", "c1", r.obj->obj);
  ASSERT_FALSE(same.error);
  EXPECT_EQ(same.obj->rv, r.obj->rv);
  EXPECT_EQ(st.current_rv(), rv);
  // Missing object: ConfigMap does not create on PUT.
  EXPECT_EQ(st.update(cms, "default", "zz", cm("zz")).error->code, 404);
}

TEST_F(SimStore, LeaseRequiresResourceVersionAndCreatesOnPut) {
  auto& leases = R("coordination.k8s.io", "leases");
  json::object l{{"metadata", json::object{{"name", "plndr-cp-lock"}}},
                 {"spec", json::object{{"holderIdentity", "a"}, {"leaseDurationSeconds", 5}}}};
  auto created = st.update(leases, "kube-system", "plndr-cp-lock", l);
  ASSERT_FALSE(created.error);
  EXPECT_EQ(created.code, 201);
  auto noversion = st.update(leases, "kube-system", "plndr-cp-lock", l);
  ASSERT_TRUE(noversion.error);
  EXPECT_EQ(noversion.error->code, 422);
  EXPECT_NE(noversion.error->message.find("must be specified for an update"), std::string::npos);
  auto ok = created.obj->obj;
  ok["spec"].as_object()["holderIdentity"] = "b";
  EXPECT_FALSE(st.update(leases, "kube-system", "plndr-cp-lock", ok).error);
}

TEST_F(SimStore, StatusSubresourceSplit) {
  auto& svcs = R("", "services");
  json::object s{{"metadata", json::object{{"name", "web"}}},
                 {"spec", json::object{{"type", "LoadBalancer"},
                                       {"ports", json::array{json::object{{"port", 80}}}}}},
                 {"status", json::object{{"loadBalancer", json::object{{"ingress", "x"}}}}}};
  auto created = st.create(svcs, "default", s).obj;
  EXPECT_EQ(json::serialize(created->obj.at("status")), R"({"loadBalancer":{}})");
  EXPECT_EQ(jsonpath::str(created->obj, {"spec", "clusterIP"}).rfind("10.96.", 0), 0u);
  // Main resource PUT cannot change status.
  auto body = created->obj;
  body["status"] = json::parse(R"({"loadBalancer":{"ingress":[{"ip":"1.2.3.4"}]}})");
  auto r = st.update(svcs, "default", "web", body);
  ASSERT_FALSE(r.error);
  EXPECT_EQ(json::serialize(r.obj->obj.at("status")), R"({"loadBalancer":{}})");
  // /status cannot change spec, but sets status (ipMode defaulted).
  body = r.obj->obj;
  body["status"] = json::parse(R"({"loadBalancer":{"ingress":[{"ip":"1.2.3.4"}]}})");
  body["spec"].as_object()["type"] = "ClusterIP";
  auto st_r = st.update(svcs, "default", "web", body, true);
  ASSERT_FALSE(st_r.error);
  EXPECT_EQ(jsonpath::str(st_r.obj->obj, {"spec", "type"}), "LoadBalancer");
  EXPECT_EQ(json::serialize(st_r.obj->obj.at("status")),
            R"({"loadBalancer":{"ingress":[{"ip":"1.2.3.4","ipMode":"VIP"}]}})");
}

TEST_F(SimStore, PatchWithResourceVersionPrecondition) {
  auto& cms = R("", "configmaps");
  auto created = st.create(cms, "default", cm("c1")).obj;
  auto patch = json::parse(R"({"metadata":{"resourceVersion":"1"},"data":{"k":"x"}})");
  auto apply = [&](json::value& t) { return apply_merge_patch(t, patch); };
  auto r = st.patch(cms, "default", "c1", apply, 422);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, 409);
  patch.as_object()["metadata"].as_object()["resourceVersion"] = std::to_string(created->rv);
  EXPECT_FALSE(st.patch(cms, "default", "c1", apply, 422).error);
}

TEST_F(SimStore, DeleteShapesAndFinalizers) {
  auto& cms = R("", "configmaps");
  st.create(cms, "default", cm("c1"));
  auto r = st.remove(cms, "default", "c1");
  ASSERT_TRUE(r.body);
  EXPECT_EQ(jsonpath::str(*r.body, {"status"}), "Success");
  EXPECT_EQ(st.get(cms, "default", "c1").error->code, 404);

  auto fin = cm("held");
  fin["metadata"].as_object()["finalizers"] = json::array{"example.com/x"};
  st.create(cms, "default", fin);
  auto held = st.remove(cms, "default", "held");
  ASSERT_FALSE(held.error);
  EXPECT_FALSE(jsonpath::str(held.obj->obj, {"metadata", "deletionTimestamp"}).empty());
  EXPECT_FALSE(st.get(cms, "default", "held").error);
  auto w = make_watcher(cms);
  ASSERT_FALSE(st.watch(w, std::to_string(st.current_rv())));
  auto body = held.obj->obj;
  body["metadata"].as_object().erase("finalizers");
  ASSERT_FALSE(st.update(cms, "default", "held", body).error);
  EXPECT_EQ(st.get(cms, "default", "held").error->code, 404);
  EXPECT_EQ(drain(*w), std::vector<std::string>{"DELETED held"});

  auto svc = st.create(
      R("", "services"), "default",
      json::object{{"metadata", json::object{{"name", "s"}}},
                   {"spec", json::object{{"ports", json::array{json::object{{"port", 80}}}}}}});
  ASSERT_FALSE(svc.error);
  auto gone = st.remove(R("", "services"), "default", "s");
  EXPECT_FALSE(gone.body); // Services answer with the object
  EXPECT_GT(gone.obj->rv, svc.obj->rv);
}

TEST_F(SimStore, ListPaginationAndSelectors) {
  auto& cms = R("", "configmaps");
  for (int i = 0; i < 5; ++i) {
    auto o = cm(("c" + std::to_string(i)).c_str());
    o["metadata"].as_object()["labels"] = json::object{{"app", i % 2 == 0 ? "even" : "odd"}};
    st.create(cms, "default", o);
  }
  st.create(cms, "kube-system", cm("other"));
  list_options opts;
  opts.ns = "default";
  opts.limit = 2;
  std::vector<std::string> names;
  for (int page = 0; page < 5; ++page) {
    list_result out;
    ASSERT_FALSE(st.list(cms, opts, out));
    EXPECT_EQ(out.rv, st.current_rv());
    for (auto& o : out.items)
      names.push_back(jsonpath::str(o->obj, {"metadata", "name"}));
    if (out.continue_token.empty()) break;
    EXPECT_EQ(out.remaining, static_cast<std::int64_t>(5 - names.size()));
    opts.continue_token = out.continue_token;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"c0", "c1", "c2", "c3", "c4"}));
  list_options sel;
  sel.labels = *label_selector::parse("app=odd");
  list_result out;
  ASSERT_FALSE(st.list(cms, sel, out));
  EXPECT_EQ(out.items.size(), 2u);
  list_options bad;
  bad.continue_token = "zz";
  EXPECT_EQ(st.list(cms, bad, out)->code, 400);
}

TEST_F(SimStore, NamespaceDeleteCascades) {
  auto& nss = R("", "namespaces");
  st.create(nss, "", json::object{{"metadata", json::object{{"name", "team"}}}});
  st.create(R("", "configmaps"), "team", cm("c"));
  EXPECT_EQ(st.remove(nss, "", "default").error->code, 403);
  ASSERT_FALSE(st.remove(nss, "", "team").error);
  EXPECT_TRUE(st.get(R("", "configmaps"), "team", "c").error);
}

TEST_F(SimStore, SnapshotRoundTrip) {
  st.create(R("", "configmaps"), "default", cm("keep"));
  auto snap = st.snapshot();
  store other{100, 1};
  ASSERT_TRUE(other.load(snap).ok());
  EXPECT_EQ(other.current_rv(), st.current_rv());
  auto r = other.get(R("", "configmaps"), "default", "keep");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(*r.obj->text, *st.get(R("", "configmaps"), "default", "keep").obj->text);
  EXPECT_FALSE(other.load(json::object{{"objects", json::array{}}}).ok());
}

TEST(SimRouting, UrlGrammar) {
  using shape = resource_path::shape;
  auto p = parse_resource_path("/api/v1/namespaces/default/services/web/status");
  EXPECT_EQ(p.kind, shape::object);
  EXPECT_EQ(p.res->plural, "services");
  EXPECT_EQ(p.ns, "default");
  EXPECT_EQ(p.name, "web");
  EXPECT_EQ(p.subresource, "status");
  p = parse_resource_path("/api/v1/namespaces/kube-system");
  EXPECT_EQ(p.kind, shape::object);
  EXPECT_EQ(p.res->plural, "namespaces");
  EXPECT_EQ(p.name, "kube-system");
  p = parse_resource_path("/api/v1/namespaces/x/status");
  EXPECT_EQ(p.res->plural, "namespaces");
  EXPECT_EQ(p.subresource, "status");
  p = parse_resource_path("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases");
  EXPECT_EQ(p.kind, shape::collection);
  EXPECT_EQ(p.res->kind, "Lease");
  EXPECT_EQ(parse_resource_path("/api/v1/services").kind, shape::collection);
  EXPECT_EQ(parse_resource_path("/api/v1/services/web").kind, shape::not_found);
  EXPECT_EQ(parse_resource_path("/api/v1/nodes/n1/status").kind, shape::object);
  EXPECT_EQ(parse_resource_path("/api/v1/namespaces/d/configmaps/c/status").kind, shape::not_found);
  EXPECT_EQ(parse_resource_path("/api/v1/namespaces/d/nodes").kind, shape::not_found);
  EXPECT_EQ(parse_resource_path("/api/v1").kind, shape::group_version);
  EXPECT_EQ(parse_resource_path("/apis/discovery.k8s.io").kind, shape::group);
  EXPECT_EQ(parse_resource_path("/apis/foo.io/v1/bars").kind, shape::not_found);
  EXPECT_EQ(parse_resource_path("/api/v2/pods").kind, shape::not_found);
}

} // namespace
} // namespace kvip::sim
