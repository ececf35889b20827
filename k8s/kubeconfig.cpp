#include "k8s/kubeconfig.hpp"

#include <filesystem>
#include <fstream>

#include <yaml-cpp/yaml.h>

#include "k8s/base64.hpp"
#include "net/file.hpp"

namespace kvip::k8s {

namespace fs = std::filesystem;

namespace {

error config_error(const std::string& origin, const std::string& what) {
  return make_error(error_kind::config, origin + ": " + what);
}

// Finds the entry `name` in a named list (clusters/users/contexts) and returns its
// `field` mapping; the error says what is missing or malformed.
net::result<YAML::Node> find_named(const YAML::Node& root, const std::string& list,
                                   const std::string& field, const std::string& name) {
  YAML::Node seq = root[list];
  if (seq && !seq.IsSequence()) return net::make_error("'" + list + "' must be a list");
  if (seq) {
    for (const auto& item : seq) {
      if (item.IsMap() && item["name"] && item["name"].as<std::string>() == name) {
        YAML::Node inner = item[field];
        if (!inner || inner.IsNull()) return YAML::Node(YAML::NodeType::Map);
        if (!inner.IsMap())
          return net::make_error(list + "[" + name + "]." + field + " must be a mapping");
        return inner;
      }
    }
  }
  return net::make_error("no entry named '" + name + "' in '" + list + "'");
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

// Decodes a *-data field ("" when absent).
net::result<std::string> decode_field(const std::string& text, const std::string& field) {
  if (text.empty()) return std::string{};
  auto d = base64_decode(text);
  if (!d) return net::make_error(field + " is not valid base64");
  return std::move(*d);
}

bool readable(const std::string& path) {
  return std::ifstream(path).good();
}

// The credentials of a kubeconfig user entry into `c`; `where` prefixes field names.
result<void> read_user(const YAML::Node& user, const std::string& where, const std::string& origin,
                       connection_config& c) {
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
  auto cert =
      decode_field(scalar(user, "client-certificate-data"), where + "client-certificate-data");
  if (!cert) return config_error(origin, cert.err().message);
  auto key = decode_field(scalar(user, "client-key-data"), where + "client-key-data");
  if (!key) return config_error(origin, key.err().message);
  c.client_cert_pem = std::move(*cert);
  c.client_key_pem = std::move(*key);
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
  return {};
}

} // namespace

result<connection_config> parse_kubeconfig(std::string_view yaml_text, const std::string& origin,
                                           const std::string& context) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml_text));
    if (!root.IsMap()) return config_error(origin, "not a kubeconfig (top level is not a mapping)");
    std::string ctx_name = context.empty() ? scalar(root, "current-context") : context;
    if (ctx_name.empty()) return config_error(origin, "current-context is not set");
    auto ctx = find_named(root, "contexts", "context", ctx_name);
    if (!ctx) return config_error(origin, "context '" + ctx_name + "': " + ctx.err().message);
    std::string cluster_name = scalar(*ctx, "cluster");
    std::string user_name = scalar(*ctx, "user");
    if (cluster_name.empty())
      return config_error(origin, "contexts[" + ctx_name + "].context.cluster is not set");
    auto found = find_named(root, "clusters", "cluster", cluster_name);
    if (!found)
      return config_error(origin, "cluster '" + cluster_name + "': " + found.err().message);
    const YAML::Node& cluster = *found;

    connection_config c;
    c.source = "kubeconfig " + origin + " (context " + ctx_name + ")";
    std::string ns = scalar(*ctx, "namespace");
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
    auto ca = decode_field(scalar(cluster, "certificate-authority-data"),
                           where + "certificate-authority-data");
    if (!ca) return config_error(origin, ca.err().message);
    c.ca_pem = std::move(*ca);
    if (c.ca_pem.empty()) {
      c.ca_file = resolve(origin, scalar(cluster, "certificate-authority"));
      if (!c.ca_file.empty() && !readable(c.ca_file))
        return config_error(origin, where + "certificate-authority: cannot read " + c.ca_file);
    }
    if (c.insecure_skip_tls_verify && (!c.ca_pem.empty() || !c.ca_file.empty()))
      return config_error(origin, where + "insecure-skip-tls-verify cannot be combined with "
                                          "certificate-authority(-data)");

    if (user_name.empty()) return c; // anonymous
    auto user = find_named(root, "users", "user", user_name);
    if (!user) return config_error(origin, "user '" + user_name + "': " + user.err().message);
    if (auto read = read_user(*user, "users[" + user_name + "].user.", origin, c); !read)
      return read.err();
    return c;
  } catch (const YAML::Exception& e) {
    return config_error(origin, std::string("invalid YAML: ") + e.what());
  }
}

result<connection_config> load_kubeconfig(const std::string& path, const std::string& context) {
  auto text = net::read_file(path);
  if (!text) return make_error(error_kind::config, path + ": cannot read kubeconfig");
  return parse_kubeconfig(*text, path, context);
}

} // namespace kvip::k8s
