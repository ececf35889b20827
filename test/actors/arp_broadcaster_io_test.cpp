// The announcer's host calls run off the scheduler (actors/arp_broadcaster_io):
// with ONE scheduler thread, a netlink call that hangs for 3 s in the
// announcer must not stop the elector renewing its Lease. A real (threaded)
// actor system, not the test coordinator: blocking is what is tested.
#define CAF_SUITE arp_broadcaster_io
#include "test/actors/fixture.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <boost/json.hpp>

#include "actors/arp_broadcaster.hpp"
#include "actors/directory.hpp"
#include "actors/lease_elector.hpp"
#include "actors/tracing.hpp"
#include "k8s/objects.hpp"
#include "messages/election.hpp"
#include "net/telemetry/metrics.hpp"
#include "net/wait.hpp"
#include "test/actors/fake_l2_host.hpp"

using namespace std::chrono_literals;

namespace {

/// Makes the fake host's address listing hang (as a netlink call stuck on the
/// kernel's rtnl lock would) once armed, until released or 3 s passed.
struct slow_netlink {
  std::atomic<int> adds{0};
  std::atomic<bool> armed{false};
  std::atomic<bool> blocking{false};
  std::mutex mtx;
  std::condition_variable cv;
  bool released = false;

  void on_call(const std::string& call) {
    if (call.rfind("add ", 0) == 0) ++adds;
    if (!armed || call.rfind("addresses ", 0) != 0) return;
    blocking = true;
    std::unique_lock lock{mtx};
    cv.wait_for(lock, 3s, [this] { return released; });
    blocking = false;
  }

  void release() {
    {
      std::lock_guard lock{mtx};
      released = true;
    }
    cv.notify_all();
  }
};

/// A stand-in for k8s_io: one Lease in memory (resourceVersion CAS); counts
/// the renewals (updates written by the holder).
caf::behavior lease_store(caf::event_based_actor* self,
                          std::shared_ptr<std::atomic<int>> renewals) {
  auto lease = std::make_shared<std::optional<boost::json::object>>();
  auto rv = std::make_shared<int>(0);
  auto ok = [lease] {
    kvip::msg::lease_reply r;
    r.ok = true;
    r.object_json = boost::json::serialize(**lease);
    return r;
  };
  return {
      kvip::on(self,
               [lease, ok](const kvip::msg::lease_get&) {
                 kvip::msg::lease_reply r;
                 r.error = kvip::k8s::error_kind::not_found;
                 r.http_status = 404;
                 return *lease ? ok() : r;
               }),
      kvip::on(self,
               [lease, rv, ok, renewals](const kvip::msg::lease_write& w) {
                 kvip::k8s::lease l{boost::json::parse(w.object_json).as_object()};
                 if (w.create ? lease->has_value()
                              : (!*lease || l.resource_version() != std::to_string(*rv))) {
                   kvip::msg::lease_reply r;
                   r.error = kvip::k8s::error_kind::conflict;
                   r.http_status = 409;
                   return r;
                 }
                 if (!w.create) ++*renewals;
                 l.set_resource_version(std::to_string(++*rv));
                 *lease = l.raw();
                 return ok();
               }),
  };
}

kvip::elector_options elector_opts() {
  kvip::elector_options o;
  o.timings.identity = "n1";
  // Renewals every 100 ms; a deadline long enough that a loaded machine does
  // not lose the Lease (a withdraw would wait for the hung announcer).
  o.timings.lease_duration = 5000ms;
  o.timings.renew_deadline = 4000ms;
  o.timings.retry_period = 100ms;
  o.vips = {{"10.0.0.100", 32, "eth0"}};
  o.request_timeout = 500ms;
  return o;
}

} // namespace

CAF_TEST(a netlink call hanging in the announcer does not delay lease renewals) {
  kvip::net::telemetry::registry reg; // outlives the actor system
  auto slow = std::make_shared<slow_netlink>();
  auto host = std::make_shared<kvip::test::fake_l2_host>();
  host->add_link("eth0", 2, {0x02, 0, 0, 0, 0, 0x01});
  host->on_call = [slow](const std::string& call) { slow->on_call(call); };
  auto renewals = std::make_shared<std::atomic<int>>(0);
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 1); // a blocked handler would stop everything
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto store = sys.spawn(lease_store, renewals);
  auto siblings = std::make_shared<kvip::directory>();
  siblings->publish(kvip::sibling_role::k8s_io, store.address());
  kvip::arp_options ao;
  ao.node_name = "n1";
  ao.listen = false;
  ao.burst = {0ms};
  ao.refresh = 200ms; // every refresh lists the addresses: the call that hangs
  auto arp = kvip::spawn_arp_broadcaster(self.ptr(), ao, host, reg);
  siblings->publish(kvip::sibling_role::announcer, arp.address());
  auto eo = elector_opts();
  eo.siblings = siblings;
  auto elector = kvip::spawn_lease_elector(self.ptr(), eo, reg);

  // Leading and holding the VIP, then the next address listing hangs.
  CAF_CHECK(kvip::net::eventually([&] { return slow->adds >= 1 && *renewals >= 2; }, 10s));
  slow->armed = true;
  CAF_CHECK(kvip::net::eventually([&] { return slow->blocking.load(); }, 5s));
  auto before = renewals->load();
  CAF_CHECK(kvip::net::eventually([&] { return *renewals >= before + 5; }, 2000ms));
  CAF_CHECK(slow->blocking.load()); // the renewals happened while it hung
  CAF_MESSAGE("renewals while blocked: " << (renewals->load() - before));

  slow->release();
  slow->armed = false;
  for (const auto& a : {elector, caf::actor_cast<caf::actor>(arp), store})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}
