#pragma once
// Real gossip actors on loopback addresses (127.0.0.1, .2, ...: one port, as
// on a cluster), fed the cluster key and Node lists as the node watcher would
// send them, observed through their metrics (gossip_nodes_test.cpp,
// gossip_test.cpp). Real time: every wait is bounded.
#include "test/actors/fixture.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <memory>

#include "actors/directory.hpp"
#include "actors/gossip.hpp"
#include "messages/gossip_peers.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/metrics.hpp"
#include "net/wait.hpp"
#include "simulation/prom_text.hpp"

namespace kvip::test::gossip_lab {

using namespace std::chrono_literals;
namespace msg = kvip::msg;
using kvip::sim::prom_label;
using kvip::sim::prom_samples;

inline constexpr const char* vip = "10.99.0.100";

/// A TCP port free on 127.0.0.1 just now (the loopback addresses share it).
inline std::uint16_t free_port() {
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
inline std::string address_of(const std::string& node) {
  return "127.0.0." + node.substr(1);
}

struct fixture {
  /// Siblings every started node sees (none by default).
  std::shared_ptr<kvip::directory> siblings;
  /// Applied to every node's options just before it starts.
  std::function<void(kvip::gossip_options&)> tweak;
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
  void start(const std::string& name, bool with_key = true) {
    kvip::gossip_options o;
    o.node_name = name;
    o.vips = {msg::vip_spec{vip, 0, "lo"}};
    o.bind_address = address_of(name);
    o.port = port;
    o.discover_nodes = true;
    o.siblings = siblings;
    o.retry_period = 500ms;
    o.request_timeout = 200ms;
    if (tweak) tweak(o);
    auto& reg = *(regs[name] = std::make_unique<kvip::net::telemetry::registry>());
    nodes[name] = kvip::spawn_gossip(self.ptr(), o, reg);
    if (with_key) send_key(name);
  }

  /// The cluster key, as the node watcher answers the key request.
  void send_key(const std::string& name) {
    msg::gossip_key_reply key;
    key.ok = true;
    key.key = std::string(32, 'k');
    key.source = "test";
    self->send(nodes.at(name), key);
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

  /// Whether `node` answers for `address` (kvip_vip_answering).
  bool answering(const std::string& node, const std::string& address = vip) {
    for (const auto& s : prom_samples(metrics(node), "kvip_vip_answering"))
      if (prom_label(s.labels, "vip") == address && s.value == 1) return true;
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

inline bool eventually(const std::function<bool()>& pred) {
  return kvip::net::eventually(pred, 10s);
}

} // namespace kvip::test::gossip_lab
