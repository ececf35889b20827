// A scriptable HTTP/1.1 test server on 127.0.0.1:0 with raw sockets, so tests can
// misbehave at the byte level: drop connections mid-stream, send truncated or
// invalid JSON, stall, answer slowly. Each connection runs its own thread; the
// handler writes whatever bytes it likes through `connection`.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace kvip::k8s::test_support {

/// A request as the server received it.
struct recorded_request {
  std::string method;
  std::string target; ///< path + query as sent
  std::string path;
  std::map<std::string, std::string> query;   ///< decoded
  std::map<std::string, std::string> headers; ///< names lower-cased
  std::string body;
  /// Query parameter or "".
  std::string q(const std::string& k) const {
    auto it = query.find(k);
    return it == query.end() ? "" : it->second;
  }
};

class test_server;

/// The server side of one connection, handed to the handler.
class connection {
public:
  connection(int fd, test_server& server) : fd_(fd), server_(server) {}
  /// Writes raw bytes; false once the peer is gone.
  bool send(std::string_view bytes);
  /// A complete response with Content-Length (connection kept alive).
  bool respond(int status, std::string_view body,
               const std::vector<std::pair<std::string, std::string>>& headers = {});
  /// Status line + headers of a chunked response.
  bool start_chunked(int status = 200);
  /// One chunk (non-empty).
  bool chunk(std::string_view data);
  /// The terminating zero-size chunk.
  bool end_chunked();
  /// Closes the socket abruptly (no terminating chunk).
  void drop();
  /// Sleeps up to `d`, returning early when the server stops. False if it stopped.
  bool wait(std::chrono::milliseconds d);
  bool dropped() const { return dropped_; }

private:
  int fd_;
  test_server& server_;
  bool dropped_ = false;
};

using handler = std::function<void(const recorded_request&, connection&)>;

/// The server. Stops and joins all threads in the destructor.
class test_server {
public:
  explicit test_server(handler h);
  ~test_server();
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  uint16_t port() const { return port_; }
  /// "http://127.0.0.1:<port>"
  std::string url() const;
  /// Every request so far, in arrival order.
  std::vector<recorded_request> requests() const;
  /// Requests whose path equals `path` and that have query `watch=true` (or not).
  std::vector<recorded_request> requests_where(bool watch) const;
  /// Waits (bounded) until `pred(requests())` holds.
  bool wait_until(const std::function<bool(const std::vector<recorded_request>&)>& pred,
                  std::chrono::milliseconds max = std::chrono::milliseconds(3000)) const;
  bool stopping() const { return stopping_; }
  /// Wakes handlers sleeping in connection::wait (used on stop).
  void wait_for(std::chrono::milliseconds d) const;

private:
  void accept_loop();
  void serve(int fd);

  handler handler_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<recorded_request> requests_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

} // namespace kvip::k8s::test_support
