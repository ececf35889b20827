#include "net/l2/answer_table.hpp"

namespace kvip::net::l2 {

void answer_table::set(const ip_address& vip, time_point until) {
  std::lock_guard lock{mu_};
  if (until == time_point{})
    until_.erase(vip);
  else
    until_[vip] = until;
}

void answer_table::clear() {
  std::lock_guard lock{mu_};
  until_.clear();
}

bool answer_table::may_answer(const ip_address& vip, time_point now) const {
  std::lock_guard lock{mu_};
  auto it = until_.find(vip);
  return it != until_.end() && now < it->second;
}

std::vector<ip_address> answer_table::answering(time_point now) const {
  std::lock_guard lock{mu_};
  std::vector<ip_address> out;
  for (const auto& [vip, until] : until_)
    if (now < until) out.push_back(vip);
  return out;
}

} // namespace kvip::net::l2
