// Patch engines: RFC 7386 merge patch and RFC 6902 JSON patch (strategic merge patch is tested
// in strategic_merge_test.cpp). Table-driven; every row names its case.
#include "simulation/patch.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include "patch_check.hpp"

#include <string>
#include <vector>

using namespace kvip::sim;
namespace json = boost::json;

namespace {

using kvip::sim::test::patch_case;

using engine = kvip::net::result<void> (*)(json::value&, const json::value&);

/// Runs every case through `apply`; on error the target must be unchanged when `atomic`.
void check(engine apply, const std::vector<patch_case>& cases, bool atomic) {
  for (auto& c : cases)
    kvip::sim::test::check_patch(c, apply, atomic);
}

} // namespace

// -- helpers ------------------------------------------------------------------------

TEST(SimPatchJson, EqualityComparesNumbersByValue) {
  struct row {
    const char* name;
    const char* a;
    const char* b;
    bool equal;
  };
  for (auto& r : std::vector<row>{
           {"int and double", "1", "1.0", true},
           {"int and big unsigned", "1", "18446744073709551615", false},
           {"negative and unsigned", "-1", "18446744073709551615", false},
           {"objects ignore member order", R"({"a":1,"b":[2]})", R"({"b":[2.0],"a":1})", true},
           {"object sizes differ", R"({"a":1})", R"({"a":1,"b":2})", false},
           {"arrays keep order", "[1,2]", "[2,1]", false},
           {"null vs false", "null", "false", false},
           {"string vs number", R"("1")", "1", false},
       })
    EXPECT_EQ(json_equal(json::parse(r.a), json::parse(r.b)), r.equal) << r.name;
}

// -- RFC 7386 -------------------------------------------------------------------------

