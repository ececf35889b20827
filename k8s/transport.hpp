// HTTP(S) to the API server over libcurl: one reused easy handle for ordinary
// requests (keep-alive connection reuse, connect + total timeouts) and a second
// easy handle driven by a multi handle for watch streams (idle/stall detection,
// stop from another thread). TLS material comes from connection_config, PEM bytes
// via CURLOPT_*_BLOB. Headers: `Authorization: Bearer` (https only unless
// allowed), `User-Agent: kvip/<version>`, `Accept: application/json`, and an
// empty `Expect:` so large bodies are not delayed by 100-continue.
//
// HTTP error statuses are not errors at this layer; only transport failures are.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "k8s/connection.hpp"
#include "k8s/result.hpp"

namespace kvip::k8s {

/// Connection-level knobs.
struct transport_options {
  std::chrono::milliseconds connect_timeout{10000}; ///< TCP + TLS handshake
  std::string user_agent;                           ///< "" = "kvip/<version>"
  bool allow_bearer_over_http = false; ///< send the token on plain http:// (tests, fakes)
  bool use_proxy_env = false;          ///< honour http(s)_proxy (off: always direct)
};

/// One request: method, path+query relative to the server, optional body.
struct http_request {
  std::string method = "GET";
  std::string target;       ///< "/api/v1/namespaces/default/services?limit=500"
  std::string body;         ///< sent when non-empty (or for POST/PUT/PATCH)
  std::string content_type; ///< Content-Type of the body ("" = application/json)
};

/// A complete response (any status).
struct http_response {
  int status = 0;
  std::string body;
  std::string retry_after; ///< Retry-After header value, "" when absent
};

/// A Retry-After header in whole seconds; nullopt when empty or in the HTTP-date form.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value);

/// How a stream ended when no transport error occurred.
struct stream_end {
  int status = 0;          ///< HTTP status; the body went to on_data only if 2xx
  std::string body;        ///< the body of a non-2xx response (a Status, usually)
  std::string retry_after; ///< Retry-After of a non-2xx response
};

/// Bearer token from a string or a file that may rotate (re-read when it changes).
class token_source {
public:
  token_source(std::string token, std::string file);
  /// The current token; re-reads the file when its size/mtime changed or after invalidate().
  std::string current();
  /// Forces a re-read on the next current() (called after a 401).
  void invalidate();

private:
  std::mutex mutex_;
  std::string token_;
  std::string file_;
  long long stamp_ = -1; ///< mtime (ns) + size of the file last read
};

/// Owns the curl handles for one client object. Thread-safe (calls are serialised).
class transport {
public:
  transport(connection_config cfg, transport_options opts = {});
  ~transport();
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  /// Performs `req`, waiting at most `timeout` in total. Errors only for transport failures.
  result<http_response> perform(const http_request& req, std::chrono::milliseconds timeout);

  /// Performs `req` and hands each received body piece of a 2xx response to `on_data`
  /// (return false to stop). Fails with `timeout` if no byte arrives for `idle_timeout`,
  /// `cancelled` when `stop` fires, `transport` when the connection breaks.
  result<stream_end> stream(const http_request& req,
                            const std::function<bool(std::string_view)>& on_data,
                            std::chrono::milliseconds idle_timeout, std::stop_token stop);

  /// Re-reads the bearer token file on the next request (after a 401).
  void invalidate_token() { tokens_.invalidate(); }
  /// The configuration this transport connects with.
  const connection_config& config() const { return cfg_; }

private:
  struct handles;
  void setup(void* easy, const http_request& req, void* headers_out);
  void* build_headers(const http_request& req);

  connection_config cfg_;
  transport_options opts_;
  token_source tokens_;
  std::mutex request_mutex_;
  std::mutex stream_mutex_;
  std::unique_ptr<handles> h_;
};

} // namespace kvip::k8s
