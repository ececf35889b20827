#include "simulation/request_body.hpp"

#include <charconv>
#include <regex>
#include <set>

#include <yaml-cpp/yaml.h>

#include "simulation/schema.hpp"

namespace kvip::sim {

std::string media_type(std::string ct) {
  auto semi = ct.find(';');
  if (semi != std::string::npos) ct.resize(semi);
  while (!ct.empty() && ct.back() == ' ')
    ct.pop_back();
  for (auto& c : ct)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ct;
}

namespace json = boost::json;

namespace {

std::string quoted(std::string_view s) {
  return json::serialize(json::value(s));
}

std::string unknown_field(const std::string& path) {
  return "unknown field " + quoted(path);
}

/// What strict decoding reports, in order: duplicate fields of the sent text, then unknown ones.
std::vector<std::string> strict_problems(const std::vector<std::string>& duplicates,
                                         const std::vector<std::string>& unknown) {
  std::vector<std::string> out;
  for (const auto& d : duplicates)
    out.push_back("duplicate field " + quoted(d));
  for (const auto& u : unknown)
    out.push_back(unknown_field(u));
  return out;
}

std::string strict_error(const std::vector<std::string>& problems) {
  std::string msg = "strict decoding error: ";
  for (std::size_t i = 0; i < problems.size(); ++i)
    msg += (i == 0 ? "" : ", ") + problems[i];
  return msg;
}

/// The text of a JSON string token (with its quotes), unescaped.
std::string key_text(std::string_view token) {
  if (token.find('\\') == std::string_view::npos)
    return std::string(token.substr(1, token.size() - 2));
  boost::system::error_code ec;
  auto v = json::parse(token, ec);
  return !ec && v.is_string() ? std::string(v.as_string()) : std::string(token);
}

/// "<Kind> in version "v1" cannot be handled as a <Kind>: <why>" (400).
api_error cannot_handle(const resource_info& res, const std::string& why) {
  return bad_request(res.kind + " in version " + quoted(res.version) + " cannot be handled as a " +
                     res.kind + ": " + why);
}

json::value yaml_scalar(const YAML::Node& n) {
  const auto& s = n.Scalar();
  if (n.Tag() != "?") return json::value(s); // quoted or explicitly tagged: a string
  static const std::regex null_re("^(~|null|Null|NULL|)$");
  static const std::regex true_re("^(y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$");
  static const std::regex false_re("^(n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$");
  static const std::regex float_re(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
  if (std::regex_match(s, null_re)) return nullptr;
  if (std::regex_match(s, true_re)) return true;
  if (std::regex_match(s, false_re)) return false;
  std::string_view digits = s;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  std::int64_t i = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), i);
  if (ec == std::errc{} && p == digits.data() + digits.size() && !digits.empty()) return i;
  if (std::regex_match(s, float_re)) return std::stod(s);
  return json::value(s);
}

/// Converts YAML nodes to JSON within limits: the JSON parser's depth, and a node budget so
/// that aliases repeated inside aliases ("billion laughs") cannot expand without bound.
struct yaml_converter {
  std::size_t budget;
  bool exceeded = false;

  json::value node(const YAML::Node& n, int depth) {
    if (exceeded || depth > 64 || budget == 0) {
      exceeded = true;
      return nullptr;
    }
    --budget;
    switch (n.Type()) {
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const auto& item : n)
        a.push_back(node(item, depth + 1));
      return a;
    }
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : n)
        o[kv.first.Scalar()] = node(kv.second, depth + 1);
      return o;
    }
    case YAML::NodeType::Scalar:
      return yaml_scalar(n);
    default:
      return nullptr;
    }
  }
};

/// The body as a JSON value by Content-Type; 415 for formats this server cannot read.
net::result<json::value, api_error> parse_by_type(const net::http::request& req) {
  auto ct = media_type(req.header("content-type"));
  if (ct.find("protobuf") != std::string::npos || ct.find("cbor") != std::string::npos) {
    auto e = unsupported_media_type();
    e.message = "the body of the request was in an unknown format - accepted media types "
                "include: application/json, application/yaml (this embedded API server does "
                "not decode " +
                ct + ")";
    return e;
  }
  if (ct == "application/yaml") {
    auto v = yaml_to_json(req.body);
    if (!v) return bad_request("error decoding YAML: " + v.err().message);
    return std::move(*v);
  }
  boost::system::error_code ec;
  json::parse_options po;
  po.max_depth = 64;
  auto v = json::parse(req.body, ec, {}, po);
  if (ec) return bad_request("error decoding request body: " + ec.message());
  return v;
}

} // namespace