TEST(SimPatchMerge, Rfc7386Rules) {
  check(apply_merge_patch,
        {
            {"scalar member replaced", R"({"a":"x"})", R"({"a":"y"})", R"({"a":"y"})"},
            {"member added", R"({"a":"x"})", R"({"b":"y"})", R"({"a":"x","b":"y"})"},
            {"null removes member", R"({"a":"x","b":"y"})", R"({"a":null})", R"({"b":"y"})"},
            {"null on absent member", R"({"a":"x"})", R"({"z":null})", R"({"a":"x"})"},
            {"array replaced wholesale", R"({"a":["x","y"]})", R"({"a":["z"]})", R"({"a":["z"]})"},
            {"array of objects not merged", R"({"a":[{"b":"x","c":1}]})", R"({"a":[{"b":"y"}]})",
             R"({"a":[{"b":"y"}]})"},
            {"array becomes scalar", R"({"a":["x"]})", R"({"a":"s"})", R"({"a":"s"})"},
            {"scalar becomes object", R"({"a":"x"})", R"({"a":{"b":"c"}})", R"({"a":{"b":"c"}})"},
            {"object becomes scalar", R"({"a":{"b":"c"}})", R"({"a":7})", R"({"a":7})"},
            {"nested merge", R"({"a":{"b":"x","c":"y"},"d":1})", R"({"a":{"b":"z","c":null}})",
             R"({"a":{"b":"z"},"d":1})"},
            {"nulls dropped inside new object", "{}", R"({"a":{"b":null,"c":1}})",
             R"({"a":{"c":1}})"},
            {"nulls kept inside arrays", "{}", R"({"a":[null,1]})", R"({"a":[null,1]})"},
            {"existing nulls untouched", R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
            {"empty patch is a no-op", R"({"a":1})", "{}", R"({"a":1})"},
            {"array target becomes object", R"(["x"])", R"({"a":"b"})", R"({"a":"b"})"},
            {"scalar target becomes object", "5", R"({"a":{"b":null}})", R"({"a":{}})"},
            {"string patch replaces document", R"({"a":"x"})", R"("s")", R"("s")"},
            {"array patch replaces document", R"({"a":"x"})", R"(["c"])", R"(["c"])"},
            {"null patch replaces document", R"({"a":"x"})", "null", "null"},
            {"kubectl label", R"({"metadata":{"name":"web","labels":{"app":"web"}}})",
             R"({"metadata":{"labels":{"foo":"bar"}}})",
             R"({"metadata":{"name":"web","labels":{"app":"web","foo":"bar"}}})"},
            {"status ingress replaced",
             R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.1"},{"ip":"192.0.2.2"}]}}})",
             R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.9","ipMode":"VIP"}]}}})",
             R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.9","ipMode":"VIP"}]}}})"},
        },
        false);
}

TEST(SimPatchMerge, DeepPatchIsRefused) {
  json::value patch = json::object{};
  for (int i = 0; i < 2 * max_patch_depth; ++i) {
    json::object wrap;
    wrap["a"] = std::move(patch);
    patch = std::move(wrap);
  }
  json::value target = json::object{};
  EXPECT_FALSE(apply_merge_patch(target, patch).ok());
  EXPECT_FALSE(apply_json_patch(target, json::array{json::object{
                                            {"op", "add"}, {"path", "/x"}, {"value", patch}}})
                   .ok());
  EXPECT_FALSE(apply_strategic_merge_patch(target, patch, "ConfigMap").ok());
  EXPECT_EQ(target, json::value(json::object{}));
}

// -- RFC 6902 -------------------------------------------------------------------------

TEST(SimPatchJson, Add) {
  check(
      apply_json_patch,
      {
          {"member", R"({"a":1})", R"([{"op":"add","path":"/b","value":2}])", R"({"a":1,"b":2})"},
          {"existing member replaced", R"({"a":1})", R"([{"op":"add","path":"/a","value":[3]}])",
           R"({"a":[3]})"},
          {"nested member", R"({"a":{}})", R"([{"op":"add","path":"/a/b","value":null}])",
           R"({"a":{"b":null}})"},
          {"array insert", R"({"a":[1,3]})", R"([{"op":"add","path":"/a/1","value":2}])",
           R"({"a":[1,2,3]})"},
          {"array index equal to size", R"({"a":[1]})", R"([{"op":"add","path":"/a/1","value":2}])",
           R"({"a":[1,2]})"},
          {"array dash appends", R"({"a":[1]})", R"([{"op":"add","path":"/a/-","value":2}])",
           R"({"a":[1,2]})"},
          {"root replaced", R"({"a":1})", R"([{"op":"add","path":"","value":{"b":2}}])",
           R"({"b":2})"},
          {"empty key", "{}", R"([{"op":"add","path":"/","value":1}])", R"({"":1})"},
          {"escaped pointer", "{}",
           R"([{"op":"add","path":"/a~1b","value":1},{"op":"add","path":"/c~0d","value":2}])",
           R"({"a/b":1,"c~d":2})"},
          {"annotation key with slash", R"({"metadata":{"annotations":{}}})",
           R"([{"op":"add","path":"/metadata/annotations/kube-vip.io~1vip","value":"192.0.2.5"}])",
           R"({"metadata":{"annotations":{"kube-vip.io/vip":"192.0.2.5"}}})"},
          {"missing parent", R"({"a":1})", R"([{"op":"add","path":"/x/y","value":1}])", nullptr,
           "parent"},
          {"index out of range", R"({"a":[1]})", R"([{"op":"add","path":"/a/2","value":1}])",
           nullptr, "out of range"},
          {"leading zero index", R"({"a":[1,2]})", R"([{"op":"add","path":"/a/01","value":1}])",
           nullptr, "invalid array index"},
          {"non-numeric index", R"({"a":[1]})", R"([{"op":"add","path":"/a/x","value":1}])",
           nullptr, "invalid array index"},
          {"negative index", R"({"a":[1]})", R"([{"op":"add","path":"/a/-1","value":1}])", nullptr,
           "invalid array index"},
          {"into a scalar", R"({"a":1})", R"([{"op":"add","path":"/a/b","value":1}])", nullptr,
           "not an object or array"},
          {"missing value", "{}", R"([{"op":"add","path":"/a"}])", nullptr, "\"value\""},
      },
      true);
}

TEST(SimPatchJson, RemoveAndReplace) {
  check(apply_json_patch,
        {
            {"remove member", R"({"a":1,"b":2})", R"([{"op":"remove","path":"/a"}])", R"({"b":2})"},
            {"remove array element", R"({"a":[1,2,3]})", R"([{"op":"remove","path":"/a/1"}])",
             R"({"a":[1,3]})"},
            {"remove missing member", R"({"a":1})", R"([{"op":"remove","path":"/b"}])", nullptr,
             "does not exist"},
            {"remove past the end", R"({"a":[1]})", R"([{"op":"remove","path":"/a/1"}])", nullptr,
             "out of range"},
            {"remove dash", R"({"a":[1]})", R"([{"op":"remove","path":"/a/-"}])", nullptr,
             "invalid array index"},
            {"remove root", R"({"a":1})", R"([{"op":"remove","path":""}])", nullptr,
             "whole document"},
            {"remove below a scalar", R"({"a":1})", R"([{"op":"remove","path":"/a/b"}])", nullptr,
             "does not exist"},
            {"replace member", R"({"a":1})", R"([{"op":"replace","path":"/a","value":"x"}])",
             R"({"a":"x"})"},
            {"replace array element", R"({"a":[1,2]})",
             R"([{"op":"replace","path":"/a/0","value":9}])", R"({"a":[9,2]})"},
            {"replace root", R"({"a":1})", R"([{"op":"replace","path":"","value":[1]}])", "[1]"},
            {"replace missing member", R"({"a":1})", R"([{"op":"replace","path":"/b","value":1}])",
             nullptr, "does not exist"},
            {"replace dash", R"({"a":[1]})", R"([{"op":"replace","path":"/a/-","value":1}])",
             nullptr, "does not exist"},
        },
        true);
}

TEST(SimPatchJson, MoveCopyTest) {
  check(apply_json_patch,
        {
            {"move member", R"({"a":{"b":1},"c":{}})",
             R"([{"op":"move","from":"/a/b","path":"/c/d"}])", R"({"a":{},"c":{"d":1}})"},
            {"move array element", R"({"a":[1,2,3]})",
             R"([{"op":"move","from":"/a/0","path":"/a/-"}])", R"({"a":[2,3,1]})"},
            {"move onto itself", R"({"a":1})", R"([{"op":"move","from":"/a","path":"/a"}])",
             R"({"a":1})"},
            {"move into own child", R"({"a":{"b":1}})",
             R"([{"op":"move","from":"/a","path":"/a/b/c"}])", nullptr, "children"},
            {"move from missing", R"({"a":1})", R"([{"op":"move","from":"/x","path":"/y"}])",
             nullptr, "from path does not exist"},
            {"move without from", R"({"a":1})", R"([{"op":"move","path":"/y"}])", nullptr,
             "\"from\""},
            {"copy member", R"({"a":{"b":[1]}})", R"([{"op":"copy","from":"/a/b","path":"/c"}])",
             R"({"a":{"b":[1]},"c":[1]})"},
            {"copy into array", R"({"a":[1,2]})", R"([{"op":"copy","from":"/a/1","path":"/a/0"}])",
             R"({"a":[2,1,2]})"},
            {"copy from bad pointer", R"({"a":1})", R"([{"op":"copy","from":"a","path":"/b"}])",
             nullptr, "from: pointer"},
            {"test passes", R"({"a":{"b":[1,"x"]}})",
             R"([{"op":"test","path":"/a/b","value":[1.0,"x"]}])", R"({"a":{"b":[1,"x"]}})"},
            {"test null", R"({"a":null})", R"([{"op":"test","path":"/a","value":null}])",
             R"({"a":null})"},
            {"test fails", R"({"a":1})", R"([{"op":"test","path":"/a","value":2}])", nullptr,
             "test failed"},
            {"test on missing path", R"({"a":1})", R"([{"op":"test","path":"/b","value":1}])",
             nullptr, "does not exist"},
            {"test guards an update (optimistic lock)",
             R"({"metadata":{"resourceVersion":"7"},"spec":{"holderIdentity":"a"}})",
             R"([{"op":"test","path":"/metadata/resourceVersion","value":"6"},
                 {"op":"replace","path":"/spec/holderIdentity","value":"b"}])",
             nullptr, "test failed"},
        },
        true);
}

