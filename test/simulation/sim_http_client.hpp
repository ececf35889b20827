// Test helpers: a tiny libcurl client for the embedded API server tests, and
// an in-process server fixture.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <curl/curl.h>

#include "net/wait.hpp"
#include "simulation/apiserver.hpp"

namespace kvip::sim::test {

/// One HTTP exchange.
struct reply {
  long code = 0;
  std::string body;
  std::string headers;
  std::string error; ///< curl error text, empty on success

  /// The body as JSON (null when it does not parse).
  boost::json::value json() const {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    return ec ? boost::json::value{} : v;
  }
  /// body["field"] as string.
  std::string str(const char* field) const {
    auto v = json();
    if (!v.is_object()) return {};
    auto* f = v.as_object().if_contains(field);
    return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string{};
  }
};

/// TLS client settings.
struct tls_client {
  std::string ca;
  std::string cert;
  std::string key;
  std::string token;
};

inline size_t collect(char* p, size_t s, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, s * n);
  return s * n;
}

/// Performs `method url` with `body` (Content-Type `ct`), optional TLS settings.
inline reply http(const std::string& method, const std::string& url, const std::string& body = {},
                  const std::string& ct = "application/json", const tls_client* tls = nullptr,
                  long timeout_ms = 10000) {
  reply r;
  CURL* c = curl_easy_init();
  curl_slist* hdrs = nullptr;
  if (!ct.empty()) hdrs = curl_slist_append(hdrs, ("Content-Type: " + ct).c_str());
  hdrs = curl_slist_append(hdrs, "Expect:");
  if (tls != nullptr && !tls->token.empty())
    hdrs = curl_slist_append(hdrs, ("Authorization: Bearer " + tls->token).c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (tls != nullptr) {
    if (!tls->ca.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, tls->ca.c_str());
    if (!tls->cert.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, tls->cert.c_str());
    if (!tls->key.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, tls->key.c_str());
  }
  auto rc = curl_easy_perform(c);
  if (rc != CURLE_OK) r.error = curl_easy_strerror(rc);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.code);
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(c);
  return r;
}

/// Splits a watch stream body into parsed events.
inline std::vector<boost::json::object> events(const std::string& body) {
  std::vector<boost::json::object> out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto nl = body.find('\n', pos);
    if (nl == std::string::npos) nl = body.size();
    auto line = body.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (!ec && v.is_object()) out.push_back(v.as_object());
  }
  return out;
}

/// event["type"] and event["object"]["metadata"]["name"] as "TYPE name".
inline std::string describe(const boost::json::object& ev) {
  std::string type(ev.at("type").as_string());
  const auto& obj = ev.at("object").as_object();
  auto* md = obj.if_contains("metadata");
  auto* name = md != nullptr ? md->as_object().if_contains("name") : nullptr;
  return type + (name != nullptr ? " " + std::string(name->as_string()) : std::string{});
}

/// A watch running in the background until the server ends it (or `timeout_ms`).
class background_watch {
public:
  background_watch(std::string url, long timeout_ms = 15000, const tls_client* tls = nullptr)
      : thread_([this, url, timeout_ms, tls] {
          result_ = http("GET", url, {}, {}, tls, timeout_ms);
        }) {}
  ~background_watch() {
    if (thread_.joinable()) thread_.join();
  }
  /// Waits for the stream to end and returns it.
  const reply& finish() {
    if (thread_.joinable()) thread_.join();
    return result_;
  }

private:
  reply result_;
  std::thread thread_;
};

using kvip::net::eventually;

/// An API server on 127.0.0.1:0 with an admin port, started for one test.
struct server_fixture {
  std::unique_ptr<apiserver> srv;
  std::string url;
  std::string admin;

  explicit server_fixture(apiserver_options o = {}) {
    o.listen = "127.0.0.1:0";
    o.admin_listen = "127.0.0.1:0";
    srv = std::make_unique<apiserver>(o);
    if (auto started = srv->start(); !started) start_error = started.err().describe();
    url = srv->url();
    admin = srv->admin_url();
  }
  std::string start_error;
};

} // namespace kvip::sim::test
