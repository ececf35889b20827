#include "actors/arp_responder.hpp"

#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "actors/arp_responder_io.hpp"
#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "net/l2/announce_schedule.hpp"
#include "net/l2/answer_table.hpp"

namespace kvip {

namespace {

namespace l2 = net::l2;

/// How long the responder waits for its I/O actor before giving up on a reply.
constexpr std::chrono::seconds io_timeout{30};

/// One VIP being announced: which announcement run and its next step.
struct announcing {
  std::uint64_t generation = 0;
  std::uint32_t frames = 0; ///< announcement steps sent in this run
};

struct responder_state {
  responder_options opts;
  std::shared_ptr<l2::answer_table> table;
  l2::announce_schedule schedule{{}, {}};
  msg::responder_io_actor io;
  std::map<std::string, msg::vip_spec> held; // by canonical address
  std::map<std::string, announcing> runs;    // by canonical address
  /// Asked to announce before the hold put them on lo (a hold of a thousand
  /// VIPs takes longer than a claim): announced once held, if still answered.
  std::set<std::string> waiting;
  /// Holds sent to the I/O actor and not answered yet: holds overlap (the
  /// set of VIPs can change twice within one hold), and a VIP waiting for
  /// a later hold is not dropped when an earlier one completes without it.
  int holds_pending = 0;
  std::uint64_t next_generation = 1;
  std::string last_error;
  bool stopping = false;

  bool answers(const std::string& address) const {
    auto a = net::ip_address::parse(address);
    return a && table->may_announce(*a, std::chrono::steady_clock::now());
  }

