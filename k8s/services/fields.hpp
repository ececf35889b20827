// Strict field access on raw Kubernetes JSON for the Service model parsers.
//
// Unlike k8s/object_view.hpp's tolerant accessors (wrong types read as empty),
// these tell "absent or null" (nullopt / nullptr) from "present with the wrong
// type" (an error naming the field path and the JSON type found), so a
// malformed object gives a clear reason instead of a silently empty field.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "k8s/services/types.hpp"

namespace kvip::k8s::services::fields {

/// "string", "number", "object", … (for messages).
const char* type_name(const boost::json::value& v);

/// `path` + "." + `key` (or `key` when `path` is empty).
std::string join(const std::string& path, std::string_view key);

/// `path` + "[i]".
std::string index(const std::string& path, std::size_t i);

/// The string at `o[key]`; nullopt when absent or null; error when not a string.
result<std::optional<std::string>> opt_string(const boost::json::object& o, std::string_view key,
                                              const std::string& path);

/// The object at `o[key]`; nullptr when absent or null; error when not an object.
result<const boost::json::object*> opt_object(const boost::json::object& o, std::string_view key,
                                              const std::string& path);

/// The array at `o[key]`; nullptr when absent or null; error when not an array.
result<const boost::json::array*> opt_array(const boost::json::object& o, std::string_view key,
                                            const std::string& path);

/// The bool at `o[key]`; nullopt when absent or null; error when not a bool.
result<std::optional<bool>> opt_bool(const boost::json::object& o, std::string_view key,
                                     const std::string& path);

/// The integer at `o[key]` (an integral double counts); nullopt when absent or null.
result<std::optional<std::int64_t>> opt_int(const boost::json::object& o, std::string_view key,
                                            const std::string& path);

/// The string map at `o[key]` (labels, annotations); empty when absent or null; error when
/// not an object or a value is not a string.
result<std::map<std::string, std::string>>
string_map(const boost::json::object& o, std::string_view key, const std::string& path);

/// Array element `i` of `a` as an object; error naming `path[i]` otherwise.
result<const boost::json::object*> element_object(const boost::json::array& a, std::size_t i,
                                                  const std::string& path);

/// Array element `i` of `a` as a string; error naming `path[i]` otherwise.
result<std::string> element_string(const boost::json::array& a, std::size_t i,
                                   const std::string& path);

} // namespace kvip::k8s::services::fields
