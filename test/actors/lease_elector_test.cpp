#define CAF_SUITE lease_elector
#include "test/actors/fixture.hpp"

#include <boost/json.hpp>

#include "actors/directory.hpp"
#include "actors/lease_elector.hpp"
#include "actors/tracing.hpp"
#include "k8s/objects.hpp"
#include "messages/announce.hpp"
#include "messages/election.hpp"
#include "messages/services.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/metrics.hpp"

using namespace std::chrono_literals;

namespace {

/// What the fakes saw, in order ("announce 1", "withdraw", "write holder=n1").
struct journal {
  std::vector<std::string> events;
  std::optional<boost::json::object> lease;
  int rv = 0;
  bool api_down = false;
  bool api_hangs = false;      ///< requests are taken and never answered
  bool withdraw_fails = false; ///< the announcer cannot remove the VIP
  std::vector<caf::response_promise> held;
};

/// A failed API call as k8s_io reports it.
kvip::msg::lease_reply failure(kvip::k8s::error_kind k, int status) {
  kvip::msg::lease_reply r;
  r.error = k;
  r.http_status = status;
  r.error_text = std::string{kvip::k8s::to_string(k)} + " (HTTP " + std::to_string(status) + ")";
  return r;
}

kvip::msg::lease_reply unavailable() {
  return failure(kvip::k8s::error_kind::http, 503);
}

/// A fake k8s_io: one in-memory Lease with resourceVersion CAS.
caf::behavior fake_io(caf::event_based_actor* self, std::shared_ptr<journal> j) {
  auto reply_ok = [j] {
    kvip::msg::lease_reply r;
    r.ok = true;
    r.object_json = boost::json::serialize(*j->lease);
    return r;
  };
  return {
      kvip::on(
          self,
          [self, j, reply_ok](const kvip::msg::lease_get&) -> caf::result<kvip::msg::lease_reply> {
            if (j->api_hangs) {
              j->held.push_back(self->make_response_promise());
              return caf::delegated<kvip::msg::lease_reply>{};
            }
            if (j->api_down) return unavailable();
            if (!j->lease) return failure(kvip::k8s::error_kind::not_found, 404);
            return reply_ok();
          }),
      kvip::on(self,
               [self, j,
                reply_ok](const kvip::msg::lease_write& w) -> caf::result<kvip::msg::lease_reply> {
                 if (j->api_hangs) {
                   j->held.push_back(self->make_response_promise());
                   return caf::delegated<kvip::msg::lease_reply>{};
                 }
                 if (j->api_down) return unavailable();
                 auto obj = boost::json::parse(w.object_json).as_object();
                 kvip::k8s::lease l{obj};
                 if (w.create && j->lease)
                   return failure(kvip::k8s::error_kind::already_exists, 409);
                 if (!w.create && (!j->lease || l.resource_version() != std::to_string(j->rv)))
                   return failure(kvip::k8s::error_kind::conflict, 409);
                 l.set_resource_version(std::to_string(++j->rv));
                 j->lease = l.raw();
                 j->events.push_back("write holder=" + l.holder_identity().value_or(""));
                 return reply_ok();
               }),
  };
}

/// A fake announcer recording the sets it is asked to hold.
caf::behavior fake_announcer(caf::event_based_actor* self, std::shared_ptr<journal> j) {
  return {
      kvip::on(self,
               [j](const kvip::msg::announce_set& s) {
                 j->events.push_back(s.vips.empty() ? "withdraw"
                                                    : "announce " + std::to_string(s.vips.size()));
                 kvip::msg::announce_result r;
                 for (auto& v : s.vips)
                   r.active.push_back(v.address);
                 if (s.vips.empty() && j->withdraw_fails) {
                   r.active.push_back("10.0.0.100");
                   r.error = "10.0.0.100/32 on eth0: remove failed";
                 }
                 return r;
               }),
  };
}

/// A fake service elector: records what the lease elector tells it.
caf::behavior fake_service_elector(caf::event_based_actor*, std::shared_ptr<journal> j) {
  return {[j](const kvip::msg::control_plane_held& m) {
    std::string e = "control plane";
    for (const auto& v : m.vips)
      e += " " + v;
    e += m.leading ? " leading" : " following";
    j->events.push_back(e);
  }};
}

struct fixture : test_coordinator_fixture<> {
  kvip::net::telemetry::registry reg;
  std::shared_ptr<journal> j = std::make_shared<journal>();
  caf::actor io, announcer, elector;
  std::shared_ptr<kvip::directory> siblings = std::make_shared<kvip::directory>();

  fixture() {
    io = sys.spawn(fake_io, j);
    announcer = sys.spawn(fake_announcer, j);
    siblings->publish(kvip::sibling_role::k8s_io, io.address());
    siblings->publish(kvip::sibling_role::announcer, announcer.address());
    sched.run();
  }

  ~fixture() {
    for (auto& a : {elector, io, announcer})
      if (a) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched.run();
  }

