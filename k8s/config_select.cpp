// kube-vip's choice of API configuration and the in-cluster service-account setup.
#include "k8s/kubeconfig.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "net/file.hpp"

#include "k8s/transport.hpp"

namespace kvip::k8s {

namespace fs = std::filesystem;

namespace {

bool exists(const std::string& p) {
  std::error_code ec;
  return !p.empty() && fs::is_regular_file(p, ec);
}

// The IP addresses in the subjectAltName of the certificate served at https://<hostport>
// (not verified: kube-vip reads them with InsecureSkipVerify too).
result<std::vector<std::string>> certificate_ips(const std::string& hostport) {
  CURL* e = curl_easy_init();
  if (!e) return make_error(error_kind::transport, "curl init failed");
  char errbuf[CURL_ERROR_SIZE] = {};
  auto url = "https://" + hostport + "/version";
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(
      e, CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t n, void*) {
        return size * n; // the body does not matter, only the certificate
      });
  auto rc = curl_easy_perform(e); // may fail after the certificate arrived (client cert wanted)
  std::vector<std::string> ips;
  curl_certinfo* info = nullptr;
  bool have_cert =
      curl_easy_getinfo(e, CURLINFO_CERTINFO, &info) == CURLE_OK && info && info->num_of_certs > 0;
  if (have_cert) {
    const std::string tag = "X509v3 Subject Alternative Name:";
    for (auto* item = info->certinfo[0]; item; item = item->next) {
      std::string_view line{item->data};
      if (line.rfind(tag, 0) != 0) continue;
      std::istringstream names{std::string{line.substr(tag.size())}};
      for (std::string name; std::getline(names, name, ',');) {
        auto item_text = net::trim(name);
        if (item_text.rfind("IP Address:", 0) == 0)
          ips.emplace_back(net::trim(item_text.substr(11)));
      }
    }
  }
  std::string why = rc == CURLE_OK || have_cert ? "" : errbuf[0] ? errbuf : curl_easy_strerror(rc);
  curl_easy_cleanup(e);
  if (!why.empty()) return make_error(error_kind::transport, url + ": " + why);
  return ips;
}

} // namespace

result<connection_config> find_local_api_server(const connection_config& admin,
                                                const std::string& probe) {
  auto ips = certificate_ips(probe);
  if (!ips) return make_error(error_kind::config, "cp_detect: " + ips.err().message);
  auto port = probe.substr(probe.rfind(':'));
  std::string tried;
  for (auto& ip : *ips) {
    auto c = admin;
    c.server = "https://" + (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + port;
    transport_options topts;
    topts.connect_timeout = std::chrono::seconds{2};
    transport t{c, topts};
    auto r = t.perform(http_request{"GET", "/version", {}, {}}, std::chrono::seconds{3});
    if (r && r->status == 200) {
      c.source += "; cp_detect: " + c.server + " (an IP of the certificate on " + probe +
                  ") answers /version";
      return c;
    }
    tried += (tried.empty() ? "" : ", ") + c.server + " (" +
             (r ? "HTTP " + std::to_string(r->status) : r.err().message) + ")";
  }
  return make_error(error_kind::config, "cp_detect: no IP address of the certificate on " + probe +
                                            " answers /version" +
                                            (tried.empty() ? "" : ": tried " + tried));
}

env_lookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

result<connection_config> in_cluster_config(const env_lookup& env, const std::string& sa_dir) {
  auto host = env("KUBERNETES_SERVICE_HOST");
  auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty())
    return make_error(error_kind::config, "not running in a cluster: KUBERNETES_SERVICE_HOST and "
                                          "KUBERNETES_SERVICE_PORT must both be set");
  connection_config c;
  bool v6 = host->find(':') != std::string::npos;
  c.server = "https://" + (v6 ? "[" + *host + "]" : *host) + ":" + *port;
  c.token_file = sa_dir + "/token";
  auto token = net::read_file(c.token_file);
  if (!token) return make_error(error_kind::config, c.token_file + ": cannot read token");
  if (net::trim(*token).empty())
    return make_error(error_kind::config, c.token_file + ": token file is empty");
  c.ca_file = sa_dir + "/ca.crt";
  if (!exists(c.ca_file))
    return make_error(error_kind::config, c.ca_file + ": cannot read service-account CA");
  if (auto ns = net::read_file(sa_dir + "/namespace"); ns && !net::trim(*ns).empty())
    c.default_namespace = net::trim(*ns);
  c.source = "in-cluster (" + sa_dir + ")";
  return c;
}

