// The Service elector without gossip (actors/service_elector) on two nodes,
// n1 and n2, against the embedded API server over real HTTP: the Leases are
// real objects, each node has its own API connection, a fake announcer that
// records what it is asked to hold and a fake status writer. Global mode: one
// node holds plndr-svcs-lock and announces every IP, the other none; when the
// holder stops the other takes over; externalTrafficPolicy Local limits what
// the holder announces. Per-Service mode: Leases kubevip-<svc> in the
// Service's namespace and the kube-vip.io/leaseName override, only eligible
// nodes campaign, a node that stops being eligible releases, and an IP shared
// by two Services has one owner whose status names both. Real threads (the
// API actor is detached), so a real actor system; every wait is bounded.
#define CAF_SUITE service_elector
#include "test/actors/fixture.hpp"

#include <mutex>
#include <set>

#include "actors/directory.hpp"
#include "actors/service_elector.hpp"
#include "actors/tracing.hpp"
#include "k8s/client.hpp"
#include "k8s/lease_ops.hpp"
#include "k8s/resource.hpp"
#include "messages/announce.hpp"
#include "messages/services.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/kube_vip_metrics.hpp"
#include "net/telemetry/metrics.hpp"
#include "net/wait.hpp"
#include "simulation/apiserver.hpp"
#include "test/support/exposition.hpp"

using namespace std::chrono_literals;
namespace k8s = kvip::k8s;
namespace msg = kvip::msg;

namespace {

/// What one node's fakes saw (read from the test's thread while actors run).
struct node_log {
  std::mutex m;
  std::set<std::string> held;                ///< the announcer's current set
  std::vector<msg::service_status> statuses; ///< sent to the status writer

  std::string holds() {
    std::lock_guard lock{m};
    std::string s;
    for (const auto& a : held)
      s += (s.empty() ? "" : " ") + a;
    return s;
  }
  /// "ns/name@host" of every status request, in order.
  std::vector<std::string> status_lines() {
    std::lock_guard lock{m};
    std::vector<std::string> out;
    for (const auto& s : statuses)
      out.push_back(s.ns + "/" + s.service + "@" + s.vip_host);
    return out;
  }
};

caf::behavior fake_announcer(caf::event_based_actor*, std::shared_ptr<node_log> log) {
  return {
      [log](const msg::announce_set& s) {
        msg::announce_result r;
        std::lock_guard lock{log->m};
        log->held.clear();
        for (const auto& v : s.vips) {
          log->held.insert(v.address + "%" + v.interface);
          r.active.push_back(v.address);
        }
        return r;
      },
      [](const msg::shutdown_request&) { return msg::shutdown_done{}; },
  };
}

caf::behavior fake_status_writer(caf::event_based_actor*, std::shared_ptr<node_log> log) {
  return {[log](const msg::service_status& s) {
    std::lock_guard lock{log->m};
    log->statuses.push_back(s);
  }};
}

/// A Service IP: any node (nodes empty) or these, with the Lease it names.
msg::service_ip ip(const std::string& address, const std::string& lease_ns,
                   const std::string& lease, std::vector<std::string> services,
                   std::vector<std::string> nodes = {}) {
  msg::service_ip x;
  x.address = address;
  for (const auto& s : services)
    x.services.push_back({"default", s, "uid-" + s, {{"TCP", 80}}, {address}});
  x.any_node = nodes.empty();
  x.nodes = std::move(nodes);
  x.lease_namespace = lease_ns;
  x.lease_name = lease;
  return x;
}

struct node {
  std::shared_ptr<node_log> log = std::make_shared<node_log>();
  /// Its own kube-vip families (the election series carry no node label).
  std::unique_ptr<kvip::net::telemetry::registry> metrics =
      std::make_unique<kvip::net::telemetry::registry>();
  std::shared_ptr<kvip::net::telemetry::kube_vip_metrics> kube_vip =
      std::make_shared<kvip::net::telemetry::kube_vip_metrics>(*metrics, "n");
  std::shared_ptr<kvip::directory> dir = std::make_shared<kvip::directory>();
  caf::actor status_writer;
  msg::service_elector_actor elector;
};

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::unique_ptr<kvip::sim::apiserver> api;
  std::shared_ptr<k8s::client> client; ///< the test's reads
  caf::scoped_actor self{sys};
  kvip::net::telemetry::registry reg;
  std::map<std::string, node> nodes;
  std::vector<std::string> control_plane_vips; ///< given to every elector started

