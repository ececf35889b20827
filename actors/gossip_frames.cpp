// The gossip actor's frames: the I/O thread that owns the ZeroMQ transport,
// frames in (authenticate, learn the sender, feed both cores) and frames out
// (sign, with the echo and the digest ownership needs).

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <spdlog/spdlog.h>

#include "actors/gossip_state.hpp"
#include "actors/tracing.hpp"
#include "net/netlink/socket.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip::gossip_actor {

namespace gs = net::gossip;

namespace {

/// IFF_RUNNING of `ifname` in this network namespace (true when unknown: a
/// failed check must not make a node ineligible).
bool has_carrier(int fd, const std::string& ifname) {
  if (fd < 0 || ifname.empty() || ifname.size() >= IFNAMSIZ) return true;
  ifreq req{};
  std::memcpy(req.ifr_name, ifname.c_str(), ifname.size());
  if (::ioctl(fd, SIOCGIFFLAGS, &req) != 0) return true;
  return (req.ifr_flags & IFF_UP) != 0 && (req.ifr_flags & IFF_RUNNING) != 0;
}

msg::gossip_io_event to_event(gs::transport_event&& e) {
  msg::gossip_io_event out;
  switch (e.what) {
  case gs::transport_event::kind::frame:
    out.kind = msg::gossip_io_event::frame;
    break;
  case gs::transport_event::kind::disconnected:
    out.kind = msg::gossip_io_event::disconnected;
    break;
  case gs::transport_event::kind::connected:
    out.kind = msg::gossip_io_event::connected;
    break;
  }
  out.peer = std::move(e.peer);
  out.address = std::move(e.address);
  out.bytes = std::move(e.bytes);
  return out;
}

/// The I/O thread: polls the transport (a few milliseconds at most, so the
/// carrier is checked as often) and hands everything to the actor in order.
/// The kernel's neighbour table, as events (the MACs of the peers, which a
/// node handing its VIPs over answers with; see answer_table::redirect).
void add_neighbours(net::netlink::socket* nl, msg::gossip_io_batch& batch) {
  if (!nl) return;
  auto all = nl->neighbours();
  if (!all) return;
  for (const auto& n : *all) {
    msg::gossip_io_event ev;
    ev.kind = msg::gossip_io_event::neighbour;
    ev.address = n.address.to_string();
    ev.bytes.assign(n.mac.begin(), n.mac.end());
    batch.events.push_back(std::move(ev));
  }
}

/// How long the I/O thread may poll: 5 ms, or until the armed tick is due
/// (sent from here when it is: io_alarm).
std::chrono::milliseconds poll_budget(io_alarm& alarm, impl& handle) {
  using namespace std::chrono;
  auto t = steady_clock::now();
  std::lock_guard lock{alarm.mu};
  if (alarm.due == steady_clock::time_point{}) return milliseconds{5};
  if (t >= alarm.due) {
    msg::gossip_tick tick;
    tick.generation = alarm.generation;
    alarm.due = {};
    tell_anon(handle, tick);
    return milliseconds{5};
  }
  return std::min(milliseconds{5}, ceil<milliseconds>(alarm.due - t));
}

void io_loop(std::shared_ptr<gs::transport> tx, std::shared_ptr<std::atomic<bool>> stop,
             std::shared_ptr<io_alarm> alarm, impl handle, std::string ifname) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  bool carrier = has_carrier(fd, ifname);
  auto nl = net::netlink::socket::open();
  auto next_neighbours = std::chrono::steady_clock::now();
  while (!stop->load()) {
    msg::gossip_io_batch batch;
    if (auto t = std::chrono::steady_clock::now(); t >= next_neighbours) {
      add_neighbours(nl ? nl->get() : nullptr, batch);
      next_neighbours = t + std::chrono::seconds{1};
    }
    for (auto& e : tx->poll(poll_budget(*alarm, handle)))
      batch.events.push_back(to_event(std::move(e)));
    if (bool c = has_carrier(fd, ifname); c != carrier) {
      carrier = c;
      msg::gossip_io_event ev;
      ev.kind = msg::gossip_io_event::carrier;
      ev.up = c;
      batch.events.push_back(std::move(ev));
    }
    if (!batch.events.empty() && !stop->load()) tell_anon(handle, std::move(batch));
  }
  if (fd >= 0) ::close(fd);
}

