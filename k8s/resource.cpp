#include "k8s/resource.hpp"

namespace kvip::k8s {

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string collection_path(const resource& r, std::string_view ns) {
  std::string p = r.api_version.find('/') == std::string::npos ? "/api/" + r.api_version
                                                               : "/apis/" + r.api_version;
  if (r.namespaced && !ns.empty()) p += "/namespaces/" + url_encode(ns);
  return p + "/" + r.plural;
}

std::string object_path(const resource& r, std::string_view ns, std::string_view name,
                        std::string_view subresource) {
  std::string p = collection_path(r, ns) + "/" + url_encode(name);
  if (!subresource.empty()) p += "/" + std::string(subresource);
  return p;
}

std::string with_query(std::string path,
                       const std::vector<std::pair<std::string, std::string>>& params) {
  char sep = path.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    path += sep;
    path += k + "=" + url_encode(v);
    sep = '&';
  }
  return path;
}

} // namespace kvip::k8s
