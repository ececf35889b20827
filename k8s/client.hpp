// The Kubernetes REST client: get, list (selectors, pagination followed), create,
// update (resourceVersion CAS; 409 -> error_kind::conflict), JSON merge patch,
// status subresource, delete, Events. Objects are raw Boost.JSON objects; wrap
// them in the views of k8s/objects.hpp. No exception escapes.
//
// Every request takes a token from the rate limiter (waiting up to its deadline),
// then is tried with the remaining time. Retries inside the deadline: 429 (after
// Retry-After), 5xx with Retry-After, and for GETs also other 5xx and transport
// failures (exponential backoff); a 401 re-reads a rotating token file once.
#pragma once

#include <chrono>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "k8s/clock.hpp"
#include "k8s/rate_limiter.hpp"
#include "k8s/resource.hpp"
#include "k8s/result.hpp"
#include "k8s/transport.hpp"

namespace kvip::k8s {

/// Client knobs; defaults are kube-vip's (QPS 100, burst 250, 10 s timeout).
struct client_options {
  transport_options transport;
  std::chrono::milliseconds request_timeout{10000}; ///< total per call incl. waits and retries
  double qps = 100;                                 ///< <= 0: unlimited
  int burst = 250;
  std::shared_ptr<rate_limiter> limiter;        ///< shared limiter; null = one from qps/burst
  int max_retries = 3;                          ///< retries of retryable failures
  std::chrono::milliseconds retry_backoff{200}; ///< first retry wait, doubling
  clock_hooks clock = clock_hooks::system();
};

/// List parameters.
struct list_options {
  std::string label_selector;
  std::string field_selector;
  int limit = 500;              ///< page size; 0 = no pagination
  std::string resource_version; ///< "" = most recent
};

/// A complete list (all pages).
struct object_list {
  std::vector<boost::json::object> items;
  std::string resource_version; ///< the list's metadata.resourceVersion (watch start point)
};

/// Parameters of one watch request.
struct watch_request {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;
  int timeout_seconds = 0; ///< server-side timeoutSeconds (0 = server default)
  bool allow_bookmarks = true;
};

/// Converts a non-2xx response (Status body or not) into an error.
error error_from_response(int status, std::string_view body);

/// Parses a JSON object body; a `parse` error names `what` on failure.
result<boost::json::object> parse_object(std::string_view body, const std::string& what);

/// A Kubernetes API client. Thread-safe; requests on one client are serialised.
class client {
public:
  explicit client(connection_config cfg, client_options opts = {});

  /// GET one object (optionally a subresource).
  result<boost::json::object> get(const resource& r, const std::string& ns, const std::string& name,
                                  const std::string& subresource = {});
  /// LIST, following `continue` tokens; a 410 on a continuation restarts unpaged.
  result<object_list> list(const resource& r, const std::string& ns, const list_options& opts = {});
  /// POST; apiVersion/kind are filled in from `r` when absent. AlreadyExists -> already_exists.
  result<boost::json::object> create(const resource& r, const std::string& ns,
                                     boost::json::object obj);
  /// PUT the whole object (name and resourceVersion from its metadata); 409 -> conflict.
  result<boost::json::object> update(const resource& r, const std::string& ns,
                                     boost::json::object obj);
  /// PUT to the status subresource; 409 -> conflict.
  result<boost::json::object> update_status(const resource& r, const std::string& ns,
                                            boost::json::object obj);
  /// PATCH with application/merge-patch+json (null deletes a key, arrays replace).
  result<boost::json::object> merge_patch(const resource& r, const std::string& ns,
                                          const std::string& name, const boost::json::object& patch,
                                          const std::string& subresource = {});
  /// Merge patch on the status subresource.
  result<boost::json::object> patch_status(const resource& r, const std::string& ns,
                                           const std::string& name,
                                           const boost::json::object& patch) {
    return merge_patch(r, ns, name, patch, "status");
  }
  /// DELETE; with `resource_version` set, a precondition (mismatch -> conflict). Returns
  /// the deleted object or the Status the server sent.
  result<boost::json::object> remove(const resource& r, const std::string& ns,
                                     const std::string& name,
                                     const std::string& resource_version = {});
  /// POST a core/v1 Event (see make_event in objects.hpp).
  result<boost::json::object> create_event(const std::string& ns, boost::json::object event) {
    return create(resources::events, ns, std::move(event));
  }

  /// Opens a watch on its own connection and streams body bytes to `on_data` (see
  /// transport::stream). Rate-limited like any request.
  result<stream_end> watch(const resource& r, const std::string& ns, const watch_request& w,
                           const std::function<bool(std::string_view)>& on_data,
                           std::chrono::milliseconds idle_timeout, std::stop_token stop);

  /// Performs a raw request with the retry policy; HTTP errors become errors.
  result<http_response> execute(const http_request& req);

  const client_options& options() const { return opts_; }
  const connection_config& config() const { return transport_->config(); }

private:
  result<boost::json::object> object_call(http_request req);
  result<object_list> list_pages(const resource& r, const std::string& ns, const list_options& opts,
                                 int limit);

  client_options opts_;
  std::shared_ptr<rate_limiter> limiter_;
  std::unique_ptr<transport> transport_;
};

} // namespace kvip::k8s
