#pragma once
// Small pieces both libmicrohttpd servers share (net/http/server for
// telemetry, simulation/api_listener for the embedded API server).

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <microhttpd.h>
#include <sys/socket.h>

#include "net/result.hpp"

namespace kvip::net::http {

/// `s` in lower case (ASCII).
std::string lower(std::string_view s);

/// The request's headers, names lower-cased; a repeated header's values are
/// joined with ", " (RFC 9110 §5.3).
std::map<std::string, std::string> headers_of(MHD_Connection* c);

/// The request's query parameters, decoded; the first value of a repeated one wins.
std::map<std::string, std::string> query_of(MHD_Connection* c);

/// A socket address and its length, as bind() wants them.
struct socket_address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

/// The first address `host` resolves to for a listening TCP socket on `port` (empty host:
/// the wildcard address); the error is getaddrinfo's text.
net::result<socket_address> resolve_listen(const std::string& host, std::uint16_t port);

/// True if the request declares a Content-Length above `max` (or one too large to parse):
/// such a request is refused before its body is read.
bool declared_length_exceeds(MHD_Connection* c, std::size_t max);

/// Appends one piece of a request body to `body` unless the body would pass `max` bytes; then
/// `body` is dropped and the result is false (the caller answers 413 and ignores later pieces).
bool append_capped(std::string& body, std::string_view piece, std::size_t max);

/// libmicrohttpd's MHD_OPTION_EXTERNAL_LOGGER callback: one spdlog debug line
/// per message, prefixed by `prefix` (a C string passed as the callback's cls).
__attribute__((format(printf, 2, 0))) void log_to_spdlog(void* prefix, const char* fmt, va_list ap);

} // namespace kvip::net::http
