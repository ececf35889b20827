// JSON merge patch (RFC 7386), JSON patch (RFC 6902) and the shared JSON helpers.
#include "simulation/patch.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <optional>
#include <vector>

namespace kvip::sim {

namespace json = boost::json;

// -- shared helpers -----------------------------------------------------------

namespace {

/// Compares two numbers of any representation by value.
bool number_equal(const json::value& a, const json::value& b) {
  if (a.is_double() || b.is_double()) {
    if (!a.is_double() || !b.is_double()) return a.to_number<double>() == b.to_number<double>();
    return a.get_double() == b.get_double();
  }
  if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
  if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
  auto i = a.is_int64() ? a.get_int64() : b.get_int64();
  auto u = a.is_uint64() ? a.get_uint64() : b.get_uint64();
  return i >= 0 && static_cast<std::uint64_t>(i) == u;
}

} // namespace

bool json_equal(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return number_equal(a, b);
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
  case json::kind::null:
    return true;
  case json::kind::bool_:
    return a.get_bool() == b.get_bool();
  case json::kind::string:
    return a.get_string() == b.get_string();
  case json::kind::array: {
    auto& x = a.get_array();
    auto& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!json_equal(x[i], y[i])) return false;
    return true;
  }
  case json::kind::object: {
    auto& x = a.get_object();
    auto& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (auto& [k, v] : x) {
      auto* other = y.if_contains(k);
      if (other == nullptr || !json_equal(v, *other)) return false;
    }
    return true;
  }
  default:
    return false; // numbers handled above
  }
}

bool json_deeper_than(const json::value& v, int limit) {
  if (!v.is_array() && !v.is_object()) return false;
  if (limit <= 0) return true;
  if (v.is_array()) {
    for (auto& e : v.get_array())
      if (json_deeper_than(e, limit - 1)) return true;
    return false;
  }
  for (auto& [k, e] : v.get_object())
    if (json_deeper_than(e, limit - 1)) return true;
  return false;
}

// -- RFC 7386 merge patch -----------------------------------------------------

namespace {

void merge(json::value& target, const json::value& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target.emplace_object();
  auto& t = target.get_object();
  for (auto& [k, v] : patch.get_object()) {
    if (v.is_null())
      t.erase(k);
    else
      merge(t[k], v); // an absent key starts as null, so object patches merge into {}
  }
}

} // namespace

net::result<void> apply_merge_patch(json::value& target, const json::value& patch) {
  try {
    if (json_deeper_than(patch, max_patch_depth))
      return net::make_error("merge patch is nested too deeply");
    merge(target, patch);
    return net::ok();
  } catch (const std::exception& e) {
    return net::make_error(std::string{"merge patch failed: "} + e.what());
  }
}

// -- RFC 6902 JSON patch ------------------------------------------------------

