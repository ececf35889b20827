// The API request handlers: non-resource paths (health, discovery, OpenAPI)
// and the resource verbs get, list, watch (handlers_read.cpp) and create,
// update, patch, delete, deletecollection (handlers_write.cpp), each mapped
// to the store and answered with objects or Status bodies.
#pragma once

#include <chrono>
#include <string>

#include "net/http/server.hpp"
#include "simulation/api_listener.hpp"
#include "simulation/faults.hpp"
#include "simulation/routing.hpp"
#include "simulation/store.hpp"
#include "simulation/table.hpp"

namespace kvip::sim {

/// Everything a handler needs.
struct api_context {
  store& st;
  fault_state& faults;
  std::string kube_version = "1.31";
  std::string server_address = "127.0.0.1:6443"; ///< for APIVersions
  std::chrono::seconds default_watch_timeout{1800};
};

/// Answers any API request (authentication and outages are the listener's job).
api_reply handle_api(const net::http::request& req, api_context& ctx);

// -- shared by the verb handlers ----------------------------------------------------------

/// A Status error response.
api_reply error_reply(const api_error& e);
/// A JSON response with `body` text.
api_reply json_reply(int code, std::string body);
/// GET/LIST/WATCH on a parsed path.
api_reply handle_read(const net::http::request& req, const resource_path& p, api_context& ctx);
/// POST/PUT/PATCH/DELETE on a parsed path.
api_reply handle_write(const net::http::request& req, const resource_path& p, api_context& ctx);
/// Parses labelSelector/fieldSelector query parameters into `opts`; error for bad ones.
std::optional<api_error> parse_selectors(const net::http::request& req, const resource_info& res,
                                         list_options& opts);

/// The Table / PartialObjectMetadata(List) answer the Accept header asks for (400 for a bad
/// includeObject), or nullopt when it asks for plain JSON.
std::optional<api_reply> printed_reply(const net::http::request& req, const resource_info& res,
                                       const std::vector<object_ptr>& items, const table_meta& meta,
                                       bool list);
/// Makes `w` send each event's object as a one-row Table (column definitions on the first
/// only) or a PartialObjectMetadata when the Accept header asks; error for a bad includeObject.
std::optional<api_error> print_watch(const net::http::request& req, const resource_info& res,
                                     watcher& w);

} // namespace kvip::sim
