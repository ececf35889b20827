#include "k8s/services/lease_election.hpp"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

namespace kvip::k8s::services {

namespace el = k8s::election;

namespace {

election_effect make(election_effect::kind k, const lease_id& l = {}) {
  election_effect e{k, l, {}, {}, el::ms{0}, 0, false, {}, {}};
  return e;
}

bool in_set(const std::vector<announced_ip>& set, const std::string& address) {
  return std::any_of(set.begin(), set.end(),
                     [&](const announced_ip& ip) { return ip.address == address; });
}

bool is_v6(const std::string& address) {
  return address.find(':') != std::string::npos;
}

} // namespace

/// One Lease this node knows about.
struct lease_election::entry {
  enum class vip_request { none, queued, sent };
  lease_id id;
  std::unique_ptr<el::policy> policy;
  candidacy state = candidacy::ineligible;
  bool started = false;
  bool wants = false; ///< its policy asked for its IPs to be announced
  vip_request request = vip_request::none;
  bool done = false;             ///< its shutdown finished
  std::set<std::string> claimed; ///< addresses it had announced that are still held
};

lease_election::lease_election(election_config cfg, std::function<double()> rand01)
    : cfg_(std::move(cfg)), rand01_(std::move(rand01)) {}

lease_election::~lease_election() = default;

lease_election::entry& lease_election::entry_for(const lease_id& l) {
  auto& slot = entries_[l];
  if (!slot) {
    slot = std::make_unique<entry>();
    slot->id = l;
    slot->policy = std::make_unique<el::policy>(cfg_.timings, l.text(), rand01_);
  }
  return *slot;
}

void lease_election::set_state(entry& e, candidacy next, const std::string& why) {
  if (e.state == next) return;
  spdlog::info("service_elector: {} lease {}: {} -> {} ({})", cfg_.timings.identity, e.id.text(),
               to_string(e.state), to_string(next), why);
  e.state = next;
}

bool lease_election::eligible(const election_ip& ip) const {
  return ip.any_node ||
         std::find(ip.nodes.begin(), ip.nodes.end(), cfg_.timings.identity) != ip.nodes.end();
}

std::vector<const election_ip*> lease_election::ips_of(const entry& e) const {
  std::vector<const election_ip*> out;
  for (const auto& ip : ips_)
    if (on_own_lease(ip) ? ip.lease == e.id : e.id == cfg_.global_lease) out.push_back(&ip);
  return out;
}

std::vector<announced_ip> lease_election::contribution(const entry& e) const {
  std::vector<announced_ip> out;
  if (!e.wants) return out;
  for (const auto* ip : ips_of(e)) {
    if (!eligible(*ip)) continue;
    int bits = is_v6(ip->address) ? cfg_.prefix_v6 : cfg_.prefix_v4;
    out.push_back({ip->address, bits, ip->interface.empty() ? cfg_.interface : ip->interface});
  }
  return out;
}

std::vector<announced_ip> lease_election::desired() const {
  std::vector<announced_ip> out;
  for (const auto& [id, e] : entries_)
    for (auto& ip : contribution(*e))
      out.push_back(std::move(ip));
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.address < b.address; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const auto& a, const auto& b) { return a.address == b.address; }),
            out.end());
  return out;
}

void lease_election::drive(entry& e, std::vector<el::effect> in, effects& out) {
  for (auto& x : in) {
    switch (x.what) {
    case el::effect::kind::get_lease:
    case el::effect::kind::create_lease:
    case el::effect::kind::update_lease: {
      auto k = x.what == el::effect::kind::get_lease      ? election_effect::kind::get_lease
               : x.what == el::effect::kind::create_lease ? election_effect::kind::create_lease
                                                          : election_effect::kind::update_lease;
      auto o = make(k, e.id);
      o.rec = std::move(x.rec);
      o.rv = std::move(x.rv);
      out.push_back(std::move(o));
      break;
    }
    case el::effect::kind::arm_timer: {
      auto o = make(election_effect::kind::arm_timer, e.id);
      o.delay = x.delay;
      o.generation = x.generation;
      out.push_back(std::move(o));
      break;
    }
    case el::effect::kind::announce:
    case el::effect::kind::withdraw:
      e.wants = x.what == el::effect::kind::announce;
      e.request = entry::vip_request::queued;
      break;
    case el::effect::kind::leading: {
      auto o = make(election_effect::kind::leading, e.id);
      o.on = x.on;
      out.push_back(std::move(o));
      if (x.on)
        set_state(e, candidacy::owning, "acquired the Lease");
      else if (e.state == candidacy::owning)
        set_state(e, candidacy::campaigning, "lost the Lease or missed the renew deadline");
      break;
    }
    case el::effect::kind::shutdown_done:
      e.done = true;
      break;
    }
  }
}

