// The result type of every k8s/ operation: a value or an error, never an exception.
//
// An error carries what went wrong at each layer: the HTTP status (0 when no
// response arrived), the Kubernetes Status `reason`/`message` when the server
// sent one, and libcurl's text for transport failures. `kind` classifies it so
// callers can act (a `conflict` means "re-read and retry the write").
#pragma once

#include <string>
#include <utility>

#include "net/result.hpp"

namespace kvip::k8s {

/// What class of failure an error is.
enum class error_kind {
  transport,      ///< no HTTP response: connect/TLS/read failure (see `transport`)
  timeout,        ///< the request deadline passed (incl. waiting for a rate-limit token)
  http,           ///< an HTTP error status not covered by a more specific kind
  not_found,      ///< 404
  conflict,       ///< 409 Conflict: resourceVersion mismatch, re-read and retry
  already_exists, ///< 409 AlreadyExists on create
  gone,           ///< 410 Gone/Expired: resourceVersion too old, relist
  unauthorized,   ///< 401 / 403
  invalid,        ///< 400 / 422: the request itself is wrong
  parse,          ///< the response body (or a config file) could not be understood
  config,         ///< bad configuration (kubeconfig, in-cluster files)
  cancelled,      ///< stopped by the caller
};

/// Name of an error kind ("conflict", …).
const char* to_string(error_kind k);

/// A failed operation.
struct error {
  error_kind kind = error_kind::transport;
  int http_status = 0;   ///< 0 when no response arrived
  std::string reason;    ///< Kubernetes Status.reason ("Conflict", "NotFound", …)
  std::string message;   ///< Status.message, or our own description
  std::string transport; ///< libcurl error text, when the transport failed

  /// One line for logs: "conflict (HTTP 409 Conflict): <message> [<transport>]".
  std::string describe() const;
};

/// Builds an error of `kind` with a message and no HTTP status.
inline error make_error(error_kind kind, std::string message) {
  error e;
  e.kind = kind;
  e.message = std::move(message);
  return e;
}

/// A value of T or an error: the one result type (net/result.hpp) with the
/// Kubernetes error.
template <class T>
using result = net::result<T, error>;

} // namespace kvip::k8s
