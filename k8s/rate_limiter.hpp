// Client-side token bucket (client-go's QPS/burst; kube-vip uses 100/250).
//
// A caller that finds the bucket empty reserves the next token and waits for it,
// but never past its deadline: then acquire() returns false without taking a
// token, and the request fails with a `timeout` result. Nothing throws, nothing
// exits (kube-vip issue 1316: throttling must never make a caller drop a VIP).
// Thread-safe; waiters are served in reservation order.
#pragma once

#include <mutex>
#include <stop_token>

#include "k8s/clock.hpp"

namespace kvip::k8s {

/// A token bucket refilled at `qps` tokens per second, holding at most `burst`.
class rate_limiter {
public:
  /// qps <= 0 disables limiting. The bucket starts full.
  rate_limiter(double qps, int burst, clock_hooks clock = clock_hooks::system());

  /// Takes one token, sleeping until it is available; false (no token taken) if that
  /// would be later than `deadline` or `stop` fires while waiting.
  bool acquire(steady::time_point deadline, std::stop_token stop = {});

  /// Tokens available now (may be negative while reservations are outstanding).
  double available();

private:
  void refill(steady::time_point now);

  double qps_;
  double burst_;
  clock_hooks clock_;
  std::mutex mutex_;
  double tokens_;
  steady::time_point last_;
};

} // namespace kvip::k8s
