// Which Services kvip serves (k8s/services/filter): namespace, type, ignore, the
// load-balancer class rules of reference §1.6 in legacy and modern handling,
// leaseName with externalTrafficPolicy Local, and the election mode.
#include <gtest/gtest.h>

#include "k8s/services/filter.hpp"
#include "test/k8s/services/fixtures.hpp"

namespace kvip::k8s::services {
namespace {

using namespace testing;

const std::string cls = R"({"spec":{"loadBalancerClass":"kube-vip.io/kube-vip-class"}})";
const std::string other = R"({"spec":{"loadBalancerClass":"example.com/lb"}})";

filter_config legacy(bool only = false, std::string name = "kube-vip.io/kube-vip-class") {
  filter_config c;
  c.lb_class_only = only;
  c.lb_class_name = std::move(name);
  return c;
}

filter_config modern(std::string name = "kube-vip.io/kube-vip-class") {
  auto c = legacy(false, std::move(name));
  c.lb_class_legacy_handling = false;
  return c;
}

TEST(Filter, ClassRules) {
  struct row {
    std::string name;
    filter_config cfg;
    std::string patch;
    std::string why; ///< "" = served
  };
  const std::string want = R"("kube-vip.io/kube-vip-class")";
  std::vector<row> rows = {
      {"legacy: no class served", legacy(), "{}", ""},
      {"legacy: our class served", legacy(), cls, ""},
      {"legacy: other class skipped", legacy(), other,
       R"(spec.loadBalancerClass "example.com/lb" is not lb_class_name )" + want},
      {"legacy+only: no class skipped", legacy(true), "{}",
       "no spec.loadBalancerClass, and lb_class_only serves only class " + want},
      {"legacy+only: our class served", legacy(true), cls, ""},
      {"legacy, custom name: our default class skipped", legacy(false, "example.com/lb"), cls,
       R"(spec.loadBalancerClass "kube-vip.io/kube-vip-class" is not lb_class_name "example.com/lb")"},
      {"legacy, custom name: that class served", legacy(false, "example.com/lb"), other, ""},
      {"modern: no class skipped", modern(), "{}",
       "no spec.loadBalancerClass, and lb_class_legacy_handling=false serves only class " + want},
      {"modern: our class served", modern(), cls, ""},
      {"modern: other class skipped", modern(), other,
       R"(spec.loadBalancerClass "example.com/lb" is not lb_class_name )" + want},
      {"modern, empty name: no class served", modern(""), "{}", ""},
      {"modern, empty name: any class skipped", modern(""), cls,
       R"(spec.loadBalancerClass "kube-vip.io/kube-vip-class" is set, and an empty lb_class_name serves only class-less Services)"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto got = filter_service(parsed(r.patch), r.cfg);
    EXPECT_EQ(got.handled, r.why.empty());
    EXPECT_EQ(got.message, r.why);
    EXPECT_EQ(got.reason, r.why.empty() ? skip_reason::none : skip_reason::load_balancer_class);
    EXPECT_EQ(class_mismatch(parsed(r.patch), r.cfg), r.why);
  }
}

TEST(Filter, NamespaceTypeIgnoreAndLeaseName) {
  struct row {
    std::string name;
    std::string ns; ///< svc_namespace
    std::string patch;
    skip_reason reason;
    std::string message;
  };
  std::vector<row> rows = {
      {"served", "", "{}", skip_reason::none, ""},
      {"its namespace", "default", "{}", skip_reason::none, ""},
      {"other namespace", "infra", "{}", skip_reason::other_namespace,
       R"(namespace "default" is not svc_namespace "infra")"},
      {"ClusterIP", "", R"({"spec":{"type":"ClusterIP"}})", skip_reason::not_load_balancer,
       R"(spec.type "ClusterIP" is not LoadBalancer)"},
      {"namespace before type", "infra", R"({"spec":{"type":"NodePort"}})",
       skip_reason::other_namespace, R"(namespace "default" is not svc_namespace "infra")"},
      {"ignored", "", R"({"metadata":{"annotations":{"kube-vip.io/ignore":"true"}}})",
       skip_reason::ignored, R"(kube-vip.io/ignore is "true")"},
      {"ignore=True is not ignore (kube-vip)", "",
       R"({"metadata":{"annotations":{"kube-vip.io/ignore":"True"}}})", skip_reason::none, ""},
      {"leaseName with Cluster", "",
       R"({"metadata":{"annotations":{"kube-vip.io/leaseName":"shared"}}})", skip_reason::none, ""},
      {"leaseName with Local", "",
       R"({"metadata":{"annotations":{"kube-vip.io/leaseName":"shared"}},
           "spec":{"externalTrafficPolicy":"Local"}})",
       skip_reason::invalid_config,
       "kube-vip.io/leaseName needs externalTrafficPolicy Cluster (a shared Lease cannot follow "
       "local endpoints), got Local"},
      {"empty leaseName with Local (the default Lease)", "",
       R"({"metadata":{"annotations":{"kube-vip.io/leaseName":""}},
           "spec":{"externalTrafficPolicy":"Local"}})",
       skip_reason::none, ""},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    filter_config c;
    c.svc_namespace = r.ns;
    auto got = filter_service(parsed(r.patch), c);
    EXPECT_EQ(got.handled, r.reason == skip_reason::none);
    EXPECT_EQ(got.reason, r.reason) << to_string(got.reason);
    EXPECT_EQ(got.message, r.message);
  }
}

TEST(Filter, ElectionModeAndNotes) {
  const std::string force =
      R"({"metadata":{"annotations":{"kube-vip.io/forcePerServiceElection":"true"}}})";
  struct row {
    bool svc_election;
    bool on_demand;
    std::string patch;
    bool per_service;
    std::size_t notes;
  };
  std::vector<row> rows = {
      {false, false, "{}", false, 0}, {true, false, "{}", true, 0},
      {false, true, "{}", false, 0},  {false, true, force, true, 0},
      {true, false, force, true, 0},  {false, false, force, false, 1},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(std::to_string(r.svc_election) + std::to_string(r.on_demand) + r.patch);
    filter_config c;
    c.svc_election = r.svc_election;
    c.per_service_election_on_demand = r.on_demand;
    auto got = filter_service(parsed(r.patch), c);
    ASSERT_TRUE(got.handled);
    EXPECT_EQ(got.per_service_election, r.per_service);
    EXPECT_EQ(got.notes.size(), r.notes);
  }
  auto local = filter_service(parsed(R"({"metadata":{"annotations":{
      "kube-vip.io/allow-reconcile-without-endpoints":"true"}},
      "spec":{"externalTrafficPolicy":"Local"}})"),
                              filter_config{});
  ASSERT_EQ(local.notes.size(), 1u);
  EXPECT_EQ(local.notes[0], "kube-vip.io/allow-reconcile-without-endpoints has no effect with "
                            "externalTrafficPolicy Local");
}

TEST(Filter, ReasonNamesAreMetricLabels) {
  EXPECT_STREQ(to_string(skip_reason::invalid_config), "invalid_config");
  EXPECT_STREQ(to_string(skip_reason::load_balancer_class), "load_balancer_class");
  EXPECT_STREQ(to_string(skip_reason::none), "");
}

} // namespace
} // namespace kvip::k8s::services
