#include "net/l2/announce_schedule.hpp"

#include <algorithm>

namespace kvip::net::l2 {

announce_schedule::announce_schedule(std::vector<ms> burst, ms refresh, ms fallback_refresh)
    : burst_(std::move(burst)), refresh_(refresh > ms{0} ? refresh : fallback_refresh) {
  for (auto& b : burst_)
    b = std::max(b, ms{0});
  std::sort(burst_.begin(), burst_.end());
  if (burst_.empty()) burst_.push_back(ms{0});
}

announce_schedule::ms announce_schedule::delay_before(std::uint32_t step) const {
  if (step == 0) return burst_[0];
  if (step < burst_.size()) return burst_[step] - burst_[step - 1];
  return refresh_;
}

std::uint32_t announce_schedule::next(std::uint32_t step) const {
  auto last = static_cast<std::uint32_t>(burst_.size());
  return std::min(step, last - 1) + 1;
}

std::string announce_schedule::describe() const {
  std::string out;
  for (auto b : burst_)
    out += (out.empty() ? "" : "/") + std::to_string(b.count());
  return out + " ms then every " + std::to_string(refresh_.count()) + " ms";
}

} // namespace kvip::net::l2
