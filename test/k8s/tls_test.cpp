// TLS against `openssl s_server -WWW`: CA verification (file and PEM data),
// insecure-skip-tls-verify, client certificates (files and PEM data). A
// throwaway CA and certificates are generated with the openssl CLI.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "k8s/client.hpp"
#include "k8s/kubeconfig.hpp"
#include "net/wait.hpp"
#include "temp_dir.hpp"
#include "test/support/ci.hpp"

using namespace kvip::k8s;
using namespace std::chrono_literals;

namespace {

std::string read_all(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  ::close(fd);
  return ntohs(sa.sin_port);
}

bool port_open(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

class K8sTls : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) return;
    dir_ = new test_support::temp_dir();
    std::string d = dir_->str();
    dir_->write("www/version", "{\"major\":\"1\",\"minor\":\"31\"}");
    dir_->write("san.ext", "subjectAltName=IP:127.0.0.1\n");
    std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
    std::string script =
        "cd " + d + " && openssl req -x509" + key +
        "-keyout ca.key -out ca.crt -days 1 -subj /CN=kvip-test-ca"
        " && openssl req -x509" +
        key +
        "-keyout other.key -out other.crt -days 1 -subj /CN=other-ca"
        " && openssl req" +
        key +
        "-keyout server.key -out server.csr -subj /CN=127.0.0.1"
        " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
        " -out server.crt -days 1 -extfile san.ext"
        " && openssl req" +
        key +
        "-keyout client.key -out client.csr -subj /O=system:masters/CN=admin"
        " && openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
        " -out client.crt -days 1 >/dev/null 2>&1";
    if (std::system(script.c_str()) != 0) return;
    port_ = free_port();
    pid_ = ::fork();
    if (pid_ == 0) {
      if (::chdir((d + "/www").c_str()) != 0) ::_exit(127);
      std::string accept = "127.0.0.1:" + std::to_string(port_);
      std::freopen("/dev/null", "w", stdout);
      std::freopen("/dev/null", "w", stderr);
      ::execlp("openssl", "openssl", "s_server", "-accept", accept.c_str(), "-cert",
               (d + "/server.crt").c_str(), "-key", (d + "/server.key").c_str(), "-CAfile",
               (d + "/ca.crt").c_str(), "-Verify", "1", "-WWW", "-quiet", nullptr);
      ::_exit(127);
    }
    kvip::net::eventually([] { return port_open(port_); }, 3s);
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    delete dir_;
  }
  void SetUp() override {
    if (!dir_) KVIP_SKIP("openssl CLI not found (Debian package openssl)");
    ASSERT_GT(pid_, 0);
    ASSERT_TRUE(port_open(port_)) << "openssl s_server did not start";
  }

  connection_config base() const {
    connection_config c;
    c.server = "https://127.0.0.1:" + std::to_string(port_);
    c.client_cert_file = dir_->str() + "/client.crt";
    c.client_key_file = dir_->str() + "/client.key";
    return c;
  }
  static result<http_response> fetch(const connection_config& c) {
    client_options o;
    o.request_timeout = 3000ms;
    o.max_retries = 0;
    client cl(c, o);
    return cl.execute({"GET", "/version", {}, {}});
  }

  static inline test_support::temp_dir* dir_ = nullptr;
  static inline pid_t pid_ = -1;
  static inline uint16_t port_ = 0;
};

} // namespace

TEST_F(K8sTls, VerifiesWithCaFile) {
  auto c = base();
  c.ca_file = dir_->str() + "/ca.crt";
  auto r = fetch(c);
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_NE(r->body.find("\"minor\":\"31\""), std::string::npos);
}

TEST_F(K8sTls, VerifiesWithCaDataAndClientCertData) {
  auto c = base();
  c.ca_pem = read_all(dir_->str() + "/ca.crt");
  c.client_cert_pem = read_all(c.client_cert_file);
  c.client_key_pem = read_all(c.client_key_file);
  c.client_cert_file.clear();
  c.client_key_file.clear();
  auto r = fetch(c);
  ASSERT_TRUE(r.ok()) << r.err().describe();
}

TEST_F(K8sTls, RejectsServerSignedByAnotherCa) {
  auto c = base();
  c.ca_file = dir_->str() + "/other.crt";
  auto r = fetch(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().kind, error_kind::transport);
  EXPECT_FALSE(r.err().transport.empty());
}

TEST_F(K8sTls, InsecureSkipVerifyAcceptsUnknownCa) {
  auto c = base();
  c.insecure_skip_tls_verify = true;
  auto r = fetch(c);
  ASSERT_TRUE(r.ok()) << r.err().describe();
}

TEST_F(K8sTls, ServerRequiringClientCertRejectsUsWithoutOne) {
  auto c = base();
  c.ca_file = dir_->str() + "/ca.crt";
  c.client_cert_file.clear();
  c.client_key_file.clear();
  auto r = fetch(c);
  EXPECT_FALSE(r.ok() && r->status == 200);
}

TEST_F(K8sTls, CpDetectPicksTheCertificateIpThatAnswers) {
  auto admin = base();
  admin.ca_file = dir_->str() + "/ca.crt";
  auto probe = "127.0.0.1:" + std::to_string(port_);
  auto r = find_local_api_server(admin, probe);
  ASSERT_TRUE(r.ok()) << r.err().describe();
  EXPECT_EQ(r->server, "https://" + probe); // the certificate's one IP SAN, the probe's port
  EXPECT_NE(r->source.find("cp_detect"), std::string::npos) << r->source;
  auto none = find_local_api_server(admin, "127.0.0.1:" + std::to_string(free_port()));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.err().message.find("cp_detect"), std::string::npos) << none.err().message;
}
