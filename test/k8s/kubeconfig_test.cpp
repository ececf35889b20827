// kubeconfig parsing, kube-vip's configuration choice, in-cluster setup.
#include <gtest/gtest.h>

#include <filesystem>

#include "k8s/base64.hpp"
#include "k8s/kubeconfig.hpp"
#include "temp_dir.hpp"

using namespace kvip::k8s;
using kvip::k8s::test_support::temp_dir;

namespace {

const std::string data_dir = std::string{KVIP_TEST_DATA_DIR} + "/k8s/";

std::string kubeconfig(const std::string& cluster, const std::string& user,
                       const std::string& current = "ctx") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: " + current +
         "\nclusters:\n- name: c\n  cluster:\n" + cluster +
         "contexts:\n- name: ctx\n  context:\n    cluster: c\n    user: u\n"
         "users:\n- name: u\n  user:\n" +
         user;
}

env_lookup env_of(std::map<std::string, std::string> m) {
  return [m](const std::string& k) -> std::optional<std::string> {
    auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

void expect_error(const result<connection_config>& r, std::initializer_list<std::string> parts) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().kind, error_kind::config);
  for (const auto& p : parts)
    EXPECT_NE(r.err().message.find(p), std::string::npos)
        << "'" << p << "' not in: " << r.err().message;
}

} // namespace

