#include "k8s/result.hpp"

namespace kvip::k8s {

const char* to_string(error_kind k) {
  switch (k) {
  case error_kind::transport:
    return "transport";
  case error_kind::timeout:
    return "timeout";
  case error_kind::http:
    return "http";
  case error_kind::not_found:
    return "not_found";
  case error_kind::conflict:
    return "conflict";
  case error_kind::already_exists:
    return "already_exists";
  case error_kind::gone:
    return "gone";
  case error_kind::unauthorized:
    return "unauthorized";
  case error_kind::invalid:
    return "invalid";
  case error_kind::parse:
    return "parse";
  case error_kind::config:
    return "config";
  case error_kind::cancelled:
    return "cancelled";
  }
  return "unknown";
}

std::string error::describe() const {
  std::string s = to_string(kind);
  if (http_status != 0) {
    s += " (HTTP " + std::to_string(http_status);
    if (!reason.empty()) s += " " + reason;
    s += ")";
  }
  if (!message.empty()) s += ": " + message;
  if (!transport.empty()) s += " [" + transport + "]";
  return s;
}

} // namespace kvip::k8s
