// Small helpers over Kubernetes objects held as Boost.JSON values: metadata
// access, timestamps, UIDs, names, base64.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

namespace kvip::sim {

/// obj["metadata"] as an object, created (or replaced if not an object) when absent.
boost::json::object& meta(boost::json::object& obj);
/// The string at obj[a][b] (e.g. "metadata", "name"), or empty when absent or not a string.
std::string str_at(const boost::json::object& obj, std::string_view a, std::string_view b = {});
/// obj["metadata"]["labels"], or an empty object.
const boost::json::object& labels_of(const boost::json::object& obj);
/// Current UTC time as RFC 3339 with seconds ("2026-11-26T08:59:06Z").
std::string now_rfc3339();
/// A random UUID v4 string.
std::string new_uid();
/// `n` random characters from Kubernetes' generateName alphabet.
std::string random_suffix(std::size_t n = 5);
/// Empty if `name` is a valid DNS-1123 subdomain (lower-case alnum, '-', '.'), else why not.
std::string check_object_name(std::string_view name);
/// Padded standard base64 of `bytes`.
std::string to_base64(std::string_view bytes);
/// Parses a decimal resourceVersion; nullopt if not a plain unsigned number.
std::optional<std::uint64_t> parse_rv(std::string_view s);
/// Serializes `v` compactly.
std::string to_text(const boost::json::value& v);

} // namespace kvip::sim
