#pragma once
// One HTTP(S) health probe (libcurl): healthy = HTTP 200 within the timeout.
// Blocking: call it from an I/O thread or detached actor.

#include <chrono>
#include <string>

namespace kvip::net::http {

struct probe_outcome {
  bool healthy = false;
  std::string detail; ///< "HTTP 200", "HTTP 503", "timeout after 3000 ms", curl's error text
};

/// GETs `url`; `ca_path` adds a CA file for https ("" = system CAs).
probe_outcome probe(const std::string& url, std::chrono::milliseconds timeout,
                    const std::string& ca_path = {});

} // namespace kvip::net::http
