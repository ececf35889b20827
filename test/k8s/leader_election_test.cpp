// The client-go election state machine (k8s/leader_election) driven by a
// deterministic harness: a fake Lease store with resourceVersions, per-
// candidate reachability, and a virtual clock with per-candidate timers.
#include "k8s/leader_election.hpp"

#include <algorithm>
#include <map>
#include <random>

#include <gtest/gtest.h>

namespace {

using namespace kvip::k8s::election;
using namespace std::chrono_literals;

/// One Lease in a fake API server.
struct fake_api {
  std::optional<record> lease;
  int rv = 0;
  int writes = 0;
};

struct candidate {
  std::unique_ptr<machine> m;
  bool reachable = true;
  bool hang = false; ///< requests never return (a silently dropping partition)
  std::optional<steady_time> timer_at;
  bool leading = false;
  std::vector<std::string> log; // started/stopped with times, for assertions
};

/// Drives several candidates against one fake Lease under virtual time.
class harness {
public:
  explicit harness(config base, int n, unsigned seed = 1) : rng_(seed) {
    for (int i = 0; i < n; ++i) {
      auto cfg = base;
      cfg.identity = "node-" + std::to_string(i);
      auto& c = nodes_[cfg.identity];
      c.m = std::make_unique<machine>(cfg, [this] { return dist_(rng_); });
    }
  }

  steady_time now() const { return now_; }
  kvip::k8s::sys_micros wall() const {
    return kvip::k8s::sys_micros{std::chrono::duration_cast<std::chrono::microseconds>(
        now_.time_since_epoch() + 1700000000s)};
  }

  candidate& node(const std::string& id) { return nodes_.at(id); }
  fake_api& api() { return api_; }

  void start(const std::string& id) { apply(id, node(id).m->start(now_, wall())); }
  void release(const std::string& id) { apply(id, node(id).m->release(now_, wall())); }
  void kill(const std::string& id) {
    node(id).timer_at.reset();
    killed_.insert({id, true});
  }

  /// Runs timers in time order until `until`.
  void run_until(steady_time until) {
    for (;;) {
      std::string next;
      steady_time at = until;
      for (auto& [id, c] : nodes_)
        if (c.timer_at && *c.timer_at <= at && !killed_.count(id)) {
          at = *c.timer_at;
          next = id;
        }
      if (next.empty()) break;
      now_ = at;
      node(next).timer_at.reset();
      apply(next, node(next).m->timer(now_, wall()));
      check_safety();
    }
    now_ = until;
  }
  void run_for(std::chrono::milliseconds d) { run_until(now_ + d); }

  /// Who leads right now (by the machines' own view).
  std::vector<std::string> leaders() const {
    std::vector<std::string> out;
    for (auto& [id, c] : nodes_)
      if (c.leading && !killed_.count(id)) out.push_back(id);
    return out;
  }

  int max_simultaneous = 0;
  std::optional<steady_time> first_start_of(const std::string& id) const {
    return start_at_.count(id) ? std::optional{start_at_.at(id)} : std::nullopt;
  }
  std::vector<std::pair<std::string, steady_time>> transitions;

private:
  void check_safety() {
    max_simultaneous = std::max(max_simultaneous, static_cast<int>(leaders().size()));
  }

  void apply(const std::string& id, std::vector<action> acts) {
    auto& c = node(id);
    for (std::size_t i = 0; i < acts.size(); ++i) {
      const auto& a = acts[i];
      switch (a.what) {
      case action::kind::arm_timer:
        c.timer_at = now_ + a.delay;
        break;
      case action::kind::started_leading:
        c.leading = true;
        start_at_.emplace(id, now_);
        transitions.emplace_back(id + " started", now_);
        check_safety();
        break;
      case action::kind::stopped_leading:
        c.leading = false;
        transitions.emplace_back(id + " stopped", now_);
        break;
      case action::kind::new_leader:
      case action::kind::stopped:
        break;
      case action::kind::get:
      case action::kind::create:
      case action::kind::update: {
        auto more = perform(c, a);
        acts.insert(acts.end(), more.begin(), more.end());
        break;
      }
      }
    }
  }

