#define CAF_SUITE node
#include "test/actors/fixture.hpp"

#include <csignal>
#include <string>
#include <vector>

#include "actors/directory.hpp"
#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/metrics.hpp"

using namespace std::chrono_literals;

namespace {

/// Test-only message: makes a worker throw.
struct crash_now : kvip::msg::traced {
  static constexpr const char* name = "crash_now";
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, crash_now&) {
  return f(caf::meta::type_name(crash_now::name));
}

/// Test-only message: makes a worker exit normally.
struct quit_now : kvip::msg::traced {
  static constexpr const char* name = "quit_now";
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, quit_now&) {
  return f(caf::meta::type_name(quit_now::name));
}

/// What the test's children did, shared with the test body.
struct journal {
  std::vector<caf::actor> spawned;  // every incarnation, in order
  std::vector<std::string> started; // names, in the order they were spawned
  std::vector<std::string> stopped; // names, in the order they got shutdown_request
};

/// A child that throws on crash_now, answers the supervision protocol and
/// records its shutdown.
caf::behavior worker(caf::event_based_actor* self, std::string name, std::shared_ptr<journal> log) {
  kvip::log_crashes(self, name);
  return {
      kvip::on(self, [](const crash_now&) { throw std::runtime_error("boom"); }),
      kvip::on(self, [self](const quit_now&) { self->quit(); }),
      kvip::on(self,
               [name](const kvip::msg::dump_request&) {
                 kvip::msg::dump_reply r;
                 r.actor = name;
                 r.text = "fine";
                 return r;
               }),
      kvip::on(self,
               [name, log](const kvip::msg::shutdown_request&) {
                 log->stopped.push_back(name);
                 kvip::msg::shutdown_done d;
                 d.actor = name;
                 return d;
               }),
  };
}

kvip::child_spec worker_spec(std::string name, std::shared_ptr<journal> log,
                             kvip::restart_policy policy = kvip::restart_policy::permanent,
                             kvip::sibling_role role = kvip::sibling_role::none) {
  return {name,
          [name, log](caf::local_actor* parent, std::shared_ptr<const kvip::directory>) {
            auto a = parent->spawn(worker, name, log);
            log->spawned.push_back(a);
            log->started.push_back(name);
            return caf::actor_cast<kvip::msg::child_actor>(a);
          },
          policy, role};
}

struct fixture : test_coordinator_fixture<> {
  kvip::net::telemetry::registry reg;
  std::shared_ptr<journal> log = std::make_shared<journal>();
  std::shared_ptr<kvip::test::exit_record> node_exit = std::make_shared<kvip::test::exit_record>();
  caf::actor node;
  caf::actor observer; // must stay referenced, or it exits as unreachable
  std::shared_ptr<kvip::directory> siblings = std::make_shared<kvip::directory>();

  void start(std::vector<kvip::child_spec> children, kvip::supervisor_limits limits = {}) {
    node = kvip::spawn_node(sys, std::move(children), limits, reg, siblings);
    sched.run();
    observer = kvip::test::observe_exit(sys, node, node_exit);
    sched.run();
  }

  ~fixture() {
    // Let the actor system's destructor find no live actors.
    if (!node_exit->down) {
      caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
      sched.run();
      sched.trigger_timeouts();
      sched.run();
    }
  }

  double restarts(const std::string& child) {
    return reg.counter_family("kvip_supervisor_restarts_total", "", {"child"})
        .with({child})
        .Value();
  }

