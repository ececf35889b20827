// Typed request bodies over HTTP: wrong JSON types are 400 (422 on field
// "patch" for patches) and store nothing; fieldValidation Strict/Warn/Ignore
// and its default; application/yaml bodies; the YAML-to-JSON conversion.
#include "simulation/request_body.hpp"

#include <gtest/gtest.h>

#include "k8s/client.hpp"
#include "sim_http_client.hpp"

namespace kvip::sim::test {
namespace {

namespace json = boost::json;

struct Bodies : ::testing::Test {
  server_fixture f;
  std::string cm(const std::string& rest = {}) {
    return f.url + "/api/v1/namespaces/default/configmaps" + rest;
  }
  std::string lease(const std::string& rest = {}) {
    return f.url + "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases" + rest;
  }
  void SetUp() override { ASSERT_EQ(f.start_error, ""); }
};

std::vector<std::string> warnings(const reply& r) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = r.headers.find("Warning: ", pos)) != std::string::npos) {
    auto end = r.headers.find("\r\n", pos);
    out.push_back(r.headers.substr(pos + 9, end - pos - 9));
    pos = end;
  }
  return out;
}

TEST_F(Bodies, WrongTypesAreBadRequestAndStoreNothing) {
  auto labels = http("POST", cm(), R"({"metadata":{"name":"c","labels":"app"}})");
  EXPECT_EQ(labels.code, 400);
  EXPECT_EQ(labels.str("reason"), "BadRequest");
  EXPECT_EQ(labels.str("message"),
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal "
            "string into Go struct field ObjectMeta.metadata.labels of type map[string]string");
  auto data = http("POST", cm(), R"({"metadata":{"name":"c"},"data":{"k":1}})");
  EXPECT_EQ(data.code, 400);
  EXPECT_EQ(http("GET", cm("/c")).code, 404);

  auto secret = http("POST", f.url + "/api/v1/namespaces/default/secrets",
                     R"({"metadata":{"name":"s"},"data":{"p":"%%%"}})");
  EXPECT_EQ(secret.code, 400);
  EXPECT_EQ(secret.str("message"), "Secret in version \"v1\" cannot be handled as a Secret: "
                                   "illegal base64 data at input byte 0");
  EXPECT_EQ(http("GET", f.url + "/api/v1/namespaces/default/secrets/s").code, 404);

  auto bad_lease = http(
      "POST", lease(),
      R"({"metadata":{"name":"l"},"spec":{"holderIdentity":"a","renewTime":"2026-11-26T08:59:06Z"}})");
  EXPECT_EQ(bad_lease.code, 400);
  EXPECT_NE(bad_lease.str("message").find("Lease in version \"v1\" cannot be handled as a Lease: "
                                          "parsing time \"2026-11-26T08:59:06Z\""),
            std::string::npos)
      << bad_lease.body;
  EXPECT_EQ(http("GET", lease("/l")).code, 404);
}

TEST_F(Bodies, BadUpdateOrPatchLeavesTheStoredObjectUnchanged) {
  auto created =
      http("POST", lease(),
           R"({"metadata":{"name":"l"},"spec":{"holderIdentity":"a","leaseDurationSeconds":5,)"
           R"("renewTime":"2026-11-26T08:59:06.000001Z"}})");
  ASSERT_EQ(created.code, 201) << created.body;
  auto before = http("GET", lease("/l")).body;
  auto obj = created.json().as_object();
  obj["spec"].as_object()["renewTime"] = "2026-11-26T08:59:07.5Z";
  auto put = http("PUT", lease("/l"), json::serialize(obj));
  EXPECT_EQ(put.code, 400);
  EXPECT_EQ(put.str("reason"), "BadRequest");
  auto patch = http("PATCH", lease("/l"), R"({"spec":{"leaseDurationSeconds":"10"}})",
                    "application/merge-patch+json");
  EXPECT_EQ(patch.code, 422) << patch.body;
  EXPECT_EQ(patch.str("reason"), "Invalid");
  auto causes = patch.json().at("details").at("causes").as_array();
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0].at("field"), "patch");
  EXPECT_NE(patch.str("message").find("json: cannot unmarshal string into Go struct field "
                                      "LeaseSpec.spec.leaseDurationSeconds of type int32"),
            std::string::npos);
  auto strategic = http("PATCH", lease("/l"), R"({"metadata":{"labels":{"a":true}}})",
                        "application/strategic-merge-patch+json");
  EXPECT_EQ(strategic.code, 422);
  auto jp =
      http("PATCH", lease("/l"), R"([{"op":"add","path":"/spec/leaseTransitions","value":[]}])",
           "application/json-patch+json");
  EXPECT_EQ(jp.code, 422);
  EXPECT_EQ(http("GET", lease("/l")).body, before);
}