  std::vector<action> perform(candidate& c, const action& a) {
    if (c.hang) return {};
    if (!c.reachable) return c.m->response(outcome::error, std::nullopt, "", now_, wall());
    auto rv = [&] { return std::to_string(api_.rv); };
    switch (a.what) {
    case action::kind::get:
      if (!api_.lease) return c.m->response(outcome::not_found, std::nullopt, "", now_, wall());
      return c.m->response(outcome::ok, api_.lease, rv(), now_, wall());
    case action::kind::create:
      if (api_.lease) return c.m->response(outcome::conflict, std::nullopt, "", now_, wall());
      api_.lease = a.rec;
      ++api_.rv;
      ++api_.writes;
      return c.m->response(outcome::ok, a.rec, rv(), now_, wall());
    default:
      if (!api_.lease || a.rv != rv())
        return c.m->response(outcome::conflict, std::nullopt, "", now_, wall());
      api_.lease = a.rec;
      ++api_.rv;
      ++api_.writes;
      return c.m->response(outcome::ok, a.rec, rv(), now_, wall());
    }
  }

  std::map<std::string, candidate> nodes_;
  std::map<std::string, bool> killed_;
  std::map<std::string, steady_time> start_at_;
  fake_api api_;
  steady_time now_{std::chrono::hours{1}};
  std::mt19937 rng_;
  std::uniform_real_distribution<double> dist_{0.0, 1.0};
};

/// When `old` first stopped leading, and when another node first started.
std::pair<std::optional<steady_time>, std::optional<steady_time>> handover(const harness& h,
                                                                           const std::string& old) {
  std::optional<steady_time> stopped, started;
  for (auto& [what, at] : h.transitions) {
    if (what == old + " stopped" && !stopped) stopped = at;
    if (what.find(" started") != std::string::npos && what != old + " started" && !started)
      started = at;
  }
  return {stopped, started};
}

/// Starts every candidate, lets them settle for 7 s and returns the single
/// leader ("" if there is not exactly one).
std::string settled_leader(harness& h) {
  for (auto id : {"node-0", "node-1", "node-2"})
    h.start(id);
  h.run_for(7s);
  auto leaders = h.leaders();
  return leaders.size() == 1 ? leaders[0] : std::string{};
}

config kube_vip_e2e() { // kube-vip's e2e timings 5/3/1
  config c;
  c.lease_duration = 5000ms;
  c.renew_deadline = 3000ms;
  c.retry_period = 1000ms;
  return c;
}

TEST(K8sLeaderElection, FirstCandidateCreatesTheLeaseAndRenewsEveryRetryPeriod) {
  harness h{kube_vip_e2e(), 1};
  h.start("node-0");
  EXPECT_TRUE(h.node("node-0").leading);
  ASSERT_TRUE(h.api().lease);
  EXPECT_EQ(h.api().lease->holder, "node-0");
  EXPECT_EQ(h.api().lease->lease_duration_s, 5);
  EXPECT_EQ(h.api().lease->transitions, 0);
  auto acquired = h.api().lease->acquire_time;
  h.run_for(10s);
  EXPECT_EQ(h.api().writes, 11); // create + one renew per second
  EXPECT_EQ(h.api().lease->acquire_time, acquired);
  EXPECT_GT(*h.api().lease->renew_time, *acquired);
}

TEST(K8sLeaderElection, FollowerWaitsWhileTheHolderRenews) {
  harness h{kube_vip_e2e(), 2};
  h.start("node-0");
  h.start("node-1");
  h.run_for(60s);
  EXPECT_TRUE(h.node("node-0").leading);
  EXPECT_FALSE(h.node("node-1").leading);
  EXPECT_EQ(h.node("node-1").m->observed_holder(), "node-0");
  EXPECT_EQ(h.max_simultaneous, 1);
}

TEST(K8sLeaderElection, KilledLeaderIsReplacedAfterLeaseDurationOnTheFollowersClock) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    harness h{kube_vip_e2e(), 2, seed};
    h.start("node-0");
    h.start("node-1");
    h.run_for(10s);
    auto killed_at = h.now();
    h.kill("node-0");
    h.run_for(20s);
    ASSERT_TRUE(h.first_start_of("node-1")) << "seed " << seed;
    auto took = *h.first_start_of("node-1") - killed_at;
    // Not before the lease could have expired (the last renew is at most one
    // retry period before the kill) and within lease duration plus two
    // jittered retries: the follower may see the last renewal up to 2.2 s
    // late and try again up to 2.2 s after expiry (client-go: 4-9.4 s at 5/3/1).
    EXPECT_GE(took, 4000ms) << "seed " << seed;
    EXPECT_LE(took, 9400ms + 1ms) << "seed " << seed;
    EXPECT_EQ(h.api().lease->holder, "node-1");
    EXPECT_EQ(h.api().lease->transitions, 1);
  }
}

