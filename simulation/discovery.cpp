#include "simulation/discovery.hpp"

#include <boost/json.hpp>

#include "simulation/resources.hpp"
#include "simulation/routing.hpp"

namespace kvip::sim {

namespace json = boost::json;

namespace {

net::http::response json_response(const json::value& v,
                                  std::string content_type = "application/json") {
  net::http::response r;
  r.content_type = std::move(content_type);
  r.body = json::serialize(v);
  return r;
}

json::array string_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v)
    a.emplace_back(s);
  return a;
}

json::object version_doc(const std::string& kube_version) {
  auto dot = kube_version.find('.');
  std::string major = kube_version.substr(0, dot);
  std::string minor = dot == std::string::npos ? "0" : kube_version.substr(dot + 1);
  return {{"major", major},
          {"minor", minor},
          {"gitVersion", "v" + kube_version + ".0"},
          {"gitCommit", "0000000000000000000000000000000000000000"},
          {"gitTreeState", "clean"},
          {"buildDate", "2024-12-11T00:00:00Z"},
          {"goVersion", "go1.23.0"},
          {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

json::object resource_list(std::string_view group, std::string_view version) {
  json::array items;
  for (const auto& r : resources()) {
    if (r.group != group || r.version != version) continue;
    json::object o{{"name", r.plural},
                   {"singularName", r.singular},
                   {"namespaced", r.namespaced},
                   {"kind", r.kind},
                   {"verbs", string_array(r.verbs())}};
    if (!r.short_names.empty()) o["shortNames"] = string_array(r.short_names);
    if (!r.categories.empty()) o["categories"] = string_array(r.categories);
    items.push_back(std::move(o));
    if (r.has_status) {
      items.push_back(json::object{{"name", r.plural + "/status"},
                                   {"singularName", ""},
                                   {"namespaced", r.namespaced},
                                   {"kind", r.kind},
                                   {"verbs", json::array{"get", "patch", "update"}}});
    }
  }
  std::string gv =
      group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", gv},
          {"resources", std::move(items)}};
}

/// One aggregated discovery item for `group` ("" = core).
json::object aggregated_group(const std::string& group) {
  json::array res;
  std::string version;
  for (const auto& r : resources()) {
    if (r.group != group) continue;
    version = r.version;
    json::object kind{{"group", r.group}, {"version", r.version}, {"kind", r.kind}};
    json::object o{{"resource", r.plural},
                   {"responseKind", kind},
                   {"scope", r.namespaced ? "Namespaced" : "Cluster"},
                   {"singularResource", r.singular},
                   {"verbs", string_array(r.verbs())}};
    if (!r.short_names.empty()) o["shortNames"] = string_array(r.short_names);
    if (!r.categories.empty()) o["categories"] = string_array(r.categories);
    if (r.has_status) {
      o["subresources"] = json::array{json::object{{"subresource", "status"},
                                                   {"responseKind", kind},
                                                   {"verbs", {"get", "patch", "update"}}}};
    }
    res.push_back(std::move(o));
  }
  json::object md{{"creationTimestamp", nullptr}};
  if (!group.empty()) md["name"] = group;
  return {{"metadata", md},
          {"versions", json::array{json::object{
                           {"version", version}, {"resources", res}, {"freshness", "Current"}}}}};
}

std::vector<std::string> named_groups() {
  std::vector<std::string> out;
  for (const auto& r : resources()) {
    if (!r.group.empty() && std::find(out.begin(), out.end(), r.group) == out.end())
      out.push_back(r.group);
  }
  return out;
}

json::object api_group(const std::string& group) {
  std::string version;
  for (const auto& r : resources())
    if (r.group == group) version = r.version;
  json::object gv{{"groupVersion", group + "/" + version}, {"version", version}};
  return {{"name", group}, {"versions", json::array{gv}}, {"preferredVersion", gv}};
}

/// The OpenAPI v3 stub for one group-version: a PATCH operation per kind with the
/// fieldValidation parameter and its GVK, which is all kubectl's validator checks.
json::object openapi_doc(std::string_view group, std::string_view version,
                         const std::string& kube_version) {
  json::object paths;
  for (const auto& r : resources()) {
    if (r.group != group || r.version != version) continue;
    std::string prefix = group.empty() ? "/api/v1" : "/apis/" + r.group + "/" + r.version;
    std::string path =
        prefix + (r.namespaced ? "/namespaces/{namespace}/" : "/") + r.plural + "/{name}";
    json::object op{
        {"x-kubernetes-group-version-kind",
         json::object{{"group", r.group}, {"version", r.version}, {"kind", r.kind}}},
        {"parameters", json::array{json::object{{"name", "fieldValidation"},
                                                {"in", "query"},
                                                {"schema", json::object{{"type", "string"}}}}}},
        {"requestBody",
         json::object{
             {"content",
              json::object{{"application/merge-patch+json",
                            json::object{{"schema", json::object{{"type", "object"}}}}},
                           {"application/json-patch+json",
                            json::object{{"schema", json::object{{"type", "object"}}}}}}}}},
        {"responses", json::object{{"200", json::object{{"description", "OK"}}}}}};
    paths[path] = json::object{{"patch", std::move(op)}};
  }
  return {{"openapi", "3.0.0"},
          {"info", json::object{{"title", "Kubernetes"}, {"version", "v" + kube_version + ".0"}}},
          {"components", json::object{{"schemas", json::object{}}}},
          {"paths", std::move(paths)}};
}

} // namespace

std::optional<net::http::response> discovery_response(const net::http::request& req,
                                                      const std::string& kube_version,
                                                      const std::string& server_address) {
  const auto& path = req.path;
  bool aggregated = req.header("accept").find("as=APIGroupDiscoveryList") != std::string::npos &&
                    req.header("accept").find("v=v2;") != std::string::npos;
  if (path == "/version" || path == "/version/") return json_response(version_doc(kube_version));
  if (path == "/api" || path == "/api/") {
    if (aggregated) {
      json::object list{{"kind", "APIGroupDiscoveryList"},
                        {"apiVersion", "apidiscovery.k8s.io/v2"},
                        {"metadata", json::object{}},
                        {"items", json::array{aggregated_group("")}}};
      return json_response(list, std::string(aggregated_discovery_type));
    }
    return json_response(
        json::object{{"kind", "APIVersions"},
                     {"versions", json::array{"v1"}},
                     {"serverAddressByClientCIDRs",
                      json::array{json::object{{"clientCIDR", "0.0.0.0/0"},
                                               {"serverAddress", server_address}}}}});
  }
  if (path == "/apis" || path == "/apis/") {
    if (aggregated) {
      json::array items;
      for (const auto& g : named_groups())
        items.push_back(aggregated_group(g));
      json::object list{{"kind", "APIGroupDiscoveryList"},
                        {"apiVersion", "apidiscovery.k8s.io/v2"},
                        {"metadata", json::object{}},
                        {"items", std::move(items)}};
      return json_response(list, std::string(aggregated_discovery_type));
    }
    json::array groups;
    for (const auto& g : named_groups())
      groups.push_back(api_group(g));
    return json_response(
        json::object{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}});
  }
  if (path == "/openapi/v3" || path == "/openapi/v3/") {
    json::object paths;
    for (const auto& gv : group_versions()) {
      std::string rel = gv == "v1" ? "api/v1" : "apis/" + gv;
      paths[rel] =
          json::object{{"serverRelativeURL", "/openapi/v3/" + rel + "?hash=0123456789ABCDEF"}};
    }
    return json_response(json::object{{"paths", paths}});
  }
  if (path.rfind("/openapi/v3/", 0) == 0) {
    auto p = parse_resource_path(path.substr(std::string_view("/openapi/v3").size()));
    if (p.kind != resource_path::shape::group_version) return std::nullopt;
    return json_response(openapi_doc(p.group, p.version, kube_version));
  }
  if (path.rfind("/api", 0) == 0) {
    auto p = parse_resource_path(path);
    if (p.kind == resource_path::shape::group_version)
      return json_response(resource_list(p.group, p.version));
    if (p.kind == resource_path::shape::group) {
      auto g = api_group(p.group);
      g["kind"] = "APIGroup";
      g["apiVersion"] = "v1";
      return json_response(g);
    }
  }
  return std::nullopt;
}

} // namespace kvip::sim
