// The scriptable raw-socket HTTP test server (see test_server.hpp).
#include "test_server.hpp"

#include <algorithm>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kvip::k8s::test_support {

namespace {

std::string decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

const char* reason_of(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 404:
    return "Not Found";
  case 409:
    return "Conflict";
  case 410:
    return "Gone";
  case 429:
    return "Too Many Requests";
  case 500:
    return "Internal Server Error";
  default:
    return "Status";
  }
}

} // namespace

bool connection::send(std::string_view bytes) {
  while (!bytes.empty() && !dropped_) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      dropped_ = true;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return !dropped_;
}

bool connection::respond(int status, std::string_view body,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string head =
      "HTTP/1.1 " + std::to_string(status) + " " + reason_of(status) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n";
  for (const auto& [k, v] : headers)
    head += k + ": " + v + "\r\n";
  head += "\r\n";
  return send(head) && send(body);
}

bool connection::start_chunked(int status) {
  return send("HTTP/1.1 " + std::to_string(status) + " " + reason_of(status) +
              "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
}

bool connection::chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return send(size) && send(data) && send("\r\n");
}

bool connection::end_chunked() {
  return send("0\r\n\r\n");
}

void connection::drop() {
  if (!dropped_) ::shutdown(fd_, SHUT_RDWR);
  dropped_ = true;
}

bool connection::wait(std::chrono::milliseconds d) {
  server_.wait_for(d);
  return !server_.stopping();
}

test_server::test_server(handler h) : handler_(std::move(h)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::listen(listen_fd_, 64);
  socklen_t len = sizeof sa;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  port_ = ntohs(sa.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

test_server::~test_server() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (int fd : fds_)
      ::shutdown(fd, SHUT_RDWR);
  }
  cv_.notify_all();
  acceptor_.join();
  for (auto& t : threads_)
    t.join();
  for (int fd : fds_)
    ::close(fd);
  ::close(listen_fd_);
}

std::string test_server::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::vector<recorded_request> test_server::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<recorded_request> test_server::requests_where(bool watch) const {
  std::vector<recorded_request> out;
  for (auto& r : requests())
    if ((r.q("watch") == "true") == watch) out.push_back(r);
  return out;
}

bool test_server::wait_until(const std::function<bool(const std::vector<recorded_request>&)>& pred,
                             std::chrono::milliseconds max) const {
  auto end = std::chrono::steady_clock::now() + max;
  std::unique_lock lock(mutex_);
  while (!pred(requests_)) {
    if (cv_.wait_until(lock, end) == std::cv_status::timeout) return pred(requests_);
  }
  return true;
}

void test_server::wait_for(std::chrono::milliseconds d) const {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

void test_server::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      break;
    }
    fds_.push_back(fd);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void test_server::serve(int fd) {
  std::string buf;
  char tmp[65536];
  connection conn(fd, *this);
  while (!stopping_ && !conn.dropped()) {
    std::size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return;
      buf.append(tmp, static_cast<std::size_t>(n));
    }
    recorded_request req;
    std::string head = buf.substr(0, head_end);
    buf.erase(0, head_end + 4);
    auto line_end = head.find("\r\n");
    std::string first = head.substr(0, line_end);
    auto sp1 = first.find(' ');
    auto sp2 = first.find(' ', sp1 + 1);
    req.method = first.substr(0, sp1);
    req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    auto qpos = req.target.find('?');
    req.path = req.target.substr(0, qpos);
    if (qpos != std::string::npos) {
      std::string qs = req.target.substr(qpos + 1);
      std::size_t start = 0;
      while (start <= qs.size()) {
        auto amp = qs.find('&', start);
        std::string kv =
            qs.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        auto eq = kv.find('=');
        req.query[decode(kv.substr(0, eq))] =
            eq == std::string::npos ? "" : decode(kv.substr(eq + 1));
        if (amp == std::string::npos) break;
        start = amp + 1;
      }
    }
    std::size_t pos = line_end;
    while (pos != std::string::npos && pos < head.size()) {
      auto next = head.find("\r\n", pos + 2);
      std::string h =
          head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      auto colon = h.find(':');
      if (colon != std::string::npos) {
        std::string k = h.substr(0, colon);
        std::transform(k.begin(), k.end(), k.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        std::string v = h.substr(colon + 1);
        v.erase(0, v.find_first_not_of(' '));
        req.headers[k] = v;
      }
      pos = next;
    }
    std::size_t length = 0;
    if (auto it = req.headers.find("content-length"); it != req.headers.end())
      length = std::stoul(it->second);
    while (buf.size() < length) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return;
      buf.append(tmp, static_cast<std::size_t>(n));
    }
    req.body = buf.substr(0, length);
    buf.erase(0, length);
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(req);
    }
    cv_.notify_all();
    handler_(req, conn);
  }
}

} // namespace kvip::k8s::test_support