  static inline const char* name = "arp_responder";
};

using responder_ptr = msg::responder_impl_actor::stateful_pointer<responder_state>;

std::string canonical(const std::string& address) {
  auto a = net::ip_address::parse(address);
  return a ? a->to_string() : address;
}

void arm(responder_ptr self, const std::string& address, std::uint64_t generation,
         std::uint32_t step) {
  msg::rsp_tick t;
  t.address = address;
  t.generation = generation;
  t.step = step;
  tell_after(self, caf::actor_cast<msg::responder_impl_actor>(self),
             self->state.schedule.delay_before(step), t);
}

/// One announcement step: sent while the VIP is held and answered; the run
/// ends (quietly) the first time it is not.
void on_tick(responder_ptr self, const msg::rsp_tick& t) {
  auto& st = self->state;
  auto run = st.runs.find(t.address);
  if (run == st.runs.end() || run->second.generation != t.generation) return; // superseded
  auto held = st.held.find(t.address);
  if (st.stopping || held == st.held.end() || !st.answers(t.address)) {
    spdlog::debug("arp_responder: no longer announcing {}", t.address);
    st.runs.erase(run);
    return;
  }
  msg::rsp_send s;
  s.address = t.address;
  s.interface = held->second.interface;
  tell(self, st.io, s);
  ++run->second.frames;
  arm(self, t.address, t.generation, st.schedule.next(t.step));
}

void on_announce(responder_ptr self, const msg::responder_announce& m) {
  auto& st = self->state;
  auto address = canonical(m.address);
  if (st.stopping) return;
  if (st.held.count(address) == 0) {
    spdlog::debug("arp_responder: {} is not held yet: announced once it is", address);
    st.waiting.insert(address);
    return;
  }
  if (!st.answers(address)) {
    spdlog::warn("arp_responder: asked to announce {}, which the answer table does not answer",
                 address);
    return;
  }
  auto gen = st.next_generation++;
  st.runs[address] = announcing{gen, 0};
  if (st.schedule.immediate()) {
    msg::rsp_tick t;
    t.address = address;
    t.generation = gen;
    t.step = 0;
    on_tick(self, t);
  } else {
    arm(self, address, gen, 0);
  }
}

/// The VIPs asked for before the hold: those held now and still answered.
/// One not held yet stays waiting while it is answered and a later hold is
/// still on its way (an earlier hold without it completed first).
void announce_waiting(responder_ptr self) {
  auto& st = self->state;
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  for (const auto& address : waiting) {
    if (!st.answers(address)) continue; // given up meanwhile: nothing to announce
    if (st.held.count(address) == 0) {
      if (st.holds_pending > 0) {
        st.waiting.insert(address);
        continue;
      }
      spdlog::warn("arp_responder: asked to announce {}, which the hold did not put on lo",
                   address);
      continue;
    }
    msg::responder_announce a;
    a.address = address;
    on_announce(self, a);
  }
}

caf::result<msg::responder_held> on_hold(responder_ptr self, const msg::responder_hold& m) {
  auto& st = self->state;
  auto promise = self->make_response_promise<msg::responder_held>();
  if (st.stopping) {
    msg::responder_held r;
    r.error = "arp_responder: shutting down; holding nothing";
    promise.deliver(r);
    return promise;
  }
  msg::rsp_apply a;
  a.vips = m.vips;
  a.interfaces = st.opts.interfaces;
  ++st.holds_pending;
  ask(self, st.io, io_timeout, a)
      .then(on(self,
               [self, promise, vips = m.vips](const msg::rsp_applied& r) mutable {
                 auto& st = self->state;
                 --st.holds_pending;
                 std::map<std::string, msg::vip_spec> want;
                 for (const auto& v : vips)
                   want[canonical(v.address)] = v;
                 st.held.clear();
                 for (const auto& a : r.active)
                   if (auto it = want.find(a); it != want.end()) st.held[a] = it->second;
                 std::erase_if(st.runs, [&st](const auto& kv) { return !st.held.count(kv.first); });
                 announce_waiting(self);
                 st.last_error = r.error;
                 if (!r.error.empty()) spdlog::warn("arp_responder: {}", r.error);
                 msg::responder_held out;
                 out.active = r.active;
                 out.error = r.error;
                 promise.deliver(out);
               }),
            [self, promise](caf::error& err) mutable {
              --self->state.holds_pending;
              msg::responder_held out;
              out.error = "arp_responder: I/O actor did not answer: " + caf::to_string(err);
              promise.deliver(out);
            });
  return promise;
}

std::string own_dump(const responder_state& st) {
  auto now = std::chrono::steady_clock::now();
  std::string text = "node " + st.opts.node_name + ": " + std::to_string(st.held.size()) +
                     " VIPs held on lo, burst " + st.schedule.describe() +
                     (st.stopping ? ", stopping" : "");
  for (const auto& [address, v] : st.held) {
    auto a = net::ip_address::parse(address);
    bool answering = a && st.table->may_answer(*a, now);
    text += "\n  " + address + " on " + v.interface + (answering ? ": answering" : ": silent");
    if (auto run = st.runs.find(address); run != st.runs.end())
      text += ", announced " + std::to_string(run->second.frames) + " times this run";
  }
  if (!st.last_error.empty()) text += "\n  last error: " + st.last_error;
  return text;
}

caf::result<msg::dump_reply> on_dump(responder_ptr self) {
  auto promise = self->make_response_promise<msg::dump_reply>();
  msg::dump_reply mine;
  mine.actor = "arp_responder";
  mine.text = own_dump(self->state);
  ask(self, self->state.io, std::chrono::seconds{5}, msg::dump_request{})
      .then(on(self,
               [promise, mine](const msg::dump_reply& io) mutable {
                 mine.text += io.text;
                 promise.deliver(mine);
               }),
            [promise, mine](caf::error&) mutable {
              mine.text += "\n  (I/O actor busy)";
              promise.deliver(mine);
            });
  return promise;
}

caf::result<msg::shutdown_done> on_shutdown(responder_ptr self) {
  auto& st = self->state;
  st.stopping = true;
  st.runs.clear();
  st.held.clear();
  auto promise = self->make_response_promise<msg::shutdown_done>();
  ask(self, st.io, io_timeout, msg::rsp_restore{})
      .then(on(self,
               [promise](const msg::rsp_restored& r) mutable {
                 if (!r.error.empty()) spdlog::error("arp_responder: {}", r.error);
                 msg::shutdown_done d;
                 d.actor = "arp_responder";
                 promise.deliver(d);
               }),
            [promise](caf::error& err) mutable {
              spdlog::error("arp_responder: restore did not finish: {}", caf::to_string(err));
              msg::shutdown_done d;
              d.actor = "arp_responder";
              promise.deliver(d);
            });
  return promise;
}

msg::responder_impl_actor::behavior_type responder_fn(responder_ptr self, responder_options opts,
                                                      std::shared_ptr<l2::answer_table> table) {
  log_crashes(self, "arp_responder");
  auto& st = self->state;
  st.schedule = l2::announce_schedule{opts.burst, opts.refresh, responder_options{}.refresh};
  st.opts = std::move(opts);
  st.table = table ? std::move(table) : std::make_shared<l2::answer_table>();
  st.io = spawn_arp_responder_io(self, st.table, st.opts.host, st.opts.listen, st.opts.io_detached);
  return {
      on(self, [self](const msg::responder_hold& m) { return on_hold(self, m); }),
      on(self, [self](const msg::responder_announce& m) { on_announce(self, m); }),
      on(self, [self](const msg::rsp_tick& t) { on_tick(self, t); }),
      on(self, [self](const msg::dump_request&) { return on_dump(self); }),
      on(self, [self](const msg::shutdown_request&) { return on_shutdown(self); }),
  };
}

} // namespace

msg::responder_actor spawn_arp_responder(caf::local_actor* parent, responder_options opts,
                                         std::shared_ptr<net::l2::answer_table> table) {
  return parent->spawn(responder_fn, std::move(opts), std::move(table));
}

} // namespace kvip
