// The elector's node-level policy (k8s/election_policy) as tables: each row
// is an event and the exact effects (in order) and phase it must lead to.
// Events and effects are written as short strings, so a table reads like the
// trace of a run:
//
//   event                       effects
//   "start"                     "leading off", "withdraw"
//   "vips ok"                   "get"
//   "lease not_found"           "create holder=n1"
//
// Events: start | shutdown | health good|bad | timer [stale] | advance <ms> |
// announcer <id> | vips ok|held|error|timeout | lease ok <holder> <rv> |
// lease not_found|conflict|http|timeout.
#include "k8s/election_policy.hpp"

#include <sstream>

#include <gtest/gtest.h>

namespace {

using namespace kvip::k8s::election;
using namespace std::chrono_literals;
using kvip::k8s::error_kind;

struct row {
  std::string event;
  std::vector<std::string> effects;
  phase after;
};

struct scenario {
  std::string name;
  std::vector<row> rows;
};

std::ostream& operator<<(std::ostream& os, const scenario& s) {
  return os << s.name;
}

std::string describe(const effect& e) {
  std::string s = to_string(e.what);
  switch (e.what) {
  case effect::kind::get_lease:
    return "get";
  case effect::kind::create_lease:
    return "create holder=" + e.rec.holder;
  case effect::kind::update_lease:
    return "update holder=" + e.rec.holder + " rv=" + e.rv;
  case effect::kind::arm_timer:
    return "arm_timer " + std::to_string(e.delay.count()) + "ms";
  case effect::kind::leading:
    return e.on ? "leading on" : "leading off";
  default:
    return s;
  }
}

/// Drives one policy through a table.
class driver {
public:
  driver() : p_(make_config(), "kube-system/plndr-cp-lock", [] { return 0.0; }) {
    ctx_.now = steady_time{1h};
    ctx_.announcer = 1;
  }

  static config make_config() {
    config c;
    c.identity = "n1";
    c.lease_duration = 5000ms;
    c.renew_deadline = 3000ms;
    c.retry_period = 1000ms;
    return c;
  }

  std::vector<std::string> run(const std::string& event) {
    std::istringstream in{event};
    std::string what, arg, holder, rv;
    in >> what >> arg >> holder >> rv;
    ctx_.wall = kvip::k8s::sys_micros{
        std::chrono::duration_cast<std::chrono::microseconds>(ctx_.now.time_since_epoch())};
    std::vector<std::string> out;
    for (auto& e : dispatch(what, arg, holder, rv)) {
      if (e.what == effect::kind::arm_timer) armed_ = e.generation;
      out.push_back(describe(e));
    }
    return out;
  }

  phase state() const { return p_.state(); }
  const policy& core() const { return p_; }

private:
  std::vector<effect> dispatch(const std::string& what, const std::string& arg,
                               const std::string& holder, const std::string& rv) {
    if (what == "start") return p_.start(ctx_);
    if (what == "shutdown") return p_.shutdown(ctx_);
    if (what == "health") return p_.health(ctx_, arg == "good", arg == "good" ? "200" : "503");
    if (what == "timer") return p_.timer(ctx_, arg == "stale" ? armed_ - 1 : armed_);
    if (what == "advance") {
      ctx_.now += std::chrono::milliseconds{std::stoi(arg)};
      return {};
    }
    if (what == "announcer") {
      ctx_.announcer = std::stoull(arg);
      return {};
    }
    if (what == "vips") return vips(arg);
    if (what == "lease") return lease(arg, holder, rv);
    ADD_FAILURE() << "unknown event " << what;
    return {};
  }

  std::vector<effect> vips(const std::string& arg) {
    if (arg == "timeout") return p_.announce_timed_out(ctx_, "timeout");
    announce_answer a;
    a.holds_any = arg == "held";
    if (arg == "held" || arg == "error") a.error = "10.0.0.100/32 on eth0: failed";
    return p_.announce_answered(ctx_, a);
  }

  std::vector<effect> lease(const std::string& arg, const std::string& holder,
                            const std::string& rv) {
    if (arg == "timeout") return p_.lease_timed_out(ctx_, "timeout");
    if (arg == "not_found")
      return p_.lease_answered(ctx_, lease_answer::failed(error_kind::not_found, "404"));
    if (arg == "conflict")
      return p_.lease_answered(ctx_, lease_answer::failed(error_kind::conflict, "409"));
    if (arg == "http")
      return p_.lease_answered(ctx_, lease_answer::failed(error_kind::http, "503"));
    // "ok <holder> <rv>": "-" is the released (empty) holder.
    record r;
    r.holder = holder == "-" ? "" : holder;
    r.lease_duration_s = r.holder.empty() ? 1 : 5;
    return p_.lease_answered(ctx_, lease_answer::ok(r, rv));
  }

