#include "net/gossip/transport.hpp"

#include "net/gossip/tcp_tuning.hpp"

#include <sys/random.h>

#include <zmq.hpp>

#include <atomic>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>

#include <spdlog/spdlog.h>

namespace kvip::net::gossip {

namespace {

// One monitor event: frame 1 is a u16 event id and a u32 value (native byte
// order, libzmq's layout), frame 2 the endpoint.
std::uint16_t monitor_event_id(const zmq::message_t& first) {
  std::uint16_t id = 0;
  if (first.size() >= sizeof id) std::memcpy(&id, first.data(), sizeof id);
  return id;
}

// The event's value: for ZMQ_EVENT_CONNECTED and ZMQ_EVENT_ACCEPTED, the
// connection's file descriptor (-1 if the frame is too short).
int monitor_event_value(const zmq::message_t& first) {
  std::uint32_t value = 0;
  if (first.size() < sizeof(std::uint16_t) + sizeof value) return -1;
  std::memcpy(&value, static_cast<const char*>(first.data()) + sizeof(std::uint16_t), sizeof value);
  return static_cast<int>(value);
}

constexpr int monitored_events =
    ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED;

} // namespace

result<parsed_address> parse_address(const std::string& address) {
  parsed_address out;
  std::string port;
  if (!address.empty() && address.front() == '[') {
    auto close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':')
      return make_error("gossip peer address \"" + address + "\": expected [v6 address]:port");
    out.host = address.substr(1, close - 1);
    out.ipv6 = true;
    port = address.substr(close + 2);
  } else {
    auto colon = address.rfind(':');
    if (colon == std::string::npos || address.find(':') != colon)
      return make_error("gossip peer address \"" + address +
                        "\": expected host:port (an IPv6 address goes in brackets)");
    out.host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  if (out.host.empty()) return make_error("gossip peer address \"" + address + "\": no host");
  unsigned long value = 0;
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos ||
      (value = std::stoul(port)) == 0 || value > 65535)
    return make_error("gossip peer address \"" + address + "\": port \"" + port +
                      "\" is not 1..65535");
  out.port = static_cast<std::uint16_t>(value);
  out.endpoint = "tcp://" + (out.ipv6 ? "[" + out.host + "]" : out.host) + ":" + port;
  return out;
}

/// 16 hex digits from the kernel's random source.
std::string random_tag() {
  std::uint64_t v = 0;
  if (::getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v))
    v = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

struct transport::impl {
  struct dealer {
    zmq::socket_t socket;
    zmq::socket_t monitor;  // PAIR connected to the DEALER's socket monitor
    bool connected = false; // handshake succeeded, not disconnected since
    bool tcp_up = false;    // TCP connected, handshake not (yet) reported
  };
  struct request {
    enum class op { send, connect, forget } what = op::send;
    std::string address;
    std::vector<std::uint8_t> bytes;
  };

  transport_config cfg;
  std::string tag = random_tag(); // this process's part of its routing ids
  zmq::context_t ctx{1};
  zmq::socket_t router{ctx, zmq::socket_type::router};
  zmq::socket_t router_monitor{ctx, zmq::socket_type::pair}; // ZMQ_EVENT_ACCEPTED
  zmq::socket_t wake_rx{ctx, zmq::socket_type::pair};
  zmq::socket_t wake_tx{ctx, zmq::socket_type::pair}; // guarded by mu
  std::map<std::string, dealer> dealers;              // by address, poller thread only
  unsigned next_monitor = 0;
  std::uint16_t port = 0;

  std::mutex mu;
  std::deque<request> queue; // guarded by mu
  // A wake message is in the pipe (or being drained): at most one ever is, so
  // the pair never reaches its high-water mark and no wake is lost.
  bool wake_pending = false; // guarded by mu

  std::atomic<std::uint64_t> frames_sent{0}, bytes_sent{0}, frames_received{0}, bytes_received{0},
      dropped_unconnected{0}, dropped_bad_address{0}, tcp_tuned{0}, tcp_tuning_refused{0};
  bool tuning_warned = false; // poller thread only

  explicit impl(transport_config c) : cfg(std::move(c)) {}