  kvip::elector_options options(const std::string& id) {
    kvip::elector_options o;
    o.timings.identity = id;
    o.timings.lease_duration = 5s;
    o.timings.renew_deadline = 3s;
    o.timings.retry_period = 1s;
    o.vips = {{"10.0.0.100", 32, "eth0"}};
    o.annotations = {{"example.com/owner", "kvip"}};
    // Deterministic: wall time follows the virtual clock, jitter is seeded.
    o.wall_clock = [this] {
      return std::chrono::system_clock::time_point{
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              sched.clock().now().time_since_epoch()) +
          std::chrono::hours{24 * 365 * 56}};
    };
    o.random_seed = 7;
    o.siblings = siblings;
    return o;
  }

  void start(const std::string& id) {
    elector = kvip::spawn_lease_elector(self.ptr(), options(id), reg);
    sched.run();
  }

  void health(bool ok) {
    kvip::msg::health_status h;
    h.healthy = ok;
    h.detail = ok ? "HTTP 200" : "HTTP 503";
    caf::anon_send(elector, h);
    sched.run();
  }

  std::string holder() {
    if (!j->lease) return "(none)";
    return kvip::k8s::lease{*j->lease}.holder_identity().value_or("");
  }

  /// The Lease exists, held by "other" (5 s), before any elector starts.
  void held_by_other() {
    auto l = kvip::k8s::lease::make("kube-system", "plndr-cp-lock");
    l.set_holder_identity("other");
    l.set_lease_duration_seconds(5);
    l.set_resource_version("1");
    j->rv = 1;
    j->lease = l.raw();
  }