TEST(SimPatchJson, MalformedPatches) {
  check(
      apply_json_patch,
      {
          {"empty list is a no-op", R"({"a":1})", "[]", R"({"a":1})"},
          {"ops run in order", R"({"a":[]})",
           R"([{"op":"add","path":"/a/-","value":1},{"op":"add","path":"/a/0","value":0},
                 {"op":"test","path":"/a","value":[0,1]}])",
           R"({"a":[0,1]})"},
          {"extra members ignored", R"({})", R"([{"op":"add","path":"/a","value":1,"x":2}])",
           R"({"a":1})"},
          {"patch is an object", R"({"a":1})", R"({"op":"remove","path":"/a"})", nullptr,
           "must be an array"},
          {"operation is not an object", R"({"a":1})", "[1]", nullptr, "operation 0"},
          {"unknown op", R"({"a":1})", R"([{"op":"frob","path":"/a"}])", nullptr,
           "unknown operation"},
          {"op not a string", R"({"a":1})", R"([{"op":1,"path":"/a"}])", nullptr, "\"op\""},
          {"path missing", R"({"a":1})", R"([{"op":"remove"}])", nullptr, "\"path\""},
          {"pointer without slash", R"({"a":1})", R"([{"op":"remove","path":"a"}])", nullptr,
           "start with '/'"},
          {"bad escape", R"({"a~2":1})", R"([{"op":"remove","path":"/a~2"}])", nullptr, "escape"},
          {"trailing tilde", R"({"a":1})", R"([{"op":"remove","path":"/a~"}])", nullptr, "escape"},
          {"second op fails: nothing applied", R"({"a":1})",
           R"([{"op":"replace","path":"/a","value":2},{"op":"remove","path":"/zz"}])", nullptr,
           "operation 1 (remove \"/zz\")"},
      },
      true);
}

TEST(SimPatch, NeverThrowsOnOddInputs) {
  std::vector<const char*> docs{"null",
                                "1",
                                "\"s\"",
                                "[]",
                                "[1,{}]",
                                "{}",
                                R"({"a":[{"$patch":"delete"}],"$patch":"replace"})",
                                R"({"spec":{"ports":[1,null,{"port":80}]}})",
                                R"({"metadata":{"finalizers":[{"a":1}]}})",
                                R"([{"op":"move","from":"","path":"/a"}])",
                                R"([{"op":"copy","from":"","path":""}])"};
  for (auto* t : docs)
    for (auto* p : docs)
      for (auto* kind : {"Service", "Node", "Pod", "Whatever"}) {
        auto target = json::parse(t);
        EXPECT_NO_THROW((void)apply_merge_patch(target, json::parse(p))) << t << " + " << p;
        target = json::parse(t);
        EXPECT_NO_THROW((void)apply_json_patch(target, json::parse(p))) << t << " + " << p;
        target = json::parse(t);
        EXPECT_NO_THROW((void)apply_strategic_merge_patch(target, json::parse(p), kind))
            << t << " + " << p;
      }
}
