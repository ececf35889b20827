// Server-side printing for the embedded API server: what kube-apiserver answers
// when a client asks for `application/json;as=Table;v=v1;g=meta.k8s.io` (kubectl get)
// or `as=PartialObjectMetadata(List)` (metadata-only clients), reference
// k8s-api-subset.md §1.10. Pure formatting: the columns and cells of
// kube-apiserver's printers for the kinds kvip touches, Name/Age for the rest.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "simulation/resources.hpp"

namespace kvip::sim {

/// The representation an Accept header asks for.
struct representation {
  enum class as { plain, table, partial, partial_list };
  as kind = as::plain;
  std::string version = "v1"; ///< meta.k8s.io version of a Table / PartialObjectMetadata
};

/// Picks the first entry of `accept` this server can produce for a list (`list` true) or a
/// single object: a Table, PartialObjectMetadata(List) of meta.k8s.io v1/v1beta1, else plain
/// JSON (entries that do not fit the request are skipped, as kube-apiserver does).
representation negotiate(std::string_view accept, bool list);

/// Table rows' `object`: includeObject=None, Metadata (the default) or Object.
enum class include_object { none, metadata, object };

/// Parses includeObject ("" = Metadata); nullopt for an unknown value.
std::optional<include_object> parse_include_object(std::string_view v);

/// kube-apiserver's HumanDuration ("45s", "3m20s", "5h", "2d3h", "3y").
std::string human_duration(std::chrono::seconds d);

/// kube-apiserver's column definitions for `res` (table_columns.cpp).
boost::json::array table_columns(const resource_info& res);

/// The list metadata of a Table (resourceVersion, continue, remainingItemCount).
struct table_meta {
  std::string resource_version;
  std::string continue_token;
  std::int64_t remaining = 0;
};

/// A meta.k8s.io Table of `items` (full stored objects, with kind/apiVersion) of `res`.
boost::json::object make_table(const resource_info& res,
                               const std::vector<const boost::json::object*>& items,
                               const table_meta& meta, include_object include,
                               const std::string& version,
                               std::chrono::system_clock::time_point now);

/// The PartialObjectMetadata of `obj` in meta.k8s.io/`version` (metadata only).
boost::json::object partial_metadata(const boost::json::object& obj, const std::string& version);

/// A PartialObjectMetadataList of `items`.
boost::json::object partial_metadata_list(const std::vector<const boost::json::object*>& items,
                                          const table_meta& meta, const std::string& version);

} // namespace kvip::sim
