// A small HTTP/1.1 server on libmicrohttpd: exact-path routes, one handler per
// (method, path). Used for /metrics, /healthz and /readyz; general enough for a
// later API server, but no TLS yet. No actors here (DESIGN.md §2).
//
// Threading: libmicrohttpd runs its own polling thread, and handlers are called
// on it, one request at a time. Handlers must therefore be quick (never block on
// I/O or wait for an actor reply) and thread-safe with respect to the rest of the
// program (read atomics, snapshot under a short lock, or serve a cached value).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/result.hpp"

namespace kvip::net::http {

/// Largest request body accepted; bigger requests get 413.
inline constexpr std::size_t max_body_size = 1024 * 1024;

/// One parsed request, as handed to a handler.
struct request {
  std::string method;                         ///< "GET", "POST", … ("HEAD" shows as "HEAD")
  std::string path;                           ///< decoded path without the query string
  std::map<std::string, std::string> query;   ///< decoded query parameters (first value wins)
  std::map<std::string, std::string> headers; ///< header names lower-cased
  std::string body;

  /// The query parameter `key`, or `fallback` when absent.
  std::string query_or(const std::string& key, std::string fallback = {}) const;
  /// The header `name` (any case), or empty when absent.
  std::string header(std::string_view name) const;
};

/// What a handler returns.
struct response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers; ///< extra headers

  /// A plain-text response.
  static response text(int status, std::string body);
};

using handler = std::function<response(const request&)>;

/// A parsed `[host]:port` listen address in Go's net.Listen form.
struct listen_address {
  std::string host;  ///< empty = all addresses (dual-stack where possible); no brackets
  uint16_t port = 0; ///< 0 = ephemeral
};

/// Parses ":2112", "127.0.0.1:0", "[::1]:2112", "localhost:8080"; the error names the spec
/// and what is wrong with it.
net::result<listen_address> parse_listen_address(std::string_view spec);

/// An HTTP server bound to one listen address.
class server {
public:
  /// Remembers the listen spec; nothing is bound until start().
  explicit server(std::string listen_spec);
  /// Stops the server.
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Registers `h` for `method` (upper-case, e.g. "GET") on the exact `path`; replaces an
  /// earlier handler for the same pair. May be called before or after start().
  void route(std::string method, std::string path, handler h);

  /// Binds and starts serving; the error says why not (e.g. "address already in use:
  /// :2112"). Never throws.
  net::result<void> start();
  /// Stops serving and closes the socket; waits for a running handler. Idempotent.
  void stop();

  /// True between a successful start() and stop().
  bool running() const;
  /// The bound port after a successful start(), else the configured one.
  uint16_t port() const;
  /// The listen spec given to the constructor.
  const std::string& listen_spec() const { return spec_; }

private:
  struct impl; // the libmicrohttpd glue
  std::string spec_;
  std::unique_ptr<impl> impl_;
};

} // namespace kvip::net::http