TEST_F(Bodies, StrictRefusesUnknownFields) {
  auto r = http("POST", cm("?fieldValidation=Strict"),
                R"({"metadata":{"name":"c"},"data":{},"spec":{"foo":1},"bar":2})");
  EXPECT_EQ(r.code, 400);
  EXPECT_EQ(r.str("reason"), "BadRequest");
  EXPECT_EQ(r.str("message"),
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: "
            "strict decoding error: unknown field \"spec\", unknown field \"bar\"");
  EXPECT_EQ(http("GET", cm("/c")).code, 404);
  // A fully described object passes Strict untouched.
  auto ok =
      http("POST", cm("?fieldValidation=Strict"),
           R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"v"}})");
  EXPECT_EQ(ok.code, 201) << ok.body;
  auto p = http("PATCH", cm("/c?fieldValidation=Strict"), R"({"spec":{"foo":1}})",
                "application/merge-patch+json");
  EXPECT_EQ(p.code, 400);
  EXPECT_EQ(p.str("message"), "strict decoding error: unknown field \"spec\"");
  auto svc = http("POST", f.url + "/api/v1/namespaces/default/services?fieldValidation=Strict",
                  R"({"metadata":{"name":"web"},"spec":{"ports":[{"port":80,"bogus":1}]}})");
  EXPECT_EQ(svc.code, 400);
  EXPECT_NE(svc.str("message").find("unknown field \"spec.ports[0].bogus\""), std::string::npos);
}

TEST_F(Bodies, WarnPrunesWithAWarningHeaderAndIsTheDefault) {
  for (const char* q : {"?fieldValidation=Warn", ""}) {
    auto name = std::string(*q != 0 ? "warn" : "default");
    auto r = http("POST", cm(q), R"({"metadata":{"name":")" + name + R"("},"spec":{"foo":1}})");
    ASSERT_EQ(r.code, 201) << r.body;
    EXPECT_EQ(r.json().as_object().if_contains("spec"), nullptr);
    EXPECT_EQ(warnings(r), std::vector<std::string>{R"(299 - "unknown field \"spec\"")"}) << q;
  }
  auto p = http("PATCH", cm("/warn"), R"({"metadata":{"labelz":{"a":"b"}}})",
                "application/merge-patch+json");
  EXPECT_EQ(p.code, 200);
  EXPECT_EQ(warnings(p), std::vector<std::string>{R"(299 - "unknown field \"metadata.labelz\"")"});
  EXPECT_EQ(p.json().at("metadata").as_object().if_contains("labelz"), nullptr);
}

TEST_F(Bodies, IgnorePrunesSilentlyAndBadValuesAreInvalid) {
  auto r = http("POST", cm("?fieldValidation=Ignore"), R"({"metadata":{"name":"i"},"x":1})");
  EXPECT_EQ(r.code, 201);
  EXPECT_TRUE(warnings(r).empty());
  EXPECT_EQ(r.json().as_object().if_contains("x"), nullptr);
  auto bad = http("POST", cm("?fieldValidation=strict"), R"({"metadata":{"name":"j"}})");
  EXPECT_EQ(bad.code, 422);
  EXPECT_EQ(bad.str("reason"), "Invalid");
  EXPECT_EQ(bad.str("message"),
            "CreateOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: "
            "\"strict\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"");
  EXPECT_EQ(bad.json().at("details").at("causes").at(0).at("field"), "fieldValidation");
  EXPECT_EQ(http("GET", cm("/j")).code, 404);
  auto put = http("PUT", cm("/i?fieldValidation=x"), R"({"metadata":{"name":"i"}})");
  EXPECT_EQ(put.code, 422);
  EXPECT_NE(put.str("message").find("UpdateOptions.meta.k8s.io"), std::string::npos);
  auto patch = http("PATCH", cm("/i?fieldValidation=x"), "{}", "application/merge-patch+json");
  EXPECT_EQ(patch.code, 422);
  EXPECT_NE(patch.str("message").find("PatchOptions.meta.k8s.io"), std::string::npos);
}

TEST_F(Bodies, DuplicateFieldsAreStrictErrorsAndTheLastValueWins) {
  auto strict = http("POST", cm("?fieldValidation=Strict"),
                     R"({"metadata":{"name":"d","name":"e"},"data":{"k":"1","k":"2"}})");
  EXPECT_EQ(strict.code, 400);
  EXPECT_EQ(strict.str("message"),
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: "
            "duplicate field \"metadata.name\", duplicate field \"data.k\"");
  auto warn = http("POST", cm(), R"({"metadata":{"name":"d"},"data":{"k":"1","k":"2"}})");
  ASSERT_EQ(warn.code, 201) << warn.body;
  EXPECT_EQ(warn.json().at("data").at("k"), "2");
  EXPECT_EQ(warnings(warn), std::vector<std::string>{R"(299 - "duplicate field \"data.k\"")"});
  auto patch = http("PATCH", cm("/d?fieldValidation=Strict"), R"({"data":{"x":"1","x":"1"}})",
                    "application/merge-patch+json");
  EXPECT_EQ(patch.code, 400);
  EXPECT_EQ(patch.str("message"), "strict decoding error: duplicate field \"data.x\"");
}

// A bad write by kvip's own client fails here as it would on a cluster.
TEST_F(Bodies, KvipsClientGetsTheDecodeErrorForABadLease) {
  k8s::connection_config cfg;
  cfg.server = f.url;
  k8s::client_options o;
  o.max_retries = 0;
  o.qps = 0;
  k8s::client c(cfg, o);
  auto lease_obj = json::object{
      {"metadata", {{"name", "kvip-bad"}}},
      {"spec", {{"holderIdentity", "node1"}, {"renewTime", "2026-11-26T08:59:06.123Z"}}}};
  auto r = c.create(k8s::resources::leases, "kube-system", lease_obj);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.is(k8s::error_kind::invalid)) << r.err().describe();
  EXPECT_NE(r.err().message.find("cannot parse \".123Z\" as \".000000\""), std::string::npos)
      << r.err().message;
  EXPECT_EQ(http("GET", lease("/kvip-bad")).code, 404);
}

TEST(DuplicateFields, PathsWithIndicesInDocumentOrder) {
  EXPECT_TRUE(duplicate_fields(R"({"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]})").empty());
  std::vector<std::string> want{"s.p[1].x", "a", R"(k"q)"};
  EXPECT_EQ(duplicate_fields(R"({"a":1,"s":{"p":[{"x":1},{"x":"{\"","x":[1,2]}]},)"
                             R"("a":2,"k\"q":1,"k\u0022q":2})"),
            want);
  EXPECT_TRUE(duplicate_fields("").empty());
  EXPECT_TRUE(duplicate_fields(R"(a: "b)").empty()); // not JSON: nothing found, no crash
}

