// The node watcher (actors/node_watcher) against the embedded API server over
// real HTTP: the peer list after the first list and on every change (none for
// a heartbeat or a Node without InternalIP), a relist after 410 that finds a
// Node deleted while the watch was down, the VIP family's addresses, and the
// gossip key from the Secret or a file. The watcher is detached and has its own
// watch thread, so these tests use a real actor system; every wait is bounded.
#define CAF_SUITE node_watcher
#include "test/actors/fixture.hpp"

#include <filesystem>
#include <optional>

#include "actors/node_watcher.hpp"
#include "k8s/client.hpp"
#include "k8s/objects.hpp"
#include "k8s/resource.hpp"
#include "messages/gossip_peers.hpp"
#include "messages/supervision.hpp"
#include "simulation/apiserver.hpp"
#include "simulation/resources.hpp"
#include "test/support/temp_file.hpp"

using namespace std::chrono_literals;
namespace k8s = kvip::k8s;
namespace msg = kvip::msg;
namespace json = boost::json;
using peer_list = std::vector<msg::gossip_peer_info>;

namespace {

json::array addresses(const std::vector<std::string>& ips) {
  json::array a;
  for (auto& ip : ips)
    a.push_back(json::object{{"type", "InternalIP"}, {"address", ip}});
  a.push_back(json::object{{"type", "Hostname"}, {"address", "host"}});
  return a;
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::unique_ptr<kvip::sim::apiserver> api;
  std::shared_ptr<k8s::client> client;
  caf::scoped_actor self{sys};
  msg::node_watcher_actor watcher;

  fixture() {
    kvip::sim::apiserver_options o;
    o.listen = "127.0.0.1:0";
    api = std::make_unique<kvip::sim::apiserver>(o);
    CAF_REQUIRE(api->start().ok());
    k8s::connection_config c;
    c.server = api->url();
    k8s::client_options opts;
    opts.request_timeout = 2000ms;
    opts.retry_backoff = 10ms;
    opts.max_retries = 1;
    opts.qps = 0;
    client = std::make_shared<k8s::client>(c, opts);
  }

  ~fixture() {
    if (!watcher) return;
    self->send_exit(watcher, caf::exit_reason::user_shutdown);
    self->wait_for(watcher);
  }

  void spawn(kvip::net::ip_address::family_t family = kvip::net::ip_address::family_t::v4) {
    kvip::node_watcher_options o;
    o.client = client;
    o.node_name = "cp1";
    o.family = family;
    o.subscriber = caf::actor_cast<caf::actor>(self);
    o.watch.timeout_seconds = 30;
    o.watch.backoff = {10ms, 100ms, 2.0, 0.2};
    watcher = caf::actor_cast<msg::node_watcher_actor>(
        kvip::spawn_node_watcher(self.ptr(), std::move(o)));
  }

  void add_node(const std::string& name, const std::vector<std::string>& ips) {
    json::object n{{"metadata", {{"name", name}}}, {"status", {{"addresses", addresses(ips)}}}};
    auto r = client->create(k8s::resources::nodes, "", n);
    CAF_REQUIRE(r.ok());
  }

  void set_addresses(const std::string& name, const std::vector<std::string>& ips) {
    auto r = client->patch_status(k8s::resources::nodes, "", name,
                                  json::object{{"status", {{"addresses", addresses(ips)}}}});
    CAF_REQUIRE(r.ok());
  }

  /// The next peer list the subscriber gets, or nullopt after 10 s.
  std::optional<peer_list> next_peers() {
    std::optional<peer_list> out;
    self->receive([&](msg::gossip_peers& p) { out = std::move(p.peers); },
                  caf::after(10s) >> [] {});
    return out;
  }

  /// True when no peer list arrives within `d`.
  bool quiet_for(caf::timespan d) {
    bool got = false;
    self->receive([&](msg::gossip_peers&) { got = true; }, caf::after(d) >> [] {});
    return !got;
  }

  std::string dump() {
    std::string text;
    self->request(watcher, 10s, msg::dump_request{})
        .receive([&](msg::dump_reply& r) { text = r.text; },
                 [&](caf::error& e) { text = sys.render(e); });
    return text;
  }

  msg::gossip_key_reply key(const std::string& file = {}) {
    msg::gossip_key_request r;
    r.key_file = file;
    msg::gossip_key_reply out;
    out.error_text = "no reply";
    self->request(watcher, 10s, r)
        .receive([&](msg::gossip_key_reply& rep) { out = std::move(rep); },
                 [&](caf::error& e) { out.error_text = sys.render(e); });
    return out;
  }
};

peer_list peers(std::initializer_list<std::pair<const char*, const char*>> l) {
  peer_list out;
  for (auto& [n, a] : l)
    out.push_back({n, a});
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(node_watcher_tests, fixture)

CAF_TEST(the peer list follows the nodes and ignores heartbeats and nodes without internalip) {
  add_node("cp1", {"10.0.0.1"});
  add_node("cp2", {"10.0.0.2"});
  add_node("cp3", {"10.0.0.3"});
  spawn();
  CAF_CHECK_EQUAL(next_peers(), peers({{"cp2", "10.0.0.2"}, {"cp3", "10.0.0.3"}}));

  add_node("cp4", {"10.0.0.4"});
  CAF_CHECK_EQUAL(next_peers(),
                  peers({{"cp2", "10.0.0.2"}, {"cp3", "10.0.0.3"}, {"cp4", "10.0.0.4"}}));

  // A label change (as a heartbeat: same addresses) and a Node without InternalIP are no
  // change: the next list is the one after cp2's address really moves.
  CAF_REQUIRE(client
                  ->merge_patch(k8s::resources::nodes, "", "cp2",
                                json::object{{"metadata", {{"labels", {{"beat", "1"}}}}}})
                  .ok());
  add_node("edge", {});
  set_addresses("cp2", {"10.0.0.22"});
  CAF_CHECK_EQUAL(next_peers(),
                  peers({{"cp2", "10.0.0.22"}, {"cp3", "10.0.0.3"}, {"cp4", "10.0.0.4"}}));

  CAF_REQUIRE(client->remove(k8s::resources::nodes, "", "cp3").ok());
  CAF_CHECK_EQUAL(next_peers(), peers({{"cp2", "10.0.0.22"}, {"cp4", "10.0.0.4"}}));
  CAF_CHECK(quiet_for(200ms));

  auto d = dump();
  CAF_CHECK(contains(d, "2 peers, 2 Nodes skipped"));
  CAF_CHECK(contains(d, "skipped edge: no InternalIP in status.addresses"));
  CAF_CHECK(contains(d, "skipped cp1: this node"));
}

CAF_TEST(a node deleted while the watch was down and compacted away is removed by the relist) {
  add_node("cp1", {"10.0.0.1"});
  add_node("cp2", {"10.0.0.2"});
  add_node("cp3", {"10.0.0.3"});
  spawn();
  CAF_CHECK_EQUAL(next_peers(), peers({{"cp2", "10.0.0.2"}, {"cp3", "10.0.0.3"}}));

  CAF_REQUIRE(api->set_outage(kvip::sim::outage_mode::refuse).ok());
  auto* nodes = kvip::sim::find_resource("", "v1", "nodes");
  CAF_REQUIRE(nodes != nullptr);
  auto removed = api->objects().remove(*nodes, "", "cp3");
  CAF_REQUIRE(!removed.error.has_value());
  api->objects().compact();
  CAF_REQUIRE(api->set_outage(kvip::sim::outage_mode::none).ok());

  CAF_CHECK_EQUAL(next_peers(), peers({{"cp2", "10.0.0.2"}}));
  CAF_CHECK(contains(dump(), "(1 after 410)"));
}

CAF_TEST(ipv6 vips prefer ipv6 internalips and a lone node gets an empty list) {
  add_node("cp1", {"10.0.0.1", "fd00::1"});
  spawn(kvip::net::ip_address::family_t::v6);
  CAF_CHECK_EQUAL(next_peers(), peer_list{});
  add_node("cp2", {"10.0.0.2", "fd00:0::2"});
  add_node("cp3", {"10.0.0.3"}); // single-stack IPv4: still a peer
  CAF_CHECK_EQUAL(next_peers(), peers({{"cp2", "fd00::2"}}));
  CAF_CHECK_EQUAL(next_peers(), peers({{"cp2", "fd00::2"}, {"cp3", "10.0.0.3"}}));
}

CAF_TEST(the gossip key comes from the secret created once or from a private file) {
  spawn();
  CAF_CHECK_EQUAL(next_peers(), peer_list{});
  auto first = key();
  CAF_REQUIRE(first.ok);
  CAF_CHECK_EQUAL(first.key.size(), 32u);
  CAF_CHECK_EQUAL(first.source, "Secret kube-system/kvip-gossip-key");
  auto stored = client->get(k8s::resources::secrets, "kube-system", "kvip-gossip-key");
  CAF_REQUIRE(stored.ok());
  CAF_CHECK_EQUAL(k8s::secret{*stored}.value("key").value_or(""), first.key);
  auto second = key();
  CAF_REQUIRE(second.ok);
  CAF_CHECK_EQUAL(second.key, first.key);

  kvip::test::temp_file f{std::string(64, 'b') + "\n", ".key"};
  namespace fs = std::filesystem;
  fs::permissions(f.path(), fs::perms::owner_read | fs::perms::owner_write,
                  fs::perm_options::replace);
  auto from_file = key(f.path());
  CAF_REQUIRE(from_file.ok);
  CAF_CHECK_EQUAL(from_file.key, std::string(32, '\xbb'));
  CAF_CHECK_EQUAL(from_file.source, "file " + f.path());

  fs::permissions(f.path(), fs::perms::group_read, fs::perm_options::add);
  auto open_file = key(f.path());
  CAF_CHECK(!open_file.ok);
  CAF_CHECK(open_file.key.empty());
  CAF_CHECK(contains(open_file.error_text, f.path()));
  CAF_CHECK(contains(open_file.error_text, "mode 0640"));
  // The reply's printed form (what traces record) never shows the key.
  CAF_CHECK(!contains(caf::deep_to_string(from_file), from_file.key));
}

CAF_TEST_FIXTURE_SCOPE_END()