  fixture() {
    kvip::sim::apiserver_options o;
    o.listen = "127.0.0.1:0";
    api = std::make_unique<kvip::sim::apiserver>(o);
    CAF_REQUIRE(api->start().ok());
    client = make_client();
  }

  ~fixture() {
    for (auto& [name, n] : nodes)
      stop(name);
  }

  std::shared_ptr<k8s::client> make_client() {
    k8s::connection_config c;
    c.server = api->url();
    k8s::client_options opts;
    opts.request_timeout = 2000ms;
    opts.retry_backoff = 10ms;
    opts.max_retries = 1;
    opts.qps = 0;
    return std::make_shared<k8s::client>(c, opts);
  }

  void start(const std::string& name, bool per_service) {
    auto& n = nodes[name];
    n.status_writer = sys.spawn(fake_status_writer, n.log);
    n.dir->publish(kvip::sibling_role::status_writer, n.status_writer.address());
    kvip::service_elector_options o;
    o.election.timings.identity = name;
    o.election.timings.lease_duration = 2000ms;
    o.election.timings.renew_deadline = 1500ms;
    o.election.timings.retry_period = 200ms;
    o.election.per_service = per_service;
    o.election.interface = "eth0";
    o.election.prefix_v4 = 32;
    o.client = make_client();
    o.request_timeout = 2000ms;
    o.siblings = n.dir;
    o.random_seed = 1;
    o.kube_vip = n.kube_vip;
    o.control_plane_vips = control_plane_vips;
    auto log = n.log;
    o.make_announcer = [log](caf::local_actor* parent, kvip::net::telemetry::registry&) {
      return caf::actor_cast<msg::announcer_actor>(parent->spawn(fake_announcer, log));
    };
    n.elector = caf::actor_cast<msg::service_elector_actor>(
        kvip::spawn_service_elector(self.ptr(), std::move(o), reg));
  }

  /// Graceful stop: shutdown_request (withdraw, release), then exit.
  void stop(const std::string& name) {
    auto& n = nodes[name];
    if (n.elector) {
      self->request(n.elector, 10s, msg::shutdown_request{})
          .receive([](const msg::shutdown_done&) {},
                   [](caf::error& e) { CAF_FAIL("shutdown: " << e); });
      self->send_exit(n.elector, caf::exit_reason::user_shutdown);
      self->wait_for(n.elector);
      n.elector = msg::service_elector_actor{};
    }
    if (n.status_writer) {
      self->send_exit(n.status_writer, caf::exit_reason::user_shutdown);
      n.status_writer = caf::actor{};
    }
  }

  void send_ips(const std::string& name, std::vector<msg::service_ip> ips) {
    msg::service_ips m;
    m.ips = std::move(ips);
    m.changed_at_ns = static_cast<std::int64_t>(
        std::chrono::steady_clock::now().time_since_epoch() / std::chrono::nanoseconds{1});
    self->send(nodes[name].elector, m);
  }
  void send_all(const std::vector<msg::service_ip>& ips) {
    for (auto& [name, n] : nodes)
      if (n.elector) send_ips(name, ips);
  }

  /// The holder of Lease ns/name ("" when released, "?" when absent).
  std::string holder(const std::string& ns, const std::string& name) {
    auto l = k8s::get_lease(*client, ns, name);
    if (!l) return "?";
    return l->holder_identity().value_or("");
  }

  /// A series of node `name`'s kube-vip families for Service default/`svc`
  /// (-1 when absent).
  double series(const std::string& name, const std::string& family, const std::string& svc,
                kvip::test::label_set extra = {}) {
    kvip::test::label_set labels{{"namespace", "default"}, {"name", svc}};
    labels.insert(extra.begin(), extra.end());
    return kvip::test::exposed_value(nodes[name].metrics->expose(), family, labels).value_or(-1);
  }

  bool holds(const std::string& name, const std::string& what) {
    return nodes[name].log->holds() == what;
  }
};

bool eventually(const std::function<bool()>& pred) {
  return kvip::net::eventually(pred, 10s);
}

const std::string global_ns = "kube-system";
const std::string global_lease = "plndr-svcs-lock";

} // namespace

CAF_TEST_FIXTURE_SCOPE(service_elector_tests, fixture)

