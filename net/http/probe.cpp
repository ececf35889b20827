#include "net/http/probe.hpp"

#include <curl/curl.h>

namespace kvip::net::http {

namespace {

size_t discard(char*, size_t size, size_t n, void*) {
  return size * n;
}

} // namespace

probe_outcome probe(const std::string& url, std::chrono::milliseconds timeout,
                    const std::string& ca_path) {
  probe_outcome out;
  CURL* h = curl_easy_init();
  if (!h) {
    out.detail = "cannot initialise libcurl";
    return out;
  }
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  if (!ca_path.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, ca_path.c_str());
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(h);
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    out.detail = "timeout after " + std::to_string(timeout.count()) + " ms";
  } else if (rc != CURLE_OK) {
    out.detail = curl_easy_strerror(rc);
  } else {
    out.detail = "HTTP " + std::to_string(code);
    out.healthy = code == 200;
  }
  return out;
}

} // namespace kvip::net::http
