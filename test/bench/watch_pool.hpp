// Benchmark helper: many concurrent watch streams over real HTTP, driven by a
// few threads with one libcurl multi handle each (a thread per connection would
// not fit 1,000 watches on a small machine). Every event line is parsed; the
// updates the benchmark sends carry their id and send time (data.seq, data.ts),
// so each delivery is counted per update and its fan-out latency recorded.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <curl/curl.h>

namespace kvip::bench {

/// Monotonic nanoseconds (CLOCK_MONOTONIC: shared by every thread of the host).
inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Delivery bookkeeping shared by all watches: one counter per update id.
struct delivery_log {
  explicit delivery_log(std::size_t updates) : per_update(updates) {}
  std::vector<std::atomic<std::uint32_t>> per_update; ///< deliveries of each update
  std::atomic<std::uint64_t> delivered{0};            ///< MODIFIED events with a known id
  std::atomic<std::uint64_t> unexpected{0};           ///< other events / unknown ids / bad JSON
  std::atomic<std::uint64_t> ended{0};                ///< streams the server ended early
};

/// A pool of watch streams spread over `threads` libcurl multi loops.
class watch_pool {
public:
  /// `log` must outlive the pool. `split` is the update id where phase 2 starts (latencies
  /// are kept per phase).
  watch_pool(delivery_log& log, std::size_t split, unsigned threads)
      : log_(log), split_(split), loops_(threads) {}
  ~watch_pool() { stop(); }
  watch_pool(const watch_pool&) = delete;
  watch_pool& operator=(const watch_pool&) = delete;

  /// Queues a watch on `url` (opened by start()).
  void add(std::string url) {
    auto& l = loops_[next_++ % loops_.size()];
    auto w = std::make_unique<stream>();
    w->url = std::move(url);
    w->owner = &l;
    w->pool = this;
    l.streams.push_back(std::move(w));
  }

  /// Starts the loop threads; every stream connects at once.
  void start() {
    for (auto& l : loops_) {
      l.multi = curl_multi_init();
      for (auto& w : l.streams) {
        w->easy = curl_easy_init();
        curl_easy_setopt(w->easy, CURLOPT_URL, w->url.c_str());
        curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, &on_data);
        curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, w.get());
        curl_easy_setopt(w->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(w->easy, CURLOPT_CONNECTTIMEOUT_MS, 30000L);
        curl_multi_add_handle(l.multi, w->easy);
      }
    }
    for (auto& l : loops_)
      l.thread = std::thread([this, &l] { run(l); });
  }

  /// Ends every stream and joins the threads. Idempotent.
  void stop() {
    stop_ = true;
    for (auto& l : loops_) {
      if (l.multi != nullptr) curl_multi_wakeup(l.multi);
      if (l.thread.joinable()) l.thread.join();
      if (l.multi == nullptr) continue;
      for (auto& w : l.streams) {
        curl_multi_remove_handle(l.multi, w->easy);
        curl_easy_cleanup(w->easy);
      }
      curl_multi_cleanup(l.multi);
      l.multi = nullptr;
    }
  }

  /// Fan-out latencies in microseconds of phase 0 (ids < split) or 1; valid after stop().
  std::vector<std::uint32_t> latencies(int phase) const {
    std::vector<std::uint32_t> out;
    for (const auto& l : loops_)
      out.insert(out.end(), l.lat[phase].begin(), l.lat[phase].end());
    return out;
  }

private:
  struct loop;
  struct stream {
    std::string url;
    std::string buf;
    CURL* easy = nullptr;
    loop* owner = nullptr;
    watch_pool* pool = nullptr;
  };
  struct loop {
    std::vector<std::unique_ptr<stream>> streams;
    CURLM* multi = nullptr;
    std::vector<std::uint32_t> lat[2];
    std::thread thread;
  };

  static size_t on_data(char* p, size_t s, size_t n, void* ud) {
    auto* w = static_cast<stream*>(ud);
    w->buf.append(p, s * n);
    std::size_t start = 0;
    for (auto nl = w->buf.find('\n'); nl != std::string::npos; nl = w->buf.find('\n', start)) {
      w->pool->on_line(*w->owner, std::string_view(w->buf).substr(start, nl - start));
      start = nl + 1;
    }
    w->buf.erase(0, start);
    return s * n;
  }

  void on_line(loop& l, std::string_view line) {
    auto received = now_ns();
    if (line.empty()) return;
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    const boost::json::object* ev = ec ? nullptr : v.if_object();
    const auto* type = ev != nullptr ? ev->if_contains("type") : nullptr;
    const auto* obj = ev != nullptr ? ev->if_contains("object") : nullptr;
    const boost::json::value* data =
        obj != nullptr && obj->is_object() ? obj->as_object().if_contains("data") : nullptr;
    if (type == nullptr || *type != "MODIFIED" || data == nullptr || !data->is_object()) {
      ++log_.unexpected;
      return;
    }
    const auto* seq = data->as_object().if_contains("seq");
    const auto* ts = data->as_object().if_contains("ts");
    if (seq == nullptr || ts == nullptr || !seq->is_string() || !ts->is_string()) {
      ++log_.unexpected;
      return;
    }
    auto id = std::strtoull(seq->as_string().c_str(), nullptr, 10);
    auto sent = std::strtoll(ts->as_string().c_str(), nullptr, 10);
    if (id >= log_.per_update.size()) {
      ++log_.unexpected;
      return;
    }
    ++log_.per_update[id];
    ++log_.delivered;
    auto us = (received - sent) / 1000;
    l.lat[id < split_ ? 0 : 1].push_back(static_cast<std::uint32_t>(us < 0 ? 0 : us));
  }

  void run(loop& l) {
    int running = 0;
    while (!stop_) {
      curl_multi_perform(l.multi, &running);
      int left = 0;
      while (CURLMsg* m = curl_multi_info_read(l.multi, &left)) {
        if (m->msg == CURLMSG_DONE) ++log_.ended;
      }
      curl_multi_poll(l.multi, nullptr, 0, 200, nullptr);
    }
  }

  delivery_log& log_;
  std::size_t split_;
  std::vector<loop> loops_;
  std::size_t next_ = 0;
  std::atomic<bool> stop_{false};
};

} // namespace kvip::bench
