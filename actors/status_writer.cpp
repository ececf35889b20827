#include "actors/status_writer.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include <spdlog/spdlog.h>

#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "k8s/client.hpp"
#include "k8s/status/queue.hpp"
#include "k8s/status/write.hpp"
#include "messages/services.hpp"
#include "messages/status_writes.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

namespace {

namespace st = k8s::status;

// -- the workers: one blocking write at a time, off the scheduler -------------

struct worker_state {
  std::shared_ptr<k8s::client> client;
  st::write_options opts;
  static inline const char* name = "status_worker";
};

using worker_pointer = msg::status_worker_actor::stateful_pointer<worker_state>;

st::wanted to_wanted(const msg::service_status& m) {
  st::wanted w{m.ns, m.service, m.uid, m.ingress_ips, {}, m.vip_host};
  for (const auto& p : m.ports)
    w.ports.push_back({p.protocol, p.port});
  return w;
}

msg::service_status to_msg(const st::wanted& w) {
  msg::service_status m;
  m.ns = w.ns;
  m.service = w.name;
  m.uid = w.uid;
  m.ingress_ips = w.ingress_ips;
  for (const auto& p : w.ports)
    m.ports.push_back({p.protocol, p.port});
  m.vip_host = w.vip_host;
  return m;
}

msg::status_worker_actor::behavior_type
worker_fn(worker_pointer self, std::shared_ptr<k8s::client> client, int max_reads) {
  self->state.client = std::move(client);
  self->state.opts.max_reads = max_reads;
  return {
      on(self,
         [self](const msg::service_status& m) {
           auto rep = st::write(*self->state.client, to_wanted(m), self->state.opts);
           msg::status_write_done d;
           d.ns = m.ns;
           d.service = m.service;
           d.outcome = static_cast<std::uint8_t>(rep.result);
           d.reads = rep.reads;
           d.writes = rep.writes;
           d.conflicts = rep.conflicts;
           d.detail = std::move(rep.detail);
           return d;
         }),
  };
}

// -- the writer ----------------------------------------------------------------

struct worker_slot {
  msg::status_worker_actor handle;
  bool busy = false;
};

struct writer_state {
  status_writer_options opts;
  std::unique_ptr<st::queue> queue;
  std::vector<worker_slot> workers;
  std::uint64_t timer_generation = 0;
  bool timer_armed = false;
  st::queue::time_point timer_due{};
  std::uint64_t requests = 0;
  std::map<st::outcome, std::uint64_t> outcomes;
  std::uint64_t conflicts = 0;
  std::string last_failure;
  net::telemetry::registry* reg = nullptr;
  net::telemetry::gauge* pending_gauge = nullptr;
  net::telemetry::counter* conflicts_counter = nullptr;
  static inline const char* name = "status_writer";

