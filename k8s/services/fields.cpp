#include "k8s/services/fields.hpp"

namespace kvip::k8s::services::fields {

namespace json = boost::json;

const char* type_name(const json::value& v) {
  switch (v.kind()) {
  case json::kind::null:
    return "null";
  case json::kind::bool_:
    return "bool";
  case json::kind::int64:
  case json::kind::uint64:
  case json::kind::double_:
    return "number";
  case json::kind::string:
    return "string";
  case json::kind::array:
    return "array";
  case json::kind::object:
    return "object";
  }
  return "?";
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

namespace {

/// The value at o[key], nullptr when absent or null.
const json::value* present(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

error wrong_type(const std::string& field, const char* want, const json::value& got) {
  return invalid(field, std::string("expected ") + want + ", got " + type_name(got));
}

} // namespace

result<std::optional<std::string>> opt_string(const json::object& o, std::string_view key,
                                              const std::string& path) {
  const auto* v = present(o, key);
  if (!v) return std::optional<std::string>{};
  if (!v->is_string()) return wrong_type(join(path, key), "a string", *v);
  return std::optional<std::string>{std::string(v->get_string())};
}

result<const json::object*> opt_object(const json::object& o, std::string_view key,
                                       const std::string& path) {
  const auto* v = present(o, key);
  if (!v) return static_cast<const json::object*>(nullptr);
  if (!v->is_object()) return wrong_type(join(path, key), "an object", *v);
  return &v->get_object();
}

result<const json::array*> opt_array(const json::object& o, std::string_view key,
                                     const std::string& path) {
  const auto* v = present(o, key);
  if (!v) return static_cast<const json::array*>(nullptr);
  if (!v->is_array()) return wrong_type(join(path, key), "an array", *v);
  return &v->get_array();
}

result<std::optional<bool>> opt_bool(const json::object& o, std::string_view key,
                                     const std::string& path) {
  const auto* v = present(o, key);
  if (!v) return std::optional<bool>{};
  if (!v->is_bool()) return wrong_type(join(path, key), "a bool", *v);
  return std::optional<bool>{v->get_bool()};
}

result<std::optional<std::int64_t>> opt_int(const json::object& o, std::string_view key,
                                            const std::string& path) {
  const auto* v = present(o, key);
  if (!v) return std::optional<std::int64_t>{};
  if (v->is_int64()) return std::optional<std::int64_t>{v->get_int64()};
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return std::optional<std::int64_t>{static_cast<std::int64_t>(v->get_uint64())};
  if (v->is_double()) {
    double d = v->get_double();
    if (d >= -9.0e18 && d <= 9.0e18 && d == static_cast<double>(static_cast<std::int64_t>(d)))
      return std::optional<std::int64_t>{static_cast<std::int64_t>(d)};
  }
  if (v->is_number())
    return invalid(join(path, key), json::serialize(*v) + " is not an integer in range");
  return wrong_type(join(path, key), "an integer", *v);
}

result<std::map<std::string, std::string>> string_map(const json::object& o, std::string_view key,
                                                      const std::string& path) {
  auto obj = opt_object(o, key, path);
  if (!obj) return obj.err();
  std::map<std::string, std::string> out;
  if (!*obj) return out;
  for (const auto& [k, v] : **obj) {
    if (!v.is_string()) return wrong_type(join(join(path, key), std::string(k)), "a string", v);
    out.emplace(std::string(k), std::string(v.get_string()));
  }
  return out;
}

result<const json::object*> element_object(const json::array& a, std::size_t i,
                                           const std::string& path) {
  if (!a[i].is_object()) return wrong_type(index(path, i), "an object", a[i]);
  return &a[i].get_object();
}

result<std::string> element_string(const json::array& a, std::size_t i, const std::string& path) {
  if (!a[i].is_string()) return wrong_type(index(path, i), "a string", a[i]);
  return std::string(a[i].get_string());
}

} // namespace kvip::k8s::services::fields
