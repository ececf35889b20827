// The request-body decoder: walks a JSON object along the Go types of
// schema_types.cpp, answering as sigs.k8s.io/json (kube-apiserver's decoder)
// does. null is accepted everywhere (Go leaves the zero value).
#include "simulation/schema.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <regex>

#include "k8s/base64.hpp"
#include "k8s/micro_time.hpp"

namespace kvip::sim {

namespace json = boost::json;

namespace {

constexpr std::string_view rfc3339_layout = "2006-01-02T15:04:05Z07:00";
constexpr std::string_view micro_layout = "2006-01-02T15:04:05.000000Z07:00";

/// Where the decoder is: Go's error context (innermost struct, JSON names without
/// indices) and the full path with indices used for unknown fields.
struct where {
  std::string go_path;
  std::string full_path;
  std::string struct_name;
};

std::string quoted(std::string_view s) {
  return json::serialize(json::value(s));
}

/// A number as Go quotes its literal: shortest form, no exponent for ordinary values.
std::string number_text(const json::value& v) {
  if (!v.is_double()) return json::serialize(v);
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.as_double());
  return ec == std::errc{} ? std::string(buf, end) : json::serialize(v);
}

/// "string", "number", "number 1.5", "bool", "array", "object" as Go names a JSON value.
std::string describe(const json::value& v, bool with_number) {
  switch (v.kind()) {
  case json::kind::string:
    return "string";
  case json::kind::bool_:
    return "bool";
  case json::kind::array:
    return "array";
  case json::kind::object:
    return "object";
  case json::kind::null:
    return "null";
  default:
    return with_number ? "number " + number_text(v) : "number";
  }
}

net::error type_error(const json::value& v, const where& w, std::string_view type,
                      bool with_number = false) {
  if (!type.empty() && type.front() == '*') type.remove_prefix(1);
  auto what = describe(v, with_number);
  if (w.struct_name.empty())
    return net::make_error("json: cannot unmarshal " + what + " into Go value of type " +
                           std::string(type));
  return net::make_error("json: cannot unmarshal " + what + " into Go struct field " +
                         w.struct_name + "." + w.go_path + " of type " + std::string(type));
}

/// A nested json.Unmarshal (custom UnmarshalJSON): no struct context.
net::error value_error(const json::value& v, std::string_view type) {
  return type_error(v, where{}, type);
}

bool integer_in(const json::value& v, std::int64_t lo, std::int64_t hi) {
  if (v.is_int64()) return v.as_int64() >= lo && v.as_int64() <= hi;
  if (v.is_uint64()) return v.as_uint64() <= static_cast<std::uint64_t>(hi);
  return false;
}

bool digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

/// Go's time.Parse error for `s` against the RFC 3339 layouts ("" when it parses).
std::string time_parse_error(std::string_view s, bool micro) {
  auto layout = micro ? micro_layout : rfc3339_layout;
  auto fail = [&](std::string_view rest, std::string_view elem) {
    return "parsing time " + quoted(s) + " as " + quoted(layout) + ": cannot parse " +
           quoted(rest) + " as " + quoted(elem);
  };
  struct step {
    std::string_view elem;
    std::size_t width; ///< digits; 0 = literal
  };
  static constexpr step steps[] = {{"2006", 4}, {"-", 0}, {"01", 2}, {"-", 0}, {"02", 2}, {"T", 0},
                                   {"15", 2},   {":", 0}, {"04", 2}, {":", 0}, {"05", 2}};
  std::string_view rest = s;
  for (const auto& st : steps) {
    std::size_t n = st.width == 0 ? st.elem.size() : st.width;
    bool ok = rest.size() >= n &&
              (st.width == 0 ? rest.substr(0, n) == st.elem : digits(rest.substr(0, n)));
    if (!ok) return fail(rest, st.elem);
    rest.remove_prefix(n);
  }
  if (micro) {
    if (rest.size() < 7 || rest[0] != '.' || !digits(rest.substr(1, 6)))
      return fail(rest, ".000000");
    rest.remove_prefix(7);
  } else if (!rest.empty() && rest[0] == '.') {
    std::size_t i = 1;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9')
      ++i;
    rest.remove_prefix(i);
  }
  if (!rest.empty() && rest[0] == 'Z') {
    rest.remove_prefix(1);
  } else if (rest.size() >= 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
             digits(rest.substr(1, 2)) && digits(rest.substr(4, 2))) {
    rest.remove_prefix(6);
  } else {
    return fail(rest, "Z07:00");
  }
  if (!rest.empty()) return "parsing time " + quoted(s) + ": extra text: " + quoted(rest);
  bool parsed = micro ? k8s::parse_micro_time(s).has_value() : k8s::parse_time(s).has_value();
  if (!parsed) return "parsing time " + quoted(s) + ": day out of range";
  return {};
}

/// Go's base64.StdEncoding error ("" when `s` decodes): the first byte outside the alphabet,
/// else the start of an unpadded final quantum.
std::string base64_error(std::string_view s) {
  std::size_t n = 0;
  std::size_t quantum_start = 0;
  bool padding = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\r' || c == '\n') continue;
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '/';
    if (n % 4 == 0) quantum_start = i;
    if (c == '=' && n % 4 >= 2) {
      padding = true;
    } else if (!alpha || padding) {
      return "illegal base64 data at input byte " + std::to_string(i);
    }
    ++n;
  }
  if (n % 4 != 0 || !k8s::base64_decode(s).has_value())
    return "illegal base64 data at input byte " + std::to_string(quantum_start);
  return {};
}

