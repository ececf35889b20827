#pragma once
// Message-trace sink (DESIGN.md §6): where trace records go, whether tracing is
// on, and how causal ids are made. Pure C++, no actors: the CAF glue that
// stamps and records actor messages lives in actors/tracing.hpp.
//
// Records are JSON lines, one per message:
//   {"t":"2026-11-26T09:27:22.123456Z","node":"n1","from":"node","to":"telemetry",
//    "type":"dump_request","cause":"5f3a91c2-0000000000000007","msg":"dump_request(...)"}
// Each record is written with one write(2) call, so a killed process loses at
// most the record being formatted.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "net/result.hpp"

namespace kvip::net::telemetry {

/// A causal id: 0 means "none yet". Ids are unique per process run: the high
/// 32 bits are a random per-process prefix, the low 32 bits a counter.
using cause_id = std::uint64_t;

/// Renders a cause id as "pppppppp-cccccccccccccccc" (hex prefix, counter).
std::string cause_to_string(cause_id id);

/// One message as the tracer sees it.
struct trace_record {
  std::string_view from;    ///< sender name
  std::string_view to;      ///< receiver name
  std::string_view type;    ///< message type name
  std::string_view summary; ///< short payload summary (truncated by the sink)
  cause_id cause = 0;
};

/// The process-wide trace sink. Thread-safe; `enabled()` is a relaxed atomic
/// load so the tracing-off path costs one load and one branch.
class trace_sink {
public:
  /// Longest payload summary written; longer ones end in "...".
  static constexpr std::size_t max_summary = 240;

  /// The process-wide sink.
  static trace_sink& instance();

  trace_sink();
  ~trace_sink();
  trace_sink(const trace_sink&) = delete;
  trace_sink& operator=(const trace_sink&) = delete;

  /// True when records are being written.
  bool enabled() const noexcept { return enabled_.load(std::memory_order_relaxed); }

  /// Sets the file records go to (appended). Does not enable tracing.
  /// An error names the path.
  net::result<void> set_path(const std::string& path);

  /// The configured path ("" when none).
  std::string path() const;

  /// Turns tracing on or off. Turning it on without a path returns an error
  /// and leaves tracing off.
  net::result<void> set_enabled(bool on);

  /// Flips tracing; returns the new state (false when no path is set).
  bool toggle();

  /// Sets the node name stamped on every record.
  void set_node(std::string node);

  /// Names an actor id for records ("actor#<id>" when unnamed).
  void name_actor(std::uint64_t id, std::string name);
  void forget_actor(std::uint64_t id);
  std::string actor_name(std::uint64_t id) const;

  /// A fresh cause id (never 0).
  cause_id next_cause() noexcept;

  /// Writes one record if enabled. Never throws; a write error disables
  /// tracing and is reported once through the error callback (spdlog).
  void write(const trace_record& r);

  /// Records written since start (for tests and the state dump).
  std::uint64_t written() const noexcept { return written_.load(std::memory_order_relaxed); }

private:
  std::atomic<bool> enabled_{false};
  std::atomic<std::uint64_t> counter_{0};
  std::atomic<std::uint64_t> written_{0};
  std::uint64_t prefix_;
  mutable std::mutex mtx_; // guards everything below
  int fd_ = -1;
  std::string path_;
  std::string node_;
  std::unordered_map<std::uint64_t, std::string> names_;
};

/// Appends `s` to `out` as the body of a JSON string (no quotes), escaping
/// quotes, backslashes and control characters; invalid UTF-8 bytes become
/// U+FFFD so every record stays valid JSON.
void append_json_escaped(std::string& out, std::string_view s);

/// Current wall time as RFC 3339 with microseconds, UTC.
std::string wall_time_now();

} // namespace kvip::net::telemetry
