// The gossip actor's peers from the Node list (actors/gossip_nodes.cpp): real
// gossip actors on loopback addresses (127.0.0.1, .2, ...: one port, as on a
// cluster), fed the cluster key and Node lists as the node watcher would send
// them, observed through their metrics. A Node that leaves the list leaves
// the membership, so the ownership majority shrinks; a removed node that
// still runs is ignored; a Node that comes back joins again. Real time (the
// actors have I/O threads and timers); every wait is bounded.
#define CAF_SUITE gossip_nodes
#include "test/actors/fixture.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>

#include "actors/gossip.hpp"
#include "messages/gossip_peers.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/metrics.hpp"
#include "net/wait.hpp"
#include "simulation/prom_text.hpp"

using namespace std::chrono_literals;
namespace msg = kvip::msg;
using kvip::sim::prom_label;
using kvip::sim::prom_samples;

namespace {

constexpr const char* vip = "10.99.0.100";

/// A TCP port free on 127.0.0.1 just now (the loopback addresses share it).
std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

/// Node "n<i>" gossips on 127.0.0.<i>.
std::string address_of(const std::string& node) {
  return "127.0.0." + node.substr(1);
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  std::uint16_t port = free_port();
  std::map<std::string, std::unique_ptr<kvip::net::telemetry::registry>> regs;
  std::map<std::string, caf::actor> nodes;

  ~fixture() {
    // An orderly stop first, as the node supervisor does (it joins the I/O
    // thread; the actor's state must not go with the thread still running).
    for (auto& [name, a] : nodes)
      self->request(a, 5s, msg::shutdown_request{})
          .receive([](msg::shutdown_done&) {}, [](caf::error&) {});
    for (auto& [name, a] : nodes)
      self->send_exit(a, caf::exit_reason::user_shutdown);
    for (auto& [name, a] : nodes)
      self->wait_for(a);
  }

  /// Starts node `name` with the cluster key, as in gossip mode with peers
  /// from the Nodes.
  void start(const std::string& name) {
    kvip::gossip_options o;
    o.node_name = name;
    o.vips = {msg::vip_spec{vip, 0, "lo"}};
    o.bind_address = address_of(name);
    o.port = port;
    o.discover_nodes = true;
    o.retry_period = 500ms;
    o.request_timeout = 200ms;
    auto& reg = *(regs[name] = std::make_unique<kvip::net::telemetry::registry>());
    nodes[name] = kvip::spawn_gossip(self.ptr(), o, reg);
    msg::gossip_key_reply key;
    key.ok = true;
    key.key = std::string(32, 'k');
    key.source = "test";
    self->send(nodes[name], key);
  }

  /// The Node list as the node watcher sends it to `to` (itself included:
  /// the gossip actor skips its own name).
  void list(const std::string& to, const std::vector<std::string>& names) {
    msg::gossip_peers p;
    for (const auto& n : names)
      p.peers.push_back({n, address_of(n)});
    self->send(nodes.at(to), p);
  }

  std::string metrics(const std::string& node) { return regs.at(node)->expose(); }

  /// kvip_gossip_member_alive{node, member}, or -1 without that series.
  double alive(const std::string& node, const std::string& member) {
    for (const auto& s : prom_samples(metrics(node), "kvip_gossip_member_alive"))
      if (prom_label(s.labels, "member") == member) return s.value;
    return -1;
  }

  /// Whether `node` answers for the VIP (kvip_vip_answering).
  bool answering(const std::string& node) {
    for (const auto& s : prom_samples(metrics(node), "kvip_vip_answering"))
      if (prom_label(s.labels, "vip") == vip && s.value == 1) return true;
    return false;
  }

  /// Frames `node` dropped because their sender was removed from the cluster.
  double forgotten_frames(const std::string& node) {
    double n = 0;
    for (const auto& s : prom_samples(metrics(node), "kvip_gossip_frames_total"))
      if (prom_label(s.labels, "result") == "forgotten") n += s.value;
    return n;
  }
};

bool eventually(const std::function<bool()>& pred) {
  return kvip::net::eventually(pred, 10s);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(gossip_nodes_tests, fixture)

// Four Nodes, two of them never started: two of four is no majority, so
// nobody answers. Once one unstarted Node is deleted, two of three is, and
// one of the running nodes owns the VIP.
CAF_TEST(a deleted node leaves the membership and the majority) {
  CAF_REQUIRE(port != 0);
  start("n1");
  start("n2");
  for (const auto* n : {"n1", "n2"})
    list(n, {"n1", "n2", "n3", "n4"});
  CAF_CHECK(eventually([&] { return alive("n1", "n2") == 1 && alive("n2", "n1") == 1; }));
  CAF_CHECK(eventually([&] { return alive("n1", "n4") == 0 && alive("n2", "n4") == 0; }));
  CAF_CHECK(kvip::net::always([&] { return !answering("n1") && !answering("n2"); }, 1s));

  for (const auto* n : {"n1", "n2"})
    list(n, {"n1", "n2", "n3"});
  CAF_CHECK(eventually([&] { return answering("n1") != answering("n2"); }));
  for (const auto* n : {"n1", "n2"}) {
    CAF_CHECK_EQUAL(alive(n, "n4"), -1); // no series: not a member any more
    CAF_CHECK_EQUAL(alive(n, "n3"), 0);  // still a member, dead
  }
}

// Three running nodes; the owner's Node is deleted while its process runs on:
// the others ignore it (its frames are dropped, it is not learnt again from
// them) and one of them takes the VIP over. Its Node back, it joins again.
CAF_TEST(a removed node that still runs is ignored until its node returns) {
  CAF_REQUIRE(port != 0);
  const std::vector<std::string> all{"n1", "n2", "n3"};
  for (const auto& n : all)
    start(n);
  for (const auto& n : all)
    list(n, all);
  std::string owner;
  CAF_CHECK(eventually([&] {
    int answering_nodes = 0;
    for (const auto& n : all)
      if (answering(n)) owner = n, ++answering_nodes;
    return answering_nodes == 1;
  }));
  CAF_REQUIRE(!owner.empty());
  std::vector<std::string> rest, listed;
  for (const auto& n : all)
    if (n != owner) rest.push_back(n);
  listed = rest;
  for (const auto& n : rest)
    list(n, listed);

  CAF_CHECK(eventually([&] {
    return alive(rest[0], owner) == -1 && alive(rest[1], owner) == -1 &&
           forgotten_frames(rest[0]) > 0 && forgotten_frames(rest[1]) > 0;
  }));
  CAF_CHECK(eventually([&] { return answering(rest[0]) != answering(rest[1]); }));
  CAF_CHECK(kvip::net::always(
      [&] { return alive(rest[0], owner) == -1 && alive(rest[1], owner) == -1; }, 500ms));

  for (const auto& n : rest)
    list(n, all);
  CAF_CHECK(eventually([&] { return alive(rest[0], owner) == 1 && alive(rest[1], owner) == 1; }));
  CAF_CHECK(eventually([&] { return alive(owner, rest[0]) == 1 && alive(owner, rest[1]) == 1; }));
}

// An actor that ends without the orderly shutdown (an exit message, as when
// it fails) stops its I/O thread itself: the process goes on (a joinable
// thread destroyed with the state would have called std::terminate).
CAF_TEST(a gossip actor killed without a shutdown request stops its io thread) {
  CAF_REQUIRE(port != 0);
  start("n1");
  list("n1", {"n1", "n2"});
  CAF_CHECK(eventually([&] { return alive("n1", "n2") == 0; })); // running, I/O thread up
  auto a = nodes.at("n1");
  nodes.erase("n1");
  self->send_exit(a, caf::exit_reason::kill);
  self->wait_for(a);
  CAF_CHECK(true); // still here
}

CAF_TEST_FIXTURE_SCOPE_END()
