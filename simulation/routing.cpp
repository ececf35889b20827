#include "simulation/routing.hpp"

#include <vector>

namespace kvip::sim {

namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto seg = path.substr(0, slash);
    if (!seg.empty()) out.push_back(seg);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool group_served(std::string_view group) {
  for (const auto& r : resources()) {
    if (r.group == group) return true;
  }
  return false;
}

} // namespace

resource_path parse_resource_path(std::string_view path) {
  resource_path p;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  auto seg = split(path);
  std::size_t i = 0;
  if (seg.size() >= 2 && seg[0] == "api" && seg[1] == "v1") {
    p.version = "v1";
    i = 2;
  } else if (seg.size() >= 2 && seg[0] == "apis") {
    p.group = std::string(seg[1]);
    if (!group_served(p.group)) return p;
    if (seg.size() == 2) {
      p.kind = resource_path::shape::group;
      return p;
    }
    p.version = std::string(seg[2]);
    i = 3;
  } else {
    return p;
  }
  bool version_served = false;
  for (const auto& r : resources())
    version_served |= r.group == p.group && r.version == p.version;
  if (!version_served) return p;
  auto rest = std::vector<std::string_view>(seg.begin() + static_cast<long>(i), seg.end());
  if (rest.empty()) {
    p.kind = resource_path::shape::group_version;
    return p;
  }
  if (rest[0] == "watch") {
    rest.erase(rest.begin());
    if (rest.empty()) return p;
    p.watch = true;
  }
  std::string_view plural = rest[0];
  std::size_t next = 1;
  bool core = p.group.empty();
  if (rest[0] == "namespaces" && rest.size() >= 3 &&
      !(core && (rest[2] == "status" || rest[2] == "finalize") && rest.size() == 3)) {
    p.ns = std::string(rest[1]);
    plural = rest[2];
    next = 3;
  }
  p.res = find_resource(p.group, p.version, plural);
  if (p.res == nullptr) return p;
  auto tail = rest.size() - next;
  if (tail > 2) return p;
  if (!p.ns.empty() && !p.res->namespaced) return p;
  if (tail == 0) {
    p.kind = resource_path::shape::collection;
    return p;
  }
  if (p.res->namespaced && p.ns.empty()) return p; // e.g. /api/v1/services/web
  p.name = std::string(rest[next]);
  if (tail == 2) {
    p.subresource = std::string(rest[next + 1]);
    if (p.subresource != "status" || !p.res->has_status) {
      if (!(p.res->plural == "namespaces" && p.subresource == "finalize")) return p;
    }
  }
  if (p.watch && !p.subresource.empty()) return p; // subresources are not watched
  p.kind = resource_path::shape::object;
  return p;
}

} // namespace kvip::sim