std::vector<std::string> duplicate_fields(std::string_view text) {
  struct frame {
    bool object;
    std::string path;
    std::set<std::string, std::less<>> keys;
    std::string key;
    std::size_t index = 0;
  };
  std::vector<frame> stack;
  std::vector<std::string> out;
  bool expect_key = false;
  auto child = [&stack]() {
    const auto& f = stack.back();
    if (!f.object) return f.path + "[" + std::to_string(f.index) + "]";
    return f.path + (f.path.empty() ? "" : ".") + f.key;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      std::size_t j = i + 1;
      while (j < text.size() && text[j] != '"')
        j += text[j] == '\\' ? 2 : 1;
      if (expect_key && !stack.empty() && stack.back().object) {
        auto& f = stack.back();
        f.key = key_text(text.substr(i, j - i + 1));
        if (!f.keys.insert(f.key).second) out.push_back(child());
        expect_key = false;
      }
      i = j;
    } else if (c == '{' || c == '[') {
      auto path = stack.empty() ? std::string{} : child();
      stack.push_back(frame{c == '{', std::move(path), {}, {}, 0});
      expect_key = c == '{';
    } else if ((c == '}' || c == ']') && !stack.empty()) {
      stack.pop_back();
    } else if (c == ',' && !stack.empty()) {
      if (stack.back().object)
        expect_key = true;
      else
        ++stack.back().index;
    }
  }
  return out;
}

net::result<json::value> yaml_to_json(std::string_view yaml) {
  try {
    yaml_converter c{yaml.size() + 1024};
    auto v = c.node(YAML::Load(std::string(yaml)), 0);
    if (c.exceeded)
      return net::make_error("the YAML document nests deeper than 64 levels or expands its "
                             "aliases beyond its own size");
    return v;
  } catch (const YAML::Exception& e) {
    return net::make_error(e.what());
  }
}

net::result<field_validation, api_error> field_validation_of(const net::http::request& req,
                                                             std::string_view options_kind) {
  auto v = req.query_or("fieldValidation");
  if (v.empty() || v == "Warn") return field_validation::warn;
  if (v == "Strict") return field_validation::strict;
  if (v == "Ignore") return field_validation::ignore;
  std::string detail = "Unsupported value: " + quoted(v) +
                       ": supported values: \"\", \"Ignore\", \"Strict\", "
                       "\"Warn\"";
  api_error e;
  e.code = 422;
  e.reason = "Invalid";
  e.message =
      std::string(options_kind) + ".meta.k8s.io \"\" is invalid: fieldValidation: " + detail;
  e.details = json::object{{"group", "meta.k8s.io"},
                           {"kind", options_kind},
                           {"causes", json::array{json::object{{"reason", "FieldValueNotSupported"},
                                                               {"message", detail},
                                                               {"field", "fieldValidation"}}}}};
  return e;
}

net::result<typed_body, api_error> read_typed_body(const net::http::request& req,
                                                   const resource_info& res,
                                                   std::string_view options_kind) {
  auto fv = field_validation_of(req, options_kind);
  if (!fv) return fv.err();
  auto parsed = parse_by_type(req);
  if (!parsed) return parsed.err();
  if (!parsed->is_object()) return bad_request("the request body is not a JSON object");
  auto decoded = decode_object(res, std::move(parsed->as_object()));
  if (!decoded) return cannot_handle(res, decoded.err().message);
  bool yaml = media_type(req.header("content-type")) == "application/yaml";
  auto problems = strict_problems(duplicate_fields(yaml ? std::string_view{} : req.body),
                                  decoded->unknown_fields);
  if (!problems.empty() && *fv == field_validation::strict)
    return cannot_handle(res, strict_error(problems));
  typed_body out{std::move(decoded->object), {}};
  if (*fv == field_validation::warn) out.warnings = std::move(problems);
  return out;
}

net::result<void> patch_result_check::operator()(json::value& target) {
  if (!target.is_object()) return {}; // the store answers this one
  auto decoded = decode_object(res_, target.as_object());
  if (!decoded) {
    auto value = json::serialize(target);
    auto detail = "Invalid value: " + quoted(value) + ": " + decoded.err().message;
    api_error e;
    e.code = 422;
    e.reason = "Invalid";
    e.message = " \"\" is invalid: patch: " + detail;
    e.details = json::object{
        {"causes", json::array{json::object{
                       {"reason", "FieldValueInvalid"}, {"message", detail}, {"field", "patch"}}}}};
    failure_ = e;
    return net::make_error(e.message);
  }
  auto problems = strict_problems(patch_duplicates_, decoded->unknown_fields);
  if (!problems.empty() && fv_ == field_validation::strict) {
    failure_ = bad_request(strict_error(problems));
    return net::make_error(failure_->message);
  }
  if (fv_ == field_validation::warn) warnings_ = std::move(problems);
  target = std::move(decoded->object);
  return {};
}

void add_warnings(net::http::response& resp, const std::vector<std::string>& warnings) {
  for (const auto& w : warnings)
    resp.headers.emplace_back("Warning", "299 - " + quoted(w));
}

} // namespace kvip::sim
