// Table tests of the supervisor's restart policy (actors/restart_policy.hpp):
// each row is a scenario of events with the effects every event must return
// and the state after it. No CAF, virtual time.

#include "actors/restart_policy.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace sv = kvip::supervision;
using kvip::restart_policy;
using namespace std::chrono_literals;

namespace kvip::supervision {
void PrintTo(const effect& e, std::ostream* os) {
  *os << to_string(e.what) << "(" << e.child << ", "
      << std::chrono::duration_cast<std::chrono::milliseconds>(e.delay).count() << " ms"
      << (e.failed ? ", failed" : "") << ")";
}
} // namespace kvip::supervision

namespace {

using kind = sv::effect::kind;

sv::effect fx(kind k, std::size_t child = 0) {
  sv::effect e{k};
  e.child = child;
  return e;
}
sv::effect restart_in(std::size_t child, std::chrono::milliseconds delay) {
  auto e = fx(kind::schedule_restart, child);
  e.delay = delay;
  return e;
}
sv::effect quit(bool failed) {
  auto e = fx(kind::quit);
  e.failed = failed;
  return e;
}
const sv::effect status = fx(kind::publish_status);

enum class ev { start, started, crash, exit, due, stop, answered };

struct step {
  ev event;
  std::size_t child = 0;
  std::chrono::milliseconds at{0}; ///< virtual time of the event
  std::vector<sv::effect> expect;
  sv::state after;
};

struct scenario {
  std::string name;
  std::vector<restart_policy> children;
  int max_restarts = 5;
  std::vector<step> steps;
};

void PrintTo(const scenario& s, std::ostream* os) {
  *os << s.name;
}

/// Start + started for `n` children at t = 0 (the usual prefix).
std::vector<step> boot(std::size_t n) {
  step s{ev::start, 0, 0ms, {}, sv::state::running};
  for (std::size_t i = 0; i < n; ++i)
    s.expect.push_back(fx(kind::start_child, i));
  std::vector<step> out{s};
  for (std::size_t i = 0; i < n; ++i)
    out.push_back({ev::started, i, 0ms, {status}, sv::state::running});
  return out;
}

std::vector<step> operator+(std::vector<step> a, const std::vector<step>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const auto running = sv::state::running;
const auto stopping = sv::state::stopping;
const auto stopped = sv::state::stopped;
const auto permanent = restart_policy::permanent;
const auto transient = restart_policy::transient;
const auto temporary = restart_policy::temporary;

std::vector<scenario> table() {
  return {
      {"permanent child is restarted after a crash and after a normal exit",
       {permanent},
       5,
       boot(1) +
           std::vector<step>{
               {ev::crash, 0, 1000ms, {status, restart_in(0, 100ms)}, running},
               {ev::due, 0, 1100ms, {fx(kind::start_child, 0)}, running},
               {ev::started, 0, 1100ms, {status}, running},
               {ev::exit, 0, 2000ms, {status, restart_in(0, 200ms)}, running},
           }},
      {"transient child is restarted only after a crash",
       {transient},
       5,
       boot(1) +
           std::vector<step>{
               {ev::crash, 0, 1000ms, {status, restart_in(0, 100ms)}, running},
               {ev::due, 0, 1100ms, {fx(kind::start_child, 0)}, running},
               {ev::started, 0, 1100ms, {status}, running},
               {ev::exit, 0, 2000ms, {status}, running},
           }},
      {"temporary child is never restarted",
       {temporary},
       5,
       boot(1) + std::vector<step>{{ev::crash, 0, 1000ms, {status}, running}}},
      {"backoff doubles per recent restart and is capped at 5 s",
       {permanent},
       100,
       boot(1) +
           std::vector<step>{
               {ev::crash, 0, 0ms, {status, restart_in(0, 100ms)}, running},
               {ev::started, 0, 0ms, {status}, running},
               {ev::crash, 0, 1ms, {status, restart_in(0, 200ms)}, running},
               {ev::started, 0, 1ms, {status}, running},
               {ev::crash, 0, 2ms, {status, restart_in(0, 400ms)}, running},
               {ev::started, 0, 2ms, {status}, running},
               {ev::crash, 0, 3ms, {status, restart_in(0, 800ms)}, running},
               {ev::started, 0, 3ms, {status}, running},
               {ev::crash, 0, 4ms, {status, restart_in(0, 1600ms)}, running},
               {ev::started, 0, 4ms, {status}, running},
               {ev::crash, 0, 5ms, {status, restart_in(0, 3200ms)}, running},
               {ev::started, 0, 5ms, {status}, running},
               {ev::crash, 0, 6ms, {status, restart_in(0, 5000ms)}, running},
           }},
      {"restarts older than the period neither double the backoff nor count",
       {permanent},
       1,
       boot(1) +
           std::vector<step>{
               {ev::crash, 0, 0ms, {status, restart_in(0, 100ms)}, running},
               {ev::started, 0, 100ms, {status}, running},
               {ev::crash, 0, 30101ms, {status, restart_in(0, 100ms)}, running},
           }},
      {"backoff is per child",
       {permanent, permanent},
       5,
       boot(2) +
           std::vector<step>{
               {ev::crash, 0, 0ms, {status, restart_in(0, 100ms)}, running},
               {ev::crash, 1, 10ms, {status, restart_in(1, 100ms)}, running},
           }},
      {"more than max_restarts within the period stops the node in reverse order",
       {permanent, permanent, permanent},
       2,
       boot(3) +
           std::vector<step>{
               {ev::crash, 1, 0ms, {status, restart_in(1, 100ms)}, running},
               {ev::started, 1, 100ms, {status}, running},
               {ev::crash, 1, 5000ms, {status, restart_in(1, 200ms)}, running},
               {ev::started, 1, 5200ms, {status}, running},
               {ev::crash, 1, 10000ms, {status, status, fx(kind::ask_shutdown, 2)}, stopping},
               {ev::answered, 2, 10001ms, {fx(kind::ask_shutdown, 0)}, stopping},
               {ev::answered, 0, 10002ms, {fx(kind::kill_remaining), quit(true)}, stopped},
           }},
      {"stop asks running children one at a time in reverse order, skipping the down",
       {permanent, temporary, permanent},
       5,
       boot(3) +
           std::vector<step>{
               {ev::crash, 1, 0ms, {status}, running},
               {ev::stop, 0, 10ms, {status, fx(kind::ask_shutdown, 2)}, stopping},
               {ev::answered, 2, 11ms, {fx(kind::ask_shutdown, 0)}, stopping},
               {ev::answered, 0, 12ms, {fx(kind::kill_remaining), quit(false)}, stopped},
           }},
      {"a child going down during shutdown is skipped and not restarted",
       {permanent, permanent, permanent},
       5,
       boot(3) +
           std::vector<step>{
               {ev::stop, 0, 0ms, {status, fx(kind::ask_shutdown, 2)}, stopping},
               {ev::crash, 1, 1ms, {status}, stopping},
               {ev::due, 1, 2ms, {}, stopping},
               {ev::answered, 2, 3ms, {fx(kind::ask_shutdown, 0)}, stopping},
               {ev::answered, 0, 4ms, {fx(kind::kill_remaining), quit(false)}, stopped},
               {ev::stop, 0, 5ms, {}, stopped},
           }},
      {"stop with nothing running quits at once",
       {temporary},
       5,
       boot(1) +
           std::vector<step>{
               {ev::crash, 0, 0ms, {status}, running},
               {ev::stop, 0, 1ms, {status, fx(kind::kill_remaining), quit(false)}, stopped},
           }},
      {"a restart that is due for a running child does nothing",
       {permanent},
       5,
       boot(1) + std::vector<step>{{ev::due, 0, 1ms, {}, running}}},
  };
}

class restart_policy_table : public testing::TestWithParam<scenario> {};

TEST_P(restart_policy_table, effects_and_states) {
  const auto& sc = GetParam();
  std::vector<sv::child_info> children;
  for (std::size_t i = 0; i < sc.children.size(); ++i)
    children.push_back({"c" + std::to_string(i), sc.children[i]});
  kvip::supervisor_limits limits;
  limits.max_restarts = sc.max_restarts;
  sv::machine m{children, limits};
  sv::steady_time t0{};
  for (std::size_t n = 0; n < sc.steps.size(); ++n) {
    const auto& s = sc.steps[n];
    auto now = t0 + s.at;
    std::vector<sv::effect> got;
    switch (s.event) {
    case ev::start:
      got = m.start();
      break;
    case ev::started:
      got = m.started(s.child);
      break;
    case ev::crash:
      got = m.down(s.child, true, "boom", now);
      break;
    case ev::exit:
      got = m.down(s.child, false, "normal", now);
      break;
    case ev::due:
      got = m.restart_due(s.child);
      break;
    case ev::stop:
      got = m.stop("test");
      break;
    case ev::answered:
      got = m.shutdown_answered(s.child);
      break;
    }
    EXPECT_EQ(got, s.expect) << "step " << n;
    EXPECT_EQ(m.current(), s.after) << "step " << n << ": " << sv::to_string(m.current());
  }
}

INSTANTIATE_TEST_SUITE_P(scenarios, restart_policy_table, testing::ValuesIn(table()),
                         [](const testing::TestParamInfo<scenario>& info) {
                           std::string n;
                           for (char c : info.param.name)
                             n += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return n;
                         });

TEST(restart_policy, defaults_are_kube_vip_sized) {
  kvip::supervisor_limits l;
  EXPECT_EQ(l.max_restarts, 5);
  EXPECT_EQ(l.period, 30s);
  EXPECT_EQ(l.backoff_initial, 100ms);
  EXPECT_EQ(l.backoff_max, 5s);
}

TEST(restart_policy, the_sixth_restart_within_30_s_stops_the_node_by_default) {
  sv::machine m{{{"a", permanent}, {"b", permanent}}, {}};
  sv::steady_time t0{};
  m.start();
  m.started(0);
  m.started(1);
  for (int n = 0; n < 5; ++n) {
    auto i = static_cast<std::size_t>(n % 2);
    auto out = m.down(i, true, "boom", t0 + n * 5s);
    ASSERT_EQ(out.size(), 2u) << n;
    EXPECT_EQ(out[1].what, kind::schedule_restart) << n;
    m.started(i);
  }
  auto out = m.down(1, true, "boom", t0 + 29s);
  EXPECT_EQ(m.current(), sv::state::stopping);
  EXPECT_EQ(out, (std::vector<sv::effect>{status, status, fx(kind::ask_shutdown, 0)}));
}

TEST(restart_policy, counts_what_the_dump_shows) {
  sv::machine m{{{"a", permanent}, {"b", temporary}}, {}};
  sv::steady_time t0{};
  m.start();
  m.started(0);
  m.started(1);
  EXPECT_EQ(m.up_count(), 2u);
  m.down(0, true, "boom", t0);
  m.down(1, true, "boom", t0);
  EXPECT_EQ(m.up_count(), 0u);
  EXPECT_EQ(m.recent_restarts(0), 1u);
  EXPECT_EQ(m.recent_restarts(1), 0u);
  EXPECT_EQ(m.restarts_in_window(), 1u);
  EXPECT_EQ(m.index_of("b"), 1u);
  EXPECT_EQ(m.index_of("nobody"), 2u);
}

} // namespace
