#include "net/l2/answer_table.hpp"

#include <algorithm>

namespace kvip::net::l2 {

void answer_table::set(const ip_address& vip, time_point until, bool after_announcement) {
  std::lock_guard lock{mu_};
  if (until == time_point{}) {
    entries_.erase(vip);
    return;
  }
  auto [it, fresh] = entries_.try_emplace(vip);
  it->second.until = until;
  if (fresh) it->second.from = after_announcement ? time_point::max() : time_point{};
}

void answer_table::clear() {
  std::lock_guard lock{mu_};
  entries_.clear();
}

void answer_table::place(const ip_address& vip, int ifindex) {
  std::lock_guard lock{mu_};
  if (ifindex == 0)
    placed_.erase(vip);
  else
    placed_[vip] = ifindex;
}

bool answer_table::answers_on(const ip_address& vip, int ifindex) const {
  std::lock_guard lock{mu_};
  auto it = placed_.find(vip);
  return it == placed_.end() || it->second == ifindex;
}

bool answer_table::may_answer(const ip_address& vip, time_point now) const {
  std::lock_guard lock{mu_};
  auto it = entries_.find(vip);
  return it != entries_.end() && now < it->second.until && it->second.from <= now;
}

bool answer_table::may_announce(const ip_address& vip, time_point now) const {
  std::lock_guard lock{mu_};
  auto it = entries_.find(vip);
  return it != entries_.end() && now < it->second.until;
}

void answer_table::announced(const ip_address& vip, time_point from) {
  std::lock_guard lock{mu_};
  if (auto it = entries_.find(vip); it != entries_.end() && it->second.from == time_point::max())
    it->second.from = from;
}

void answer_table::releasing(const ip_address& vip) {
  std::lock_guard lock{mu_};
  if (auto it = entries_.find(vip); it != entries_.end()) it->second.releasing = true;
}

void answer_table::handed_over(const ip_address& vip, time_point now,
                               std::chrono::microseconds linger) {
  std::lock_guard lock{mu_};
  auto it = entries_.find(vip);
  if (it == entries_.end()) return;
  if (it->second.as)
    it->second.until = std::min(it->second.until, now + linger);
  else
    it->second.linger = linger;
}

void answer_table::observed(const ip_address& vip, const mac_address& mac, time_point now) {
  std::lock_guard lock{mu_};
  auto it = entries_.find(vip);
  if (it == entries_.end() || !it->second.releasing) return;
  it->second.as = mac;
  if (it->second.linger) {
    it->second.until = std::min(it->second.until, now + *it->second.linger);
    it->second.linger.reset();
  }
}

bool answer_table::redirect(const ip_address& vip, const mac_address& mac) {
  std::lock_guard lock{mu_};
  auto it = entries_.find(vip);
  if (it == entries_.end() || !it->second.releasing) return false;
  it->second.as = mac;
  return true;
}

std::optional<mac_address> answer_table::answer_as(const ip_address& vip) const {
  std::lock_guard lock{mu_};
  auto it = entries_.find(vip);
  return it == entries_.end() ? std::nullopt : it->second.as;
}

std::vector<ip_address> answer_table::answering(time_point now) const {
  std::lock_guard lock{mu_};
  std::vector<ip_address> out;
  for (const auto& [vip, e] : entries_)
    if (now < e.until && e.from <= now) out.push_back(vip);
  return out;
}

} // namespace kvip::net::l2