  result<void> bind();
  void enqueue(request r);
  void wake_locked();
  void woken();
  void drain();
  dealer* dealer_for(const std::string& address);
  void send_now(const std::string& address, const std::vector<std::uint8_t>& bytes);
  void receive(std::vector<transport_event>& out);
  void monitor_events(const std::string& address, dealer& d, std::vector<transport_event>& out);
  void accepted_events();
  void tune(int fd, const std::string& side);
};

result<void> transport::impl::bind() {
  const bool any6 = cfg.bind_address == "::";
  const bool v6 = any6 || cfg.bind_address.find(':') != std::string::npos;
  std::string host = any6 ? "*" : v6 ? "[" + cfg.bind_address + "]" : cfg.bind_address;
  if (host.empty()) host = "*";
  const std::string endpoint =
      "tcp://" + host + ":" + (cfg.port == 0 ? std::string("*") : std::to_string(cfg.port));
  try {
    router.set(zmq::sockopt::linger, 0);
    router.set(zmq::sockopt::ipv6, v6 ? 1 : 0);
    // No handover: every connection has a routing id of its own (the node
    // name plus a per-process random tag), so a restarted peer never needs
    // to take over its old one, and a connection that merely claims a
    // node's name (it has no key) cannot take over, and so cut, the node's
    // real connection (the lab's forge-peers fault found this).
    router.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(cfg.max_message_bytes));
    const std::string mon = "inproc://kvip-gossip-router-monitor";
    if (zmq_socket_monitor(router.handle(), mon.c_str(), ZMQ_EVENT_ACCEPTED) != 0)
      throw zmq::error_t();
    router_monitor.connect(mon);
    router.bind(endpoint);
    const std::string last = router.get(zmq::sockopt::last_endpoint);
    port = static_cast<std::uint16_t>(std::stoul(last.substr(last.rfind(':') + 1)));
    const std::string wake = "inproc://kvip-gossip-wake";
    wake_rx.bind(wake);
    wake_tx.connect(wake);
  } catch (const zmq::error_t& e) {
    return make_error("gossip transport: cannot bind " + endpoint + ": " + e.what(), e.num());
  }
  return ok();
}

void transport::impl::enqueue(request r) {
  std::lock_guard lock(mu);
  queue.push_back(std::move(r));
  wake_locked();
}

void transport::impl::wake_locked() {
  if (wake_pending) return;
  wake_pending = static_cast<bool>(wake_tx.send(zmq::message_t{}, zmq::send_flags::dontwait));
}

// The poller woke: reads the wake message, then allows the next wake. A
// request queued in between is drained before poll() returns.
void transport::impl::woken() {
  zmq::message_t m;
  while (wake_rx.recv(m, zmq::recv_flags::dontwait)) {}
  std::lock_guard lock(mu);
  wake_pending = false;
}

void transport::impl::drain() {
  std::deque<request> batch;
  {
    std::lock_guard lock(mu);
    batch.swap(queue);
  }
  for (auto& r : batch) {
    if (r.what == request::op::forget) {
      dealers.erase(r.address);
      continue;
    }
    if (r.what == request::op::connect) {
      if (!dealer_for(r.address)) ++dropped_bad_address;
      continue;
    }
    send_now(r.address, r.bytes);
  }
}

transport::impl::dealer* transport::impl::dealer_for(const std::string& address) {
  if (auto it = dealers.find(address); it != dealers.end()) return &it->second;
  auto parsed = parse_address(address);
  if (!parsed) {
    spdlog::warn("gossip transport: {}", parsed.err().message);
    return nullptr;
  }
  dealer d{zmq::socket_t{ctx, zmq::socket_type::dealer}, zmq::socket_t{ctx, zmq::socket_type::pair},
           false};
  try {
    d.socket.set(zmq::sockopt::routing_id, cfg.self + "/" + tag);
    d.socket.set(zmq::sockopt::linger, 0);
    d.socket.set(zmq::sockopt::immediate, 1); // no queue while not connected
    d.socket.set(zmq::sockopt::sndhwm, cfg.send_high_water_mark);
    d.socket.set(zmq::sockopt::reconnect_ivl, static_cast<int>(cfg.reconnect_interval.count()));
    d.socket.set(zmq::sockopt::reconnect_ivl_max,
                 static_cast<int>(cfg.reconnect_interval_max.count()));
    d.socket.set(zmq::sockopt::connect_timeout, static_cast<int>(cfg.connect_timeout.count()));
    d.socket.set(zmq::sockopt::ipv6, parsed->ipv6 ? 1 : 0);
    const std::string mon = "inproc://kvip-gossip-monitor-" + std::to_string(next_monitor++);
    // Monitor first, so the first connection's events are not missed.
    if (zmq_socket_monitor(d.socket.handle(), mon.c_str(), monitored_events) != 0)
      throw zmq::error_t();
    d.monitor.connect(mon);
    d.socket.connect(parsed->endpoint);
  } catch (const zmq::error_t& e) {
    spdlog::warn("gossip transport: cannot open a connection to {}: {}", address, e.what());
    return nullptr;
  }
  return &dealers.emplace(address, std::move(d)).first->second;
}