TEST(K8sLeaderElection, ReleaseWithdrawsFirstThenWritesAnEmptyHolder) {
  // Order of actions, observed directly on a leader's machine.
  config cfg = kube_vip_e2e();
  cfg.identity = "solo";
  machine solo{cfg, [] { return 0.0; }};
  auto t0 = steady_time{1h};
  kvip::k8s::sys_micros w{};
  EXPECT_EQ(solo.state(), role::idle);
  auto a = solo.start(t0, w);
  EXPECT_EQ(solo.state(), role::candidate);
  ASSERT_EQ(a.back().what, action::kind::get);
  a = solo.response(outcome::not_found, std::nullopt, "", t0, w);
  ASSERT_EQ(a.back().what, action::kind::create);
  a = solo.response(outcome::ok, a.back().rec, "7", t0, w);
  ASSERT_TRUE(solo.leading());
  EXPECT_EQ(solo.state(), role::leader);
  auto r = solo.release(t0 + 1ms, w);
  EXPECT_EQ(solo.state(), role::releasing);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].what, action::kind::stopped_leading);
  EXPECT_EQ(r[1].what, action::kind::update);
  EXPECT_EQ(r[1].rec.holder, "");
  EXPECT_EQ(r[1].rec.lease_duration_s, 1);
  EXPECT_EQ(r[1].rv, "7");
  r = solo.response(outcome::ok, r[1].rec, "8", t0 + 2ms, w);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r.back().what, action::kind::stopped);
  EXPECT_FALSE(solo.leading());
  EXPECT_EQ(solo.state(), role::idle);
}

TEST(K8sLeaderElection, ReleasedLeaseIsTakenAtTheNextRetry) {
  harness h{kube_vip_e2e(), 2};
  h.start("node-0");
  h.start("node-1");
  h.run_for(5s);
  auto released_at = h.now();
  h.release("node-0");
  EXPECT_FALSE(h.node("node-0").leading);
  EXPECT_EQ(h.api().lease->holder, "");
  h.run_for(5s);
  ASSERT_TRUE(h.first_start_of("node-1"));
  EXPECT_LE(*h.first_start_of("node-1") - released_at, 2200ms + 1ms);
  EXPECT_EQ(h.api().lease->transitions, 1);
  EXPECT_EQ(h.max_simultaneous, 1);
}

TEST(K8sLeaderElection, PartitionedLeaderStepsDownBeforeAnyoneElseTakesOver) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    harness h{kube_vip_e2e(), 3, seed};
    auto old = settled_leader(h);
    ASSERT_FALSE(old.empty()) << "seed " << seed;
    auto cut_at = h.now();
    h.node(old).reachable = false;
    h.run_for(30s);
    // The old leader gave up within RenewDeadline (+ one retry period).
    auto [stopped, started] = handover(h, old);
    ASSERT_TRUE(stopped) << "seed " << seed;
    ASSERT_TRUE(started) << "seed " << seed;
    EXPECT_LE(*stopped - cut_at, 3000ms + 1000ms) << "seed " << seed;
    EXPECT_LT(*stopped, *started) << "seed " << seed; // never two leaders
    EXPECT_EQ(h.max_simultaneous, 1) << "seed " << seed;
  }
}

