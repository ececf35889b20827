// A manual clock for k8s/ unit tests: sleep() advances time instantly and records
// the requested durations, so timing is asserted without real sleeping.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "k8s/clock.hpp"

namespace kvip::k8s::test_support {

struct fake_clock {
  struct state {
    std::mutex mutex;
    steady::time_point now{std::chrono::hours(1000)};
    std::vector<steady::duration> sleeps;
  };
  std::shared_ptr<state> s = std::make_shared<state>();

  /// Hooks bound to this clock.
  clock_hooks hooks() const {
    auto st = s;
    clock_hooks c;
    c.now = [st] {
      std::lock_guard lock(st->mutex);
      return st->now;
    };
    c.sleep = [st](steady::duration d, std::stop_token) {
      std::lock_guard lock(st->mutex);
      st->sleeps.push_back(d);
      if (d > steady::duration::zero()) st->now += d;
    };
    return c;
  }
  void advance(steady::duration d) {
    std::lock_guard lock(s->mutex);
    s->now += d;
  }
  std::vector<steady::duration> sleeps() const {
    std::lock_guard lock(s->mutex);
    return s->sleeps;
  }
};

} // namespace kvip::k8s::test_support