  void crash(const caf::actor& a) {
    caf::anon_send(a, crash_now{});
    sched.run();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(node_tests, fixture)

CAF_TEST(children start in table order and stop in reverse table order) {
  // Names out of alphabetical order, so neither order can come from sorting.
  start({worker_spec("zulu", log), worker_spec("alpha", log), worker_spec("mike", log)});
  CAF_CHECK_EQUAL(log->started, (std::vector<std::string>{"zulu", "alpha", "mike"}));
  CAF_CHECK(!node_exit->down);
  kvip::msg::signal_received sig;
  sig.signo = SIGTERM;
  caf::anon_send(node, sig);
  sched.run();
  CAF_CHECK_EQUAL(log->stopped, (std::vector<std::string>{"mike", "alpha", "zulu"}));
  CAF_CHECK(node_exit->down);
}

CAF_TEST(a restarted child is restarted in its own place) {
  start({worker_spec("zulu", log), worker_spec("alpha", log), worker_spec("mike", log)});
  crash(log->spawned[0]); // zulu
  advance_time(100ms);
  sched.run();
  CAF_CHECK_EQUAL(log->started, (std::vector<std::string>{"zulu", "alpha", "mike", "zulu"}));
  kvip::msg::signal_received sig;
  sig.signo = SIGTERM;
  caf::anon_send(node, sig);
  sched.run();
  CAF_CHECK_EQUAL(log->stopped, (std::vector<std::string>{"mike", "alpha", "zulu"}));
}

CAF_TEST(a child that throws is restarted after its backoff and the restart metric goes up) {
  start({worker_spec("a", log)});
  CAF_REQUIRE_EQUAL(log->spawned.size(), 1u);
  CAF_CHECK_EQUAL(restarts("a"), 0.0);
  crash(log->spawned[0]);
  // The crash is counted at once; the new incarnation waits for the backoff.
  CAF_CHECK_EQUAL(restarts("a"), 1.0);
  CAF_CHECK_EQUAL(log->spawned.size(), 1u);
  advance_time(99ms);
  sched.run();
  CAF_CHECK_EQUAL(log->spawned.size(), 1u);
  advance_time(1ms);
  sched.run();
  CAF_REQUIRE_EQUAL(log->spawned.size(), 2u);
  CAF_CHECK(log->spawned[1] != log->spawned[0]);
  CAF_CHECK(!node_exit->down);
}

CAF_TEST(backoff doubles for a child that keeps crashing) {
  start({worker_spec("a", log)});
  crash(log->spawned.back());
  advance_time(100ms);
  sched.run();
  CAF_REQUIRE_EQUAL(log->spawned.size(), 2u);
  crash(log->spawned.back());
  advance_time(199ms);
  sched.run();
  CAF_CHECK_EQUAL(log->spawned.size(), 2u);
  advance_time(1ms);
  sched.run();
  CAF_CHECK_EQUAL(log->spawned.size(), 3u);
  CAF_CHECK_EQUAL(restarts("a"), 2.0);
}

CAF_TEST(exceeding the restart intensity stops the node with an error) {
  kvip::supervisor_limits limits;
  limits.max_restarts = 2;
  limits.period = std::chrono::seconds{30};
  start({worker_spec("steady", log), worker_spec("flaky", log)}, limits);
  for (int i = 0; i < 2; ++i) {
    crash(log->spawned.back());
    advance_time(5s);
    sched.run();
  }
  CAF_CHECK(!node_exit->down);
  CAF_CHECK_EQUAL(restarts("flaky"), 2.0);
  crash(log->spawned.back()); // third restart within 30 s: over the limit
  CAF_CHECK(node_exit->down);
  CAF_CHECK(node_exit->reason);
  CAF_CHECK_NOT_EQUAL(sys.render(node_exit->reason).find(kvip::intensity_exceeded),
                      std::string::npos);
  // The surviving child was still asked to undo its work.
  CAF_CHECK_EQUAL(log->stopped, std::vector<std::string>{"steady"});
}

CAF_TEST(restarts outside the period do not count towards the limit) {
  kvip::supervisor_limits limits;
  limits.max_restarts = 1;
  limits.period = std::chrono::seconds{10};
  start({worker_spec("a", log)}, limits);
  for (int i = 0; i < 3; ++i) {
    crash(log->spawned.back());
    advance_time(11s);
    sched.run();
  }
  CAF_CHECK(!node_exit->down);
  CAF_CHECK_EQUAL(log->spawned.size(), 4u);
}

CAF_TEST(sigterm stops children in reverse order and the node exits normally) {
  start({worker_spec("first", log), worker_spec("second", log), worker_spec("third", log)});
  kvip::msg::signal_received sig;
  sig.signo = SIGTERM;
  caf::anon_send(node, sig);
  sched.run();
  CAF_CHECK_EQUAL(log->stopped, (std::vector<std::string>{"third", "second", "first"}));
  CAF_CHECK(node_exit->down);
  CAF_CHECK(!node_exit->reason);
}

CAF_TEST(a child that does not confirm shutdown is skipped after the timeout) {
  auto silent =
      kvip::child_spec{"silent",
                       [](caf::local_actor* parent, std::shared_ptr<const kvip::directory>) {
                         auto a = parent->spawn([](caf::event_based_actor* self) -> caf::behavior {
                           // Takes the request's promise and never delivers it.
                           auto held = std::make_shared<std::vector<caf::response_promise>>();
                           return {[self, held](const kvip::msg::shutdown_request&) {
                             held->push_back(self->make_response_promise());
                           }};
                         });
                         return caf::actor_cast<kvip::msg::child_actor>(a);
                       },
                       kvip::restart_policy::permanent, kvip::sibling_role::none};
  start({worker_spec("first", log), silent});
  kvip::msg::signal_received sig;
  sig.signo = SIGINT;
  caf::anon_send(node, sig);
  sched.run();
  CAF_CHECK(!node_exit->down);
  // The node waits for `silent`'s reply until the request times out.
  sched.trigger_timeouts();
  sched.run();
  CAF_CHECK_EQUAL(log->stopped, std::vector<std::string>{"first"});
  CAF_CHECK(node_exit->down);
}

CAF_TEST(transient children are restarted only after a crash and temporary never) {
  start({worker_spec("t", log, kvip::restart_policy::transient),
         worker_spec("tmp", log, kvip::restart_policy::temporary)});
  auto t = log->spawned[0];
  auto tmp = log->spawned[1];
  crash(tmp);
  advance_time(1s);
  sched.run();
  CAF_CHECK_EQUAL(log->spawned.size(), 2u);
  CAF_CHECK_EQUAL(restarts("tmp"), 0.0);
  caf::anon_send(t, quit_now{});
  sched.run();
  advance_time(1s);
  sched.run();
  CAF_CHECK_EQUAL(log->spawned.size(), 2u);
  CAF_CHECK(!node_exit->down);
}

CAF_TEST(transient child crash is restarted) {
  start({worker_spec("t", log, kvip::restart_policy::transient)});
  crash(log->spawned[0]);
  advance_time(100ms);
  sched.run();
  CAF_CHECK_EQUAL(log->spawned.size(), 2u);
}

CAF_TEST(a restarted child is reachable through the directory) {
  // A name longer than 10 characters: CAF's registry could not hold it.
  start({worker_spec("announcer_with_a_long_name", log, kvip::restart_policy::permanent,
                     kvip::sibling_role::announcer)});
  CAF_REQUIRE_EQUAL(log->spawned.size(), 1u);
  CAF_CHECK(siblings->announcer().address() == log->spawned[0].address());
  crash(log->spawned[0]);
  // Down and not yet restarted: a sibling reads an invalid handle.
  CAF_CHECK(!siblings->announcer());
  advance_time(100ms);
  sched.run();
  CAF_REQUIRE_EQUAL(log->spawned.size(), 2u);
  CAF_REQUIRE(siblings->announcer());
  CAF_CHECK(siblings->announcer().address() == log->spawned[1].address());
  // A message through the directory reaches the new incarnation.
  auto h = self->request(siblings->announcer(), caf::infinite, kvip::msg::dump_request{});
  sched.run();
  std::string answered;
  h.receive([&](const kvip::msg::dump_reply& r) { answered = r.actor; },
            [](caf::error&) { CAF_FAIL("the restarted announcer did not answer"); });
  CAF_CHECK_EQUAL(answered, "announcer_with_a_long_name");
}

CAF_TEST(a sibling looking up a dead child gets an invalid handle) {
  start({worker_spec("elector", log, kvip::restart_policy::temporary, kvip::sibling_role::elector),
         worker_spec("health", log, kvip::restart_policy::permanent, kvip::sibling_role::health)});
  CAF_CHECK(siblings->elector());
  CAF_CHECK(siblings->health());
  crash(log->spawned[0]); // temporary: never restarted
  advance_time(1s);
  sched.run();
  CAF_CHECK(!siblings->elector());
  CAF_CHECK(siblings->health());
  CAF_CHECK(!siblings->announcer()); // a role nobody plays
  kvip::msg::signal_received sig;
  sig.signo = SIGTERM;
  caf::anon_send(node, sig);
  sched.run();
  CAF_CHECK(node_exit->down);
  CAF_CHECK(!siblings->health()); // a stopped node leaves an empty directory
}

CAF_TEST(the telemetry role receives the children count) {
  auto status = std::make_shared<std::vector<kvip::msg::children_status>>();
  kvip::child_spec telemetry{
      "telemetry",
      [status](caf::local_actor* parent, std::shared_ptr<const kvip::directory>) {
        auto a = parent->spawn([status](caf::event_based_actor*) -> caf::behavior {
          return {
              [status](const kvip::msg::children_status& m) { status->push_back(m); },
              [](const kvip::msg::shutdown_request&) { return kvip::msg::shutdown_done{}; },
          };
        });
        return caf::actor_cast<kvip::msg::child_actor>(a);
      },
      kvip::restart_policy::permanent, kvip::sibling_role::telemetry};
  start({telemetry, worker_spec("a", log)});
  CAF_REQUIRE(!status->empty());
  CAF_CHECK_EQUAL(status->back().up, 2u);
  CAF_CHECK_EQUAL(status->back().total, 2u);
  CAF_CHECK(!status->back().stopping);
  crash(log->spawned[0]);
  CAF_CHECK_EQUAL(status->back().up, 1u);
  kvip::msg::signal_received sig;
  sig.signo = SIGTERM;
  caf::anon_send(node, sig);
  sched.run();
  CAF_CHECK(status->back().stopping);
}

CAF_TEST_FIXTURE_SCOPE_END()