CAF_TEST(global mode one node holds plndr - svcs - lock and announces every ip) {
  start("n1", false);
  CAF_REQUIRE(eventually([&] { return holder(global_ns, global_lease) == "n1"; }));
  start("n2", false);
  send_all({ip("10.0.0.1", "default", "kubevip-a", {"a"}),
            ip("10.0.0.2", "default", "kubevip-b", {"b"})});
  CAF_CHECK(eventually([&] { return holds("n1", "10.0.0.1%eth0 10.0.0.2%eth0"); }));
  CAF_CHECK(kvip::net::always([&] { return holds("n2", ""); }, 1s));
  CAF_CHECK_EQUAL(holder(global_ns, global_lease), "n1");
  CAF_CHECK_EQUAL(holder("default", "kubevip-a"), "?"); // no per-Service Leases
  CAF_CHECK(eventually([&] {
    auto lines = nodes["n1"].log->status_lines();
    return lines == std::vector<std::string>{"default/a@n1", "default/b@n1"};
  }));
  CAF_CHECK(nodes["n2"].log->status_lines().empty());
  // The holder stops: it withdraws, releases, and n2 takes over.
  stop("n1");
  CAF_CHECK(nodes["n1"].log->holds().empty());
  CAF_CHECK(eventually([&] { return holds("n2", "10.0.0.1%eth0 10.0.0.2%eth0"); }));
  CAF_CHECK_EQUAL(holder(global_ns, global_lease), "n2");
  CAF_CHECK(eventually([&] { return nodes["n2"].log->status_lines().size() == 2; }));
}

CAF_TEST(global mode holder announces only local ips it may serve) {
  start("n1", false);
  CAF_REQUIRE(eventually([&] { return holder(global_ns, global_lease) == "n1"; }));
  start("n2", false);
  send_all({ip("10.0.0.1", "default", "kubevip-a", {"a"}),
            ip("10.0.0.3", "default", "kubevip-l", {"l"}, {"n2"})});
  CAF_CHECK(eventually([&] { return holds("n1", "10.0.0.1%eth0"); }));
  CAF_CHECK(kvip::net::always([&] { return holds("n2", ""); }, 1s));
  // Its local endpoint moves to n1: the holder announces it too.
  send_all({ip("10.0.0.1", "default", "kubevip-a", {"a"}),
            ip("10.0.0.3", "default", "kubevip-l", {"l"}, {"n1"})});
  CAF_CHECK(eventually([&] { return holds("n1", "10.0.0.1%eth0 10.0.0.3%eth0"); }));
}

CAF_TEST(global mode an ip forcing per service election has a lease of its own) {
  start("n1", false);
  CAF_REQUIRE(eventually([&] { return holder(global_ns, global_lease) == "n1"; }));
  start("n2", false);
  auto forced = ip("10.0.0.9", "default", "kubevip-f", {"f"}); // per_service_election_on_demand
  forced.own_lease = true;
  send_all({ip("10.0.0.1", "default", "kubevip-a", {"a"}), forced});
  CAF_REQUIRE(eventually([&] {
    auto h = holder("default", "kubevip-f");
    return h == "n1" || h == "n2";
  }));
  auto f = holder("default", "kubevip-f");
  CAF_CHECK(eventually([&] {
    return holds("n1", f == "n1" ? "10.0.0.1%eth0 10.0.0.9%eth0" : "10.0.0.1%eth0") &&
           holds("n2", f == "n2" ? "10.0.0.9%eth0" : "");
  }));
  CAF_CHECK_EQUAL(holder("default", "kubevip-a"), "?"); // the others stay on the global Lease
}

CAF_TEST(per service mode uses kubevip leases and the leaseName override) {
  CAF_REQUIRE(client
                  ->create(k8s::resources::namespaces, "",
                           boost::json::object{{"metadata", {{"name", "other"}}}})
                  .ok());
  start("n1", true);
  start("n2", true);
  auto a = ip("10.0.0.1", "default", "kubevip-a", {"a"});
  auto b = ip("10.0.0.2", "other", "shared-name", {"b"}); // kube-vip.io/leaseName other/...
  b.interface = "eth1";                                   // kube-vip.io/serviceInterface
  send_all({a, b});
  CAF_REQUIRE(eventually([&] {
    auto ha = holder("default", "kubevip-a"), hb = holder("other", "shared-name");
    return (ha == "n1" || ha == "n2") && (hb == "n1" || hb == "n2");
  }));
  auto ha = holder("default", "kubevip-a"), hb = holder("other", "shared-name");
  auto wanted = [&](const std::string& n) {
    std::string s = ha == n ? "10.0.0.1%eth0" : "";
    if (hb == n) s += (s.empty() ? "" : " ") + std::string("10.0.0.2%eth1");
    return s;
  };
  CAF_CHECK(eventually([&] { return holds("n1", wanted("n1")) && holds("n2", wanted("n2")); }));
  CAF_CHECK_EQUAL(holder(global_ns, global_lease), "?"); // no global Lease
}