void transport::impl::send_now(const std::string& address, const std::vector<std::uint8_t>& bytes) {
  dealer* d = dealer_for(address);
  if (!d) {
    ++dropped_bad_address;
    return;
  }
  zmq::send_result_t sent;
  try {
    sent = d->socket.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
  } catch (const zmq::error_t&) {
    sent.reset();
  }
  if (!sent) {
    ++dropped_unconnected; // not connected (ZMQ_IMMEDIATE) or at the high-water mark
    return;
  }
  ++frames_sent;
  bytes_sent += bytes.size();
}

void transport::impl::receive(std::vector<transport_event>& out) {
  for (;;) {
    zmq::message_t id, payload;
    if (!router.recv(id, zmq::recv_flags::dontwait)) return;
    if (!id.more()) continue; // a routing id alone: nothing to deliver
    if (!router.recv(payload, zmq::recv_flags::dontwait)) return;
    while (payload.more()) { // frames are one part; extra parts are dropped
      zmq::message_t extra;
      if (!router.recv(extra, zmq::recv_flags::dontwait)) break;
      if (!extra.more()) break;
    }
    transport_event e;
    e.what = transport_event::kind::frame;
    // The routing id is "<node name>/<tag>": the name is what the frame's
    // signed sender must match (codec.hpp), the tag only keeps it unique.
    e.peer = id.to_string();
    if (auto slash = e.peer.rfind('/'); slash != std::string::npos) e.peer.resize(slash);
    const char* peer_address = zmq_msg_gets(payload.handle(), "Peer-Address");
    if (peer_address) e.address = peer_address;
    const auto* p = static_cast<const std::uint8_t*>(payload.data());
    e.bytes.assign(p, p + payload.size());
    ++frames_received;
    bytes_received += payload.size();
    out.push_back(std::move(e));
  }
}

void transport::impl::monitor_events(const std::string& address, dealer& d,
                                     std::vector<transport_event>& out) {
  for (;;) {
    zmq::message_t first, second;
    if (!d.monitor.recv(first, zmq::recv_flags::dontwait)) return;
    if (first.more()) (void)d.monitor.recv(second, zmq::recv_flags::dontwait);
    const std::uint16_t id = monitor_event_id(first);
    // `connected` once the ZMTP handshake succeeded: only then does the
    // DEALER take frames (ZMQ_IMMEDIATE); a TCP connection alone is not
    // reported. `disconnected` for any closed connection, handshaken or not
    // (a peer killed in between must not go unnoticed).
    bool up = d.connected;
    if (id == ZMQ_EVENT_CONNECTED) {
      d.tcp_up = true;
      tune(monitor_event_value(first), "to " + address);
    }
    if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) up = true;
    if (id == ZMQ_EVENT_DISCONNECTED) {
      const bool was = d.connected || d.tcp_up;
      d.connected = d.tcp_up = false;
      if (!was) continue;
      up = false;
    } else if (up == d.connected) {
      continue;
    }
    d.connected = up;
    transport_event e;
    e.what = up ? transport_event::kind::connected : transport_event::kind::disconnected;
    e.address = address;
    out.push_back(std::move(e));
  }
}

