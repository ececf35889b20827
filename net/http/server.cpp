#include "net/http/server.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <exception>
#include <mutex>
#include <system_error>

#include <fcntl.h>
#include <microhttpd.h>

#include "net/http/glue.hpp"
#include "net/number.hpp"
#include <netdb.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kvip::net::http {

namespace {

/// strerror-style text for `err`, starting lower-case ("address already in use").
std::string errno_text(int err) {
  auto msg = std::error_code(err, std::generic_category()).message();
  if (!msg.empty()) msg[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(msg[0])));
  return msg;
}

/// Closes `fd` on scope exit unless released.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

/// Creates a listening TCP socket on `sa`; returns 0 and sets `fd`, or an errno value.
int open_listener(const sockaddr* sa, socklen_t len, int& fd) {
  fd_guard g{::socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
  if (g.fd < 0) return errno;
  int on = 1;
  ::setsockopt(g.fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (sa->sa_family == AF_INET6) {
    int off = 0; // dual-stack when bound to "::"
    ::setsockopt(g.fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  if (::bind(g.fd, sa, len) != 0 || ::listen(g.fd, 64) != 0) return errno;
  fd = g.release();
  return 0;
}

/// Binds `addr`: all addresses (dual-stack, IPv4 fallback) or the first resolution of host.
/// Returns the listening descriptor.
net::result<int> bind_address(const listen_address& addr, const std::string& spec) {
  int err = 0;
  int fd = -1;
  if (addr.host.empty()) {
    sockaddr_in6 six{};
    six.sin6_family = AF_INET6;
    six.sin6_addr = in6addr_any;
    six.sin6_port = htons(addr.port);
    err = open_listener(reinterpret_cast<const sockaddr*>(&six), sizeof six, fd);
    // Kernels without IPv6 refuse the socket or the wildcard address: fall back to IPv4.
    if (err == EAFNOSUPPORT || err == EADDRNOTAVAIL) {
      sockaddr_in four{};
      four.sin_family = AF_INET;
      four.sin_addr.s_addr = htonl(INADDR_ANY);
      four.sin_port = htons(addr.port);
      err = open_listener(reinterpret_cast<const sockaddr*>(&four), sizeof four, fd);
    }
  } else {
    auto sa = net::http::resolve_listen(addr.host, addr.port);
    if (!sa) {
      return net::make_error("cannot resolve host '" + addr.host + "' in listen address '" + spec +
                             "': " + sa.err().message);
    }
    err = open_listener(sa->get(), sa->length, fd);
  }
  if (err != 0) return net::make_error(errno_text(err) + ": " + spec);
  return fd;
}

uint16_t local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

/// Per-request state between libmicrohttpd callbacks.
struct pending {
  request req;
  bool too_large = false;
  bool answered = false;
};

MHD_Result send(MHD_Connection* c, const response& r) {
  auto* resp = MHD_create_response_from_buffer(r.body.size(), const_cast<char*>(r.body.data()),
                                               MHD_RESPMEM_MUST_COPY);
  if (resp == nullptr) return MHD_NO;
  if (!r.content_type.empty()) {
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
  }
  for (const auto& [k, v] : r.headers) {
    if (MHD_add_response_header(resp, k.c_str(), v.c_str()) != MHD_YES) {
      spdlog::warn("http: dropping invalid response header '{}'", k);
    }
  }
  auto rc = MHD_queue_response(c, static_cast<unsigned>(r.status), resp);
  MHD_destroy_response(resp);
  return rc;
}

void on_completed(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
  delete static_cast<pending*>(*con_cls);
  *con_cls = nullptr;
}

} // namespace

// -- request / response helpers ------------------------------------------------------

std::string request::query_or(const std::string& key, std::string fallback) const {
  auto it = query.find(key);
  return it == query.end() ? fallback : it->second;
}

std::string request::header(std::string_view name) const {
  auto it = headers.find(net::http::lower(name));
  return it == headers.end() ? std::string{} : it->second;
}

response response::text(int status, std::string body) {
  response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// -- listen address ------------------------------------------------------------------

net::result<listen_address> parse_listen_address(std::string_view spec) {
  auto bad = [&](std::string_view why) {
    return net::make_error("invalid listen address '" + std::string(spec) +
                           "': " + std::string(why));
  };
  std::string_view host;
  std::string_view port;
  if (spec.empty()) return bad("empty (expected [host]:port)");
  if (spec.front() == '[') {
    auto close = spec.find(']');
    if (close == std::string_view::npos) return bad("missing ']'");
    host = spec.substr(1, close - 1);
    auto rest = spec.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return bad("missing port after ']'");
    port = rest.substr(1);
  } else {
    auto colon = spec.rfind(':');
    if (colon == std::string_view::npos) return bad("missing port (expected [host]:port)");
    host = spec.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      return bad("too many colons (write IPv6 addresses as [addr]:port)");
    }
    if (host.find_first_of("[]") != std::string_view::npos) return bad("unexpected bracket");
    port = spec.substr(colon + 1);
  }
  auto value = net::parse_integer<unsigned>(port);
  if (!value || *value > 65535) return bad("port must be a number from 0 to 65535");
  return listen_address{std::string(host), static_cast<uint16_t>(*value)};
}

// -- server --------------------------------------------------------------------------

struct server::impl {
  std::mutex routes_mutex;
  std::map<std::string, std::map<std::string, std::shared_ptr<const handler>>> routes;

  std::mutex life_mutex;
  MHD_Daemon* daemon = nullptr;
  std::atomic<uint16_t> bound_port{0};

  /// Finds the handler for `req`, or builds the 404/405 answer.
  response dispatch(const request& req);

  static MHD_Result on_access(void* cls, MHD_Connection* c, const char* url, const char* method,
                              const char* version, const char* upload_data, size_t* upload_size,
                              void** con_cls);
};

response server::impl::dispatch(const request& req) {
  std::shared_ptr<const handler> h;
  std::string allow;
  {
    std::lock_guard guard{routes_mutex};
    auto path = routes.find(req.path);
    if (path == routes.end()) return response::text(404, "404 page not found\n");
    auto& methods = path->second;
    auto it = methods.find(req.method);
    if (it == methods.end() && req.method == "HEAD") it = methods.find("GET");
    if (it != methods.end()) {
      h = it->second;
    } else {
      std::vector<std::string> names;
      for (const auto& [m, _] : methods)
        names.push_back(m);
      if (methods.count("GET") != 0 && methods.count("HEAD") == 0) names.emplace_back("HEAD");
      std::sort(names.begin(), names.end());
      for (const auto& m : names)
        allow += (allow.empty() ? "" : ", ") + m;
    }
  }
  if (!h) {
    auto r = response::text(405, "405 method not allowed\n");
    r.headers.emplace_back("Allow", allow);
    return r;
  }
  try {
    return (*h)(req);
  } catch (const std::exception& e) {
    spdlog::warn("http: handler for {} {} threw: {}", req.method, req.path, e.what());
  } catch (...) {
    spdlog::warn("http: handler for {} {} threw a non-standard exception", req.method, req.path);
  }
  return response::text(500, "500 internal server error\n");
}

MHD_Result server::impl::on_access(void* cls, MHD_Connection* c, const char* url,
                                   const char* method, const char*, const char* upload_data,
                                   size_t* upload_size, void** con_cls) {
  auto* self = static_cast<impl*>(cls);
  auto* p = static_cast<pending*>(*con_cls);
  if (p == nullptr) { // headers are in; the body (if any) follows in later calls
    p = new pending;
    *con_cls = p;
    p->req.method = method;
    p->req.path = url;
    if (net::http::declared_length_exceeds(c, max_body_size)) {
      p->answered = true; // refuse before reading the body
      return send(c, response::text(413, "413 request body too large\n"));
    }
    return MHD_YES;
  }
  if (*upload_size != 0) {
    if (!p->too_large && !p->answered)
      p->too_large =
          !net::http::append_capped(p->req.body, {upload_data, *upload_size}, max_body_size);
    *upload_size = 0;
    return MHD_YES;
  }
  if (p->answered) return MHD_YES;
  p->answered = true;
  if (p->too_large) return send(c, response::text(413, "413 request body too large\n"));
  p->req.headers = net::http::headers_of(c);
  p->req.query = net::http::query_of(c);
  // For HEAD the full GET response is queued; libmicrohttpd sends only its headers.
  return send(c, self->dispatch(p->req));
}

server::server(std::string listen_spec)
    : spec_(std::move(listen_spec)), impl_(std::make_unique<impl>()) {}

server::~server() {
  stop();
}

void server::route(std::string method, std::string path, handler h) {
  std::lock_guard guard{impl_->routes_mutex};
  impl_->routes[std::move(path)][std::move(method)] = std::make_shared<const handler>(std::move(h));
}

net::result<void> server::start() {
  try {
    std::lock_guard guard{impl_->life_mutex};
    if (impl_->daemon != nullptr)
      return net::make_error("http server on " + spec_ + " is already running");
    auto addr = parse_listen_address(spec_);
    if (!addr) return addr.err();
    auto fd = bind_address(*addr, spec_);
    if (!fd) return fd.err();
    fd_guard own{*fd};
    // libmicrohttpd owns (and closes) the descriptor it is given; hand it a duplicate so
    // that a failed start can never close the same descriptor twice.
    int dup = ::fcntl(*fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return net::make_error(errno_text(errno) + ": " + spec_);
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    auto* d = MHD_start_daemon(
        flags, 0, nullptr, nullptr, &impl::on_access, impl_.get(), MHD_OPTION_EXTERNAL_LOGGER,
        &net::http::log_to_spdlog, const_cast<char*>("http"), MHD_OPTION_LISTEN_SOCKET, dup,
        MHD_OPTION_NOTIFY_COMPLETED, &on_completed, nullptr, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_END);
    if (d == nullptr) return net::make_error("cannot start http server on " + spec_);
    impl_->daemon = d;
    impl_->bound_port = local_port(*fd);
    return net::ok();
  } catch (const std::exception& e) {
    return net::make_error("cannot start http server on " + spec_ + ": " + e.what());
  }
}

void server::stop() {
  MHD_Daemon* d = nullptr;
  {
    std::lock_guard guard{impl_->life_mutex};
    d = std::exchange(impl_->daemon, nullptr);
  }
  if (d != nullptr) MHD_stop_daemon(d);
}

bool server::running() const {
  std::lock_guard guard{impl_->life_mutex};
  return impl_->daemon != nullptr;
}

uint16_t server::port() const {
  if (running()) return impl_->bound_port.load();
  auto addr = parse_listen_address(spec_);
  return addr ? addr->port : 0;
}

} // namespace kvip::net::http