void count(state& st, const char* direction, const char* result, std::size_t bytes) {
  st.reg
      ->counter_family("kvip_gossip_frames_total", "Gossip frames sent and received, by result.",
                       {"direction", "result"})
      .with({direction, result})
      .Increment();
  if (bytes > 0)
    st.reg
        ->counter_family("kvip_gossip_bytes_total", "Gossip bytes sent and received.",
                         {"direction"})
        .with({direction})
        .Increment(static_cast<double>(bytes));
}

/// The sender of a frame introduced itself: remember its name and address.
void introduce(pointer self, const std::string& name, const std::string& source_ip) {
  auto& st = self->state;
  if (name == st.opts.node_name || st.address_of.count(name)) return;
  // A configured address is reached on its configured port; a discovered one
  // on the cluster's gossip port.
  std::string address = gossip_address(source_ip, st.opts.port);
  for (auto it = st.unnamed.begin(); it != st.unnamed.end(); ++it)
    if (auto a = gs::parse_address(*it); a && a->host == source_ip) {
      address = *it;
      st.unnamed.erase(it);
      break;
    }
  learn_peer(self, name, address);
  publish_members(st);
}

void on_frame(pointer self, msg::gossip_io_event& ev) {
  auto& st = self->state;
  auto n = now(self);
  // decode checks the signed sender id against the routing id
  auto decoded = gs::decode_frame(ev.bytes, ev.peer, st.key, st.guard, st.names);
  if (!decoded) {
    count(st, "in", gs::to_string(decoded.err().kind).data(), 0);
    spdlog::debug("gossip: frame from {} ({}) refused: {}", ev.peer, ev.address,
                  decoded.err().describe());
    return;
  }
  auto& f = *decoded;
  const auto& from = f.msg.from;
  // A node removed from the cluster (its Node deleted) that still runs:
  // ignored, so it is neither heard (its VIPs move after the takeover wait)
  // nor acknowledged (its holds lapse), nor learnt again (gossip_nodes.cpp).
  if (st.members->forgotten(from)) {
    count(st, "in", "forgotten", 0);
    return;
  }
  count(st, "in", "accepted", ev.bytes.size());
  st.names.add(from);
  introduce(self, from, ev.address);
  st.echo_from[from] = f.extras.timestamp_us;
  st.owners->heard(n, from);
  if (f.extras.echo_us != 0)
    run_ownership(self, st.owners->echo(n, from, from_micros(f.extras.echo_us), f.extras.digest));
  if (f.msg.what == gs::message::kind::ack) {
    if (!f.extras.claims.empty())
      run_ownership(self, st.owners->answers_received(n, from, f.extras.claims,
                                                      from_micros(f.extras.echo_us)));
  } else if (!f.extras.claims.empty()) {
    std::vector<gs::vip_claim> answers;
    run_ownership(self, st.owners->claims_received(n, from, f.extras.claims, answers));
    st.answers_for[from] = std::move(answers);
  }
  if (f.msg.what == gs::message::kind::ping && f.msg.target.empty())
    f.msg.target = st.opts.node_name; // a hello: answered like a ping
  run_membership(self, st.members->received(n, f.msg));
  st.answers_for.erase(from); // answers go in the ack or nowhere
}

} // namespace