  policy p_;
  context ctx_;
  std::uint64_t armed_ = 0;
};

/// The rows that make n1 the leader of a fresh Lease (rv 1), VIPs announced.
std::vector<row> leading_rows() {
  return {
      {"start", {"leading off", "withdraw"}, phase::following},
      {"vips ok", {"get"}, phase::following},
      {"lease not_found", {"create holder=n1"}, phase::following},
      {"lease ok n1 1", {"leading on", "announce", "arm_timer 1000ms"}, phase::leading},
      {"vips ok", {}, phase::leading},
  };
}

std::vector<row> then(std::vector<row> a, const std::vector<row>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class ElectionPolicy : public ::testing::TestWithParam<scenario> {};

TEST_P(ElectionPolicy, Table) {
  driver d;
  int i = 0;
  for (const auto& r : GetParam().rows) {
    SCOPED_TRACE("row " + std::to_string(i++) + ": " + r.event);
    EXPECT_EQ(d.run(r.event), r.effects);
    EXPECT_STREQ(to_string(d.state()), to_string(r.after));
  }
}

const scenario tables[] = {
    {"FirstCandidateWithdrawsFirstThenCreatesAndRenews",
     then(leading_rows(),
          {
              {"advance 1000", {}, phase::leading},
              // The renew deadline timer comes before the renewal itself.
              {"timer", {"arm_timer 3000ms", "update holder=n1 rv=1"}, phase::leading},
              {"lease ok n1 2", {"arm_timer 1000ms"}, phase::leading},
          })},
    {"LeaseHeldByAnotherIsFollowed",
     {
         {"start", {"leading off", "withdraw"}, phase::following},
         {"vips ok", {"get"}, phase::following},
         {"lease ok other 1", {"arm_timer 1000ms"}, phase::following},
     }},
    {"ApiErrorRetriesAfterTheRetryPeriod",
     {
         {"start", {"leading off", "withdraw"}, phase::following},
         {"vips ok", {"get"}, phase::following},
         {"lease http", {"arm_timer 1000ms"}, phase::following},
         {"advance 1000", {}, phase::following},
         {"timer", {"get"}, phase::following},
         {"lease timeout", {"arm_timer 1000ms"}, phase::following},
     }},
    {"CreateRaceLostFollows",
     {
         {"start", {"leading off", "withdraw"}, phase::following},
         {"vips ok", {"get"}, phase::following},
         {"lease not_found", {"create holder=n1"}, phase::following},
         {"lease conflict", {"arm_timer 1000ms"}, phase::following},
     }},
    {"ShutdownWithdrawsBeforeReleasing",
     then(leading_rows(),
          {
              {"shutdown", {"leading off", "withdraw"}, phase::stopping},
              {"health bad", {}, phase::stopping}, // ignored while stopping
              {"vips ok", {"update holder= rv=1"}, phase::stopping},
              {"lease ok - 2", {"shutdown_done"}, phase::stopped},
              {"shutdown", {"shutdown_done"}, phase::stopped}, // answered at once
          })},
    {"ReleaseSkippedWhenTheVipCouldNotBeWithdrawn",
     then(leading_rows(),
          {
              {"shutdown", {"leading off", "withdraw"}, phase::stopping},
              {"vips held", {"shutdown_done"}, phase::stopped},
          })},
    {"ReleaseSkippedWhenTheAnnouncerDoesNotAnswer",
     then(leading_rows(),
          {
              {"shutdown", {"leading off", "withdraw"}, phase::stopping},
              {"vips timeout", {"shutdown_done"}, phase::stopped},
          })},
    {"ShutdownDuringARenewalReleasesAfterItsAnswer",
     then(leading_rows(),
          {
              {"advance 1000", {}, phase::leading},
              {"timer", {"arm_timer 3000ms", "update holder=n1 rv=1"}, phase::leading},
              {"shutdown", {"leading off", "withdraw"}, phase::stopping},
              {"vips ok", {}, phase::stopping},
              {"lease ok n1 2", {"update holder= rv=2"}, phase::stopping},
              {"lease ok - 3", {"shutdown_done"}, phase::stopped},
          })},
    {"RestartedAnnouncerGetsTheVipsBeforeTheNextRenewal",
     then(leading_rows(),
          {
              {"announcer 2", {}, phase::leading},
              {"advance 1000", {}, phase::leading},
              {"timer", {"announce", "arm_timer 3000ms"}, phase::leading},
              {"vips ok", {"update holder=n1 rv=1"}, phase::leading},
              {"lease ok n1 2", {"arm_timer 1000ms"}, phase::leading},
              {"advance 1000", {}, phase::leading},
              {"timer", {"arm_timer 3000ms", "update holder=n1 rv=2"}, phase::leading},
          })},
    {"FollowerIgnoresARestartedAnnouncer",
     {
         {"start", {"leading off", "withdraw"}, phase::following},
         {"vips ok", {"get"}, phase::following},
         {"lease ok other 1", {"arm_timer 1000ms"}, phase::following},
         {"announcer 2", {}, phase::following},
         {"timer", {"get"}, phase::following},
     }},
    {"HangingRenewalWithdrawsAtTheDeadlineAtOnce",
     then(leading_rows(),
          {
              {"advance 1000", {}, phase::leading},
              {"timer", {"arm_timer 3000ms", "update holder=n1 rv=1"}, phase::leading},
              {"advance 3000", {}, phase::leading},
              // The write still hangs; the withdraw does not wait for it.
              {"timer", {"leading off", "withdraw"}, phase::following},
              // Its late failure leads to a re-read, which waits for the withdraw.
              {"lease timeout", {}, phase::following},
              {"vips ok", {"get"}, phase::following},
          })},
    {"StaleTimerIsIgnored", then(leading_rows(),
                                 {
                                     {"timer stale", {}, phase::leading},
                                 })},
    {"UnhealthyLeaderWithdrawsReleasesAndWaitsForHealth",
     then(leading_rows(),
          {
              {"health bad", {"leading off", "withdraw"}, phase::paused},
              {"vips ok", {"update holder= rv=1"}, phase::paused},
              {"lease ok - 2", {}, phase::paused},
              {"health bad", {}, phase::paused},
              {"advance 10000", {}, phase::paused},
              {"timer", {}, phase::paused}, // not campaigning
              {"health good", {"get"}, phase::following},
              {"lease ok - 2", {"update holder=n1 rv=2"}, phase::following},
              {"lease ok n1 3", {"leading on", "announce", "arm_timer 1000ms"}, phase::leading},
          })},
    {"UnhealthyFollowerOnlyStopsCampaigning",
     {
         {"start", {"leading off", "withdraw"}, phase::following},
         {"vips ok", {"get"}, phase::following},
         {"lease ok other 1", {"arm_timer 1000ms"}, phase::following},
         {"health bad", {}, phase::paused},
         {"timer", {}, phase::paused},
         {"health good", {"get"}, phase::following},
     }},
    {"FailedAnnounceDoesNotBlockTheRelease",
     {
         {"start", {"leading off", "withdraw"}, phase::following},
         {"vips ok", {"get"}, phase::following},
         {"lease not_found", {"create holder=n1"}, phase::following},
         {"lease ok n1 1", {"leading on", "announce", "arm_timer 1000ms"}, phase::leading},
         {"vips error", {}, phase::leading},
         {"shutdown", {"leading off", "withdraw"}, phase::stopping},
         {"vips ok", {"update holder= rv=1"}, phase::stopping},
         {"lease ok - 2", {"shutdown_done"}, phase::stopped},
     }},
    {"StartTwiceIsIgnored",
     {
         {"start", {"leading off", "withdraw"}, phase::following},
         {"start", {}, phase::following},
     }},
};

INSTANTIATE_TEST_SUITE_P(K8s, ElectionPolicy, ::testing::ValuesIn(tables),
                         [](const auto& info) { return info.param.name; });

TEST(K8sElectionPolicy, CountsTransitionsAndTracksTheObservedHolder) {
  driver d;
  for (const auto& r : leading_rows())
    d.run(r.event);
  EXPECT_EQ(d.core().transitions(), 1u);
  EXPECT_EQ(d.core().observed_holder(), "n1");
  for (auto e : {"health bad", "vips ok", "lease ok - 2"})
    d.run(e);
  EXPECT_TRUE(d.core().paused());
  EXPECT_EQ(d.core().observed_holder(), "");
  for (auto e : {"health good", "lease ok - 2", "lease ok n1 3"})
    d.run(e);
  EXPECT_TRUE(d.core().leading());
  EXPECT_EQ(d.core().transitions(), 2u);
}

} // namespace