CAF_TEST(per service mode only eligible nodes campaign and an ineligible owner releases) {
  start("n1", true);
  start("n2", true);
  send_all({ip("10.0.0.5", "default", "kubevip-l", {"l"}, {"n2"})});
  CAF_CHECK(eventually([&] { return holder("default", "kubevip-l") == "n2"; }));
  CAF_CHECK(eventually([&] { return holds("n2", "10.0.0.5%eth0"); }));
  CAF_CHECK(kvip::net::always([&] { return holds("n1", ""); }, 1s));
  // The local endpoint moves to n1: n2 withdraws and releases, n1 takes it.
  send_all({ip("10.0.0.5", "default", "kubevip-l", {"l"}, {"n1"})});
  CAF_CHECK(eventually([&] { return holds("n1", "10.0.0.5%eth0") && holds("n2", ""); }));
  CAF_CHECK_EQUAL(holder("default", "kubevip-l"), "n1");
  CAF_CHECK(eventually([&] {
    auto lines = nodes["n1"].log->status_lines();
    return !lines.empty() && lines.back() == "default/l@n1";
  }));
}

CAF_TEST(per service mode an ip shared by two services has one owner) {
  start("n1", true);
  start("n2", true);
  // The watcher gives a shared IP the Lease of its oldest Service.
  send_all({ip("10.0.0.7", "default", "kubevip-first", {"first", "second"})});
  CAF_REQUIRE(eventually([&] {
    auto h = holder("default", "kubevip-first");
    return h == "n1" || h == "n2";
  }));
  auto owner = holder("default", "kubevip-first");
  auto other = owner == "n1" ? "n2" : "n1";
  CAF_CHECK(eventually([&] { return holds(owner, "10.0.0.7%eth0"); }));
  CAF_CHECK(kvip::net::always([&] { return holds(other, ""); }, 1s));
  CAF_CHECK_EQUAL(holder("default", "kubevip-second"), "?");
  CAF_CHECK(eventually([&] {
    return nodes[owner].log->status_lines() ==
           std::vector<std::string>{"default/first@" + owner, "default/second@" + owner};
  }));
  // The Service IP goes away: the owner withdraws it and releases the Lease.
  send_all({});
  CAF_CHECK(eventually([&] { return holds(owner, ""); }));
  CAF_CHECK(eventually([&] { return holder("default", "kubevip-first") == ""; }));
}

CAF_TEST(per service mode election metrics follow each nodes candidacy) {
  start("n1", true);
  start("n2", true);
  send_all({ip("10.0.0.5", "default", "kubevip-l", {"l"}, {"n2"})});
  CAF_CHECK(eventually([&] { return holds("n2", "10.0.0.5%eth0"); }));
  const std::string loops = "kube_vip_service_election_loops";
  const std::string attempts = "kube_vip_service_election_attempts_total";
  CAF_CHECK(eventually([&] { return series("n2", loops, "l") == 1; }));
  CAF_CHECK_GREATER_OR_EQUAL(series("n2", attempts, "l"), 1);
  CAF_CHECK_EQUAL(series("n1", loops, "l"), -1); // not eligible: no election runs
  auto owners = [&](const std::string& n) {
    return kvip::test::exposed_value(nodes[n].metrics->expose(), "kvip_service_owners",
                                     {{"node", "n"}})
        .value_or(-1);
  };
  CAF_CHECK(eventually([&] { return owners("n2") == 1; }));
  CAF_CHECK_EQUAL(series("n1", attempts, "l"), -1);
  // The endpoint moves to n1: n2 stops its election, n1 runs one.
  send_all({ip("10.0.0.5", "default", "kubevip-l", {"l"}, {"n1"})});
  CAF_CHECK(eventually([&] { return holds("n1", "10.0.0.5%eth0"); }));
  CAF_CHECK(eventually([&] { return series("n2", loops, "l") == -1; }));
  CAF_CHECK_EQUAL(series("n1", loops, "l"), 1);
  CAF_CHECK_GREATER_OR_EQUAL(series("n1", attempts, "l"), 1);
  CAF_CHECK(eventually([&] { return owners("n1") == 1 && owners("n2") == 0; }));
  // A Lease the API server refuses (kube-vip.io/leaseName that is no valid
  // name): api_error on every node that tries, and nobody announces it.
  send_all({ip("10.0.0.5", "default", "kubevip-l", {"l"}, {"n1"}),
            ip("10.0.0.6", "default", "Not_A_Name", {"bad"})});
  for (const auto* n : {"n1", "n2"})
    CAF_CHECK(eventually([&] {
      return series(n, "kube_vip_service_election_errors_total", "bad",
                    {{"reason", "api_error"}}) >= 1;
    }));
  CAF_CHECK(holds("n1", "10.0.0.5%eth0"));
  CAF_CHECK(holds("n2", ""));
  // The Services go: every election series with them.
  send_all({});
  CAF_CHECK(eventually([&] { return holds("n1", ""); }));
  CAF_CHECK(eventually([&] { return series("n1", loops, "l") == -1; }));
}

