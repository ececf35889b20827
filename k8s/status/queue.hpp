// The status writer's bookkeeping (pure; time and randomness injected): one
// slot per Service holding the latest requested status, so a newer request
// replaces a pending one (coalescing) and a request that arrives while its
// Service's write is in flight is written right after it; at most `window`
// writes in flight; a failed write waits out its own backoff, which delays no
// other Service.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "k8s/backoff.hpp"
#include "k8s/status/plan.hpp"

namespace kvip::k8s::status {

/// How one write of a Service's status ended.
enum class outcome {
  written,   ///< at least one PUT landed and the Service now says what was asked
  unchanged, ///< the Service already said so: nothing written
  gone,      ///< the Service does not exist (404): the request is dropped
  recreated, ///< the Service has another uid: the request is dropped
  failed,    ///< an API error, or conflicts in every round: retried after a backoff
};

const char* to_string(outcome o);

class queue {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// `window` >= 1 writes in flight; each Service's retries follow `retry`.
  explicit queue(std::size_t window, backoff_policy retry = {},
                 std::function<double()> random = {});

  /// The latest request for its Service. Replaces a waiting one (keeping its
  /// place and, after a failure, its backoff); one in flight is followed by
  /// this one when it ends, unless they are equal.
  void submit(wanted w, time_point now);

  /// The requests to write now, marked in flight: those due, earliest first,
  /// while the window has room.
  std::vector<wanted> take(time_point now);

  /// The write of `key` (taken before) ended with `o`. written/unchanged and
  /// gone/recreated drop the slot unless a different request arrived
  /// meanwhile (then it is due now); failed makes it due after its backoff.
  /// Returns the wait before the retry (failed), else zero.
  std::chrono::milliseconds finish(const std::string& key, outcome o, time_point now);

  /// When the earliest waiting request is due; nullopt when none waits.
  std::optional<time_point> next_due() const;

  std::size_t size() const { return slots_.size(); } ///< Services with work left
  std::size_t in_flight() const { return in_flight_; }
  std::size_t window() const { return window_; }
  /// Failures in a row of `key`'s writes (0 when none or no slot).
  unsigned failures(const std::string& key) const;
  /// Services whose last write failed, with their failures in a row, by key
  /// (at most `limit`).
  std::vector<std::pair<std::string, unsigned>> failing(std::size_t limit) const;
  /// The request waiting or in flight for `key`, if any.
  std::optional<wanted> pending(const std::string& key) const;

private:
  struct slot {
    wanted want;         ///< the latest request
    wanted sent;         ///< what the write in flight writes
    bool busy = false;   ///< a write is in flight
    time_point due{};    ///< when waiting: not before
    std::uint64_t seq{}; ///< arrival order among equal `due`
    backoff retry;
    unsigned failures = 0;
  };
  using ready_key = std::tuple<time_point, std::uint64_t, std::string>;

  void wait(const std::string& key, slot& s, time_point due);

  std::size_t window_;
  backoff_policy policy_;
  std::function<double()> random_;
  std::map<std::string, slot> slots_;
  std::set<ready_key> ready_; ///< waiting slots by (due, seq)
  std::size_t in_flight_ = 0;
  std::uint64_t seq_ = 0;
};

} // namespace kvip::k8s::status