  net::telemetry::counter& outcome_counter(st::outcome o) {
    return reg
        ->counter_family(
            "kvip_service_status_writes_total",
            "Writes of a Service's status.loadBalancer.ingress and kube-vip.io/vipHost "
            "by outcome: written, unchanged (it already said so), gone, recreated "
            "(another uid), failed (retried after a backoff).",
            {"node", "outcome"})
        .with({opts.node_name, st::to_string(o)});
  }
};

using writer_pointer = msg::status_writer_impl_actor::stateful_pointer<writer_state>;

void pump(writer_pointer self);

/// A worker for the next write: an idle one, else a new one (the queue's
/// window bounds how many exist).
std::size_t idle_worker(writer_pointer self) {
  auto& s = self->state;
  std::size_t i = 0;
  while (i < s.workers.size() && s.workers[i].handle && s.workers[i].busy)
    ++i;
  if (i < s.workers.size() && s.workers[i].handle) return i;
  auto client = std::make_shared<k8s::client>(s.opts.connection, s.opts.client);
  auto w = self->spawn<caf::linked + caf::detached>(worker_fn, std::move(client), s.opts.max_reads);
  if (i == s.workers.size()) s.workers.emplace_back();
  s.workers[i] = {w, false};
  return i;
}

/// A worker that did not answer within the bound of its calls is left to
/// finish on its own (unlinked, told to exit) and replaced when needed.
void retire(writer_pointer self, std::size_t i) {
  auto& w = self->state.workers[i];
  if (!w.handle) return;
  self->unlink_from(w.handle);
  self->send_exit(w.handle, caf::exit_reason::user_shutdown);
  w.handle = nullptr;
  spdlog::warn("status_writer: a worker did not answer in time; it is replaced");
}

void log_write(const msg::status_write_done& d, st::outcome o, std::chrono::milliseconds retry,
               unsigned failures) {
  auto key = d.ns + "/" + d.service;
  switch (o) {
  case st::outcome::written:
    spdlog::info("status_writer: {}: wrote {} ({} PUT(s), {} conflict(s))", key, d.detail, d.writes,
                 d.conflicts);
    break;
  case st::outcome::unchanged:
    spdlog::debug("status_writer: {}: nothing to write, {}", key, d.detail);
    break;
  case st::outcome::gone:
    spdlog::info("status_writer: {}: the Service is gone, request dropped ({})", key, d.detail);
    break;
  case st::outcome::recreated:
    spdlog::info("status_writer: {}: the Service was recreated, request dropped ({})", key,
                 d.detail);
    break;
  case st::outcome::failed:
    spdlog::warn("status_writer: {}: failed: {}; retry in {} ms (failure {} in a row)", key,
                 d.detail, retry.count(), failures);
    break;
  }
}

void finished(writer_pointer self, std::size_t worker, const msg::status_write_done& d) {
  auto& s = self->state;
  s.workers[worker].busy = false; // a retired worker's slot is free for a new one
  auto o = static_cast<st::outcome>(d.outcome);
  auto key = d.ns + "/" + d.service;
  auto retry = s.queue->finish(key, o, self->clock().now());
  ++s.outcomes[o];
  s.outcome_counter(o).Increment();
  s.conflicts += static_cast<std::uint64_t>(d.conflicts);
  s.conflicts_counter->Increment(d.conflicts);
  if (o == st::outcome::failed) s.last_failure = key + ": " + d.detail;
  log_write(d, o, retry, s.queue->failures(key));
  pump(self);
}

/// How long a write may take: every call is bounded by the client's request
/// timeout, and a write makes at most three per read.
caf::timespan write_bound(const status_writer_options& o) {
  return o.client.request_timeout * (3 * std::max(1, o.max_reads)) + std::chrono::seconds{5};
}

void dispatch(writer_pointer self, const st::wanted& w) {
  auto i = idle_worker(self);
  self->state.workers[i].busy = true;
  ask(self, self->state.workers[i].handle, write_bound(self->state.opts), to_msg(w))
      .then(on(self, [self, i](const msg::status_write_done& d) { finished(self, i, d); }),
            [self, i, w](caf::error& e) {
              if (e == caf::sec::request_timeout) retire(self, i);
              msg::status_write_done d;
              d.ns = w.ns;
              d.service = w.name;
              d.outcome = static_cast<std::uint8_t>(st::outcome::failed);
              d.detail = "worker: " + self->system().render(e);
              finished(self, i, d);
            });
}

/// Arms the one timer for the earliest waiting request, if it is not armed
/// for that time or earlier already.
void arm_timer(writer_pointer self) {
  auto& s = self->state;
  auto due = s.queue->next_due();
  if (!due || (s.timer_armed && s.timer_due <= *due)) return;
  s.timer_armed = true;
  s.timer_due = *due;
  msg::status_retry_tick t;
  t.generation = ++s.timer_generation;
  auto delay = std::max(caf::timespan{0}, caf::timespan{*due - self->clock().now()});
  tell_after(self, caf::actor_cast<msg::status_writer_impl_actor>(self), delay, t);
}

/// Starts every write that is due while the window has room.
void pump(writer_pointer self) {
  auto& s = self->state;
  for (const auto& w : s.queue->take(self->clock().now()))
    dispatch(self, w);
  s.pending_gauge->Set(static_cast<double>(s.queue->size()));
  arm_timer(self);
}

std::string describe(const writer_state& s) {
  auto count = [&](st::outcome o) {
    auto it = s.outcomes.find(o);
    return it == s.outcomes.end() ? std::uint64_t{0} : it->second;
  };
  auto text = fmt::format(
      "{} Services pending ({} writing, window {}, {} workers), {} requests; "
      "{} written, {} unchanged, {} gone, {} recreated, {} failed, {} conflicts",
      s.queue->size(), s.queue->in_flight(), s.queue->window(), s.workers.size(), s.requests,
      count(st::outcome::written), count(st::outcome::unchanged), count(st::outcome::gone),
      count(st::outcome::recreated), count(st::outcome::failed), s.conflicts);
  std::string failing;
  for (const auto& [key, n] : s.queue->failing(20))
    failing += (failing.empty() ? "" : ", ") + fmt::format("{} ({} in a row)", key, n);
  if (!failing.empty()) text += "\n  failing: " + failing;
  if (!s.last_failure.empty()) text += "\n  last failure: " + s.last_failure;
  return text;
}

msg::status_writer_impl_actor::behavior_type
writer_fn(writer_pointer self, status_writer_options opts, net::telemetry::registry* reg) {
  log_crashes(self, "status_writer");
  auto& s = self->state;
  s.opts = std::move(opts);
  if (!s.opts.client.limiter) // one for every worker's connection
    s.opts.client.limiter = std::make_shared<k8s::rate_limiter>(
        s.opts.client.qps, s.opts.client.burst, s.opts.client.clock);
  s.queue = std::make_unique<st::queue>(s.opts.max_in_flight, s.opts.retry);
  s.reg = reg;
  s.pending_gauge =
      &reg->gauge_family("kvip_service_status_pending",
                         "Services whose status is waiting to be written or being written.",
                         {"node"})
           .with({s.opts.node_name});
  s.conflicts_counter =
      &reg->counter_family("kvip_service_status_conflicts_total",
                           "Service status PUTs answered 409 Conflict (read again and retried).",
                           {"node"})
           .with({s.opts.node_name});
  return {
      on(self,
         [self](const msg::service_status& m) {
           ++self->state.requests;
           self->state.queue->submit(to_wanted(m), self->clock().now());
           pump(self);
         }),
      on(self,
         [self](const msg::status_retry_tick& t) {
           auto& s = self->state;
           if (t.generation == s.timer_generation) s.timer_armed = false;
           pump(self);
         }),
      on(self,
         [self](const msg::dump_request&) {
           msg::dump_reply r;
           r.actor = "status_writer";
           r.text = describe(self->state);
           return r;
         }),
      on(self,
         [](const msg::shutdown_request&) {
           msg::shutdown_done d;
           d.actor = "status_writer";
           return d;
         }),
  };
}

} // namespace

caf::actor spawn_status_writer(caf::local_actor* parent, status_writer_options opts,
                               net::telemetry::registry& reg) {
  return caf::actor_cast<caf::actor>(parent->spawn(writer_fn, std::move(opts), &reg));
}

} // namespace kvip
