#pragma once
// Small pieces both libmicrohttpd servers share (net/http/server for
// telemetry, simulation/api_listener for the embedded API server).

#include <cstdarg>
#include <map>
#include <string>
#include <string_view>

#include <microhttpd.h>

namespace kvip::net::http {

/// `s` in lower case (ASCII).
std::string lower(std::string_view s);

/// The request's headers, names lower-cased; a repeated header's values are
/// joined with ", " (RFC 9110 §5.3).
std::map<std::string, std::string> headers_of(MHD_Connection* c);

/// The request's query parameters, decoded; the first value of a repeated one wins.
std::map<std::string, std::string> query_of(MHD_Connection* c);

/// libmicrohttpd's MHD_OPTION_EXTERNAL_LOGGER callback: one spdlog debug line
/// per message, prefixed by `prefix` (a C string passed as the callback's cls).
__attribute__((format(printf, 2, 0))) void log_to_spdlog(void* prefix, const char* fmt, va_list ap);

} // namespace kvip::net::http
