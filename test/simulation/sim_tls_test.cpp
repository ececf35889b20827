// HTTPS with bearer tokens and client certificates, generated credentials,
// the kubeconfig, and snapshots across restarts.
#include <gtest/gtest.h>

#include <filesystem>

#include "net/file.hpp"
#include "sim_http_client.hpp"
#include "simulation/api_listener.hpp"
#include "simulation/certs.hpp"
#include "test/support/ci.hpp"

namespace kvip::sim::test {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const char* tag) {
  auto p = fs::temp_directory_path() /
           (std::string("kvip-sim-") + tag + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

TEST(SimTls, TokenAndClientCertificateAuth) {
  if (!tls_supported()) KVIP_SKIP("libmicrohttpd has no TLS support");
  auto dir = temp_dir("tls");
  apiserver_options o;
  o.tls_dir = dir.string();
  o.gen_certs = true;
  o.extra_sans = {"10.0.0.1"};
  server_fixture f(o);
  ASSERT_EQ(f.start_error, "");
  ASSERT_EQ(f.url.rfind("https://127.0.0.1:", 0), 0u);
  for (auto file : {"ca.crt", "server.crt", "server.key", "client.crt", "client.key", "token",
                    "namespace", "kubeconfig"})
    EXPECT_TRUE(fs::exists(dir / file)) << file;
  auto kc = kvip::net::read_file((dir / "kubeconfig").string());
  ASSERT_TRUE(kc.ok());
  EXPECT_NE(kc->find("server: " + f.url), std::string::npos);

  tls_client anon{(dir / "ca.crt").string(), "", "", ""};
  auto r = http("GET", f.url + "/api/v1/namespaces", {}, {}, &anon);
  EXPECT_EQ(r.code, 401) << r.error;
  EXPECT_EQ(r.str("reason"), "Unauthorized");
  EXPECT_EQ(http("GET", f.url + "/healthz", {}, {}, &anon).code, 200);

  tls_client wrong = anon;
  wrong.token = "wrong";
  EXPECT_EQ(http("GET", f.url + "/api/v1/namespaces", {}, {}, &wrong).code, 401);

  tls_client token = anon;
  token.token = f.srv->token();
  EXPECT_EQ(http("GET", f.url + "/api/v1/namespaces", {}, {}, &token).code, 200);

  tls_client cert{(dir / "ca.crt").string(), (dir / "client.crt").string(),
                  (dir / "client.key").string(), ""};
  EXPECT_EQ(http("GET", f.url + "/api/v1/namespaces", {}, {}, &cert).code, 200);
  // A watch stream works over TLS too.
  auto w = http("GET", f.url + "/api/v1/namespaces?watch=1&timeoutSeconds=1", {}, {}, &token);
  EXPECT_EQ(w.code, 200);
  EXPECT_EQ(events(w.body).size(), 4u); // the bootstrap namespaces
  fs::remove_all(dir);
}

TEST(SimSnapshot, RestartKeepsObjectsAndResourceVersion) {
  auto dir = temp_dir("snap");
  apiserver_options o;
  o.snapshot = (dir / "state.json").string();
  std::string rv;
  {
    server_fixture f(o);
    ASSERT_EQ(f.start_error, "");
    ASSERT_EQ(http("POST", f.url + "/api/v1/nodes", R"({"metadata":{"name":"node1"}})").code, 201);
    rv = std::string(http("GET", f.url + "/api/v1/nodes")
                         .json()
                         .at("metadata")
                         .at("resourceVersion")
                         .as_string());
  }
  ASSERT_TRUE(fs::exists(dir / "state.json"));
  server_fixture g(o);
  ASSERT_EQ(g.start_error, "");
  EXPECT_EQ(http("GET", g.url + "/api/v1/nodes/node1").code, 200);
  auto rv2 = std::string(
      http("GET", g.url + "/api/v1/nodes").json().at("metadata").at("resourceVersion").as_string());
  EXPECT_EQ(rv2, rv);
  fs::remove_all(dir);
}

} // namespace
} // namespace kvip::sim::test
