#include "k8s/kubeconfig.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "k8s/base64.hpp"

namespace kvip::k8s {

namespace fs = std::filesystem;

namespace {

error config_error(const std::string& origin, const std::string& what) {
  return make_error(error_kind::config, origin + ": " + what);
}

// Finds the entry `name` in a named list (clusters/users/contexts) and returns its
// `field` mapping; sets `problem` when it is missing or malformed.
YAML::Node find_named(const YAML::Node& root, const std::string& list, const std::string& field,
                      const std::string& name, std::string& problem) {
  YAML::Node seq = root[list];
  if (seq && !seq.IsSequence()) {
    problem = "'" + list + "' must be a list";
    return {};
  }
  if (seq) {
    for (const auto& item : seq) {
      if (item.IsMap() && item["name"] && item["name"].as<std::string>() == name) {
        YAML::Node inner = item[field];
        if (!inner || inner.IsNull()) return YAML::Node(YAML::NodeType::Map);
        if (!inner.IsMap()) {
          problem = list + "[" + name + "]." + field + " must be a mapping";
          return {};
        }
        return inner;
      }
    }
  }
  problem = "no entry named '" + name + "' in '" + list + "'";
  return {};
}

std::string scalar(const YAML::Node& n, const char* key) {
  YAML::Node v = n[key];
  if (!v || v.IsNull()) return {};
  return v.as<std::string>();
}

std::string resolve(const std::string& origin, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (fs::path(origin).parent_path() / p).lexically_normal().string();
}

// Decodes a *-data field; sets `problem` on bad base64.
std::string decode_field(const std::string& text, const std::string& field, std::string& problem) {
  if (text.empty()) return {};
  auto d = base64_decode(text);
  if (!d) problem = field + " is not valid base64";
  return d ? *d : std::string{};
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool readable(const std::string& path) {
  return std::ifstream(path).good();
}

} // namespace

result<connection_config> parse_kubeconfig(std::string_view yaml_text, const std::string& origin,
                                           const std::string& context) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml_text));
    if (!root.IsMap()) return config_error(origin, "not a kubeconfig (top level is not a mapping)");
    std::string ctx_name = context.empty() ? scalar(root, "current-context") : context;
    if (ctx_name.empty()) return config_error(origin, "current-context is not set");
    std::string problem;
    YAML::Node ctx = find_named(root, "contexts", "context", ctx_name, problem);
    if (!problem.empty()) return config_error(origin, "context '" + ctx_name + "': " + problem);
    std::string cluster_name = scalar(ctx, "cluster");
    std::string user_name = scalar(ctx, "user");
    if (cluster_name.empty())
      return config_error(origin, "contexts[" + ctx_name + "].context.cluster is not set");
    YAML::Node cluster = find_named(root, "clusters", "cluster", cluster_name, problem);
    if (!problem.empty()) return config_error(origin, "cluster '" + cluster_name + "': " + problem);

    connection_config c;
    c.source = "kubeconfig " + origin + " (context " + ctx_name + ")";
    std::string ns = scalar(ctx, "namespace");
    if (!ns.empty()) c.default_namespace = ns;

    std::string where = "clusters[" + cluster_name + "].cluster.";
    c.server = scalar(cluster, "server");
    if (c.server.empty()) return config_error(origin, where + "server is not set");
    if (c.server.rfind("https://", 0) != 0 && c.server.rfind("http://", 0) != 0)
      return config_error(origin, where + "server '" + c.server + "' is not an http(s) URL");
    while (c.server.size() > 8 && c.server.back() == '/')
      c.server.pop_back();
    c.insecure_skip_tls_verify =
        cluster["insecure-skip-tls-verify"] && cluster["insecure-skip-tls-verify"].as<bool>();
    c.tls_server_name = scalar(cluster, "tls-server-name");
    c.ca_pem = decode_field(scalar(cluster, "certificate-authority-data"),
                            where + "certificate-authority-data", problem);
    if (!problem.empty()) return config_error(origin, problem);
    if (c.ca_pem.empty()) {
      c.ca_file = resolve(origin, scalar(cluster, "certificate-authority"));
      if (!c.ca_file.empty() && !readable(c.ca_file))
        return config_error(origin, where + "certificate-authority: cannot read " + c.ca_file);
    }
    if (c.insecure_skip_tls_verify && (!c.ca_pem.empty() || !c.ca_file.empty()))
      return config_error(origin, where + "insecure-skip-tls-verify cannot be combined with "
                                          "certificate-authority(-data)");

    if (user_name.empty()) return c; // anonymous
    YAML::Node user = find_named(root, "users", "user", user_name, problem);
    if (!problem.empty()) return config_error(origin, "user '" + user_name + "': " + problem);
    where = "users[" + user_name + "].user.";
    if (user["exec"] || user["auth-provider"])
      return config_error(origin, where + (user["exec"] ? "exec" : "auth-provider") +
                                      " credential plugins are not supported");
    if (user["username"] || user["password"])
      return config_error(origin, where + "username/password (basic auth) is not supported");
    c.token = scalar(user, "token");
    if (c.token.empty()) {
      c.token_file = resolve(origin, scalar(user, "tokenFile"));
      if (!c.token_file.empty() && !readable(c.token_file))
        return config_error(origin, where + "tokenFile: cannot read " + c.token_file);
    }
    c.client_cert_pem = decode_field(scalar(user, "client-certificate-data"),
                                     where + "client-certificate-data", problem);
    c.client_key_pem =
        decode_field(scalar(user, "client-key-data"), where + "client-key-data", problem);
    if (!problem.empty()) return config_error(origin, problem);
    if (c.client_cert_pem.empty())
      c.client_cert_file = resolve(origin, scalar(user, "client-certificate"));
    if (c.client_key_pem.empty()) c.client_key_file = resolve(origin, scalar(user, "client-key"));
    for (auto [file, field] : {std::pair{&c.client_cert_file, "client-certificate"},
                               std::pair{&c.client_key_file, "client-key"}})
      if (!file->empty() && !readable(*file))
        return config_error(origin, where + field + ": cannot read " + *file);
    bool has_cert = !c.client_cert_pem.empty() || !c.client_cert_file.empty();
    bool has_key = !c.client_key_pem.empty() || !c.client_key_file.empty();
    if (has_cert != has_key)
      return config_error(origin, where + (has_cert ? "client-key" : "client-certificate") +
                                      " is missing (certificate and key come in pairs)");
    return c;
  } catch (const YAML::Exception& e) {
    return config_error(origin, std::string("invalid YAML: ") + e.what());
  }
}

result<connection_config> load_kubeconfig(const std::string& path, const std::string& context) {
  auto text = read_file(path);
  if (!text) return make_error(error_kind::config, path + ": cannot read kubeconfig");
  return parse_kubeconfig(*text, path, context);
}

} // namespace kvip::k8s
