// kube-vip's choice of API configuration and the in-cluster service-account setup.
#include "k8s/kubeconfig.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "net/file.hpp"

namespace kvip::k8s {

namespace fs = std::filesystem;

namespace {

bool exists(const std::string& p) {
  std::error_code ec;
  return !p.empty() && fs::is_regular_file(p, ec);
}

} // namespace

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
    if (exists(in.admin_conf)) return with_override(load_kubeconfig(in.admin_conf, in.context));
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