bool quantity_ok(std::string_view s) {
  static const std::regex re("^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$");
  return std::regex_match(s.begin(), s.end(), re);
}

/// "v1.ServicePort" for "[]v1.ServicePort" / "*v1.ServicePort"; "ServicePort" with short.
std::string_view strip(std::string_view t) {
  while (!t.empty() && t.front() == '*')
    t.remove_prefix(1);
  return t;
}

std::string short_name(std::string_view t) {
  auto dot = t.rfind('.');
  return std::string(dot == std::string_view::npos ? t : t.substr(dot + 1));
}

class decoder {
public:
  std::vector<std::string> unknown;

  net::result<void> value(json::value& v, std::string_view type, const where& w) {
    if (v.is_null()) return {};
    type = strip(type);
    if (type == "any" || type == "v1.FieldsV1") return {};
    if (type == "string") return v.is_string() ? net::result<void>{} : type_error(v, w, type);
    if (type == "bool") return v.is_bool() ? net::result<void>{} : type_error(v, w, type);
    if (type == "int32" || type == "int64") return integer(v, type, w);
    if (type == "[]uint8") return bytes(v, w);
    if (type == "v1.Time" || type == "v1.MicroTime") return time(v, type == "v1.MicroTime");
    if (type == "intstr.IntOrString") {
      if (v.is_string()) return {};
      if (integer_in(v, std::numeric_limits<std::int32_t>::min(),
                     std::numeric_limits<std::int32_t>::max()))
        return {};
      return value_error(v, "int32");
    }
    if (type == "resource.Quantity") return quantity(v);
    if (type.starts_with("[]")) return array(v, type, w);
    if (type.starts_with("map[string]")) return map(v, type, w);
    return object(v, type, w);
  }

private:
  net::result<void> integer(const json::value& v, std::string_view type, const where& w) {
    bool is32 = type == "int32";
    std::int64_t lo =
        is32 ? std::numeric_limits<std::int32_t>::min() : std::numeric_limits<std::int64_t>::min();
    std::int64_t hi =
        is32 ? std::numeric_limits<std::int32_t>::max() : std::numeric_limits<std::int64_t>::max();
    if (integer_in(v, lo, hi)) return {};
    return type_error(v, w, type, v.is_number());
  }

