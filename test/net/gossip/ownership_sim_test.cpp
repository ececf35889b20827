// Ownership instances of 3 and 5 nodes wired together in-process through a
// fake network with a virtual millisecond clock, under seeded random crashes
// (and restarts), freezes (and resumes), gossip partitions of one node (and
// heals) and graceful stops. Membership is an oracle: a crash is seen at once
// by the connected nodes (the process closed its connections: gone), a
// freeze or a partition after 60 ms (dead), a graceful stop at once (left).
//
// Asserted every millisecond: for every VIP at most one node may answer,
// except when the others answering are releasing (make-before-break); and a
// VIP gets an owner within a bound whenever a connected majority of live
// nodes exists.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "net/gossip/ownership.hpp"

#include "test/net/gossip/table_timing.hpp"

using kvip::test::table_timing;

namespace {

using namespace kvip::net::gossip;
using kind = ownership_effect::kind;

time_point at(long ms) {
  return time_point{} + duration{ms};
}

constexpr long detect_ms = 60;   ///< freeze / partition seen as dead after this
constexpr long period_ms = 10;   ///< each node sends a frame to every peer this often
constexpr long bound_ms = 1000;  ///< a VIP with a connected live majority gets an owner within
constexpr long lease_lag_ms = 5; ///< watch latency of the VIPs' Leases

struct msg {
  long deliver_at = 0;
  std::string from, to;
  enum class type { frame, ack, lease } what = type::frame;
  long sent_at = 0;
  long echo_sent = -1; ///< frame: latest send time `from` received from `to`
  std::uint64_t digest = 0;
  std::vector<vip_claim> claims; ///< frame: claims; ack: answers; lease: {vip, holder}
};

struct sim_node {
  std::string name;
  std::unique_ptr<ownership> own;
  bool up = true;
  bool frozen = false;
  bool leaving = false;
  long down_until = -1; ///< crashed or exited: restart then
  long frozen_until = -1;
  long leave_deadline = -1;
  long bad_since = -1; ///< frozen since
  long timer_at = -1;
  long offset = 0;
  std::map<std::string, long> last_rx;
  std::vector<member_view> seen;
};

enum fault_kind { kill, freeze, partition, graceful_stop, fault_kinds };
const char* fault_names[] = {"kill", "freeze", "partition", "graceful stop"};

struct result {
  long max_unowned = 0;
  long failures = 0; ///< unowned beyond the bound with a majority
  long dual = 0;     ///< ms with two non-releasing nodes answering one VIP
  long faults = 0;
  /// Per fault of an answering owner: ms until another node answers.
  std::vector<long> takeover[fault_kinds];
  long stop_silent_ms = 0; ///< ms nobody answered during graceful handovers
};

class sim {
public:
  /// `calm`: one fault at a time, each after a second without any (the
  /// failover times are measured so); otherwise a fault every 150 ms on
  /// average, overlapping (safety under stress).
  sim(int n, std::uint64_t seed, bool calm) : rng_(seed), calm_(calm) {
    for (int i = 0; i < n; ++i) {
      sim_node s;
      s.name = std::string(1, static_cast<char>('a' + i));
      s.offset = static_cast<long>(rng_() % period_ms);
      nodes_.push_back(std::move(s));
    }
    for (auto& s : nodes_)
      boot(s, 0);
  }

  result run(long until_ms) {
    for (now_ = 0; now_ < until_ms; ++now_) {
      faults();
      deliver();
      for (auto& s : nodes_)
        if (running(s) && s.timer_at >= 0 && s.timer_at <= now_) {
          s.timer_at = -1;
          handle(s, s.own->tick(at(now_)));
        }
      for (auto& s : nodes_)
        update_membership(s);
      for (auto& s : nodes_)
        if (running(s) && (now_ + s.offset) % period_ms == 0) send_frames(s);
      check();
    }
    return res_;
  }

private:
  static bool running(const sim_node& s) { return s.up && !s.frozen; }
  bool linked(const std::string& a, const std::string& b) const { return cut_ != a && cut_ != b; }
  long rand(long lo, long hi) { return lo + static_cast<long>(rng_() % (hi - lo + 1)); }

  void boot(sim_node& s, long t) {
    s.own = std::make_unique<ownership>(ownership_config{s.name, table_timing()}, at(t));
    s.up = true;
    s.frozen = s.leaving = false;
    s.down_until = s.frozen_until = s.leave_deadline = s.bad_since = s.timer_at = -1;
    s.last_rx.clear();
    s.seen = membership_of(s);
    handle(s, s.own->members_changed(at(t), s.seen));
    handle(s, s.own->self_eligible(at(t), true));
    handle(s, s.own->set_vips(at(t), vips_));
  }