TEST_F(Bodies, YamlBodiesAreAccepted) {
  auto r = http("POST", cm("?fieldValidation=Strict"),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yml\n  labels:\n"
                "    app: \"web\"\ndata:\n  port: \"80\"\n",
                "application/yaml");
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_EQ(r.json().at("data").at("port"), "80");
  auto typed = http("POST", cm(), "metadata:\n  name: z\ndata:\n  port: 80\n", "application/yaml");
  EXPECT_EQ(typed.code, 400);
  EXPECT_NE(
      typed.str("message").find("cannot unmarshal number into Go struct field ConfigMap.data"),
      std::string::npos);
  auto broken = http("POST", cm(), "metadata: [\n", "application/yaml");
  EXPECT_EQ(broken.code, 400);
  auto put = http("PUT", cm("/yml"), "metadata:\n  name: yml\ndata:\n  a: b\n",
                  "application/yaml; charset=utf-8");
  EXPECT_EQ(put.code, 200) << put.body;
  EXPECT_EQ(http("POST", cm(), "{}", "application/vnd.kubernetes.protobuf").code, 415);
  EXPECT_EQ(http("GET", f.url + "/healthz").code, 200);
}

TEST(YamlToJson, ScalarsResolveAsSigsK8sYamlDoes) {
  auto v = yaml_to_json("a: 1\nb: \"1\"\nc: true\nd: 'no'\ne: ~\nf: 1.5\ng: text\nh: [x, 2]\n"
                        "i: -7\nj: {k: v}\n");
  ASSERT_TRUE(v) << v.err().message;
  EXPECT_EQ(*v, json::parse(R"({"a":1,"b":"1","c":true,"d":"no","e":null,"f":1.5,"g":"text",)"
                            R"("h":["x",2],"i":-7,"j":{"k":"v"}})"));
  EXPECT_FALSE(yaml_to_json("a: [\n"));
  std::string deep = "a: " + std::string(100, '[') + std::string(100, ']') + "\n";
  EXPECT_FALSE(yaml_to_json(deep));
  // Aliases of aliases: 10 levels of 10 copies would be 10^10 nodes.
  std::string laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    auto prev = "*a" + std::to_string(i - 1);
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j)
      laughs += prev + (j < 9 ? ", " : "]\n");
  }
  auto r = yaml_to_json(laughs);
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message.find("aliases"), std::string::npos);
}

} // namespace
} // namespace kvip::sim::test
