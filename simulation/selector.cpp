// Label and field selector parsing and matching (grammar in selector.hpp).
#include "simulation/selector.hpp"

#include "k8s/object_view.hpp"
#include "net/number.hpp"
#include "simulation/object_util.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdint>
#include <exception>

namespace kvip::sim {

namespace json = boost::json;

// -- label keys and values ------------------------------------------------------

namespace {

constexpr std::string_view name_chars_msg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`
bool is_name(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

} // namespace

net::result<void> validate_label_key(std::string_view key) {
  auto slash = key.find('/');
  std::string_view name = key;
  if (slash != std::string_view::npos) {
    if (key.find('/', slash + 1) != std::string_view::npos)
      return net::make_error(
          "a qualified name " + std::string{name_chars_msg} +
          " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    auto prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty()) return net::make_error("prefix part must be non-empty");
    if (prefix.size() > 253)
      return net::make_error("prefix part must be no more than 253 characters");
    if (!check_object_name(prefix).ok())
      return net::make_error(
          "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
          "characters, '-' or '.', and must start and end with an alphanumeric character");
  }
  if (name.empty()) return net::make_error("name part must be non-empty");
  if (name.size() > 63) return net::make_error("name part must be no more than 63 characters");
  if (!is_name(name)) return net::make_error("name part " + std::string{name_chars_msg});
  return net::ok();
}

net::result<void> validate_label_value(std::string_view value) {
  if (value.size() > 63) return net::make_error("must be no more than 63 characters");
  if (!value.empty() && !is_name(value))
    return net::make_error("a valid label must be an empty string or " +
                           std::string{name_chars_msg.substr(5)}); // "consist of ..."
  return net::ok();
}

// -- label selector lexer and parser ----------------------------------------------

namespace {

enum class tok { end, ident, comma, open, close, bang, eq, deq, neq, gt, lt, in_kw, notin_kw };

struct token {
  tok type;
  std::string text;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_special(char c) {
  return c == '!' || c == '=' || c == ',' || c == '(' || c == ')' || c == '<' || c == '>';
}

std::vector<token> lex(std::string_view s) {
  std::vector<token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (is_space(c)) {
      ++i;
      continue;
    }
    auto two = s.substr(i, 2);
    if (two == "==" || two == "!=") {
      out.push_back({two == "==" ? tok::deq : tok::neq, std::string{two}});
      i += 2;
      continue;
    }
    if (is_special(c)) {
      static constexpr std::string_view chars = "!=,()<>";
      static constexpr tok types[] = {tok::bang,  tok::eq, tok::comma, tok::open,
                                      tok::close, tok::lt, tok::gt};
      out.push_back({types[chars.find(c)], std::string(1, c)});
      ++i;
      continue;
    }
    auto start = i;
    while (i < s.size() && !is_space(s[i]) && !is_special(s[i]))
      ++i;
    std::string word{s.substr(start, i - start)};
    tok type = word == "in" ? tok::in_kw : word == "notin" ? tok::notin_kw : tok::ident;
    out.push_back({type, std::move(word)});
  }
  out.push_back({tok::end, ""});
  return out;
}

class label_parser {
public:
  explicit label_parser(std::string_view text) : tokens_(lex(text)) {}

  bool parse(std::vector<label_selector::requirement>& out) {
    if (peek().type == tok::end) return true;
    while (true) {
      label_selector::requirement r;
      if (!parse_requirement(r)) return false;
      out.push_back(std::move(r));
      auto& t = next();
      if (t.type == tok::end) return true;
      if (t.type != tok::comma) return fail(t, "',' or 'end of string'");
      if (peek().type == tok::end) return fail(peek(), "identifier after ','");
    }
  }

  std::string error_;

private:
  const token& peek() const { return tokens_[pos_]; }
  const token& next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }

  bool fail(const token& t, std::string_view expected) {
    error_ =
        "unable to parse requirement: found '" + t.text + "', expected: " + std::string{expected};
    return false;
  }

  bool invalid(std::string_view field, std::string_view value, const std::string& why) {
    error_ = "unable to parse requirement: " + std::string{field} + ": Invalid value: \"" +
             std::string{value} + "\": " + why;
    return false;
  }

  /// A value token: keywords count as identifiers here.
  bool is_value(const token& t) const {
    return t.type == tok::ident || t.type == tok::in_kw || t.type == tok::notin_kw;
  }

  bool parse_requirement(label_selector::requirement& r) {
    using op = label_selector::op;
    bool negated = peek().type == tok::bang;
    if (negated) next();
    auto& key = next();
    if (key.type != tok::ident) return fail(key, negated ? "identifier" : "!, identifier");
    r.key = key.text;
    if (auto valid = validate_label_key(r.key); !valid)
      return invalid("key", r.key, valid.err().message);
    if (negated) {
      r.operation = op::not_exists;
      return true;
    }
    auto& o = peek();
    switch (o.type) {
    case tok::end:
    case tok::comma:
      r.operation = op::exists;
      return true;
    case tok::eq:
    case tok::deq:
    case tok::neq:
      r.operation = o.type == tok::neq ? op::not_equals : op::equals;
      next();
      return parse_single_value(r);
    case tok::gt:
    case tok::lt:
      r.operation = o.type == tok::gt ? op::greater : op::less;
      next();
      return parse_single_value(r);
    case tok::in_kw:
    case tok::notin_kw:
      r.operation = o.type == tok::in_kw ? op::in : op::not_in;
      next();
      return parse_value_set(r);
    default:
      return fail(o, "in, notin, =, ==, !=, gt, lt");
    }
  }

  bool parse_single_value(label_selector::requirement& r) {
    using op = label_selector::op;
    std::string value;
    if (is_value(peek()))
      value = next().text;
    else if (peek().type != tok::end && peek().type != tok::comma)
      return fail(peek(), "identifier");
    if (r.operation == op::greater || r.operation == op::less) {
      if (!net::parse_integer<std::int64_t>(value))
        return invalid("values[0][" + r.key + "]", value,
                       "for 'Gt', 'Lt' operators, the value must be an integer");
    } else if (auto valid = validate_label_value(value); !valid) {
      return invalid("values[0][" + r.key + "]", value, valid.err().message);
    }
    r.values.push_back(std::move(value));
    return true;
  }

  bool parse_value_set(label_selector::requirement& r) {
    if (auto& t = next(); t.type != tok::open) return fail(t, "'('");
    if (peek().type == tok::close) {
      next();
      return invalid("values", "", "for 'in', 'notin' operators, values set can't be empty");
    }
    while (true) {
      std::string value;
      if (is_value(peek()))
        value = next().text;
      else if (peek().type != tok::comma && peek().type != tok::close)
        return fail(peek(), "',', ')' or identifier");
      if (auto valid = validate_label_value(value); !valid)
        return invalid("values[" + std::to_string(r.values.size()) + "][" + r.key + "]", value,
                       valid.err().message);
      r.values.push_back(std::move(value));
      auto& t = next();
      if (t.type == tok::close) return true;
      if (t.type != tok::comma) return fail(t, "',' or ')'");
    }
  }

  std::vector<token> tokens_;
  std::size_t pos_ = 0;
};

/// The text of a label or field value as the server compares it.
std::string as_text(const json::value& v) {
  if (auto* s = v.if_string()) return std::string{*s};
  if (auto* b = v.if_bool()) return *b ? "true" : "false";
  if (v.is_null()) return {};
  return json::serialize(v);
}

} // namespace

net::result<label_selector> label_selector::parse(std::string_view text) {
  try {
    label_parser p{text};
    label_selector out;
    if (!p.parse(out.requirements_)) return net::make_error(p.error_);
    return out;
  } catch (const std::exception& e) {
    return net::make_error(std::string{"unable to parse requirement: "} + e.what());
  }
}

bool label_selector::matches(const json::object& labels) const {
  for (auto& r : requirements_) {
    auto* v = labels.if_contains(r.key);
    std::string have = v != nullptr ? as_text(*v) : std::string{};
    bool in_set =
        v != nullptr && std::find(r.values.begin(), r.values.end(), have) != r.values.end();
    bool ok = false;
    switch (r.operation) {
    case op::exists:
      ok = v != nullptr;
      break;
    case op::not_exists:
      ok = v == nullptr;
      break;
    case op::equals:
    case op::in:
      ok = in_set;
      break;
    case op::not_equals:
    case op::not_in:
      ok = !in_set;
      break;
    case op::greater:
    case op::less: {
      auto label = v != nullptr ? net::parse_integer<std::int64_t>(have) : std::nullopt;
      auto bound = net::parse_integer<std::int64_t>(r.values[0]).value_or(0);
      ok = label && (r.operation == op::greater ? *label > bound : *label < bound);
      break;
    }
    }
    if (!ok) return false;
  }
  return true;
}

// -- field selector ----------------------------------------------------------------

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

/// Splits on unescaped commas, keeping escapes for the second pass.
std::vector<std::string_view> split_terms(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == ',') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

bool unescape(std::string_view s, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (i + 1 == s.size() || std::string_view{"\\,=!"}.find(s[i + 1]) == std::string_view::npos)
      return false;
    out += s[++i];
  }
  return true;
}

/// Fields whose typed value is a bool defaulting to false when absent.
bool is_bool_field(std::string_view f) {
  return f == "spec.unschedulable" || f == "spec.hostNetwork";
}

std::vector<std::string> field_path(std::string_view field) {
  if (field == "source") return {"source", "component"}; // core/v1 Event: source.component
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto dot = field.find('.', start);
    out.emplace_back(field.substr(start, dot == std::string_view::npos ? field.npos : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

} // namespace

net::result<field_selector> field_selector::parse(std::string_view text,
                                                  const std::vector<std::string>& supported) {
  try {
    field_selector out;
    if (trim(text).empty()) return out;
    for (auto term : split_terms(text)) {
      if (trim(term).empty()) continue;
      std::size_t at = std::string_view::npos;
      std::size_t len = 0;
      for (std::size_t i = 0; i < term.size() && at == std::string_view::npos; ++i) {
        if (term[i] == '\\') {
          ++i;
          continue;
        }
        for (std::string_view o : {"!=", "==", "="}) {
          if (term.substr(i, o.size()) == o) {
            at = i;
            len = o.size();
            break;
          }
        }
      }
      if (at == std::string_view::npos) {
        return net::make_error("invalid selector: '" + std::string{text} + "'; can't understand '" +
                               std::string{term} + "'");
      }
      requirement r;
      r.negated = term[at] == '!';
      if (!unescape(trim(term.substr(0, at)), r.field) ||
          !unescape(trim(term.substr(at + len)), r.value)) {
        return net::make_error("invalid field selector: invalid escape sequence in '" +
                               std::string{term} + "'");
      }
      if (std::find(supported.begin(), supported.end(), r.field) == supported.end()) {
        return net::make_error("field label not supported: " + r.field);
      }
      r.path = field_path(r.field);
      out.requirements_.push_back(std::move(r));
    }
    return out;
  } catch (const std::exception& e) {
    return net::make_error(std::string{"invalid field selector: "} + e.what());
  }
}

bool field_selector::matches(const json::object& obj) const {
  for (auto& r : requirements_) {
    const json::value* v = k8s::jsonpath::find(obj, r.path);
    std::string have = v != nullptr ? as_text(*v) : std::string{};
    if ((v == nullptr || v->is_null()) && is_bool_field(r.field)) have = "false";
    if ((have == r.value) == r.negated) return false;
  }
  return true;
}

// -- supported fields ------------------------------------------------------------------

const std::vector<std::string>& supported_fields(std::string_view kind) {
  struct entry {
    std::string_view kind;
    std::vector<std::string> fields;
  };
  static const std::vector<entry> table = [] {
    std::vector<entry> t{
        {"Service", {"spec.clusterIP", "spec.type"}},
        {"Node", {"spec.unschedulable"}},
        {"Secret", {"type"}},
        {"Namespace", {"status.phase"}},
        {"Event",
         {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
          "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
          "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}},
        {"Pod",
         {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
          "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"}},
        {"", {}}, // any other kind
    };
    for (auto& e : t)
      e.fields.insert(e.fields.begin(), {"metadata.name", "metadata.namespace"});
    return t;
  }();
  for (auto& e : table)
    if (e.kind == kind) return e.fields;
  return table.back().fields;
}

} // namespace kvip::sim
