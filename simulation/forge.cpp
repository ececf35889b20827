#include "simulation/forge.hpp"
#include "simulation/prom_text.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>

#include <zmq.hpp>

#include "k8s/gossip_key.hpp"
#include "net/gossip/wire.hpp"

namespace kvip::sim {

namespace {

namespace gs = net::gossip;
using std::chrono::milliseconds;

std::uint64_t wall_us() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

/// A ping from `sender` to `target`, healthy, without updates or claims.
gs::wire_message ping(const std::string& sender, const std::string& target, std::uint64_t seq) {
  gs::wire_message m;
  m.type = gs::msg_type::ping;
  m.sender = gs::node_id_of(sender);
  m.incarnation = 1;
  m.seq = seq;
  m.timestamp_us = wall_us();
  m.health = 0xffff;
  m.target = gs::node_id_of(target);
  return m;
}

/// What an attacker would like a node to believe: `owner` is `state` (dead,
/// left) and `claimer` holds the VIP, with numbers far ahead of the real ones.
gs::wire_message hostile(const std::string& claimer, const std::string& target,
                         const std::string& owner, gs::wire_member_state state,
                         const net::ip_address& vip) {
  auto m = ping(claimer, target, wall_us());
  m.incarnation = 1u << 30;
  m.members.push_back({gs::node_id_of(owner), 1u << 30, state, 0});
  m.claims.push_back({vip, m.sender, std::uint64_t{1} << 40, true});
  return m;
}

std::vector<std::uint8_t> signed_with(const gs::wire_message& m, const gs::cluster_key& key) {
  auto f = gs::encode(m, key);
  return f ? std::move(*f) : std::vector<std::uint8_t>{};
}

std::vector<std::uint8_t> without_mac(std::vector<std::uint8_t> f) {
  f.resize(f.size() > gs::mac_bytes ? f.size() - gs::mac_bytes : 0);
  return f;
}

/// A DEALER with routing id `as` connected to `address` ("10.99.0.1:7947").
std::unique_ptr<zmq::socket_t> dealer(zmq::context_t& ctx, const std::string& as,
                                      const std::string& address) {
  auto s = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::dealer);
  s->set(zmq::sockopt::routing_id, as);
  s->set(zmq::sockopt::linger, 300);
  s->set(zmq::sockopt::reconnect_ivl, -1); // taken over by the real node: stay off
  s->connect("tcp://" + address);
  return s;
}

void send(zmq::socket_t& s, const std::vector<std::uint8_t>& bytes, int& counter) {
  if (bytes.empty()) return;
  if (s.send(zmq::buffer(bytes), zmq::send_flags::dontwait)) ++counter;
}

/// Index of a node that is neither `a` nor `b` (or not `a` when there are two).
std::size_t other_than(std::size_t n, std::size_t a, std::size_t b) {
  for (std::size_t i = 0; i < n; ++i)
    if (i != a && i != b) return i;
  return a == 0 ? 1 : 0;
}

struct forger {
  const forge_plan& plan;
  gs::cluster_key key, wrong;
  zmq::context_t ctx;
  std::vector<std::unique_ptr<zmq::socket_t>> as_self; // routing id = the receiver's name
  forge_sent sent;

