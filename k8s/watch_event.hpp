// Watch events and the incremental parsing of a watch body: a byte stream of
// one JSON object per line, where chunks may hold several or partial lines
// (k8s-api-subset.md §2, pitfall 2).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "k8s/result.hpp"

namespace kvip::k8s {

enum class event_type { added, modified, deleted, bookmark, error };

/// "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR".
const char* to_string(event_type t);

/// One watch event; `object` is the full object (a Status for ERROR).
struct watch_event {
  event_type type = event_type::added;
  boost::json::object object;
};

/// Parses one line `{"type":…,"object":{…}}`; `parse` error with a clear message otherwise.
result<watch_event> parse_watch_event(std::string_view line);

/// Splits a byte stream into lines ('\n'; a trailing '\r' and empty lines are dropped).
class line_splitter {
public:
  /// Lines longer than `max_line` bytes are refused (protects memory).
  explicit line_splitter(std::size_t max_line = std::size_t(256) << 20) : max_line_(max_line) {}

  /// Appends `bytes` and calls `on_line` for each completed line, stopping early when it
  /// returns false. Returns false if a callback returned false or a line grew too long.
  bool feed(std::string_view bytes, const std::function<bool(std::string_view)>& on_line);
  /// Bytes of an unfinished line (non-zero at end of stream = truncated event).
  std::size_t pending() const { return buf_.size(); }
  /// Forgets any unfinished line.
  void reset() {
    buf_.clear();
    scanned_ = 0;
  }

private:
  std::string buf_;
  std::size_t scanned_ = 0; ///< bytes of buf_ already searched for '\n'
  std::size_t max_line_;
};

} // namespace kvip::k8s
