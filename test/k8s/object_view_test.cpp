// k8s/object_view: the jsonpath accessors that k8s/ and simulation/ share.
#include "k8s/object_view.hpp"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

using namespace kvip::k8s;
namespace json = boost::json;

namespace {

json::object sample() {
  return json::parse(R"({"metadata": {"name": "web", "labels": {"app": "nginx", "n": 3},
                          "generation": 4},
                         "spec": {"nodeName": "n1", "ports": [1, 2], "flag": true},
                         "status": "not-an-object"})")
      .as_object();
}

} // namespace

TEST(K8sJsonPath, ReadsStringsIntegersBoolsAndMaps) {
  auto o = sample();
  EXPECT_EQ(jsonpath::str(o, {"metadata", "name"}), "web");
  EXPECT_EQ(jsonpath::str(o, {"metadata", "generation"}), ""); // not a string
  EXPECT_EQ(jsonpath::str(o, {"metadata", "missing"}), "");
  EXPECT_EQ(jsonpath::str(o, {"status", "phase"}), ""); // through a non-object
  EXPECT_EQ(jsonpath::optional_str(o, {"metadata", "name"}), "web");
  EXPECT_EQ(jsonpath::optional_str(o, {"metadata", "missing"}), std::nullopt); // absent, not ""
  EXPECT_EQ(jsonpath::optional_str(o, {"metadata", "generation"}), std::nullopt);
  EXPECT_EQ(jsonpath::integer(o, {"metadata", "generation"}), 4);
  EXPECT_EQ(jsonpath::integer(o, {"metadata", "name"}), std::nullopt);
  EXPECT_EQ(jsonpath::boolean(o, {"spec", "flag"}), true);
  EXPECT_EQ(jsonpath::string_map(o, {"metadata", "labels"}),
            (std::map<std::string, std::string>{{"app", "nginx"}})); // non-strings skipped
}

TEST(K8sJsonPath, FindsAlongARunTimePath) {
  auto o = sample();
  std::vector<std::string> path{"spec", "nodeName"};
  const auto* v = jsonpath::find(o, path);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->as_string(), "n1");
  std::vector<std::string> through_array{"spec", "ports", "0"};
  EXPECT_EQ(jsonpath::find(o, through_array), nullptr);
  EXPECT_EQ(jsonpath::find(o, std::vector<std::string>{}), nullptr);
}

TEST(K8sJsonPath, ObjectAtIsNullUnlessAnObject) {
  auto o = sample();
  const auto* labels = jsonpath::object_at(std::as_const(o), {"metadata", "labels"});
  ASSERT_NE(labels, nullptr);
  EXPECT_EQ(labels->size(), 2u);
  EXPECT_EQ(jsonpath::object_at(o, {"status"}), nullptr);
  EXPECT_EQ(jsonpath::object_at(o, {"spec", "ports"}), nullptr);
  EXPECT_EQ(jsonpath::object_at(o, {"nothing"}), nullptr);
  jsonpath::object_at(o, {"metadata", "labels"})->erase("app"); // the mutable form edits in place
  EXPECT_EQ(jsonpath::str(o, {"metadata", "labels", "app"}), "");
}

TEST(K8sJsonPath, EnsureCreatesAndReplacesNonObjects) {
  auto o = sample();
  jsonpath::ensure(o, {"status", "loadBalancer"})["ingress"] = json::array{};
  EXPECT_TRUE(o.at("status").at("loadBalancer").at("ingress").is_array());
  jsonpath::ensure(o, {"metadata"})["uid"] = "u1";
  EXPECT_EQ(jsonpath::str(o, {"metadata", "name"}), "web"); // existing fields kept
  EXPECT_EQ(jsonpath::str(o, {"metadata", "uid"}), "u1");
}