  net::result<void> bytes(const json::value& v, const where& w) {
    if (!v.is_string()) return type_error(v, w, "[]uint8");
    auto e = base64_error(v.as_string());
    if (!e.empty()) return net::make_error(e);
    return {};
  }

  /// Checks a Time/MicroTime and stores it as the server re-encodes it: UTC, whole seconds
  /// for Time, six fractional digits for MicroTime.
  net::result<void> time(json::value& v, bool micro) {
    if (!v.is_string()) return value_error(v, "string");
    auto e = time_parse_error(v.as_string(), micro);
    if (!e.empty()) return net::make_error(e);
    auto t = micro ? k8s::parse_micro_time(v.as_string()) : k8s::parse_time(v.as_string());
    if (t) {
      v = micro
              ? k8s::format_micro_time(*t)
              : k8s::format_time(std::chrono::time_point_cast<std::chrono::system_clock::duration>(
                    std::chrono::floor<std::chrono::seconds>(*t)));
    }
    return {};
  }

  /// Go decodes null as the zero value inside maps and lists of strings: "".
  static void null_string(json::value& item, std::string_view elem) {
    if (item.is_null() && strip(elem) == "string") item = "";
  }

  net::result<void> quantity(const json::value& v) {
    std::string text = v.is_string() ? std::string(v.as_string()) : json::serialize(v);
    if (quantity_ok(text)) return {};
    return net::make_error("quantities must match the regular expression "
                           "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  }

  net::result<void> array(json::value& v, std::string_view type, const where& w) {
    if (!v.is_array()) return type_error(v, w, type);
    auto elem = type.substr(2);
    auto& a = v.as_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      where inner = w;
      inner.full_path += "[" + std::to_string(i) + "]";
      null_string(a[i], elem);
      if (auto r = value(a[i], elem, inner); !r) return r;
    }
    return {};
  }

  net::result<void> map(json::value& v, std::string_view type, const where& w) {
    if (!v.is_object()) return type_error(v, w, type);
    auto elem = type.substr(std::string_view("map[string]").size());
    for (auto& [k, item] : v.as_object()) {
      where inner = w;
      inner.full_path += "." + std::string(k);
      null_string(item, elem);
      if (auto r = value(item, elem, inner); !r) return r;
    }
    return {};
  }

  net::result<void> object(json::value& v, std::string_view type, const where& w) {
    const auto* fields = struct_fields(type);
    if (fields == nullptr) return net::make_error("no schema for Go type " + std::string(type));
    if (!v.is_object()) return type_error(v, w, type);
    auto& o = v.as_object();
    std::vector<std::string> drop;
    for (auto& [k, item] : o) {
      std::string key(k);
      auto sep = w.full_path.empty() ? "" : ".";
      const field_def* f = nullptr;
      for (const auto& fd : *fields)
        if (fd.name == key) f = &fd;
      if (f == nullptr) {
        unknown.push_back(w.full_path + sep + key);
        drop.push_back(key);
        continue;
      }
      where inner{w.go_path + (w.go_path.empty() ? "" : ".") + key, w.full_path + sep + key,
                  short_name(type)};
      if (auto r = value(item, f->type, inner); !r) return r;
    }
    for (const auto& k : drop)
      o.erase(k);
    return {};
  }
};

} // namespace

net::result<decoded_object> decode_as(std::string_view type, json::object obj) {
  decoder d;
  json::value v(std::move(obj));
  if (auto r = d.value(v, type, where{}); !r) return r.err();
  return decoded_object{std::move(v.as_object()), std::move(d.unknown)};
}

net::result<decoded_object> decode_object(const resource_info& res, json::object obj) {
  auto type = root_type(res);
  if (type.empty()) return decoded_object{std::move(obj), {}};
  return decode_as(type, std::move(obj));
}

} // namespace kvip::sim
