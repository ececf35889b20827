// The API server's network side on libmicrohttpd: HTTP or HTTPS (GnuTLS) with
// bearer-token and client-certificate authentication, streaming watch
// responses, per-request latency and 503 outages from the fault state, and
// closing/reopening the port for "connection refused" outages.
//
// Scale: a small thread pool polls with epoll; a watch stream is a chunked
// response fed by its watcher's queue. When the queue is empty the connection
// is suspended (no thread, no busy loop) and the watcher's waker resumes it
// when an event arrives, so thousands of idle watches cost only memory.
// Added latency also suspends the connection and a timer thread resumes it.
//
// Every mutating request (POST, PUT, PATCH, DELETE) that reaches the handler
// is counted by resource (plural, "other" for non-resource paths) and by the
// client's IP address: writes() for the admin port's /stats ("writes"), which
// `kvip simulate` reads to measure steady-state API writes per second; every
// request (watches and reads too) likewise: requests() ("requests").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/http/server.hpp"
#include "simulation/faults.hpp"
#include "simulation/watch_hub.hpp"

namespace kvip::sim {

/// PEM material for HTTPS: server certificate and key, and the CA trusted for client certs.
struct tls_material {
  std::string cert_pem;
  std::string key_pem;
  std::string ca_pem;
};

/// How the listener is set up.
struct listener_options {
  std::string listen = "127.0.0.1:0";     ///< [host]:port, port 0 = ephemeral
  std::optional<tls_material> tls;        ///< HTTPS when set; then every request needs credentials
  std::vector<std::string> tokens;        ///< accepted bearer tokens (HTTPS)
  std::size_t max_body = 3 * 1024 * 1024; ///< larger bodies get 413
  unsigned threads = 4;                   ///< polling threads
};

/// What the API handler answers: a complete response, or a watch stream (status 200).
struct api_reply {
  net::http::response resp;
  std::shared_ptr<watcher> watch;
};

using api_handler = std::function<api_reply(const net::http::request&)>;

/// One API port.
class api_listener {
public:
  /// A listener calling `handler` for authenticated requests, honouring `faults`.
  api_listener(listener_options opts, api_handler handler, fault_state& faults);
  /// Stops serving.
  ~api_listener();
  api_listener(const api_listener&) = delete;
  api_listener& operator=(const api_listener&) = delete;

  /// Binds and serves. Never throws.
  net::result<void> start();
  /// Ends every stream and closes the port. Idempotent.
  void stop();
  /// Closes the port (connections are refused) but remembers it for reopen().
  void close_port();
  /// Binds the same port again after close_port().
  net::result<void> reopen();
  /// True while the port is open.
  bool running() const;
  /// The bound port (after start).
  std::uint16_t port() const;
  /// "http://host:port" or "https://host:port" (IPv6 hosts bracketed).
  std::string url() const;
  /// Number of open watch streams on this listener.
  std::size_t streams() const;
  /// The write counters: {"total":N,"byResource":{"leases":N,...},"byClient":{"10.99.0.1":N}}.
  boost::json::object writes() const;
  /// The same counters over every request that reached the handler.
  boost::json::object requests() const;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

/// True if libmicrohttpd was built with TLS support.
bool tls_supported();

} // namespace kvip::sim