void transport::impl::accepted_events() {
  for (;;) {
    zmq::message_t first, second;
    if (!router_monitor.recv(first, zmq::recv_flags::dontwait)) return;
    if (first.more()) (void)router_monitor.recv(second, zmq::recv_flags::dontwait);
    if (monitor_event_id(first) == ZMQ_EVENT_ACCEPTED) tune(monitor_event_value(first), "accepted");
  }
}

// Tunes a connection the monitor reported: the sender's side carries the
// frames, the receiver's its acknowledgements (whose delay Linux also bounds
// by the RTO floor). A kernel that refuses an option is named once.
void transport::impl::tune(int fd, const std::string& side) {
  auto done = apply_tcp_tuning(fd, cfg.tuning);
  if (!done) return; // closed again before we got to it: nothing to tune
  if (done->refused.empty()) {
    ++tcp_tuned;
    return;
  }
  ++tcp_tuning_refused;
  if (tuning_warned) return;
  tuning_warned = true;
  std::string refused;
  for (auto& r : done->refused)
    refused += (refused.empty() ? "" : "; ") + r;
  spdlog::warn("gossip transport: the kernel refused TCP options on a connection {} ({}); such "
               "connections keep the kernel's retransmission timers (200 ms floor, backing off) "
               "and stall longer under packet loss",
               side, refused);
}

result<std::unique_ptr<transport>> transport::open(const transport_config& cfg) {
  if (cfg.self.empty()) return make_error("gossip transport: no node name (routing id)");
  auto p = std::make_unique<impl>(cfg);
  if (auto bound = p->bind(); !bound) return bound.err();
  return std::unique_ptr<transport>(new transport(std::move(p)));
}

transport::transport(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

transport::~transport() = default;

void transport::send(const std::string& address, std::vector<std::uint8_t> bytes) {
  impl_->enqueue({impl::request::op::send, address, std::move(bytes)});
}

void transport::connect(const std::string& address) {
  impl_->enqueue({impl::request::op::connect, address, {}});
}

void transport::forget(const std::string& address) {
  impl_->enqueue({impl::request::op::forget, address, {}});
}

void transport::wake() {
  std::lock_guard lock(impl_->mu);
  impl_->wake_locked();
}

std::vector<transport_event> transport::poll(std::chrono::milliseconds timeout) {
  impl& s = *impl_;
  std::vector<transport_event> out;
  s.drain();
  std::vector<zmq::pollitem_t> items;
  std::vector<std::pair<const std::string*, impl::dealer*>> monitored;
  items.push_back({s.wake_rx.handle(), 0, ZMQ_POLLIN, 0});
  items.push_back({s.router.handle(), 0, ZMQ_POLLIN, 0});
  items.push_back({s.router_monitor.handle(), 0, ZMQ_POLLIN, 0});
  for (auto& [address, d] : s.dealers) {
    items.push_back({d.monitor.handle(), 0, ZMQ_POLLIN, 0});
    monitored.emplace_back(&address, &d);
  }
  try {
    zmq::poll(items, timeout);
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) spdlog::warn("gossip transport: poll: {}", e.what());
    return out;
  }
  if (items[0].revents & ZMQ_POLLIN) s.woken();
  if (items[2].revents & ZMQ_POLLIN) s.accepted_events();
  // Connection changes first: a disconnect must not wait behind frames.
  for (std::size_t i = 0; i < monitored.size(); ++i)
    if (items[i + 3].revents & ZMQ_POLLIN)
      s.monitor_events(*monitored[i].first, *monitored[i].second, out);
  if (items[1].revents & ZMQ_POLLIN) s.receive(out);
  s.drain();
  return out;
}

std::uint16_t transport::bound_port() const {
  return impl_->port;
}

transport::counters transport::stats() const {
  counters c;
  c.frames_sent = impl_->frames_sent;
  c.bytes_sent = impl_->bytes_sent;
  c.frames_received = impl_->frames_received;
  c.bytes_received = impl_->bytes_received;
  c.dropped_unconnected = impl_->dropped_unconnected;
  c.dropped_bad_address = impl_->dropped_bad_address;
  c.tcp_tuned = impl_->tcp_tuned;
  c.tcp_tuning_refused = impl_->tcp_tuning_refused;
  return c;
}

} // namespace kvip::net::gossip
