// kubeconfig parsing (yaml-cpp) and kube-vip's choice of API configuration
// (reference/kube-vip-behaviour.md §2.8): explicit kubeconfig, then
// /etc/kubernetes/admin.conf (with cp_enable through this node's API server:
// `kubernetes:<port>` or, with cp_detect, a local address that works), then
// ~/.kube/config, then in-cluster.
//
// Supported: current-context (or an explicit context), clusters[].cluster.server,
// certificate-authority(-data), insecure-skip-tls-verify, tls-server-name,
// users[].user.token / tokenFile, client-certificate(-data) + client-key(-data),
// contexts[].context.namespace. Relative file paths resolve against the
// kubeconfig's directory. exec / auth-provider / basic auth are refused with a
// clear error. Every error names the file and the field.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "k8s/connection.hpp"
#include "k8s/result.hpp"

namespace kvip::k8s {

/// Parses kubeconfig text. `origin` names the file in errors and anchors relative
/// paths; `context` overrides current-context when non-empty.
result<connection_config> parse_kubeconfig(std::string_view yaml_text, const std::string& origin,
                                           const std::string& context = {});

/// Reads and parses the kubeconfig file at `path`.
result<connection_config> load_kubeconfig(const std::string& path, const std::string& context = {});

/// Looks up an environment variable; nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

/// The process environment as an env_lookup.
env_lookup process_env();

/// Default service-account directory of a pod.
inline constexpr const char* default_service_account_dir =
    "/var/run/secrets/kubernetes.io/serviceaccount";

/// In-cluster configuration: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT,
/// token/ca.crt/namespace from `sa_dir` (the token file is re-read when it rotates).
result<connection_config>
in_cluster_config(const env_lookup& env, const std::string& sa_dir = default_service_account_dir);

/// Replaces the host (and port, if given) of `server` with kube-vip's `kubernetes_addr`
/// ("host", "host:port", "[v6]:port" or a full URL). Returns the new URL or an error text.
result<std::string> override_server_address(const std::string& server, const std::string& addr);

/// cp_detect's search: from the admin.conf configuration, a configuration that reaches a
/// working local API server, or an error saying what was tried.
using detect_fn = std::function<result<connection_config>(const connection_config& admin)>;

/// Inputs of the configuration choice; defaults are the real paths.
struct config_sources {
  std::string kubeconfig;      ///< explicit kubeconfig path ("" = none); must exist if given
  std::string kubernetes_addr; ///< kube-vip's host override for kubeconfig sources
  std::string context;         ///< context override ("" = current-context)
  bool in_cluster = false;     ///< kube-vip --inCluster: skip the kubeconfig candidates
  std::string admin_conf = "/etc/kubernetes/admin.conf";
  std::string home; ///< home directory ("" = $HOME from `env`)
  std::string service_account_dir = default_service_account_dir;
  env_lookup env; ///< environment (empty = process environment)
  // kube-vip's static-pod bootstrap (admin.conf, no kubernetes_addr, cp_enable): the VIP in
  // admin.conf answers only once kube-vip brings it up, so the client goes to this node.
  bool control_plane = false;        ///< cp_enable
  bool detect_control_plane = false; ///< cp_detect: find_local_api_server instead of `kubernetes`
  int port = 6443;                   ///< `port`: the client talks to kubernetes:<port>
  std::string kubernetes_host;       ///< address `kubernetes` resolves to ("" = /etc/hosts)
  detect_fn detect;                  ///< cp_detect's search (empty = find_local_api_server)
};

/// The static-pod route without cp_detect: `admin`'s server becomes https://kubernetes:<port>
/// (scheme kept), `kubernetes` pinned to `host` when given (else resolved, e.g. by the pod's
/// hostAlias to 127.0.0.1). TLS still checks the name `kubernetes` (a kubeadm API certificate
/// SAN).
result<connection_config> via_kubernetes_host(connection_config admin, int port,
                                              const std::string& host);

/// cp_detect (kube-vip's FindWorkingKubernetesAddress): reads the IP SANs of the certificate
/// served on `probe` (kube-vip: 127.0.0.1:6443) and returns `admin` pointed at the first
/// https://<ip>:<probe's port> whose /version answers (TLS verified with admin's CA).
result<connection_config> find_local_api_server(const connection_config& admin,
                                                const std::string& probe = "127.0.0.1:6443");

/// Picks the configuration in kube-vip's order; the error lists what was tried.
result<connection_config> select_config(const config_sources& sources);

} // namespace kvip::k8s