TEST(K8sKubeconfig, TokenAndCaDataFromFile) {
  auto r = load_kubeconfig(data_dir + "token.kubeconfig");
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_EQ(r->server, "https://192.0.2.10:6443");
  EXPECT_EQ(r->token, "s3cr3t-token");
  EXPECT_NE(r->ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(r->default_namespace, "kube-system");
  EXPECT_FALSE(r->insecure_skip_tls_verify);
  EXPECT_NE(r->source.find("admin@kvip"), std::string::npos);
}

TEST(K8sKubeconfig, ExplicitContextWithoutUser) {
  auto r = load_kubeconfig(data_dir + "token.kubeconfig", "plain");
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_EQ(r->server, "http://127.0.0.1:8080");
  EXPECT_TRUE(r->token.empty());
  EXPECT_EQ(r->default_namespace, "default");
}

TEST(K8sKubeconfig, FilesResolveRelativeToKubeconfig) {
  temp_dir d;
  d.write("pki/ca.crt", "CA");
  d.write("pki/admin.crt", "CERT");
  d.write("pki/admin.key", "KEY");
  d.write("token", "tok\n");
  auto path = d.write("conf", kubeconfig("    server: https://h:6443\n"
                                         "    certificate-authority: pki/ca.crt\n",
                                         "    client-certificate: pki/admin.crt\n"
                                         "    client-key: pki/admin.key\n"
                                         "    tokenFile: token\n"));
  auto r = load_kubeconfig(path);
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_EQ(r->ca_file, d.str() + "/pki/ca.crt");
  EXPECT_EQ(r->client_cert_file, d.str() + "/pki/admin.crt");
  EXPECT_EQ(r->client_key_file, d.str() + "/pki/admin.key");
  EXPECT_EQ(r->token_file, d.str() + "/token");
}

TEST(K8sKubeconfig, ClientCertData) {
  auto text = kubeconfig("    server: https://h:6443\n    insecure-skip-tls-verify: true\n",
                         "    client-certificate-data: " + base64_encode("CERT") +
                             "\n    client-key-data: " + base64_encode("KEY") + "\n");
  auto r = parse_kubeconfig(text, "/x/conf");
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_TRUE(r->insecure_skip_tls_verify);
  EXPECT_EQ(r->client_cert_pem, "CERT");
  EXPECT_EQ(r->client_key_pem, "KEY");
}

TEST(K8sKubeconfig, BadInputsNameFileAndField) {
  const std::string ok_cluster = "    server: https://h:6443\n";
  expect_error(parse_kubeconfig("a: [", "/k/conf"), {"/k/conf", "invalid YAML"});
  expect_error(parse_kubeconfig("- 1\n", "/k/conf"), {"/k/conf", "not a kubeconfig"});
  expect_error(parse_kubeconfig(kubeconfig(ok_cluster, "    token: t\n", ""), "/k/conf"),
               {"current-context"});
  expect_error(parse_kubeconfig(kubeconfig(ok_cluster, "    token: t\n", "nope"), "/k/conf"),
               {"context 'nope'", "contexts"});
  expect_error(
      parse_kubeconfig(kubeconfig("    certificate-authority-data: eA==\n", ""), "/k/conf"),
      {"clusters[c].cluster.server"});
  expect_error(parse_kubeconfig(kubeconfig("    server: ftp://h\n", ""), "/k/conf"),
               {"not an http(s) URL"});
  expect_error(
      parse_kubeconfig(kubeconfig(ok_cluster + "    certificate-authority-data: \"@@@\"\n", ""),
                       "/k/conf"),
      {"certificate-authority-data", "base64"});
  expect_error(parse_kubeconfig(kubeconfig(ok_cluster + "    certificate-authority: /no/ca\n", ""),
                                "/k/conf"),
               {"certificate-authority", "/no/ca"});
  expect_error(parse_kubeconfig(kubeconfig(ok_cluster + "    insecure-skip-tls-verify: true\n"
                                                        "    certificate-authority-data: eA==\n",
                                           ""),
                                "/k/conf"),
               {"insecure-skip-tls-verify cannot be combined"});
  expect_error(
      parse_kubeconfig(kubeconfig(ok_cluster, "    client-certificate-data: eA==\n"), "/k/conf"),
      {"users[u].user.client-key is missing"});
  expect_error(parse_kubeconfig(kubeconfig(ok_cluster, "    tokenFile: /no/token\n"), "/k/conf"),
               {"tokenFile", "/no/token"});
  expect_error(parse_kubeconfig(kubeconfig(ok_cluster, "    exec:\n      command: x\n"), "/k/conf"),
               {"exec", "not supported"});
  expect_error(
      parse_kubeconfig(kubeconfig(ok_cluster, "    username: a\n    password: b\n"), "/k/conf"),
      {"basic auth"});
  expect_error(load_kubeconfig("/does/not/exist"), {"/does/not/exist", "cannot read"});
}

TEST(K8sKubeconfig, MissingClusterAndUserEntries) {
  std::string text = "current-context: ctx\ncontexts:\n- name: ctx\n  context:\n"
                     "    cluster: gone\n    user: u\n";
  expect_error(parse_kubeconfig(text, "/k/conf"), {"cluster 'gone'", "clusters"});
  text = "current-context: ctx\nclusters:\n- name: c\n  cluster:\n    server: http://h\n"
         "contexts:\n- name: ctx\n  context:\n    cluster: c\n    user: ghost\n";
  expect_error(parse_kubeconfig(text, "/k/conf"), {"user 'ghost'", "users"});
}

TEST(K8sKubeconfig, ServerOverride) {
  EXPECT_EQ(*override_server_address("https://1.2.3.4:6443", "kubernetes"),
            "https://kubernetes:6443");
  EXPECT_EQ(*override_server_address("https://1.2.3.4:6443", "10.0.0.1:7443"),
            "https://10.0.0.1:7443");
  EXPECT_EQ(*override_server_address("https://1.2.3.4:6443", "[fd00::1]:6443"),
            "https://[fd00::1]:6443");
  EXPECT_EQ(*override_server_address("https://1.2.3.4:6443", "fd00::1"), "https://[fd00::1]:6443");
  EXPECT_EQ(*override_server_address("https://1.2.3.4:6443", "http://x:1/"), "http://x:1");
  EXPECT_EQ(*override_server_address("https://[::1]:6443/p", "h"), "https://h:6443/p");
}

TEST(K8sConfigSelect, KubeVipOrder) {
  temp_dir d;
  auto conf = [](const std::string& server) {
    return kubeconfig("    server: " + server + "\n", "    token: t\n");
  };
  d.write("sa/token", "sa-token");
  d.write("sa/ca.crt", "CA");
  d.write("sa/namespace", "kube-vip-ns\n");
  config_sources s;
  s.admin_conf = d.str() + "/admin.conf";
  s.home = d.str() + "/home";
  s.service_account_dir = d.str() + "/sa";
  s.env = env_of({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}});

  auto r = select_config(s); // nothing but in-cluster
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_EQ(r->server, "https://10.96.0.1:443");
  EXPECT_EQ(r->default_namespace, "kube-vip-ns");

  d.write("home/.kube/config", conf("https://home:6443"));
  r = select_config(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->server, "https://home:6443");

  d.write("admin.conf", conf("https://admin:6443"));
  r = select_config(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->server, "https://admin:6443");

  s.kubernetes_addr = "kubernetes";
  r = select_config(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->server, "https://kubernetes:6443");
  s.kubernetes_addr.clear();

  s.kubeconfig = d.write("explicit.conf", conf("https://explicit:6443"));
  r = select_config(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->server, "https://explicit:6443");

  s.in_cluster = true; // --inCluster skips every kubeconfig
  r = select_config(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->server, "https://10.96.0.1:443");
  s.in_cluster = false;

  s.kubeconfig = d.str() + "/missing.conf"; // an explicit path must exist
  expect_error(select_config(s), {"missing.conf", "does not exist"});
}

TEST(K8sConfigSelect, NothingFound) {
  temp_dir d;
  config_sources s;
  s.admin_conf = d.str() + "/admin.conf";
  s.home = d.str();
  s.service_account_dir = d.str() + "/sa";
  s.env = env_of({});
  expect_error(select_config(s), {"no Kubernetes configuration found", "KUBERNETES_SERVICE_HOST"});
}

TEST(K8sInCluster, FilesAndErrors) {
  temp_dir d;
  auto env = env_of({{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "6443"}});
  expect_error(in_cluster_config(env, d.str()), {d.str() + "/token", "cannot read"});
  d.write("token", "  \n");
  expect_error(in_cluster_config(env, d.str()), {"token file is empty"});
  d.write("token", "abc\n");
  expect_error(in_cluster_config(env, d.str()), {"ca.crt"});
  d.write("ca.crt", "CA");
  auto r = in_cluster_config(env, d.str());
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_EQ(r->server, "https://[fd00::1]:6443");
  EXPECT_EQ(r->token_file, d.str() + "/token");
  EXPECT_EQ(r->ca_file, d.str() + "/ca.crt");
  EXPECT_EQ(r->default_namespace, "default");
  expect_error(in_cluster_config(env_of({{"KUBERNETES_SERVICE_HOST", "h"}}), d.str()),
               {"not running in a cluster"});
}

