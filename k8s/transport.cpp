#include "k8s/transport.hpp"

#include <algorithm>
#include <optional>

#include <curl/curl.h>
#include <sys/stat.h>

#include "net/file.hpp"
#include "net/number.hpp"
#include "net/version.hpp"

namespace kvip::k8s {

namespace {

constexpr std::size_t max_error_body = 1 << 20;

std::once_flag curl_init_once;

/// Hands libcurl PEM material held in memory (`blob_opt`, typed by `type_opt`) or, when there is
/// none, the file it lives in (`file_opt`); nothing when both are empty.
void set_pem(CURL* e, const std::string& pem, const std::string& file, CURLoption blob_opt,
             CURLoption file_opt, std::optional<CURLoption> type_opt) {
  if (!pem.empty()) {
    curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(e, blob_opt, &blob);
    if (type_opt) curl_easy_setopt(e, *type_opt, "PEM");
  } else if (!file.empty()) {
    curl_easy_setopt(e, file_opt, file.c_str());
  }
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// Captures Retry-After; a new status line (a redirect or 100 Continue) resets it.
size_t on_header(char* data, size_t size, size_t n, void* user) {
  std::string_view line(data, size * n);
  auto* retry_after = static_cast<std::string*>(user);
  if (line.rfind("HTTP/", 0) == 0) retry_after->clear();
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string key(line.substr(0, colon));
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (key == "retry-after") *retry_after = net::trim(line.substr(colon + 1));
  }
  return size * n;
}

struct stream_ctx {
  CURL* easy = nullptr;
  const std::function<bool(std::string_view)>* on_data = nullptr;
  std::chrono::steady_clock::time_point last_data;
  bool stopped_by_callback = false;
  std::string error_body;
  std::string retry_after;
};

} // namespace

struct transport::handles {
  CURL* easy = nullptr;   // ordinary requests
  CURL* stream = nullptr; // watch streams
  CURLM* multi = nullptr;
  curl_slist* resolve = nullptr; // connection_config::resolve, alive as long as the handles
  char errbuf[CURL_ERROR_SIZE] = {};
  ~handles() {
    if (resolve) curl_slist_free_all(resolve);
    if (multi) curl_multi_cleanup(multi);
    if (stream) curl_easy_cleanup(stream);
    if (easy) curl_easy_cleanup(easy);
  }
};

token_source::token_source(std::string token, std::string file)
    : token_(std::move(token)), file_(std::move(file)) {}

std::string token_source::current() {
  std::lock_guard lock(mutex_);
  if (file_.empty()) return token_;
  struct stat st {};
  if (::stat(file_.c_str(), &st) != 0) return token_; // keep the last good token
  long long stamp = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec +
                    static_cast<long long>(st.st_size) * 7919;
  if (stamp != stamp_) {
    auto text = net::read_file(file_);
    if (text && !net::trim(*text).empty()) {
      token_ = net::trim(*text);
      stamp_ = stamp;
    }
  }
  return token_;
}

void token_source::invalidate() {
  std::lock_guard lock(mutex_);
  stamp_ = -1;
}

transport::transport(connection_config cfg, transport_options opts)
    : cfg_(std::move(cfg)), opts_(std::move(opts)), tokens_(cfg_.token, cfg_.token_file),
      h_(std::make_unique<handles>()) {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (opts_.user_agent.empty()) opts_.user_agent = std::string("kvip/") + net::version_string;
  h_->easy = curl_easy_init();
  if (!cfg_.resolve.empty()) h_->resolve = curl_slist_append(nullptr, cfg_.resolve.c_str());
}

transport::~transport() = default;

void* transport::build_headers(const http_request& req) {
  curl_slist* list = nullptr;
  list = curl_slist_append(list, "Accept: application/json");
  list = curl_slist_append(list, "Expect:");
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    std::string ct = req.content_type.empty() ? "application/json" : req.content_type;
    list = curl_slist_append(list, ("Content-Type: " + ct).c_str());
  }
  bool tls = cfg_.server.rfind("https://", 0) == 0;
  if (tls || opts_.allow_bearer_over_http) {
    std::string token = tokens_.current();
    if (!token.empty()) list = curl_slist_append(list, ("Authorization: Bearer " + token).c_str());
  }
  return list;
}

void transport::setup(void* handle, const http_request& req, void* headers) {
  CURL* e = static_cast<CURL*>(handle);
  curl_easy_reset(e); // keeps live connections and TLS sessions
  std::string url = cfg_.server + req.target;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(headers));
  curl_easy_setopt(e, CURLOPT_USERAGENT, opts_.user_agent.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opts_.connect_timeout.count()));
  if (!opts_.use_proxy_env) curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
  if (h_->resolve) curl_easy_setopt(e, CURLOPT_RESOLVE, h_->resolve);
  if (req.method == "GET") {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else {
    if (req.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, req.body.data());
    }
  }
  // TLS: verified unless the kubeconfig says otherwise.
  if (cfg_.insecure_skip_tls_verify) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  set_pem(e, cfg_.ca_pem, cfg_.ca_file, CURLOPT_CAINFO_BLOB, CURLOPT_CAINFO, std::nullopt);
  set_pem(e, cfg_.client_cert_pem, cfg_.client_cert_file, CURLOPT_SSLCERT_BLOB, CURLOPT_SSLCERT,
          CURLOPT_SSLCERTTYPE);
  set_pem(e, cfg_.client_key_pem, cfg_.client_key_file, CURLOPT_SSLKEY_BLOB, CURLOPT_SSLKEY,
          CURLOPT_SSLKEYTYPE);
  h_->errbuf[0] = 0;
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h_->errbuf);
}

