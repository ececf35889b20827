// The base of every typed view: a raw Boost.JSON object plus metadata
// accessors. The raw object is kept whole, so a read-modify-write cycle sends
// back every field we do not understand (other controllers' data survives).
// Accessors are tolerant: absent, null or wrongly-typed fields read as empty.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/json.hpp>

namespace kvip::k8s {

/// Tolerant lookups on raw JSON: the one set of JSON accessors of k8s/ and simulation/.
namespace jsonpath {
/// The value at `path` (object keys), or nullptr.
const boost::json::value* find(const boost::json::object& o,
                               std::initializer_list<std::string_view> path);
/// The same for a path known only at run time (a field selector's "spec.nodeName").
const boost::json::value* find(const boost::json::object& o, std::span<const std::string> path);
/// The object at `path`, or nullptr when absent or not an object.
const boost::json::object* object_at(const boost::json::object& o,
                                     std::initializer_list<std::string_view> path);
boost::json::object* object_at(boost::json::object& o,
                               std::initializer_list<std::string_view> path);
/// String at `path`, or "" when absent/not a string.
std::string str(const boost::json::object& o, std::initializer_list<std::string_view> path);
/// String at `path`, or nullopt when absent/not a string (to tell "" from absent).
std::optional<std::string> optional_str(const boost::json::object& o,
                                        std::initializer_list<std::string_view> path);
/// Integer at `path` (int, uint or integral double), or nullopt.
std::optional<int64_t> integer(const boost::json::object& o,
                               std::initializer_list<std::string_view> path);
/// Bool at `path`, or nullopt.
std::optional<bool> boolean(const boost::json::object& o,
                            std::initializer_list<std::string_view> path);
/// String map at `path` (non-string values skipped).
std::map<std::string, std::string> string_map(const boost::json::object& o,
                                              std::initializer_list<std::string_view> path);
/// The object at `path`, created (replacing non-objects) as needed.
boost::json::object& ensure(boost::json::object& o, std::initializer_list<std::string_view> path);
} // namespace jsonpath

/// A Kubernetes object: raw JSON plus typed metadata access.
class object_view {
public:
  object_view() = default;
  /// Wraps `raw` (kept whole).
  explicit object_view(boost::json::object raw) : raw_(std::move(raw)) {}

  /// The complete object, including fields no accessor knows.
  const boost::json::object& raw() const { return raw_; }
  boost::json::object& raw() { return raw_; }

  std::string api_version() const { return jsonpath::str(raw_, {"apiVersion"}); }
  std::string kind() const { return jsonpath::str(raw_, {"kind"}); }
  std::string name() const { return jsonpath::str(raw_, {"metadata", "name"}); }
  std::string namespace_name() const { return jsonpath::str(raw_, {"metadata", "namespace"}); }
  std::string uid() const { return jsonpath::str(raw_, {"metadata", "uid"}); }
  std::string resource_version() const {
    return jsonpath::str(raw_, {"metadata", "resourceVersion"});
  }
  std::string deletion_timestamp() const {
    return jsonpath::str(raw_, {"metadata", "deletionTimestamp"});
  }
  /// "namespace/name", or "name" for cluster-scoped objects (the informer cache key).
  std::string key() const;

  std::map<std::string, std::string> labels() const {
    return jsonpath::string_map(raw_, {"metadata", "labels"});
  }
  std::map<std::string, std::string> annotations() const {
    return jsonpath::string_map(raw_, {"metadata", "annotations"});
  }
  /// One label / annotation, nullopt when absent.
  std::optional<std::string> label(std::string_view key) const;
  std::optional<std::string> annotation(std::string_view key) const;

  /// Setters edit the raw object in place, creating `metadata` maps as needed.
  void set_name(std::string_view v);
  void set_namespace(std::string_view v);
  void set_resource_version(std::string_view v);
  void set_label(std::string_view key, std::string_view value);
  void set_annotation(std::string_view key, std::string_view value);
  /// Removes a label / annotation; no-op when absent.
  void remove_label(std::string_view key);
  void remove_annotation(std::string_view key);

protected:
  boost::json::object raw_;
};

/// The cache key of a raw object ("ns/name" or "name").
std::string object_key(const boost::json::object& o);

} // namespace kvip::k8s
