#include "net/telemetry/trace_sink.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <random>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "net/rfc3339.hpp"

namespace kvip::net::telemetry {

std::string cause_to_string(cause_id id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08x-%016llx", static_cast<unsigned>(id >> 32),
                static_cast<unsigned long long>(id & 0xffffffffULL));
  return buf;
}

trace_sink& trace_sink::instance() {
  static trace_sink s;
  return s;
}

trace_sink::trace_sink() {
  std::random_device rd;
  prefix_ = (static_cast<std::uint64_t>(rd()) & 0xffffffffULL) << 32;
  if (prefix_ == 0) prefix_ = 1ULL << 32;
}

trace_sink::~trace_sink() {
  if (fd_ >= 0) ::close(fd_);
}

net::result<void> trace_sink::set_path(const std::string& path) {
  std::lock_guard<std::mutex> guard{mtx_};
  int fd = -1;
  if (!path.empty()) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return net::make_error("cannot open trace file " + path, errno);
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  path_ = path;
  if (fd_ < 0) enabled_.store(false);
  return net::ok();
}

std::string trace_sink::path() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return path_;
}

net::result<void> trace_sink::set_enabled(bool on) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (on && fd_ < 0)
    return net::make_error("tracing needs a trace file (--trace FILE or kvip_trace)");
  enabled_.store(on);
  return net::ok();
}

bool trace_sink::toggle() {
  std::lock_guard<std::mutex> guard{mtx_};
  bool on = !enabled_.load() && fd_ >= 0;
  enabled_.store(on);
  return on;
}

void trace_sink::set_node(std::string node) {
  std::lock_guard<std::mutex> guard{mtx_};
  node_ = std::move(node);
}

void trace_sink::name_actor(std::uint64_t id, std::string name) {
  std::lock_guard<std::mutex> guard{mtx_};
  names_[id] = std::move(name);
}

void trace_sink::forget_actor(std::uint64_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  names_.erase(id);
}

std::string trace_sink::actor_name(std::uint64_t id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = names_.find(id); i != names_.end()) return i->second;
  return "actor#" + std::to_string(id);
}

cause_id trace_sink::next_cause() noexcept {
  return prefix_ | ((counter_.fetch_add(1, std::memory_order_relaxed) + 1) & 0xffffffffULL);
}

void append_json_escaped(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
    case '"':
      out += "\\\"";
      continue;
    case '\\':
      out += "\\\\";
      continue;
    case '\n':
      out += "\\n";
      continue;
    case '\r':
      out += "\\r";
      continue;
    case '\t':
      out += "\\t";
      continue;
    default:
      break;
    }
    if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 0xf];
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      continue;
    }
    // Multi-byte UTF-8: copy a well-formed sequence, replace anything else.
    std::size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    bool ok = len != 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (ok) {
      out.append(s.substr(i, len));
      i += len - 1;
    } else {
      out += "\xef\xbf\xbd";
    }
  }
}

std::string wall_time_now() {
  return net::format_rfc3339(
      std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now()));
}

void trace_sink::write(const trace_record& r) {
  if (!enabled()) return;
  std::string line;
  line.reserve(256 + r.summary.size());
  line += "{\"t\":\"";
  line += wall_time_now();
  line += "\",\"node\":\"";
  {
    std::lock_guard<std::mutex> guard{mtx_};
    append_json_escaped(line, node_);
  }
  line += "\",\"from\":\"";
  append_json_escaped(line, r.from);
  line += "\",\"to\":\"";
  append_json_escaped(line, r.to);
  line += "\",\"type\":\"";
  append_json_escaped(line, r.type);
  line += "\",\"cause\":\"";
  line += cause_to_string(r.cause);
  line += "\",\"msg\":\"";
  if (r.summary.size() > max_summary) {
    // Cut on a character boundary so the escaper does not emit U+FFFD.
    std::size_t cut = max_summary;
    while (cut > 0 && (static_cast<unsigned char>(r.summary[cut]) & 0xc0) == 0x80)
      --cut;
    append_json_escaped(line, r.summary.substr(0, cut));
    line += "...";
  } else {
    append_json_escaped(line, r.summary);
  }
  line += "\"}\n";
  std::lock_guard<std::mutex> guard{mtx_};
  if (fd_ < 0 || !enabled_.load()) return;
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    auto n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      enabled_.store(false);
      spdlog::error("message trace: writing {} failed ({}); tracing turned off", path_,
                    std::strerror(errno));
      return;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  written_.fetch_add(1, std::memory_order_relaxed);
}

} // namespace kvip::net::telemetry