  member_view view_of(const sim_node& r, const sim_node& s) const {
    bool left = s.leaving || (!s.up && s.down_until >= 0 && exited_.count(s.name) != 0);
    if (left) return {s.name, false, false, true};
    if (!s.up)
      return linked(r.name, s.name) ? member_view{s.name, false, false, true}
                                    : member_view{s.name, false, false, false};
    long since = -1;
    if (s.frozen) since = s.bad_since;
    if (!linked(r.name, s.name)) since = since < 0 ? cut_since_ : std::min(since, cut_since_);
    if (since >= 0 && now_ - since >= detect_ms) return {s.name, false, false, false};
    return {s.name, true, true, false};
  }

  std::vector<member_view> membership_of(const sim_node& r) const {
    std::vector<member_view> out;
    for (const auto& s : nodes_)
      if (s.name != r.name) out.push_back(view_of(r, s));
    return out;
  }

  void update_membership(sim_node& s) {
    if (!running(s)) return;
    auto m = membership_of(s);
    if (m == s.seen) return;
    s.seen = m;
    handle(s, s.own->members_changed(at(now_), m));
  }

  sim_node& node(const std::string& name) {
    return *std::find_if(nodes_.begin(), nodes_.end(), [&](auto& s) { return s.name == name; });
  }

  // 0-2 ms, in order between two nodes (one TCP connection per pair).
  void post(msg m) {
    if (rng_() % 1000 < 10) return; // 1% lost (a reconnect, a full queue)
    auto& last = fifo_[m.from + ">" + m.to];
    last = std::max(last, now_ + rand(0, 2));
    m.deliver_at = last;
    queue_.push_back(std::move(m));
  }

  msg frame(sim_node& s, const std::string& to, std::vector<vip_claim> claims) {
    msg m;
    m.from = s.name;
    m.to = to;
    m.sent_at = now_;
    auto it = s.last_rx.find(to);
    m.echo_sent = it == s.last_rx.end() ? -1 : it->second;
    m.digest = s.own->digest_for(to);
    m.claims = std::move(claims);
    return m;
  }

  void send_frames(sim_node& s) {
    for (const auto& p : nodes_)
      if (p.name != s.name) post(frame(s, p.name, s.own->claims_for(p.name, 16)));
  }

  void handle(sim_node& s, const std::vector<ownership_effect>& effects) {
    for (const auto& e : effects) {
      switch (e.what) {
      case kind::send_claims:
        post(frame(s, e.to, e.claims));
        break;
      case kind::write_lease:
        for (const auto& r : nodes_) {
          msg m;
          m.what = msg::type::lease;
          m.to = r.name;
          m.claims = {{e.vip, e.holder, e.term, false}};
          m.deliver_at = now_ + lease_lag_ms;
          queue_.push_back(std::move(m));
        }
        break;
      case kind::arm_timer:
        s.timer_at = (e.at - time_point{}) / duration{1};
        break;
      case kind::answer:
      case kind::announce:
        break;
      }
    }
  }

  void deliver() {
    std::vector<msg> due;
    auto split = std::stable_partition(queue_.begin(), queue_.end(),
                                       [&](const msg& m) { return m.deliver_at > now_; });
    due.assign(std::make_move_iterator(split), std::make_move_iterator(queue_.end()));
    queue_.erase(split, queue_.end());
    for (auto& m : due) {
      auto& r = node(m.to);
      if (!r.up) continue;
      if (r.frozen) { // its socket buffers it until it resumes
        m.deliver_at = r.frozen_until;
        queue_.push_back(std::move(m));
        continue;
      }
      if (m.what != msg::type::lease && !linked(m.from, m.to)) continue;
      receive(r, m);
    }
  }

  void receive(sim_node& r, const msg& m) {
    auto t = at(now_);
    if (m.what == msg::type::lease) {
      handle(r, r.own->lease_holder(t, m.claims[0].vip, m.claims[0].owner));
      return;
    }
    r.own->heard(t, m.from);
    if (m.what == msg::type::ack) {
      handle(r, r.own->answers_received(t, m.from, m.claims, at(m.sent_at)));
      return;
    }
    auto& last = r.last_rx[m.from];
    last = std::max(last, m.sent_at);
    if (m.echo_sent >= 0) handle(r, r.own->echo(t, m.from, at(m.echo_sent), m.digest));
    if (m.claims.empty()) return;
    std::vector<vip_claim> answers;
    handle(r, r.own->claims_received(t, m.from, m.claims, answers));
    msg ack;
    ack.what = msg::type::ack;
    ack.from = r.name;
    ack.to = m.from;
    ack.sent_at = m.sent_at;
    ack.claims = std::move(answers);
    post(std::move(ack));
  }