std::string gossip_address(const std::string& host, std::uint16_t port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

void learn_peer(pointer self, const std::string& name, const std::string& address) {
  auto& st = self->state;
  if (name.empty() || name == st.opts.node_name || !st.members) return;
  auto [it, fresh] = st.address_of.emplace(name, address);
  if (!fresh) {
    if (it->second == address) return;
    if (st.tx) st.tx->forget(it->second);
    it->second = address;
  }
  st.names.add(name);
  if (st.tx) st.tx->connect(address);
  spdlog::info("gossip: peer {} at {}", name, address);
  run_membership(self, st.members->join(now(self), name));
}

void start_io(pointer self) {
  auto& st = self->state;
  gs::transport_config cfg;
  cfg.self = st.opts.node_name;
  cfg.bind_address = st.opts.bind_address;
  cfg.port = st.opts.port;
  // A restarted peer is reached again within 50 ms (ZeroMQ's backoff would
  // otherwise grow to a second while it is down).
  cfg.reconnect_interval_max = std::chrono::milliseconds{50};
  auto opened = gs::transport::open(cfg);
  if (!opened) throw std::runtime_error("gossip: " + opened.err().describe());
  st.tx = std::shared_ptr<gs::transport>(std::move(*opened));
  st.io_stop = std::make_shared<std::atomic<bool>>(false);
  st.alarm = std::make_shared<io_alarm>();
  st.io = std::thread{io_loop,          st.tx, st.io_stop, st.alarm, caf::actor_cast<impl>(self),
                      st.opts.interface};
  spdlog::info("gossip: listening on {}:{}", cfg.bind_address, st.tx->bound_port());
}

state::~state() {
  stop_io(*this);
}

void stop_io(state& st) {
  if (st.io_stop) st.io_stop->store(true);
  if (st.tx) st.tx->wake();
  if (st.io.joinable()) st.io.join();
  st.tx.reset();
}

void on_io(pointer self, const msg::gossip_io_batch& batch) {
  auto& st = self->state;
  if (!st.members) return;
  for (auto ev : batch.events) {
    switch (ev.kind) {
    case msg::gossip_io_event::frame:
      on_frame(self, ev);
      break;
    case msg::gossip_io_event::disconnected:
      for (const auto& [name, addr] : st.address_of)
        if (addr == ev.address) {
          spdlog::info("gossip: connection to {} ({}) closed", name, addr);
          run_membership(self, st.members->peer_disconnected(now(self), name));
        }
      break;
    case msg::gossip_io_event::connected:
      break;
    case msg::gossip_io_event::carrier:
      carrier_changed(self, ev.up);
      break;
    case msg::gossip_io_event::neighbour:
      if (ev.bytes.size() == 6) {
        net::mac_address mac{};
        std::copy(ev.bytes.begin(), ev.bytes.end(), mac.begin());
        st.neighbours[ev.address] = mac;
      }
      break;
    }
  }
}

void send_frame(pointer self, const std::string& to, gs::message m,
                std::vector<gs::vip_claim> claims) {
  auto& st = self->state;
  auto addr = st.address_of.find(to);
  if (addr == st.address_of.end() || !st.tx) {
    count(st, "out", "no_address", 0);
    return;
  }
  gs::frame_extras x;
  // A ping or ping-req is numbered by membership (its seq is the replay
  // seq); an ack echoes the ping's seq and gets a replay seq of its own from
  // the same counter, as does a claim frame the actor makes itself.
  if (m.from.empty()) {
    m.from = st.opts.node_name;
    m.incarnation = st.members->incarnation();
    m.health = st.members->health();
  }
  if (m.what == gs::message::kind::ack) {
    x.seq = st.members->next_seq();
  } else {
    if (m.seq == 0) m.seq = st.members->next_seq();
    x.seq = m.seq;
  }
  x.timestamp_us = micros(now(self));
  auto echo = st.echo_from.find(to);
  x.echo_us = echo == st.echo_from.end() ? 0 : echo->second;
  x.digest = st.owners->digest_for(to);
  x.claims = std::move(claims);
  // Too big: drop piggybacked membership updates first, then claims (both
  // are sent again later); sized without encoding, so it signs once.
  gs::fit_frame(m, x);
  auto bytes = gs::encode_frame(m, x, st.key);
  if (!bytes) {
    count(st, "out", "refused", 0);
    spdlog::warn("gossip: cannot encode a frame to {}: {}", to, bytes.err().describe());
    return;
  }
  count(st, "out", "sent", bytes->size());
  st.tx->send(addr->second, std::move(*bytes));
}

/// Introduces this node to every configured address whose node it has not
/// heard from yet (a ping with no target), once per probe period.
void send_hellos(pointer self) {
  auto& st = self->state;
  st.hello_at = time_point{};
  if (st.unnamed.empty() || !st.tx || st.stopping) return;
  for (const auto& a : st.unnamed) {
    gs::message m;
    m.what = gs::message::kind::ping;
    m.from = st.opts.node_name;
    m.incarnation = st.members->incarnation();
    m.health = st.members->health();
    m.seq = st.members->next_seq();
    gs::frame_extras x;
    x.seq = m.seq;
    x.timestamp_us = micros(now(self));
    if (auto bytes = gs::encode_frame(m, x, st.key)) st.tx->send(a, std::move(*bytes));
  }
  st.hello_at = now(self) + st.opts.membership.probe_period;
  rearm(self);
}

} // namespace kvip::gossip_actor