namespace {

error curl_failure(CURLcode rc, const char* errbuf, const std::string& what) {
  error e;
  e.kind = rc == CURLE_OPERATION_TIMEDOUT ? error_kind::timeout : error_kind::transport;
  e.message = what;
  e.transport = curl_easy_strerror(rc);
  if (errbuf && *errbuf) e.transport += std::string(": ") + errbuf;
  return e;
}

} // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view v) {
  auto secs = net::parse_integer<int>(v);
  if (!secs || *secs < 0) return std::nullopt;
  return std::chrono::milliseconds(*secs * 1000LL);
}

result<http_response> transport::perform(const http_request& req,
                                         std::chrono::milliseconds timeout) {
  std::lock_guard lock(request_mutex_);
  if (!h_->easy) return make_error(error_kind::transport, "curl_easy_init failed");
  auto* headers = static_cast<curl_slist*>(build_headers(req));
  setup(h_->easy, req, headers);
  http_response resp;
  curl_easy_setopt(h_->easy, CURLOPT_TIMEOUT_MS, std::max<long>(1, long(timeout.count())));
  curl_easy_setopt(h_->easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h_->easy, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(h_->easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h_->easy, CURLOPT_HEADERDATA, &resp.retry_after);
  CURLcode rc = curl_easy_perform(h_->easy);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK)
    return curl_failure(rc, h_->errbuf, req.method + " " + req.target + " failed");
  long status = 0;
  curl_easy_getinfo(h_->easy, CURLINFO_RESPONSE_CODE, &status);
  resp.status = static_cast<int>(status);
  return resp;
}

namespace {

size_t on_stream_data(char* data, size_t size, size_t n, void* user) {
  auto* ctx = static_cast<stream_ctx*>(user);
  ctx->last_data = std::chrono::steady_clock::now();
  long status = 0;
  curl_easy_getinfo(ctx->easy, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) {
    if (ctx->error_body.size() < max_error_body) ctx->error_body.append(data, size * n);
    return size * n;
  }
  if (!(*ctx->on_data)(std::string_view(data, size * n))) {
    ctx->stopped_by_callback = true;
    return 0; // aborts the transfer with CURLE_WRITE_ERROR
  }
  return size * n;
}

size_t on_stream_header(char* data, size_t size, size_t n, void* user) {
  auto* ctx = static_cast<stream_ctx*>(user);
  ctx->last_data = std::chrono::steady_clock::now();
  return on_header(data, size, n, &ctx->retry_after);
}

} // namespace

result<stream_end> transport::stream(const http_request& req,
                                     const std::function<bool(std::string_view)>& on_data,
                                     std::chrono::milliseconds idle_timeout, std::stop_token stop) {
  std::lock_guard lock(stream_mutex_);
  if (!h_->multi) h_->multi = curl_multi_init();
  if (!h_->stream) h_->stream = curl_easy_init();
  if (!h_->multi || !h_->stream) return make_error(error_kind::transport, "curl init failed");
  CURL* e = h_->stream;
  CURLM* m = h_->multi;
  auto* headers = static_cast<curl_slist*>(build_headers(req));
  {
    std::lock_guard setup_lock(request_mutex_); // setup() uses the shared error buffer
    setup(e, req, headers);
  }
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
  stream_ctx ctx;
  ctx.easy = e;
  ctx.on_data = &on_data;
  ctx.last_data = std::chrono::steady_clock::now();
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_stream_data);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &ctx);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_stream_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &ctx);
  curl_multi_add_handle(m, e);

  std::optional<error> failure;
  {
    std::stop_callback wake(stop, [m] { curl_multi_wakeup(m); });
    int running = 1;
    while (true) {
      CURLMcode mc = curl_multi_perform(m, &running);
      if (mc != CURLM_OK) {
        failure = make_error(error_kind::transport,
                             std::string("curl_multi_perform: ") + curl_multi_strerror(mc));
        break;
      }
      if (!running) break;
      if (stop.stop_requested()) {
        failure = make_error(error_kind::cancelled, "watch stream stopped");
        break;
      }
      auto idle = std::chrono::steady_clock::now() - ctx.last_data;
      if (idle >= idle_timeout) {
        failure = make_error(error_kind::timeout, "stream stalled: no data for " +
                                                      std::to_string(idle_timeout.count()) +
                                                      " ms on " + req.target);
        break;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(idle_timeout - idle);
      int wait_ms = static_cast<int>(std::clamp<long long>(left.count() + 1, 1, 200));
      curl_multi_poll(m, nullptr, 0, wait_ms, nullptr);
    }
  }
  CURLcode rc = CURLE_OK;
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(m, &queued))
    if (msg->msg == CURLMSG_DONE) rc = msg->data.result;
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_multi_remove_handle(m, e);
  curl_slist_free_all(headers);
  if (failure) return *failure;
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && ctx.stopped_by_callback))
    return curl_failure(rc, errbuf, "stream " + req.target + " broke");
  stream_end end;
  end.status = static_cast<int>(status);
  end.body = std::move(ctx.error_body);
  end.retry_after = std::move(ctx.retry_after);
  return end;
}

} // namespace kvip::k8s