  /// One batch to node `y`.
  void round_to(std::size_t y) {
    const auto n = plan.names.size();
    const auto owner = static_cast<std::size_t>(plan.owner);
    const auto& name = plan.names[y];
    const auto& owner_name = plan.names[owner];
    // Forged: from every other node, over the receiver's own DEALER or (take
    // over) over a DEALER under the name of the node it claims to come from.
    for (std::size_t x = 0; x < n; ++x) {
      if (x == y) continue;
      const auto& claimer = plan.names[x];
      auto spoof = plan.take_over ? dealer(ctx, claimer, plan.addresses[y]) : nullptr;
      auto& via = spoof ? *spoof : *as_self[y];
      for (auto state : {gs::wire_member_state::dead, gs::wire_member_state::left}) {
        auto bad = signed_with(hostile(claimer, name, owner_name, state, plan.vip), wrong);
        send(via, bad, sent.wrong_key);
        send(via, without_mac(bad), sent.unsigned_frames);
        send(via, std::vector<std::uint8_t>(bad.begin(), bad.begin() + bad.size() / 2),
             sent.unsigned_frames);
      }
      send(via, without_mac(signed_with(ping(claimer, name, wall_us()), wrong)),
           sent.unsigned_frames);
    }
    // Signed with the cluster key but harmless (no updates, no claims, stale seq).
    auto& self = *as_self[y];
    const auto& sender = plan.names[y == owner ? other_than(n, y, y) : owner];
    send(self, signed_with(ping(sender, name, 1), key), sent.wrong_sender);
    auto valid = signed_with(ping(name, name, wall_us()), key);
    send(self, valid, sent.valid);
    send(self, valid, sent.replays);
    send(self, signed_with(ping(name, name, 1), key), sent.stale);
  }
};

net::result<forge_sent> run_forgery(const forge_plan& plan) {
  auto secret = k8s::load_key_file(plan.key_file);
  if (!secret) return net::make_error("forge: " + secret.err().describe());
  if (plan.names.size() < 2 || plan.names.size() != plan.addresses.size() || plan.owner < 0 ||
      static_cast<std::size_t>(plan.owner) >= plan.names.size())
    return net::make_error("forge: need two or more nodes with addresses and a valid owner");
  try {
    forger f{plan, gs::key_from_secret(*secret), gs::key_from_secret("not the cluster key"), {}, {},
             {}};
    for (std::size_t y = 0; y < plan.names.size(); ++y)
      f.as_self.push_back(dealer(f.ctx, plan.names[y], plan.addresses[y]));
    const auto end = std::chrono::steady_clock::now() + plan.duration;
    while (std::chrono::steady_clock::now() < end) {
      for (std::size_t y = 0; y < plan.names.size(); ++y)
        f.round_to(y);
      ++f.sent.rounds;
      std::this_thread::sleep_for(plan.round);
    }
    f.as_self.clear(); // lingers until sent
    return f.sent;
  } catch (const zmq::error_t& e) {
    return net::make_error(std::string{"forge: ZeroMQ: "} + e.what(), e.num());
  }
}

} // namespace

net::result<forge_sent> send_forgeries(const forge_plan& plan) {
  net::result<forge_sent> out = net::make_error("forge: not run");
  // setns affects only the calling thread; ZeroMQ's I/O threads, started by
  // the first socket, inherit its namespace.
  std::thread t{[&] {
    if (!plan.netns.empty()) {
      std::string path = "/run/netns/" + plan.netns;
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        out = net::make_error("forge: open " + path + ": " + std::strerror(errno), errno);
        return;
      }
      int rc = ::setns(fd, CLONE_NEWNET);
      int err = errno;
      ::close(fd);
      if (rc != 0) {
        out = net::make_error("forge: setns " + plan.netns + ": " + std::strerror(err), err);
        return;
      }
    }
    out = run_forgery(plan);
  }};
  t.join();
  return out;
}

std::map<std::string, double> inbound_frames(std::string_view metrics) {
  std::map<std::string, double> out;
  for (const auto& s : prom_samples(metrics, "kvip_gossip_frames_total"))
    if (prom_label(s.labels, "direction") == "in") out[prom_label(s.labels, "result")] += s.value;
  return out;
}

std::map<std::string, long> refused_between(const std::vector<std::string>& before,
                                            const std::vector<std::string>& after) {
  std::map<std::string, long> out;
  for (std::size_t i = 0; i < after.size(); ++i) {
    auto b = i < before.size() ? inbound_frames(before[i]) : std::map<std::string, double>{};
    for (auto& [result, value] : inbound_frames(after[i]))
      if (result != "accepted")
        if (auto d = static_cast<long>(value - b[result]); d > 0) out[result] += d;
  }
  return out;
}

} // namespace kvip::sim
