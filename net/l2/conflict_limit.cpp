#include "net/l2/conflict_limit.hpp"

#include <spdlog/spdlog.h>

namespace kvip::net::l2 {

const char* to_string(conflict_limit::state s) {
  switch (s) {
  case conflict_limit::state::quiet:
    return "quiet";
  case conflict_limit::state::muted:
    return "muted";
  }
  return "?";
}

void conflict_limit::set_state(const std::string& vip, entry& e, state to, const char* why) {
  if (e.st != to)
    spdlog::debug("conflict_limit: {}: {} -> {} ({})", vip, to_string(e.st), to_string(to), why);
  e.st = to;
}

conflict_limit::effect conflict_limit::claim(const std::string& vip, clock::time_point now) {
  auto& e = vips_[vip];
  if (e.st == state::muted && now - e.since < every_) return effect::note;
  set_state(vip, e, state::muted, "conflict reported");
  e.since = now;
  return effect::report;
}

conflict_limit::state conflict_limit::state_of(const std::string& vip) const {
  auto it = vips_.find(vip);
  return it == vips_.end() ? state::quiet : it->second.st;
}

} // namespace kvip::net::l2