TEST(K8sLeaderElection, LeaderWhoseRequestsHangStepsDownAtTheRenewDeadline) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    harness h{kube_vip_e2e(), 3, seed};
    auto old = settled_leader(h);
    ASSERT_FALSE(old.empty()) << "seed " << seed;
    auto last_renew = *h.api().lease->renew_time;
    h.node(old).hang = true;
    h.run_for(30s);
    auto [stopped, started] = handover(h, old);
    ASSERT_TRUE(stopped) << "seed " << seed << ": never stepped down";
    ASSERT_TRUE(started) << "seed " << seed;
    EXPECT_LT(*stopped, *started) << "seed " << seed;
    // Last renewal + retry period (the next cycle's start) + renew deadline.
    auto renewed = steady_time{std::chrono::duration_cast<steady_time::duration>(
        last_renew.time_since_epoch() - 1700000000s)};
    EXPECT_LE(*stopped - renewed, 1000ms + 3000ms + 1ms) << "seed " << seed;
    EXPECT_EQ(h.max_simultaneous, 1) << "seed " << seed;
  }
}

TEST(K8sLeaderElection, RecoveredApiLetsTheFollowerKeepLeading) {
  harness h{kube_vip_e2e(), 2};
  h.start("node-0");
  h.start("node-1");
  h.run_for(3s);
  h.node("node-0").reachable = false;
  h.run_for(15s);
  h.node("node-0").reachable = true;
  h.run_for(15s);
  EXPECT_EQ(h.leaders(), std::vector<std::string>{"node-1"});
  EXPECT_EQ(h.node("node-0").m->observed_holder(), "node-1");
}

TEST(K8sLeaderElection, SimultaneousCreateHasOneWinner) {
  config cfg = kube_vip_e2e();
  cfg.identity = "a";
  machine a{cfg, [] { return 0.5; }};
  cfg.identity = "b";
  machine b{cfg, [] { return 0.5; }};
  steady_time t{1h};
  kvip::k8s::sys_micros w{};
  a.start(t, w);
  b.start(t, w);
  auto ca = a.response(outcome::not_found, std::nullopt, "", t, w);
  auto cb = b.response(outcome::not_found, std::nullopt, "", t, w);
  ASSERT_EQ(ca.back().what, action::kind::create);
  ASSERT_EQ(cb.back().what, action::kind::create);
  a.response(outcome::ok, ca.back().rec, "1", t, w);
  auto lost = b.response(outcome::conflict, std::nullopt, "", t, w);
  EXPECT_TRUE(a.leading());
  EXPECT_FALSE(b.leading());
  ASSERT_EQ(lost.back().what, action::kind::arm_timer);
  EXPECT_EQ(lost.back().delay, 1600ms); // retry × (1 + 0.5 × 1.2)
}

TEST(K8sLeaderElection, StaleCachedLeaseFallsBackToGet) {
  config cfg = kube_vip_e2e();
  cfg.identity = "a";
  machine a{cfg, [] { return 0.0; }};
  steady_time t{1h};
  kvip::k8s::sys_micros w{};
  a.start(t, w);
  auto c = a.response(outcome::not_found, std::nullopt, "", t, w);
  a.response(outcome::ok, c.back().rec, "1", t, w);
  auto renew = a.timer(t + 1s, w);
  // A renew cycle: the renew-deadline timer first (drivers wait for a
  // request's answer before the next action), then the CAS write.
  ASSERT_EQ(renew.size(), 2u);
  EXPECT_EQ(renew[0].what, action::kind::arm_timer);
  EXPECT_EQ(renew[0].delay, 3000ms);
  ASSERT_EQ(renew[1].what, action::kind::update);
  EXPECT_EQ(renew[1].rv, "1");
  auto slow = a.response(outcome::conflict, std::nullopt, "", t + 1s, w);
  ASSERT_EQ(slow.back().what, action::kind::get);
  // The fetched record still names us: we renew with the fresh RV, keeping
  // acquireTime and transitions.
  auto mine = c.back().rec;
  auto upd = a.response(outcome::ok, mine, "5", t + 1s, w);
  ASSERT_EQ(upd.back().what, action::kind::update);
  EXPECT_EQ(upd.back().rv, "5");
  EXPECT_EQ(upd.back().rec.transitions, 0);
  EXPECT_EQ(upd.back().rec.acquire_time, mine.acquire_time);
}

