// Label and field selectors of the embedded API server (reference/k8s-api-subset.md §1.5).
//
// Label selector grammar (comma = AND, whitespace around tokens ignored, "" = everything):
//
//     k=v   k==v   k!=v   k in (a,b)   k notin (a,b)   k   !k   k>5   k<5
//
// `!=` and `notin` also match objects without the label; `>`/`<` need an integer label value.
// Keys are `[prefix/]name` (prefix a DNS-1123 subdomain <= 253, name <= 63 characters of
// [A-Za-z0-9-_.] starting and ending alphanumeric); values are empty or like a name. Errors
// read "unable to parse requirement: ..." and quote the offending token.
//
// Field selector grammar: `f=v`, `f==v`, `f!=v`, comma = AND, `\` escapes `,` `=` `!` `\` in
// values. Spaces around a field or value are trimmed. Fields must be in the kind's supported
// list ("field label not supported: <f>"). Values compare as strings: booleans "true"/"false",
// numbers as written, absent/null as "" (boolean fields such as `spec.unschedulable` read an
// absent value as "false", like the real server's typed objects).
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/result.hpp"

namespace kvip::sim {

/// A parsed Kubernetes label selector; matches a `metadata.labels` object.
class label_selector {
public:
  // -- member types -------------------------------------------------------------

  enum class op { exists, not_exists, equals, not_equals, in, not_in, greater, less };

  /// One comma-separated term.
  struct requirement {
    std::string key;
    op operation;
    std::vector<std::string> values; ///< one for equals/not_equals/greater/less
  };

  // -- construction ---------------------------------------------------------------

  /// Parses `text`; the error says what is wrong with it (the API server's wording).
  static net::result<label_selector> parse(std::string_view text);

  // -- observers ------------------------------------------------------------------

  /// True when every requirement holds for `labels` (which may be empty).
  bool matches(const boost::json::object& labels) const;

  /// True for the selector that selects everything.
  bool empty() const { return requirements_.empty(); }

  /// The terms in the order given.
  const std::vector<requirement>& requirements() const { return requirements_; }

private:
  std::vector<requirement> requirements_;
};

/// A parsed Kubernetes field selector; matches a whole object.
class field_selector {
public:
  /// One comma-separated term.
  struct requirement {
    std::string field;             ///< as written, e.g. "metadata.name"
    std::vector<std::string> path; ///< JSON members to follow, e.g. {"metadata", "name"}
    bool negated;                  ///< `!=`
    std::string value;
  };

  /// `supported` lists the field paths allowed for the kind (e.g. "metadata.name", "spec.type");
  /// an unknown field is an error "field label not supported: <f>".
  static net::result<field_selector> parse(std::string_view text,
                                           const std::vector<std::string>& supported);

  /// True when every requirement holds for `obj`.
  bool matches(const boost::json::object& obj) const;

  /// True for the selector that selects everything.
  bool empty() const { return requirements_.empty(); }

  /// The terms in the order given.
  const std::vector<requirement>& requirements() const { return requirements_; }

private:
  std::vector<requirement> requirements_;
};

/// The field-selector paths the real API server supports for a kind (reference §1.5); an
/// unknown kind gets `metadata.name` and `metadata.namespace`.
const std::vector<std::string>& supported_fields(std::string_view kind);

/// Checks a label key; the error says why it is invalid.
net::result<void> validate_label_key(std::string_view key);

/// Checks a label value; the error says why it is invalid.
net::result<void> validate_label_value(std::string_view value);

} // namespace kvip::sim