  void faults() {
    for (auto& s : nodes_) {
      if (!s.up && s.down_until >= 0 && now_ >= s.down_until) {
        exited_.erase(s.name);
        note(s.name + " boots");
        boot(s, now_);
      }
      if (s.frozen && now_ >= s.frozen_until) {
        s.frozen = false;
        s.bad_since = -1;
        note(s.name + " resumes");
      }
      if (s.leaving && s.up && (s.own->stopped() || now_ >= s.leave_deadline)) {
        s.up = false; // exits: its connections close
        s.leaving = false;
        exited_.insert(s.name);
        note(s.name + " exits");
        s.down_until = now_ + rand(50, 300);
      }
    }
    if (!cut_.empty() && now_ >= heal_at_) {
      note(cut_ + " healed");
      cut_.clear();
    }
    if (calm_ && (now_ - quiet_since_ < 1000 || !pending_.empty())) return;
    if (rng_() % (calm_ ? 500 : 150) != 0) return;
    auto& s = nodes_[rng_() % nodes_.size()];
    if (!running(s) || s.leaving) return;
    ++res_.faults;
    auto f = static_cast<fault_kind>(rng_() % fault_kinds);
    if (f == partition && !cut_.empty()) return;
    note(s.name + " fault " + fault_names[f]);
    for (const auto& vip : vips_)
      if (s.own->may_answer(vip, at(now_)) && pending_.count(vip) == 0)
        pending_[vip] = {f, now_, s.name, false};
    switch (f) {
    case kill: // SIGKILL: the process and its connections are gone
      s.up = false;
      s.own.reset();
      s.down_until = now_ + rand(50, 400);
      break;
    case freeze: // SIGSTOP, then SIGCONT
      s.frozen = true;
      s.bad_since = now_;
      s.frozen_until = now_ + rand(20, 400);
      break;
    case partition: // gossip partition of one node
      cut_ = s.name;
      cut_since_ = now_;
      heal_at_ = now_ + rand(50, 500);
      break;
    case graceful_stop: // graceful stop
      handle(s, s.own->stop(at(now_)));
      s.leaving = true;
      s.leave_deadline = now_ + 1100;
      break;
    case fault_kinds:
      break;
    }
  }

  void check() {
    std::size_t live = 0;
    for (const auto& s : nodes_)
      if (running(s) && !s.leaving && s.name != cut_) ++live;
    if (live < nodes_.size()) quiet_since_ = now_;
    bool majority = live >= nodes_.size() / 2 + 1;
    for (const auto& vip : vips_) {
      int answering = 0;
      int owning = 0;
      for (const auto& s : nodes_) {
        if (!running(s) || !s.own->may_answer(vip, at(now_))) continue;
        ++answering;
        for (const auto& st : s.own->status())
          if (st.vip == vip && st.state != fence::state::releasing) ++owning;
      }
      if (owning > 1 && res_.dual++ == 0) dump(vip, now_ - 400);
      measure(vip, answering);
      auto& since = unowned_since_[vip];
      if (answering > 0 || !majority) {
        since = -1;
        continue;
      }
      if (since < 0) since = now_;
      res_.max_unowned = std::max(res_.max_unowned, now_ - since);
      if (now_ - since == bound_ms) {
        ++res_.failures;
        dump(vip, since - 500);
      }
    }
  }

  // Time until a node other than the faulted owner answers the VIP; the
  // owner answering again itself (it resumed before anyone took over, and
  // re-claimed) ends the measurement without a sample.
  void measure(const std::string& vip, int answering) {
    auto p = pending_.find(vip);
    if (p == pending_.end()) return;
    if (answering == 0 && p->second.kind == graceful_stop) ++res_.stop_silent_ms;
    bool self = false;
    for (const auto& s : nodes_) {
      if (!running(s) || !s.own->may_answer(vip, at(now_))) continue;
      if (s.name == p->second.node) {
        self = true;
        continue;
      }
      res_.takeover[p->second.kind].push_back(now_ - p->second.since);
      pending_.erase(p);
      return;
    }
    auto& n = node(p->second.node);
    bool repaired = running(n) && !n.leaving && cut_ != n.name;
    if (!self)
      p->second.silent = true;
    else if (p->second.silent || repaired) // back, or the fault was too short to matter
      pending_.erase(p);
  }

  void note(std::string what) { log_.emplace_back(now_, std::move(what)); }

