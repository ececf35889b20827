#include "k8s/rate_limiter.hpp"

#include <algorithm>

namespace kvip::k8s {

rate_limiter::rate_limiter(double qps, int burst, clock_hooks clock)
    : qps_(qps), burst_(std::max(1, burst)), clock_(std::move(clock)), tokens_(burst_),
      last_(clock_.now()) {}

void rate_limiter::refill(steady::time_point now) {
  if (now > last_) {
    std::chrono::duration<double> dt = now - last_;
    tokens_ = std::min(burst_, tokens_ + dt.count() * qps_);
    last_ = now;
  }
}

bool rate_limiter::acquire(steady::time_point deadline, std::stop_token stop) {
  if (qps_ <= 0) return true;
  steady::duration wait{};
  {
    std::lock_guard lock(mutex_);
    auto now = clock_.now();
    refill(now);
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return true;
    }
    wait = std::chrono::duration_cast<steady::duration>(
        std::chrono::duration<double>((1.0 - tokens_) / qps_));
    if (now + wait > deadline) return false;
    tokens_ -= 1.0; // reserve: later callers queue behind this one
  }
  clock_.sleep(wait, stop);
  if (stop.stop_requested()) {
    std::lock_guard lock(mutex_);
    tokens_ += 1.0; // give the reservation back
    return false;
  }
  return true;
}

double rate_limiter::available() {
  std::lock_guard lock(mutex_);
  refill(clock_.now());
  return tokens_;
}

} // namespace kvip::k8s