CAF_TEST(a service ip equal to the control plane vip follows the control plane lease) {
  control_plane_vips = {"10.0.0.100"};
  start("n1", false);
  CAF_REQUIRE(eventually([&] { return holder(global_ns, global_lease) == "n1"; }));
  start("n2", false);
  send_all({ip("10.0.0.1", "default", "kubevip-a", {"a"}),
            ip("10.0.0.100", "default", "kubevip-cp", {"cp"})});
  // Not elected on plndr-svcs-lock: the control-plane announcer has it.
  CAF_CHECK(eventually([&] { return holds("n1", "10.0.0.1%eth0"); }));
  CAF_CHECK(
      kvip::net::always([&] { return holds("n1", "10.0.0.1%eth0") && holds("n2", ""); }, 500ms));
  CAF_CHECK(eventually(
      [&] { return nodes["n1"].log->status_lines() == std::vector<std::string>{"default/a@n1"}; }));
  // n2 holds the control-plane Lease: it writes the status of the Service on it.
  msg::control_plane_held cp;
  cp.vips = {"10.0.0.100"};
  cp.leading = true;
  self->send(nodes["n2"].elector, cp);
  CAF_CHECK(eventually([&] {
    return nodes["n2"].log->status_lines() == std::vector<std::string>{"default/cp@n2"};
  }));
  CAF_CHECK(holds("n2", "")); // still the control-plane announcer's address
  // Another Service joins it while n2 leads: its status too.
  send_all({ip("10.0.0.1", "default", "kubevip-a", {"a"}),
            ip("10.0.0.100", "default", "kubevip-cp", {"cp", "cp2"})});
  CAF_CHECK(eventually([&] {
    auto lines = nodes["n2"].log->status_lines();
    return std::count(lines.begin(), lines.end(), "default/cp2@n2") == 1;
  }));
  // The lease elector says the VIP is no control-plane VIP any more: elected here.
  cp.vips = {};
  cp.leading = false;
  for (const auto* n : {"n1", "n2"})
    self->send(nodes[n].elector, cp);
  CAF_CHECK(eventually([&] { return holds("n1", "10.0.0.1%eth0 10.0.0.100%eth0"); }));
}

CAF_TEST(the holder times each service change to its first announcement) {
  start("n1", false);
  CAF_REQUIRE(eventually([&] { return holder(global_ns, global_lease) == "n1"; }));
  start("n2", false);
  // kvip_service_announce_seconds observations on a node (every series).
  auto timed = [&](const std::string& n) {
    double count = 0;
    for (const auto& s : kvip::test::exposed_samples(nodes[n].metrics->expose(),
                                                     "kvip_service_announce_seconds_count"))
      count += s.value;
    return count;
  };
  send_all({ip("10.0.0.1", "default", "kubevip-a", {"a"}),
            ip("10.0.0.2", "default", "kubevip-b", {"b"})});
  CAF_CHECK(eventually([&] { return holds("n1", "10.0.0.1%eth0 10.0.0.2%eth0"); }));
  CAF_CHECK(eventually([&] { return timed("n1") == 2; }));
  CAF_CHECK_EQUAL(timed("n2"), 0); // announces nothing
  // A third IP: timed once; the two still held are not timed again.
  send_all({ip("10.0.0.1", "default", "kubevip-a", {"a"}),
            ip("10.0.0.2", "default", "kubevip-b", {"b"}),
            ip("10.0.0.3", "default", "kubevip-c", {"c"})});
  CAF_CHECK(eventually([&] { return holds("n1", "10.0.0.1%eth0 10.0.0.2%eth0 10.0.0.3%eth0"); }));
  CAF_CHECK(eventually([&] { return timed("n1") == 3; }));
  CAF_CHECK(kvip::net::always([&] { return timed("n1") == 3; }, 300ms));
}

CAF_TEST_FIXTURE_SCOPE_END()