  // What led to a failed check: the faults since `from`, every node's view.
  void dump(const std::string& vip, long from) const {
    std::printf("  at %ld, %s:\n", now_, vip.c_str());
    for (const auto& l : log_)
      if (l.first >= from) std::printf("  %ld %s\n", l.first, l.second.c_str());
    for (const auto& n : nodes_)
      if (n.own)
        for (const auto& st : n.own->status())
          if (st.vip == vip)
            std::printf("  %s%s: %s@%llu %s until %ld\n", n.name.c_str(),
                        n.frozen ? " (frozen)" : "", st.owner.c_str(),
                        static_cast<unsigned long long>(st.term), to_string(st.state),
                        static_cast<long>((st.deadline - time_point{}) / duration{1}));
  }

  std::vector<std::pair<long, std::string>> log_;
  std::mt19937_64 rng_;
  bool calm_;
  long quiet_since_ = 0;
  std::vector<sim_node> nodes_;
  std::vector<std::string> vips_{"10.0.0.1", "10.0.0.2", "fd00::100"};
  std::vector<msg> queue_;
  std::map<std::string, long> fifo_;
  std::set<std::string> exited_;
  std::string cut_;
  long cut_since_ = 0;
  long heal_at_ = 0;
  long now_ = 0;
  std::map<std::string, long> unowned_since_;
  struct pending {
    fault_kind kind;
    long since;
    std::string node;
    bool silent = false; ///< the faulted owner stopped answering
  };
  std::map<std::string, pending> pending_;
  result res_;
};

struct sim_case {
  int nodes;
  bool calm;
};

std::ostream& operator<<(std::ostream& os, const sim_case& c) {
  return os << c.nodes << (c.calm ? " nodes, calm" : " nodes, stress");
}

class OwnershipSim : public ::testing::TestWithParam<sim_case> {};

TEST_P(OwnershipSim, NeverTwoOwnersAndAlwaysAnOwnerWithAMajority) {
  const auto [nodes, calm] = GetParam();
  auto level = spdlog::get_level();
  spdlog::set_level(spdlog::level::err);
  // KVIP_OWNERSHIP_SEEDS=n runs n seeds (a longer soak; 4 by default).
  const char* env = std::getenv("KVIP_OWNERSHIP_SEEDS");
  std::uint64_t seeds = env != nullptr ? std::strtoull(env, nullptr, 10) : 4;
  const char* only = std::getenv("KVIP_OWNERSHIP_SEED"); // one seed, with debug logs
  std::uint64_t first = 1;
  if (only != nullptr) {
    first = seeds = std::strtoull(only, nullptr, 10);
    spdlog::set_level(spdlog::level::debug);
  }
  std::vector<long> takeover[fault_kinds];
  long stop_silent = 0;
  long longest = 0;
  for (std::uint64_t seed = first; seed <= seeds; ++seed) {
    sim s(nodes, seed, calm);
    auto r = s.run(30000);
    EXPECT_EQ(r.dual, 0) << "seed " << seed;
    EXPECT_EQ(r.failures, 0) << "seed " << seed;
    EXPECT_GT(r.faults, calm ? 5 : 20) << "seed " << seed;
    if (calm) {
      EXPECT_EQ(r.stop_silent_ms, 0) << "seed " << seed << ": a graceful stop lost answers";
    }
    for (int k = 0; k < fault_kinds; ++k)
      takeover[k].insert(takeover[k].end(), r.takeover[k].begin(), r.takeover[k].end());
    stop_silent += r.stop_silent_ms;
    longest = std::max(longest, r.max_unowned);
  }
  std::printf("%d nodes, %s, %llu seeds: longest without an owner while a majority was up %ld ms; "
              "no answer during graceful handovers %ld ms in all\n",
              nodes, calm ? "calm" : "stress", static_cast<unsigned long long>(seeds - first + 1),
              longest, stop_silent);
  for (int k = 0; k < fault_kinds; ++k) {
    auto& v = takeover[k];
    if (v.empty()) continue;
    std::sort(v.begin(), v.end());
    std::printf("  owner %-13s -> another node answers: n %zu  p50 %ld  p99 %ld  max %ld ms\n",
                fault_names[k], v.size(), v[v.size() / 2], v[v.size() * 99 / 100], v.back());
  }
  spdlog::set_level(level);
}

INSTANTIATE_TEST_SUITE_P(Nodes, OwnershipSim,
                         ::testing::Values(sim_case{3, false}, sim_case{5, false},
                                           sim_case{3, true}, sim_case{5, true}));

} // namespace
