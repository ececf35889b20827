// Exponential backoff with jitter (injectable randomness) for watch reconnects.
#pragma once

#include <chrono>
#include <functional>

namespace kvip::k8s {

/// initial × factor^n, capped at max, then stretched by up to `jitter` (0.5 = +0..50 %).
struct backoff_policy {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30000};
  double factor = 2.0;
  double jitter = 0.5;
};

/// Produces successive waits; reset() after a success.
class backoff {
public:
  /// `random` returns values in [0, 1); empty = a seeded std::mt19937.
  explicit backoff(backoff_policy p = {}, std::function<double()> random = {});
  /// The next wait (grows until reset()).
  std::chrono::milliseconds next();
  /// Back to `initial`.
  void reset() { current_ = policy_.initial; }

private:
  backoff_policy policy_;
  std::function<double()> random_;
  std::chrono::milliseconds current_;
};

} // namespace kvip::k8s