// kube-vip's static-pod bootstrap (reference §2.8): with admin.conf and cp_enable the client
// goes to this node's API server, because the VIP in admin.conf answers only once kube-vip
// itself brings it up.
TEST(K8sConfigSelect, StaticPodBootstrap) {
  temp_dir d;
  auto conf = [](const std::string& server) {
    return kubeconfig("    server: " + server + "\n", "    token: t\n");
  };
  struct bootstrap_case {
    const char* name;
    std::string admin_server; ///< "" = no admin.conf
    bool explicit_conf;       ///< an explicit kubeconfig is given as well
    bool cp_enable;
    std::string kubernetes_addr;
    int port;
    std::string host;
    std::string want_server;
    std::string want_resolve;
  };
  const bootstrap_case cases[] = {
      {"admin.conf without cp_enable", "https://10.0.0.100:6443", false, false, "", 6443, "",
       "https://10.0.0.100:6443", ""},
      {"cp_enable: kubernetes:<port>", "https://10.0.0.100:6443", false, true, "", 6443, "",
       "https://kubernetes:6443", ""},
      {"cp_enable, other port", "https://10.0.0.100:6443", false, true, "", 7443, "",
       "https://kubernetes:7443", ""},
      {"cp_enable, pinned host", "https://10.0.0.100:6443", false, true, "", 6443, "10.0.0.5",
       "https://kubernetes:6443", "kubernetes:6443:10.0.0.5"},
      {"cp_enable, pinned IPv6 host", "https://10.0.0.100:6443", false, true, "", 6443, "fd00::5",
       "https://kubernetes:6443", "kubernetes:6443:[fd00::5]"},
      {"cp_enable keeps the scheme", "http://10.0.0.100:6443", false, true, "", 6443, "",
       "http://kubernetes:6443", ""},
      {"kubernetes_addr wins", "https://10.0.0.100:6443", false, true, "10.0.0.7", 6443, "",
       "https://10.0.0.7:6443", ""},
      {"explicit kubeconfig is used as is", "https://10.0.0.100:6443", true, true, "", 6443, "",
       "https://explicit:6443", ""},
      {"~/.kube/config is used as is", "", false, true, "", 6443, "", "https://home:6443", ""},
  };
  d.write("home/.kube/config", conf("https://home:6443"));
  for (const auto& c : cases) {
    config_sources s;
    s.admin_conf = d.str() + "/admin.conf";
    std::filesystem::remove(s.admin_conf);
    if (!c.admin_server.empty()) d.write("admin.conf", conf(c.admin_server));
    if (c.explicit_conf) s.kubeconfig = d.write("explicit.conf", conf("https://explicit:6443"));
    s.home = d.str() + "/home";
    s.env = env_of({});
    s.control_plane = c.cp_enable;
    s.kubernetes_addr = c.kubernetes_addr;
    s.port = c.port;
    s.kubernetes_host = c.host;
    auto r = select_config(s);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.err().describe();
    EXPECT_EQ(r->server, c.want_server) << c.name;
    EXPECT_EQ(r->resolve, c.want_resolve) << c.name;
    EXPECT_EQ(r->token, "t") << c.name; // admin.conf's credentials stay
    bool bootstrap = c.want_server.find("kubernetes:") != std::string::npos;
    EXPECT_EQ(r->source.find("cp_enable") != std::string::npos, bootstrap) << r->source;
  }
}

TEST(K8sConfigSelect, CpDetectUsesTheSearchAndReportsItsFailure) {
  temp_dir d;
  d.write("admin.conf", kubeconfig("    server: https://10.0.0.100:6443\n", "    token: t\n"));
  config_sources s;
  s.admin_conf = d.str() + "/admin.conf";
  s.home = d.str();
  s.env = env_of({});
  s.control_plane = true;
  s.detect_control_plane = true;
  std::string seen;
  s.detect = [&](const connection_config& admin) -> result<connection_config> {
    seen = admin.server;
    auto c = admin;
    c.server = "https://192.168.1.10:6443";
    return c;
  };
  auto r = select_config(s);
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_EQ(seen, "https://10.0.0.100:6443"); // the search starts from admin.conf
  EXPECT_EQ(r->server, "https://192.168.1.10:6443");
  EXPECT_NE(r->source.find("cp_detect"), std::string::npos) << r->source;
  s.detect = [](const connection_config&) -> result<connection_config> {
    return make_error(error_kind::config, "cp_detect: nothing answers");
  };
  expect_error(select_config(s), {"cp_detect", "nothing answers"});
  s.control_plane = false; // cp_detect alone does nothing (kube-vip: only with cp_enable)
  r = select_config(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->server, "https://10.0.0.100:6443");
}
