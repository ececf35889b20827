#include "k8s/object_view.hpp"

#include <cmath>
#include <utility>

namespace kvip::k8s {

namespace json = boost::json;

namespace jsonpath {

namespace {

template <class Path>
const json::value* find_path(const json::object& o, const Path& path) {
  const json::object* cur = &o;
  const json::value* v = nullptr;
  for (const auto& key : path) {
    if (!cur) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    v = &it->value();
    cur = v->is_object() ? &v->get_object() : nullptr;
  }
  return v;
}

} // namespace

const json::value* find(const json::object& o, std::initializer_list<std::string_view> path) {
  return find_path(o, path);
}

const json::value* find(const json::object& o, std::span<const std::string> path) {
  return find_path(o, path);
}

const json::object* object_at(const json::object& o, std::initializer_list<std::string_view> path) {
  const auto* v = find(o, path);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

json::object* object_at(json::object& o, std::initializer_list<std::string_view> path) {
  return const_cast<json::object*>(object_at(std::as_const(o), path));
}

std::optional<std::string> optional_str(const json::object& o,
                                        std::initializer_list<std::string_view> path) {
  const auto* v = find(o, path);
  if (v && v->is_string()) return std::string(v->get_string());
  return std::nullopt;
}

std::string str(const json::object& o, std::initializer_list<std::string_view> path) {
  return optional_str(o, path).value_or(std::string{});
}

std::optional<int64_t> integer(const json::object& o,
                               std::initializer_list<std::string_view> path) {
  const auto* v = find(o, path);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= uint64_t(INT64_MAX)) return int64_t(v->get_uint64());
  if (v->is_double() && std::trunc(v->get_double()) == v->get_double() &&
      std::fabs(v->get_double()) < 9e15)
    return int64_t(v->get_double());
  return std::nullopt;
}

std::optional<bool> boolean(const json::object& o, std::initializer_list<std::string_view> path) {
  const auto* v = find(o, path);
  if (v && v->is_bool()) return v->get_bool();
  return std::nullopt;
}

std::map<std::string, std::string> string_map(const json::object& o,
                                              std::initializer_list<std::string_view> path) {
  std::map<std::string, std::string> out;
  const auto* v = find(o, path);
  if (v && v->is_object())
    for (const auto& kv : v->get_object())
      if (kv.value().is_string()) out.emplace(kv.key(), kv.value().get_string());
  return out;
}

json::object& ensure(json::object& o, std::initializer_list<std::string_view> path) {
  json::object* cur = &o;
  for (auto key : path) {
    json::value& v = (*cur)[key];
    if (!v.is_object()) v = json::object{};
    cur = &v.get_object();
  }
  return *cur;
}

} // namespace jsonpath

std::string object_key(const json::object& o) {
  std::string ns = jsonpath::str(o, {"metadata", "namespace"});
  std::string name = jsonpath::str(o, {"metadata", "name"});
  return ns.empty() ? name : ns + "/" + name;
}

std::string object_view::key() const {
  return object_key(raw_);
}

std::optional<std::string> object_view::label(std::string_view key) const {
  return jsonpath::optional_str(raw_, {"metadata", "labels", key});
}

std::optional<std::string> object_view::annotation(std::string_view key) const {
  return jsonpath::optional_str(raw_, {"metadata", "annotations", key});
}

void object_view::set_name(std::string_view v) {
  jsonpath::ensure(raw_, {"metadata"})["name"] = v;
}

void object_view::set_namespace(std::string_view v) {
  jsonpath::ensure(raw_, {"metadata"})["namespace"] = v;
}

void object_view::set_resource_version(std::string_view v) {
  jsonpath::ensure(raw_, {"metadata"})["resourceVersion"] = v;
}

void object_view::set_label(std::string_view key, std::string_view value) {
  jsonpath::ensure(raw_, {"metadata", "labels"})[key] = value;
}

void object_view::set_annotation(std::string_view key, std::string_view value) {
  jsonpath::ensure(raw_, {"metadata", "annotations"})[key] = value;
}

void object_view::remove_label(std::string_view key) {
  if (auto* l = jsonpath::object_at(raw_, {"metadata", "labels"})) l->erase(key);
}

void object_view::remove_annotation(std::string_view key) {
  if (auto* a = jsonpath::object_at(raw_, {"metadata", "annotations"})) a->erase(key);
}

} // namespace kvip::k8s
