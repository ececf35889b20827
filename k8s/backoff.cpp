#include "k8s/backoff.hpp"

#include <algorithm>
#include <memory>
#include <random>

namespace kvip::k8s {

backoff::backoff(backoff_policy p, std::function<double()> random)
    : policy_(p), random_(std::move(random)), current_(p.initial) {
  if (!random_) {
    auto gen = std::make_shared<std::mt19937>(std::random_device{}());
    random_ = [gen] { return std::uniform_real_distribution<double>(0.0, 1.0)(*gen); };
  }
}

std::chrono::milliseconds backoff::next() {
  auto base = std::min(current_, policy_.max);
  double r = std::clamp(random_(), 0.0, 1.0);
  auto wait = std::chrono::milliseconds(
      static_cast<long long>(double(base.count()) * (1.0 + policy_.jitter * r)));
  current_ = std::min(policy_.max, std::chrono::milliseconds(static_cast<long long>(
                                       double(current_.count()) * policy_.factor)));
  return wait;
}

} // namespace kvip::k8s
