#include "simulation/api_listener.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "net/http/glue.hpp"
#include "net/wait.hpp"
#include <netdb.h>
#include <spdlog/spdlog.h>

#include "simulation/routing.hpp"
#include "simulation/status.hpp"

namespace kvip::sim {

namespace json = boost::json;

bool tls_supported() {
  return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

namespace {

using clock = std::chrono::steady_clock;

/// Per-request state between libmicrohttpd callbacks.
struct pending {
  net::http::request req;
  bool too_large = false;
  bool answered = false;
  bool delayed = false;
};

MHD_Result send(MHD_Connection* c, const net::http::response& r) {
  auto* resp = MHD_create_response_from_buffer(r.body.size(), const_cast<char*>(r.body.data()),
                                               MHD_RESPMEM_MUST_COPY);
  if (resp == nullptr) return MHD_NO;
  if (!r.content_type.empty())
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
  MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
  for (const auto& [k, v] : r.headers)
    MHD_add_response_header(resp, k.c_str(), v.c_str());
  auto rc = MHD_queue_response(c, static_cast<unsigned>(r.status), resp);
  MHD_destroy_response(resp);
  return rc;
}

net::http::response status_response(const api_error& e) {
  net::http::response r;
  r.status = e.code;
  r.content_type = "application/json";
  r.body = json::serialize(e.to_status());
  return r;
}

bool mutating(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

/// The client's IP address as text ("" when unknown).
std::string client_address(MHD_Connection* c) {
  const auto* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return {};
  char host[NI_MAXHOST] = {};
  auto len = info->client_addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (getnameinfo(info->client_addr, static_cast<socklen_t>(len), host, sizeof host, nullptr, 0,
                  NI_NUMERICHOST) != 0)
    return {};
  return host;
}

bool anonymous_path(const std::string& path) {
  return path == "/healthz" || path == "/livez" || path == "/readyz" || path == "/version";
}

} // namespace

struct api_listener::impl {
  listener_options opts;
  api_handler handler;
  fault_state& faults;
  net::http::listen_address addr;

  mutable std::mutex life_m;
  MHD_Daemon* daemon = nullptr;
  std::uint16_t bound_port = 0;

  /// One open watch stream.
  struct stream {
    std::shared_ptr<watcher> w;
    MHD_Connection* conn = nullptr;
    impl* owner = nullptr;
  };
  mutable std::mutex streams_m;
  std::set<stream*> streams;
  std::atomic<int> suspended{0};
  /// close() has begun: no request or stream parks any more (a connection
  /// suspended after the drain made MHD_stop_daemon abort the process).
  std::atomic<bool> closing{false};

  std::mutex delay_m;
  std::vector<std::pair<clock::time_point, MHD_Connection*>> delayed;

  /// Requests by resource and by client (every request, or the mutating ones).
  struct counters {
    std::uint64_t total = 0;
    std::map<std::string, std::uint64_t> by_resource, by_client;
    void add(const std::string& resource, const std::string& client) {
      ++total;
      ++by_resource[resource];
      ++by_client[client.empty() ? "unknown" : client];
    }
    json::object to_json() const {
      json::object r, c;
      for (const auto& [k, v] : by_resource)
        r[k] = v;
      for (const auto& [k, v] : by_client)
        c[k] = v;
      return json::object{
          {"total", total}, {"byResource", std::move(r)}, {"byClient", std::move(c)}};
    }
  };
  mutable std::mutex writes_m;
  counters writes, requests;
  void count_request(MHD_Connection* c, const net::http::request& req);

  std::mutex ticker_m;
  std::condition_variable ticker_cv;
  bool ticker_stop = false;
  std::thread ticker;

  impl(listener_options o, api_handler h, fault_state& f)
      : opts(std::move(o)), handler(std::move(h)), faults(f) {}

  bool authenticated(MHD_Connection* c, const net::http::request& req) const;
  MHD_Result answer(MHD_Connection* c, pending& p);
  MHD_Result start_stream(MHD_Connection* c, api_reply& reply);
  net::result<void> open(std::uint16_t port);
  void close();
  void resume_due(bool all);

  static MHD_Result on_access(void* cls, MHD_Connection* c, const char* url, const char* method,
                              const char* version, const char* upload_data, size_t* upload_size,
                              void** con_cls);
  static void on_completed(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
    delete static_cast<pending*>(*con_cls);
    *con_cls = nullptr;
  }
  static ssize_t read_stream(void* cls, uint64_t, char* buf, size_t max);
  static void free_stream(void* cls);
};

bool api_listener::impl::authenticated(MHD_Connection* c, const net::http::request& req) const {
  if (!opts.tls || anonymous_path(req.path)) return true;
  auto auth = req.header("authorization");
  if (auth.rfind("Bearer ", 0) == 0) {
    auto token = auth.substr(7);
    return std::find(opts.tokens.begin(), opts.tokens.end(), token) != opts.tokens.end();
  }
  auto* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
  if (info == nullptr || info->tls_session == nullptr) return false;
  auto session = static_cast<gnutls_session_t>(info->tls_session);
  unsigned status = 0;
  if (gnutls_certificate_verify_peers2(session, &status) != GNUTLS_E_SUCCESS) return false;
  return status == 0;
}

ssize_t api_listener::impl::read_stream(void* cls, uint64_t, char* buf, size_t max) {
  auto* s = static_cast<stream*>(cls);
  if (s->owner->closing.load()) return MHD_CONTENT_READER_END_OF_STREAM;
  auto n = s->w->read(buf, max, [s] {
    s->owner->suspended++;
    MHD_suspend_connection(s->conn);
  });
  if (n < 0) return MHD_CONTENT_READER_END_OF_STREAM;
  return static_cast<ssize_t>(n);
}

void api_listener::impl::free_stream(void* cls) {
  auto* s = static_cast<stream*>(cls);
  s->w->detach();
  {
    std::lock_guard g{s->owner->streams_m};
    s->owner->streams.erase(s);
  }
  delete s;
}

MHD_Result api_listener::impl::start_stream(MHD_Connection* c, api_reply& reply) {
  auto* s = new stream{reply.watch, c, this};
  auto* resp =
      MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, &read_stream, s, &free_stream);
  if (resp == nullptr) {
    reply.watch->detach();
    delete s;
    return MHD_NO;
  }
  {
    std::lock_guard g{streams_m};
    streams.insert(s);
  }
  reply.watch->set_waker([this, c] {
    suspended--;
    MHD_resume_connection(c);
  });
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, reply.resp.content_type.c_str());
  MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
  auto rc = MHD_queue_response(c, 200, resp);
  MHD_destroy_response(resp);
  return rc;
}

void api_listener::impl::count_request(MHD_Connection* c, const net::http::request& req) {
  auto parsed = parse_resource_path(req.path);
  std::string resource = parsed.res ? parsed.res->plural : "other";
  if (!parsed.subresource.empty()) resource += "/" + parsed.subresource;
  auto client = client_address(c);
  std::lock_guard g{writes_m};
  requests.add(resource, client);
  if (mutating(req.method)) writes.add(resource, client);
}

MHD_Result api_listener::impl::answer(MHD_Connection* c, pending& p) {
  if (p.too_large) {
    return send(c, status_response(error_with_code(413, "Request entity too large")));
  }
  auto outage = faults.outage.load();
  if (outage != outage_mode::none) {
    return send(c, status_response(unavailable("the API server is unavailable (fault injected)")));
  }
  p.req.headers = net::http::headers_of(c);
  p.req.query = net::http::query_of(c);
  if (!authenticated(c, p.req)) return send(c, status_response(unauthorized()));
  count_request(c, p.req);
  api_reply reply;
  try {
    reply = handler(p.req);
  } catch (const std::exception& e) {
    spdlog::warn("apiserver: {} {} failed: {}", p.req.method, p.req.path, e.what());
    return send(c, status_response(internal_error(e.what())));
  }
  if (reply.watch) return start_stream(c, reply);
  return send(c, reply.resp);
}

MHD_Result api_listener::impl::on_access(void* cls, MHD_Connection* c, const char* url,
                                         const char* method, const char*, const char* upload_data,
                                         size_t* upload_size, void** con_cls) {
  auto* self = static_cast<impl*>(cls);
  auto* p = static_cast<pending*>(*con_cls);
  if (p == nullptr) {
    p = new pending;
    *con_cls = p;
    p->req.method = method;
    p->req.path = url;
    if (net::http::declared_length_exceeds(c, self->opts.max_body)) {
      p->answered = true;
      return send(c, status_response(error_with_code(413, "Request entity too large")));
    }
    return MHD_YES;
  }
  if (*upload_size != 0) {
    if (!p->too_large && !p->answered)
      p->too_large =
          !net::http::append_capped(p->req.body, {upload_data, *upload_size}, self->opts.max_body);
    *upload_size = 0;
    return MHD_YES;
  }
  if (p->answered) return MHD_YES;
  int latency = self->faults.latency_ms.load();
  if (latency > 0 && !p->delayed && !self->closing.load()) { // park; the ticker resumes it
    p->delayed = true;
    std::lock_guard g{self->delay_m};
    self->delayed.emplace_back(clock::now() + std::chrono::milliseconds(latency), c);
    self->suspended++;
    MHD_suspend_connection(c);
    return MHD_YES;
  }
  p->answered = true;
  return self->answer(c, *p);
}

void api_listener::impl::resume_due(bool all) {
  std::lock_guard g{delay_m};
  auto now = clock::now();
  auto due = [&](const auto& d) { return all || d.first <= now; };
  for (auto& d : delayed) {
    if (due(d)) {
      suspended--;
      MHD_resume_connection(d.second);
    }
  }
  delayed.erase(std::remove_if(delayed.begin(), delayed.end(), due), delayed.end());
}

net::result<void> api_listener::impl::open(std::uint16_t port) {
  auto sa = net::http::resolve_listen(addr.host, port);
  if (!sa)
    return net::make_error("cannot resolve listen address '" + opts.listen +
                           "': " + sa.err().message);
  bool v6 = sa->storage.ss_family == AF_INET6;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                   MHD_USE_ERROR_LOG;
  if (v6) flags |= MHD_USE_IPv6;
  if (opts.tls) flags |= MHD_USE_TLS;
  // The TLS material, when there is some, goes in as an option array.
  std::vector<MHD_OptionItem> tls_items;
  auto pem = [](const std::string& s) { return const_cast<char*>(s.c_str()); };
  if (opts.tls) {
    tls_items = {{MHD_OPTION_HTTPS_MEM_KEY, 0, pem(opts.tls->key_pem)},
                 {MHD_OPTION_HTTPS_MEM_CERT, 0, pem(opts.tls->cert_pem)},
                 {MHD_OPTION_HTTPS_MEM_TRUST, 0, pem(opts.tls->ca_pem)}};
  }
  tls_items.push_back({MHD_OPTION_END, 0, nullptr});
  MHD_Daemon* d = MHD_start_daemon(
      flags, port, nullptr, nullptr, &on_access, this, MHD_OPTION_EXTERNAL_LOGGER,
      &net::http::log_to_spdlog, const_cast<char*>("apiserver http"), MHD_OPTION_SOCK_ADDR,
      sa->get(), MHD_OPTION_NOTIFY_COMPLETED, &on_completed, nullptr, MHD_OPTION_CONNECTION_TIMEOUT,
      300u, MHD_OPTION_CONNECTION_LIMIT, 8192u, MHD_OPTION_THREAD_POOL_SIZE, opts.threads,
      MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_ARRAY, tls_items.data(), MHD_OPTION_END);
  if (d == nullptr)
    return net::make_error("cannot listen on " + opts.listen +
                           " (address in use or TLS setup failed)");
  const auto* info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  bound_port = info != nullptr ? info->port : port;
  closing = false;
  daemon = d;
  return net::ok();
}

void api_listener::impl::close() {
  // Every suspended connection must be resumed before the daemon stops
  // (libmicrohttpd aborts otherwise). Requests keep arriving meanwhile on open
  // connections — a delayed one parks, a watch starts and parks — so closing
  // and resuming repeat until nothing is suspended, not once; and from now on
  // nothing parks, so none is suspended again before the daemon stops.
  closing = true;
  auto drain = [this] {
    std::vector<std::shared_ptr<watcher>> open_streams;
    {
      std::lock_guard g{streams_m};
      for (auto* s : streams)
        open_streams.push_back(s->w);
    }
    for (auto& w : open_streams)
      w->close();
    resume_due(true);
    return suspended.load() == 0;
  };
  net::eventually(drain, std::chrono::seconds(2), std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(20)); // let resumed streams finish
  MHD_stop_daemon(daemon);
  daemon = nullptr;
}

api_listener::api_listener(listener_options opts, api_handler handler, fault_state& faults)
    : impl_(std::make_unique<impl>(std::move(opts), std::move(handler), faults)) {}

api_listener::~api_listener() {
  stop();
}

net::result<void> api_listener::start() {
  std::lock_guard g{impl_->life_m};
  if (impl_->daemon != nullptr) return net::make_error("already running");
  auto addr = net::http::parse_listen_address(impl_->opts.listen);
  if (!addr) return addr.err();
  impl_->addr = *addr;
  if (impl_->opts.tls && !tls_supported())
    return net::make_error("libmicrohttpd was built without TLS support");
  if (auto opened = impl_->open(impl_->addr.port); !opened) return opened;
  impl_->ticker_stop = false;
  impl_->ticker = std::thread([i = impl_.get()] {
    std::unique_lock lk{i->ticker_m};
    while (!i->ticker_stop) {
      i->ticker_cv.wait_for(lk, std::chrono::milliseconds(5));
      i->resume_due(false);
    }
  });
  return net::ok();
}

void api_listener::stop() {
  {
    std::lock_guard g{impl_->life_m};
    if (impl_->daemon != nullptr) impl_->close();
  }
  if (impl_->ticker.joinable()) {
    {
      std::lock_guard g{impl_->ticker_m};
      impl_->ticker_stop = true;
    }
    impl_->ticker_cv.notify_all();
    impl_->ticker.join();
  }
}

void api_listener::close_port() {
  std::lock_guard g{impl_->life_m};
  if (impl_->daemon != nullptr) impl_->close();
}

net::result<void> api_listener::reopen() {
  std::lock_guard g{impl_->life_m};
  if (impl_->daemon != nullptr) return net::ok();
  return impl_->open(impl_->bound_port);
}

bool api_listener::running() const {
  std::lock_guard g{impl_->life_m};
  return impl_->daemon != nullptr;
}

std::uint16_t api_listener::port() const {
  std::lock_guard g{impl_->life_m};
  return impl_->bound_port;
}

std::string api_listener::url() const {
  std::string host = impl_->addr.host.empty() ? "127.0.0.1" : impl_->addr.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(impl_->opts.tls ? "https://" : "http://") + host + ":" +
         std::to_string(port());
}

std::size_t api_listener::streams() const {
  std::lock_guard g{impl_->streams_m};
  return impl_->streams.size();
}

} // namespace kvip::sim

namespace kvip::sim {

json::object api_listener::writes() const {
  std::lock_guard g{impl_->writes_m};
  return impl_->writes.to_json();
}

json::object api_listener::requests() const {
  std::lock_guard g{impl_->writes_m};
  return impl_->requests.to_json();
}

} // namespace kvip::sim