/// A machine that created the Lease and leads; returns the create's record.
record lead(machine& m, steady_time t) {
  kvip::k8s::sys_micros w{};
  m.start(t, w);
  auto c = m.response(outcome::not_found, std::nullopt, "", t, w);
  m.response(outcome::ok, c.back().rec, "1", t, w);
  return c.back().rec;
}

bool has(const std::vector<action>& acts, action::kind k) {
  return std::any_of(acts.begin(), acts.end(), [k](const action& a) { return a.what == k; });
}

TEST(K8sLeaderElection, StartingAgainWhileTheReleaseIsInFlightWaitsForIt) {
  // Health flaps: unhealthy (release), healthy again before the release PUT
  // is answered. A second request now would have its answer mistaken for
  // the release's, and the node would lead on a released Lease.
  config cfg = kube_vip_e2e();
  cfg.identity = "a";
  machine m{cfg, [] { return 0.0; }};
  steady_time t{1h};
  kvip::k8s::sys_micros w{};
  lead(m, t);
  auto rel = m.release(t + 100ms, w);
  ASSERT_EQ(rel.back().what, action::kind::update);
  EXPECT_EQ(rel.back().rec.holder, "");
  EXPECT_TRUE(m.start(t + 110ms, w).empty());   // no second request in flight
  EXPECT_TRUE(m.release(t + 115ms, w).empty()); // and no second release either
  EXPECT_EQ(m.state(), role::releasing);
  m.start(t + 116ms, w);
  EXPECT_EQ(m.state(), role::candidate);
  auto after = m.response(outcome::ok, rel.back().rec, "2", t + 120ms, w);
  EXPECT_TRUE(has(after, action::kind::stopped));
  EXPECT_FALSE(has(after, action::kind::started_leading));
  EXPECT_FALSE(m.leading());
  // The campaign resumes with a fresh read of the (released) Lease.
  EXPECT_EQ(after.back().what, action::kind::get);
}

TEST(K8sLeaderElection, ARenewalAnsweredAfterTheDeadlineDoesNotRestoreLeadership) {
  config cfg = kube_vip_e2e();
  cfg.identity = "a";
  machine m{cfg, [] { return 0.0; }};
  steady_time t{1h};
  kvip::k8s::sys_micros w{};
  auto rec = lead(m, t);
  auto renew = m.timer(t + 1s, w);
  ASSERT_EQ(renew.back().what, action::kind::update);
  auto down = m.timer(t + 4s, w); // the renew deadline passes, no answer yet
  EXPECT_TRUE(has(down, action::kind::stopped_leading));
  EXPECT_FALSE(m.leading());
  EXPECT_EQ(m.state(), role::candidate);
  auto late = m.response(outcome::ok, renew.back().rec, "2", t + 4200ms, w);
  EXPECT_FALSE(has(late, action::kind::started_leading));
  EXPECT_FALSE(m.leading());
  // It stays a candidate: the next attempt may take the Lease properly.
  EXPECT_EQ(late.back().what, action::kind::arm_timer);
  (void)rec;
}

TEST(K8sLeaderElection, NewLeaderIsReportedWhenTheHolderChanges) {
  config cfg = kube_vip_e2e();
  cfg.identity = "me";
  machine m{cfg, [] { return 0.0; }};
  steady_time t{1h};
  kvip::k8s::sys_micros w{};
  m.start(t, w);
  record other;
  other.holder = "other";
  other.lease_duration_s = 5;
  auto a = m.response(outcome::ok, other, "3", t, w);
  ASSERT_GE(a.size(), 1u);
  EXPECT_EQ(a.front().what, action::kind::new_leader);
  EXPECT_EQ(a.front().holder, "other");
  m.timer(t + 2s, w);
  auto again = m.response(outcome::ok, other, "3", t + 2s, w);
  for (auto& x : again)
    EXPECT_NE(x.what, action::kind::new_leader);
}

} // namespace
