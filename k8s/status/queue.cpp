#include "k8s/status/queue.hpp"

#include <algorithm>
#include <memory>
#include <random>

namespace kvip::k8s::status {

const char* to_string(outcome o) {
  switch (o) {
  case outcome::written:
    return "written";
  case outcome::unchanged:
    return "unchanged";
  case outcome::gone:
    return "gone";
  case outcome::recreated:
    return "recreated";
  case outcome::failed:
    return "failed";
  }
  return "?";
}

queue::queue(std::size_t window, backoff_policy retry, std::function<double()> random)
    : window_(std::max<std::size_t>(1, window)), policy_(retry), random_(std::move(random)) {
  if (!random_) { // one generator for every slot's jitter
    auto gen = std::make_shared<std::mt19937>(std::random_device{}());
    random_ = [gen] { return std::uniform_real_distribution<double>(0.0, 1.0)(*gen); };
  }
}

void queue::wait(const std::string& key, slot& s, time_point due) {
  s.due = due;
  s.seq = ++seq_;
  ready_.emplace(s.due, s.seq, key);
}

void queue::submit(wanted w, time_point now) {
  auto key = w.key();
  auto it = slots_.find(key);
  if (it == slots_.end()) {
    auto& s =
        slots_.emplace(key, slot{std::move(w), {}, false, {}, 0, backoff{policy_, random_}, 0})
            .first->second;
    wait(key, s, now);
    return;
  }
  it->second.want = std::move(w); // waiting: keeps its place; busy: finish() compares
}

std::vector<wanted> queue::take(time_point now) {
  std::vector<wanted> out;
  while (in_flight_ < window_ && !ready_.empty() && std::get<0>(*ready_.begin()) <= now) {
    auto key = std::get<2>(*ready_.begin());
    ready_.erase(ready_.begin());
    auto& s = slots_.at(key);
    s.busy = true;
    s.sent = s.want;
    ++in_flight_;
    out.push_back(s.sent);
  }
  return out;
}

std::chrono::milliseconds queue::finish(const std::string& key, outcome o, time_point now) {
  auto it = slots_.find(key);
  if (it == slots_.end() || !it->second.busy) return {};
  auto& s = it->second;
  s.busy = false;
  --in_flight_;
  if (o == outcome::failed) {
    ++s.failures;
    auto d = s.retry.next();
    wait(key, s, now + d);
    return d;
  }
  s.failures = 0;
  s.retry.reset();
  if (s.want != s.sent)
    wait(key, s, now); // a newer request arrived while this one was written
  else
    slots_.erase(it);
  return {};
}

std::optional<queue::time_point> queue::next_due() const {
  if (ready_.empty()) return std::nullopt;
  return std::get<0>(*ready_.begin());
}

unsigned queue::failures(const std::string& key) const {
  auto it = slots_.find(key);
  return it == slots_.end() ? 0 : it->second.failures;
}

std::vector<std::pair<std::string, unsigned>> queue::failing(std::size_t limit) const {
  std::vector<std::pair<std::string, unsigned>> out;
  for (auto it = slots_.begin(); it != slots_.end() && out.size() < limit; ++it)
    if (it->second.failures > 0) out.emplace_back(it->first, it->second.failures);
  return out;
}

std::optional<wanted> queue::pending(const std::string& key) const {
  auto it = slots_.find(key);
  if (it == slots_.end()) return std::nullopt;
  return it->second.want;
}

} // namespace kvip::k8s::status