void lease_election::update_entry(const context& c, entry& e, bool eligible, bool named,
                                  effects& out) {
  if (stopping_) return;
  if (eligible) {
    if (!e.started) {
      e.started = true;
      set_state(e, candidacy::campaigning, "this node may announce its IPs");
      drive(e, e.policy->start(c), out);
    } else if (e.policy->state() == el::phase::paused) {
      set_state(e, candidacy::campaigning, "this node may announce its IPs again");
      drive(e, e.policy->resume(c, "eligible again"), out);
    }
    return;
  }
  auto next = named ? candidacy::ineligible : candidacy::dropping;
  if (e.state == next) return;
  auto why = named ? std::string("this node may announce none of its IPs")
                   : std::string("no Service IP names it any more");
  set_state(e, next, why);
  drive(e, e.policy->pause(c, why), out);
}

void lease_election::update_eligibility(const context& c, effects& out) {
  std::map<lease_id, bool> named;                         // Lease -> eligible for one of its IPs
  if (!cfg_.per_service) named[cfg_.global_lease] = true; // campaigned for, IPs or not
  for (const auto& ip : ips_)
    if (on_own_lease(ip)) named[ip.lease] = named[ip.lease] || eligible(ip);
  for (const auto& [id, ok] : named)
    update_entry(c, entry_for(id), ok, true, out);
  for (auto& [id, e] : entries_)
    if (!named.count(id)) update_entry(c, *e, false, false, out);
}

void lease_election::finish(effects& out) {
  std::erase_if(entries_, [](const auto& kv) {
    const auto& e = *kv.second;
    auto p = e.policy->state();
    return e.state == candidacy::dropping && e.request == entry::vip_request::none &&
           !e.policy->busy() && (p == el::phase::paused || p == el::phase::idle);
  });
  if (!announce_busy_) send_set(out);
  bool all_done =
      std::all_of(entries_.begin(), entries_.end(), [](const auto& kv) { return kv.second->done; });
  if (stopping_ && !stopped_ && all_done && !announce_busy_) {
    stopped_ = true;
    out.push_back(make(election_effect::kind::shutdown_done));
  }
}

void lease_election::send_set(effects& out) {
  auto d = desired();
  bool queued = std::any_of(entries_.begin(), entries_.end(), [](const auto& kv) {
    return kv.second->request == entry::vip_request::queued;
  });
  if (!queued && !resend_ && d == sent_) return;
  in_flight_.clear();
  for (auto& [id, e] : entries_) {
    for (const auto& ip : contribution(*e))
      e->claimed.insert(ip.address);
    if (e->request == entry::vip_request::queued) {
      e->request = entry::vip_request::sent;
      in_flight_.push_back(id);
    }
  }
  auto o = make(election_effect::kind::announce);
  o.ips = d;
  out.push_back(std::move(o));
  sent_ = std::move(d);
  resend_ = false;
  announce_busy_ = true;
}

lease_election::effects lease_election::start(const context& c) {
  effects out;
  update_eligibility(c, out);
  finish(out);
  return out;
}

lease_election::effects lease_election::set_ips(const context& c, std::vector<election_ip> ips) {
  effects out;
  ips_ = std::move(ips);
  update_eligibility(c, out);
  finish(out);
  return out;
}

lease_election::effects lease_election::lease_answered(const context& c, const lease_id& l,
                                                       const el::lease_answer& a) {
  effects out;
  if (auto it = entries_.find(l); it != entries_.end())
    drive(*it->second, it->second->policy->lease_answered(c, a), out);
  finish(out);
  return out;
}