  double is_leader(const std::string& id) {
    return reg.gauge_family("kube_vip_is_leader", "", {"node", "lease_name"})
        .with({id, "plndr-cp-lock"})
        .Value();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(lease_elector_tests, fixture)

CAF_TEST(first candidate creates the lease and announces the vip) {
  start("n1");
  CAF_CHECK_EQUAL(holder(), "n1");
  // A (re)started elector first withdraws whatever a predecessor announced.
  CAF_CHECK_EQUAL(j->events,
                  (std::vector<std::string>{"withdraw", "write holder=n1", "announce 1"}));
  CAF_CHECK_EQUAL(is_leader("n1"), 1.0);
  kvip::k8s::lease l{*j->lease};
  CAF_CHECK_EQUAL(l.annotation("example.com/owner").value_or(""), "kvip");
  CAF_CHECK_EQUAL(l.lease_duration_seconds().value_or(0), 5);
  // Renewals every retry period, no new announcements.
  for (int i = 0; i < 5; ++i) {
    advance_time(1s);
    sched.run();
  }
  CAF_CHECK_EQUAL(j->rv, 6);
  CAF_CHECK_EQUAL(j->events.back(), "write holder=n1");
}

CAF_TEST(the service elector hears the control plane vips and each change of leadership) {
  auto svc = sys.spawn(fake_service_elector, j);
  siblings->publish(kvip::sibling_role::service_elector, svc.address());
  auto told = [&] {
    std::vector<std::string> out;
    for (const auto& e : j->events)
      if (e.starts_with("control plane")) out.push_back(e);
    return out;
  };
  held_by_other();
  start("n1");
  advance_time(2s);
  sched.run();
  CAF_CHECK_EQUAL(told(), std::vector<std::string>{"control plane 10.0.0.100 following"});
  // The holder stops renewing: n1 takes the Lease, and says so once.
  for (int i = 0; i < 8; ++i) {
    advance_time(1s);
    sched.run();
  }
  CAF_REQUIRE_EQUAL(holder(), "n1");
  CAF_CHECK_EQUAL(told(), (std::vector<std::string>{"control plane 10.0.0.100 following",
                                                    "control plane 10.0.0.100 leading"}));
  // A restarted service elector is told again.
  auto second = sys.spawn(fake_service_elector, j);
  siblings->publish(kvip::sibling_role::service_elector, second.address());
  advance_time(1s);
  sched.run();
  auto after_restart = told();
  CAF_CHECK_EQUAL(after_restart.size(), 3u);
  CAF_CHECK_EQUAL(after_restart.back(), "control plane 10.0.0.100 leading");
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(second, caf::exit_reason::user_shutdown);
}

CAF_TEST(a lease held by another node is followed without announcing) {
  held_by_other();
  start("n1");
  advance_time(3s);
  sched.run();
  CAF_CHECK_EQUAL(j->events, std::vector<std::string>{"withdraw"}); // only the start-up one
  CAF_CHECK_EQUAL(is_leader("n1"), 0.0);
}

CAF_TEST(graceful stop withdraws the vip before releasing the lease) {
  start("n1");
  j->events.clear();
  self->send(elector, kvip::msg::shutdown_request{});
  sched.run();
  CAF_CHECK_EQUAL(j->events, (std::vector<std::string>{"withdraw", "write holder="}));
  kvip::k8s::lease l{*j->lease};
  CAF_CHECK_EQUAL(l.lease_duration_seconds().value_or(0), 1);
  CAF_CHECK_EQUAL(is_leader("n1"), 0.0);
  bool done = false;
  self->receive([&](const kvip::msg::shutdown_done& d) { done = d.actor == "lease_elector"; });
  CAF_CHECK(done);
  // No further campaigning after the release.
  advance_time(10s);
  sched.run();
  CAF_CHECK_EQUAL(j->events.size(), 2u);
}

CAF_TEST(unhealthy control plane releases and healthy again campaigns) {
  start("n1");
  j->events.clear();
  health(false);
  CAF_CHECK_EQUAL(j->events, (std::vector<std::string>{"withdraw", "write holder="}));
  advance_time(10s);
  sched.run();
  CAF_CHECK_EQUAL(j->events.size(), 2u); // paused: does not take the released lease back
  health(true);
  CAF_CHECK_EQUAL(holder(), "n1");
  CAF_CHECK_EQUAL(j->events.back(), "announce 1");
}

CAF_TEST(api outage makes the leader withdraw at the renew deadline) {
  start("n1");
  j->events.clear();
  j->api_down = true;
  for (int i = 0; i < 2; ++i) {
    advance_time(1s);
    sched.run();
  }
  CAF_CHECK(j->events.empty()); // still within the 3 s renew deadline
  for (int i = 0; i < 3; ++i) {
    advance_time(1s);
    sched.run();
  }
  CAF_CHECK_EQUAL(j->events, std::vector<std::string>{"withdraw"});
  CAF_CHECK_EQUAL(is_leader("n1"), 0.0);
  // The API comes back and nobody else took the lease: we lead again.
  j->api_down = false;
  for (int i = 0; i < 4; ++i) {
    advance_time(1s);
    sched.run();
  }
  CAF_CHECK(std::find(j->events.begin() + 1, j->events.end(), "announce 1") != j->events.end());
  CAF_CHECK_EQUAL(is_leader("n1"), 1.0);
}

CAF_TEST(a restarted announcer gets the vips again) {
  start("n1");
  // The announcer crashes and is restarted: the new incarnation holds nothing.
  auto second = sys.spawn(fake_announcer, j);
  siblings->publish(kvip::sibling_role::announcer, second.address());
  caf::anon_send_exit(announcer, caf::exit_reason::kill);
  announcer = second;
  sched.run();
  j->events.clear();
  advance_time(1s);
  sched.run();
  CAF_CHECK_EQUAL(j->events, (std::vector<std::string>{"announce 1", "write holder=n1"}));
  // ... once: the next renewals do not announce again.
  j->events.clear();
  advance_time(1s);
  sched.run();
  CAF_CHECK(std::find(j->events.begin(), j->events.end(), "announce 1") == j->events.end());
}

CAF_TEST(a vip that cannot be withdrawn is not handed over by releasing the lease) {
  start("n1");
  j->events.clear();
  j->withdraw_fails = true;
  self->send(elector, kvip::msg::shutdown_request{});
  sched.run();
  // Withdraw attempted, release skipped: the Lease still names n1 and will
  // expire instead, while this node's VIP problem is visible in its log.
  CAF_CHECK_EQUAL(j->events, std::vector<std::string>{"withdraw"});
  CAF_CHECK_EQUAL(holder(), "n1");
  bool done = false;
  self->receive([&](const kvip::msg::shutdown_done&) { done = true; });
  CAF_CHECK(done);
}

CAF_TEST(a leader whose api calls hang withdraws at the renew deadline) {
  start("n1");
  j->events.clear();
  j->api_hangs = true;
  advance_time(1s); // the next renew cycle starts; its write never returns
  sched.run();
  advance_time(2900ms);
  sched.run();
  CAF_CHECK(j->events.empty()); // the 3 s renew deadline has not passed yet
  advance_time(100ms);
  sched.run();
  CAF_CHECK_EQUAL(j->events, std::vector<std::string>{"withdraw"});
  CAF_CHECK_EQUAL(is_leader("n1"), 0.0);
}

CAF_TEST(an api request that is never answered times out and the campaign goes on) {
  start("n1");
  j->events.clear();
  j->api_hangs = true;
  advance_time(1s); // the renewal is sent and held
  sched.run();
  advance_time(3s); // renew deadline: withdraw while the request still hangs
  sched.run();
  CAF_CHECK_EQUAL(j->events, std::vector<std::string>{"withdraw"});
  j->api_hangs = false;
  // The held request times out (5 s after it was sent); the next attempt is
  // answered and n1, still the holder, leads again.
  for (int i = 0; i < 4; ++i) {
    advance_time(1s);
    sched.run();
  }
  CAF_REQUIRE(j->events.size() >= 3u);
  CAF_CHECK_EQUAL(j->events[1], "write holder=n1");
  CAF_CHECK_EQUAL(j->events[2], "announce 1");
  CAF_CHECK_EQUAL(is_leader("n1"), 1.0);
  CAF_CHECK_EQUAL(holder(), "n1");
}

CAF_TEST_FIXTURE_SCOPE_END()