result<std::string> override_server_address(const std::string& server, const std::string& addr) {
  if (addr.empty()) return server;
  if (addr.find("://") != std::string::npos) {
    std::string s = addr;
    while (!s.empty() && s.back() == '/')
      s.pop_back();
    return s;
  }
  auto scheme_end = server.find("://");
  if (scheme_end == std::string::npos)
    return make_error(error_kind::config, "server '" + server + "' has no scheme");
  std::string scheme = server.substr(0, scheme_end + 3);
  std::string rest = server.substr(scheme_end + 3);
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  // The current port, to keep when `addr` names only a host.
  std::string port;
  auto close = authority.rfind(']');
  auto colon = authority.rfind(':');
  if (colon != std::string::npos && (close == std::string::npos || colon > close))
    port = authority.substr(colon);
  bool addr_has_port = false;
  if (addr.front() == '[') {
    auto b = addr.find(']');
    if (b == std::string::npos)
      return make_error(error_kind::config, "kubernetes_addr '" + addr + "': unbalanced '['");
    addr_has_port = b + 1 < addr.size() && addr[b + 1] == ':';
  } else {
    auto n = std::count(addr.begin(), addr.end(), ':');
    if (n > 1) return scheme + "[" + addr + "]" + port + path; // bare IPv6 literal
    addr_has_port = n == 1;
  }
  return scheme + addr + (addr_has_port ? "" : port) + path;
}

result<connection_config> via_kubernetes_host(connection_config admin, int port,
                                              const std::string& host) {
  auto hostport = "kubernetes:" + std::to_string(port);
  auto server = override_server_address(admin.server, hostport);
  if (!server) return server.err();
  admin.source += "; cp_enable: " + *server + " instead of " + admin.server +
                  " (on the first control-plane node the VIP answers only once this node " +
                  "brings it up)";
  admin.server = *server;
  if (!host.empty()) {
    bool v6 = host.find(':') != std::string::npos;
    admin.resolve = hostport + ":" + (v6 ? "[" + host + "]" : host);
    admin.source += " with kubernetes -> " + host + " (kvip_kubernetes_host)";
  } else {
    admin.source += " (kubernetes resolved by /etc/hosts: the static pod's hostAlias)";
  }
  return admin;
}

result<connection_config> select_config(const config_sources& in) {
  env_lookup env = in.env ? in.env : process_env();
  auto with_override = [&](result<connection_config> r) -> result<connection_config> {
    if (!r || in.kubernetes_addr.empty()) return r;
    auto server = override_server_address(r->server, in.kubernetes_addr);
    if (!server) return server.err();
    r->server = *server;
    r->source += ", server overridden by kubernetes_addr";
    return r;
  };
  if (!in.in_cluster) {
    if (!in.kubeconfig.empty() && in.kubeconfig != in.admin_conf) {
      if (!exists(in.kubeconfig))
        return make_error(error_kind::config, in.kubeconfig + ": kubeconfig file does not exist");
      return with_override(load_kubeconfig(in.kubeconfig, in.context));
    }
    if (exists(in.admin_conf)) {
      auto admin = load_kubeconfig(in.admin_conf, in.context);
      if (!admin || !in.kubernetes_addr.empty() || !in.control_plane) return with_override(admin);
      if (!in.detect_control_plane) return via_kubernetes_host(*admin, in.port, in.kubernetes_host);
      auto found = in.detect ? in.detect(*admin) : find_local_api_server(*admin);
      if (found)
        found->source += "; cp_detect chose it instead of " + admin->server +
                         " (on the first control-plane node the VIP answers only once this node "
                         "brings it up)";
      return found;
    }
    std::string home = in.home;
    if (home.empty()) home = env("HOME").value_or("");
    std::string user_conf = home.empty() ? "" : home + "/.kube/config";
    if (exists(user_conf)) return with_override(load_kubeconfig(user_conf, in.context));
  }
  auto r = in_cluster_config(env, in.service_account_dir);
  if (!r && !in.in_cluster)
    r.err().message = "no Kubernetes configuration found (tried " + in.admin_conf +
                      ", ~/.kube/config, in-cluster): " + r.err().message;
  return r;
}

} // namespace kvip::k8s