lease_election::effects lease_election::lease_timed_out(const context& c, const lease_id& l,
                                                        const std::string& why) {
  effects out;
  if (auto it = entries_.find(l); it != entries_.end())
    drive(*it->second, it->second->policy->lease_timed_out(c, why), out);
  finish(out);
  return out;
}

lease_election::effects lease_election::timer(const context& c, const lease_id& l,
                                              std::uint64_t generation) {
  effects out;
  if (auto it = entries_.find(l); it != entries_.end())
    drive(*it->second, it->second->policy->timer(c, generation), out);
  finish(out);
  return out;
}

lease_election::effects lease_election::announce_answered(const context& c,
                                                          const std::vector<std::string>& active,
                                                          const std::string& error) {
  effects out;
  announce_busy_ = false;
  std::set<std::string> now(active.begin(), active.end());
  for (const auto& ip : sent_) // newly held: its Services' status names this node
    if (now.count(ip.address) && !active_.count(ip.address)) {
      auto o = make(election_effect::kind::report_owner);
      o.address = ip.address;
      out.push_back(std::move(o));
    }
  active_ = std::move(now);
  for (auto& [id, e] : entries_)
    std::erase_if(e->claimed, [&](const auto& a) { return !active_.count(a); });
  for (const auto& id : std::exchange(in_flight_, {})) {
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;
    auto& e = *it->second;
    e.request = entry::vip_request::none;
    el::announce_answer ans;
    // Still held although no longer asked for: an address of this Lease
    // could not be removed.
    for (const auto& a : e.claimed)
      ans.holds_any = ans.holds_any || !in_set(sent_, a);
    // Only an error naming one of its own addresses concerns this Lease.
    for (const auto* ip : ips_of(e))
      if (error.find(ip->address) != std::string::npos) ans.error = error;
    for (const auto& a : e.claimed)
      if (error.find(a) != std::string::npos) ans.error = error;
    drive(e, e.policy->announce_answered(c, ans), out);
  }
  finish(out);
  return out;
}

lease_election::effects lease_election::announce_timed_out(const context& c,
                                                           const std::string& why) {
  effects out;
  announce_busy_ = false;
  resend_ = true; // unknown what it holds: send the set again
  for (const auto& id : std::exchange(in_flight_, {})) {
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;
    it->second->request = entry::vip_request::none;
    drive(*it->second, it->second->policy->announce_timed_out(c, why), out);
  }
  finish(out);
  return out;
}

lease_election::effects lease_election::shutdown(const context& c) {
  effects out;
  if (!stopping_) {
    stopping_ = true;
    for (auto& [id, e] : entries_)
      drive(*e, e->policy->shutdown(c), out);
  }
  finish(out);
  return out;
}

std::map<lease_id, candidacy> lease_election::leases() const {
  std::map<lease_id, candidacy> out;
  for (const auto& [id, e] : entries_)
    out[id] = e->state;
  return out;
}

candidacy lease_election::candidacy_of(const lease_id& l) const {
  auto it = entries_.find(l);
  return it == entries_.end() ? candidacy::ineligible : it->second->state;
}

const char* to_string(candidacy c) {
  switch (c) {
  case candidacy::ineligible:
    return "ineligible";
  case candidacy::campaigning:
    return "campaigning";
  case candidacy::owning:
    return "owning";
  case candidacy::dropping:
    return "dropping";
  }
  return "?";
}

const char* to_string(election_effect::kind k) {
  switch (k) {
  case election_effect::kind::get_lease:
    return "get_lease";
  case election_effect::kind::create_lease:
    return "create_lease";
  case election_effect::kind::update_lease:
    return "update_lease";
  case election_effect::kind::arm_timer:
    return "arm_timer";
  case election_effect::kind::announce:
    return "announce";
  case election_effect::kind::report_owner:
    return "report_owner";
  case election_effect::kind::leading:
    return "leading";
  case election_effect::kind::shutdown_done:
    return "shutdown_done";
  }
  return "?";
}

} // namespace kvip::k8s::services
