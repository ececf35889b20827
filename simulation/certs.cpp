#include "simulation/certs.hpp"

#include <filesystem>
#include <random>

#include "net/file.hpp"
#include "simulation/lab_process.hpp"

namespace kvip::sim {

namespace fs = std::filesystem;

namespace {

/// Runs `args` (args[0] looked up in PATH); true on exit status 0.
bool run(const std::vector<std::string>& args) {
  return run_command(args).ok();
}

bool is_ip(const std::string& s) {
  return s.find(':') != std::string::npos ||
         s.find_first_not_of("0123456789.") == std::string::npos;
}

std::string random_token() {
  std::random_device rd;
  std::string out;
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = 0; i < 32; ++i)
    out += hex[rd() % 16];
  return out;
}

/// Makes a key and a certificate signed by the CA in `dir`.
bool issue(const std::string& dir, const std::string& name, const std::string& subject,
           const std::string& extensions) {
  auto p = [&](const std::string& f) { return dir + "/" + f; };
  if (!net::write_file(p(name + ".ext"), extensions)) return false;
  bool ok =
      run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", p(name + ".key"), "-out", p(name + ".csr"), "-subj", subject}) &&
      run({"openssl", "x509", "-req", "-in", p(name + ".csr"), "-CA", p("ca.crt"), "-CAkey",
           p("ca.key"), "-CAcreateserial", "-out", p(name + ".crt"), "-days", "3650", "-extfile",
           p(name + ".ext")});
  fs::remove(p(name + ".csr"));
  fs::remove(p(name + ".ext"));
  return ok;
}

} // namespace

net::result<void> generate_certs(const std::string& dir,
                                 const std::vector<std::string>& extra_sans) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return net::make_error("cannot create " + dir + ": " + ec.message());
  auto p = [&](const std::string& f) { return dir + "/" + f; };
  if (fs::exists(p("ca.crt")) && fs::exists(p("server.crt")) && fs::exists(p("token")))
    return net::ok();
  if (!run({"openssl", "version"})) return net::make_error("the openssl command is not available");
  if (!run({"openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            p("ca.key"),
            "-out",
            p("ca.crt"),
            "-days",
            "3650",
            "-subj",
            "/CN=kvip-apiserver-ca",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign"})) {
    return net::make_error("openssl failed to create the CA in " + dir);
  }
  std::string san = "IP:127.0.0.1,IP:::1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default";
  for (const auto& s : extra_sans)
    san += (is_ip(s) ? ",IP:" : ",DNS:") + s;
  if (!issue(dir, "server", "/CN=kvip-apiserver",
             "subjectAltName=" + san +
                 "\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n")) {
    return net::make_error("openssl failed to create the server certificate in " + dir);
  }
  if (!issue(dir, "client", "/O=system:masters/CN=admin",
             "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n")) {
    return net::make_error("openssl failed to create the client certificate in " + dir);
  }
  fs::remove(p("ca.srl"));
  for (auto f : {"ca.key", "server.key", "client.key"})
    fs::permissions(p(f), fs::perms::owner_read | fs::perms::owner_write, ec);
  if (auto w = net::write_file(p("token"), random_token()); !w) return w;
  return net::write_file(p("namespace"), "default");
}

net::result<void> load_tls_dir(const std::string& dir, tls_material& tls, std::string& token) {
  auto p = [&](const std::string& f) { return dir + "/" + f; };
  for (auto [file, out] :
       {std::pair{"server.crt", &tls.cert_pem}, std::pair{"server.key", &tls.key_pem},
        std::pair{"ca.crt", &tls.ca_pem}, std::pair{"token", &token}}) {
    auto text = net::read_file(p(file));
    if (!text) return text.err();
    *out = std::move(*text);
  }
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  if (token.empty()) return net::make_error(p("token") + " is empty");
  return net::ok();
}

net::result<void> write_kubeconfig(const std::string& dir, const std::string& url,
                                   const std::string& token) {
  auto abs = fs::absolute(dir).string();
  auto p = [&](const std::string& f) { return abs + "/" + f; };
  std::string y;
  y += "apiVersion: v1\nkind: Config\n";
  y += "clusters:\n- name: kvip\n  cluster:\n    server: " + url + "\n";
  y += "    certificate-authority: " + p("ca.crt") + "\n";
  y += "users:\n- name: kvip-token\n  user:\n    token: " + token + "\n";
  y += "- name: kvip-cert\n  user:\n    client-certificate: " + p("client.crt") + "\n";
  y += "    client-key: " + p("client.key") + "\n";
  y += "contexts:\n- name: kvip\n  context:\n    cluster: kvip\n    user: kvip-token\n"
       "    namespace: default\n";
  y += "- name: kvip-cert\n  context:\n    cluster: kvip\n    user: kvip-cert\n"
       "    namespace: default\n";
  y += "current-context: kvip\n";
  return net::write_file(p("kubeconfig"), y);
}

} // namespace kvip::sim
