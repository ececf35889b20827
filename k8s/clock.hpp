// Injectable time for k8s/: "now" and an interruptible sleep, so rate limits,
// retries and watch backoff can be unit-tested without real sleeping.
#pragma once

#include <chrono>
#include <functional>
#include <stop_token>

namespace kvip::k8s {

using steady = std::chrono::steady_clock;

/// A time source plus a sleep that returns early when its stop token fires.
struct clock_hooks {
  std::function<steady::time_point()> now;
  std::function<void(steady::duration, std::stop_token)> sleep;

  /// The real steady clock and a condition-variable sleep.
  static clock_hooks system();
};

} // namespace kvip::k8s