namespace {

using tokens = std::vector<std::string>;

/// Parses an RFC 6901 pointer; "" is the whole document.
net::result<tokens> parse_pointer(std::string_view text) {
  tokens out;
  if (text.empty()) return out;
  if (text.front() != '/') return net::make_error("pointer must be empty or start with '/'");
  std::string cur;
  for (std::size_t i = 1; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '/') {
      out.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    if (text[i] != '~') {
      cur += text[i];
      continue;
    }
    if (i + 1 < text.size() && (text[i + 1] == '0' || text[i + 1] == '1')) {
      cur += text[i + 1] == '0' ? '~' : '/';
      ++i;
      continue;
    }
    return net::make_error("pointer has an invalid escape ('~' must be followed by '0' or '1')");
  }
  return out;
}

/// Strict array index: "0" or a digit string without leading zero.
std::optional<std::size_t> parse_index(std::string_view tok) {
  if (tok.empty() || tok.size() > 18 || (tok.size() > 1 && tok.front() == '0')) return std::nullopt;
  std::size_t n = 0;
  for (char c : tok) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

/// The value addressed by the first `count` tokens, or nullptr.
json::value* locate(json::value& root, const tokens& path, std::size_t count) {
  json::value* cur = &root;
  for (std::size_t i = 0; i < count; ++i) {
    if (auto* obj = cur->if_object()) {
      cur = obj->if_contains(path[i]);
    } else if (auto* arr = cur->if_array()) {
      auto idx = parse_index(path[i]);
      cur = idx && *idx < arr->size() ? &(*arr)[*idx] : nullptr;
    } else {
      cur = nullptr;
    }
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

net::result<void> op_add(json::value& doc, const tokens& path, json::value v) {
  if (path.empty()) {
    doc = std::move(v);
    return net::ok();
  }
  auto* parent = locate(doc, path, path.size() - 1);
  if (parent == nullptr) return net::make_error("parent of the path does not exist");
  auto& last = path.back();
  if (auto* obj = parent->if_object()) {
    (*obj)[last] = std::move(v);
    return net::ok();
  }
  if (auto* arr = parent->if_array()) {
    if (last == "-") {
      arr->push_back(std::move(v));
      return net::ok();
    }
    auto idx = parse_index(last);
    if (!idx) return net::make_error("invalid array index '" + last + "'");
    if (*idx > arr->size()) return net::make_error("array index " + last + " out of range");
    arr->insert(arr->begin() + static_cast<std::ptrdiff_t>(*idx), std::move(v));
    return net::ok();
  }
  return net::make_error("parent of the path is not an object or array");
}

net::result<void> op_remove(json::value& doc, const tokens& path) {
  if (path.empty()) return net::make_error("cannot remove the whole document");
  auto* parent = locate(doc, path, path.size() - 1);
  if (parent == nullptr) return net::make_error("path does not exist");
  auto& last = path.back();
  if (auto* obj = parent->if_object()) {
    if (obj->erase(last) == 0) return net::make_error("path does not exist");
    return net::ok();
  }
  if (auto* arr = parent->if_array()) {
    auto idx = parse_index(last);
    if (!idx) return net::make_error("invalid array index '" + last + "'");
    if (*idx >= arr->size()) return net::make_error("array index " + last + " out of range");
    arr->erase(arr->begin() + static_cast<std::ptrdiff_t>(*idx));
    return net::ok();
  }
  return net::make_error("path does not exist");
}

/// Reads a string member of an operation; nullptr when missing or not a string.
const json::string* string_member(const json::object& op, std::string_view name) {
  auto* v = op.if_contains(name);
  return v != nullptr ? v->if_string() : nullptr;
}

/// Applies one operation to `doc`; the error is the reason it failed.
net::result<void> apply_op(json::value& doc, const json::object& op) {
  auto* name = string_member(op, "op");
  if (name == nullptr) return net::make_error("missing or non-string \"op\"");
  auto* path_text = string_member(op, "path");
  if (path_text == nullptr) return net::make_error("missing or non-string \"path\"");
  auto path = parse_pointer(*path_text);
  if (!path) return net::make_error("path: " + path.err().message);
  auto* value = op.if_contains("value");
  net::result<tokens> from = tokens{};
  if (*name == "move" || *name == "copy") {
    auto* from_text = string_member(op, "from");
    if (from_text == nullptr) return net::make_error("missing or non-string \"from\"");
    from = parse_pointer(*from_text);
    if (!from) return net::make_error("from: " + from.err().message);
  }
  if ((*name == "add" || *name == "replace" || *name == "test") && value == nullptr)
    return net::make_error("missing \"value\"");
  if (*name == "add") return op_add(doc, *path, *value);
  if (*name == "remove") return op_remove(doc, *path);
  if (*name == "replace") {
    auto* target = locate(doc, *path, path->size());
    if (target == nullptr) return net::make_error("path does not exist");
    *target = *value;
    return net::ok();
  }
  if (*name == "test") {
    auto* target = locate(doc, *path, path->size());
    if (target == nullptr) return net::make_error("path does not exist");
    if (!json_equal(*target, *value))
      return net::make_error("test failed: value is " + json::serialize(*target));
    return net::ok();
  }
  if (*name == "move" || *name == "copy") {
    auto* source = locate(doc, *from, from->size());
    if (source == nullptr) return net::make_error("from path does not exist");
    json::value v = *source;
    if (*name == "copy") return op_add(doc, *path, std::move(v));
    if (*from == *path) return net::ok();
    bool into_child =
        from->size() < path->size() && std::equal(from->begin(), from->end(), path->begin());
    if (into_child) return net::make_error("cannot move a value into one of its children");
    if (auto removed = op_remove(doc, *from); !removed) return removed;
    return op_add(doc, *path, std::move(v));
  }
  return net::make_error("unknown operation \"" + std::string{*name} + "\"");
}

} // namespace

net::result<void> apply_json_patch(json::value& target, const json::value& patch) {
  try {
    auto* ops = patch.if_array();
    if (ops == nullptr) return net::make_error("json patch must be an array of operations");
    if (json_deeper_than(patch, max_patch_depth))
      return net::make_error("json patch is nested too deeply");
    json::value work = target;
    for (std::size_t i = 0; i < ops->size(); ++i) {
      auto* op = (*ops)[i].if_object();
      auto applied =
          op == nullptr ? net::make_error("operation is not an object") : apply_op(work, *op);
      if (applied) continue;
      std::string where = "json patch operation " + std::to_string(i);
      if (op != nullptr) {
        auto* name = string_member(*op, "op");
        auto* path = string_member(*op, "path");
        if (name != nullptr) where += " (" + std::string{*name};
        if (name != nullptr && path != nullptr) where += " \"" + std::string{*path} + "\"";
        if (name != nullptr) where += ")";
      }
      return net::make_error(where + ": " + applied.err().message);
    }
    target = std::move(work);
    return net::ok();
  } catch (const std::exception& e) {
    return net::make_error(std::string{"json patch failed: "} + e.what());
  }
}

} // namespace kvip::sim
