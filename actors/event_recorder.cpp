#include "actors/event_recorder.hpp"

#include <deque>
#include <map>
#include <optional>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "k8s/client.hpp"
#include "k8s/resource.hpp"
#include "messages/events.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

namespace {

using kind = k8s::event_effect::kind;

// -- the writer: the only place an HTTP call blocks ------------------------------

struct writer_state {
  std::shared_ptr<k8s::client> client;
  static inline const char* name = "event_writer";
};

using writer_pointer = msg::event_writer_actor::stateful_pointer<writer_state>;

msg::event_written perform(k8s::client& c, const msg::event_write& w) {
  msg::event_written out;
  out.id = w.id;
  boost::system::error_code ec;
  auto body = boost::json::parse(w.body, ec);
  if (ec || !body.is_object()) {
    out.error = k8s::error_kind::invalid;
    out.error_text = "event_write: the body is not a JSON object";
    return out;
  }
  auto r = w.create ? c.create_event(w.ns, std::move(body.as_object()))
                    : c.merge_patch(k8s::resources::events, w.ns, w.event, body.as_object());
  if (r.ok()) {
    out.ok = true;
    return out;
  }
  out.error = r.err().kind;
  out.http_status = r.err().http_status;
  out.error_text = r.err().describe();
  return out;
}

msg::event_writer_actor::behavior_type writer_fn(writer_pointer self,
                                                 std::shared_ptr<k8s::client> client) {
  log_crashes(self, "event_writer");
  self->state.client = std::move(client);
  return {
      on(self, [self](const msg::event_write& w) { return perform(*self->state.client, w); }),
  };
}

// -- the recorder ------------------------------------------------------------------

/// One write waiting or in flight.
struct job {
  k8s::event_effect effect;
  std::string about; ///< "Warning LoadBalancerIPConflict on Service shop/web", for logs
  int attempts = 0;
};

struct recorder_state {
  event_recorder_options opts;
  net::telemetry::registry* reg = nullptr;
  std::unique_ptr<k8s::event_correlator> core;
  std::unique_ptr<k8s::backoff> backoff;
  msg::event_writer_actor writer;
  std::deque<job> queue;      ///< waiting writes, oldest first, at most opts.queue_limit
  std::optional<job> current; ///< in flight, or waiting for its retry tick
  bool in_flight = false;
  std::uint64_t next_id = 0;
  std::map<std::string, std::uint64_t> outcomes; ///< result -> count (the dump)
  std::uint64_t retries = 0;
  std::string last_error;
  static inline const char* name = "event_recorder";
};

using recorder_pointer = msg::event_recorder_impl_actor::stateful_pointer<recorder_state>;

k8s::wall_time now(const recorder_state& st) {
  return st.opts.wall_clock ? st.opts.wall_clock() : std::chrono::system_clock::now();
}

void count(recorder_state& st, const std::string& result) {
  ++st.outcomes[result];
  st.reg
      ->counter_family("kvip_events_total", "Kubernetes Events kvip recorded, by result.",
                       {"result"})
      .with({result})
      .Increment();
}

k8s::event_request to_request(const msg::k8s_event& m) {
  k8s::event_request r;
  r.object = {m.api_version, m.kind, m.ns, m.object, m.uid};
  r.type = m.type;
  r.reason = m.reason;
  r.message = m.message;
  return r;
}

std::string describe_event(const msg::k8s_event& m) {
  return m.type + " " + m.reason + " on " + m.kind + " " + (m.ns.empty() ? "" : m.ns + "/") +
         m.object;
}

/// No answer, a timeout, throttling or a server error: worth trying again.
bool retryable(const msg::event_written& w) {
  using k = k8s::error_kind;
  if (w.error == k::transport || w.error == k::timeout) return true;
  return w.http_status == 429 || w.http_status >= 500;
}

std::chrono::milliseconds write_timeout(const recorder_state& st) {
  if (st.opts.write_timeout.count() > 0) return st.opts.write_timeout;
  return st.opts.client->options().request_timeout + std::chrono::milliseconds{5000};
}

void finished(recorder_pointer self, const msg::event_written& w);

void send_current(recorder_pointer self) {
  auto& st = self->state;
  auto& e = st.current->effect;
  msg::event_write w;
  w.id = ++st.next_id;
  w.create = e.what == kind::create;
  w.ns = e.ns;
  w.event = e.name;
  w.body = boost::json::serialize(e.body);
  st.in_flight = true;
  auto id = w.id;
  ask(self, st.writer, write_timeout(st), std::move(w))
      .then(on(self, [self](const msg::event_written& r) { finished(self, r); }),
            [self, id](caf::error& err) {
              msg::event_written r;
              r.id = id;
              r.error = k8s::error_kind::timeout;
              r.error_text = "no answer from the event writer: " + self->system().render(err);
              finished(self, r);
            });
}

/// Starts the next write unless one is in flight or waiting for its retry.
void pump(recorder_pointer self) {
  auto& st = self->state;
  if (st.current || st.queue.empty()) return;
  st.current = std::move(st.queue.front());
  st.queue.pop_front();
  send_current(self);
}

/// A retryable failure: try again after the backoff, or give up.
void retry_or_give_up(recorder_pointer self, job j, const msg::event_written& w) {
  auto& st = self->state;
  st.last_error = w.error_text;
  if (++j.attempts >= st.opts.max_attempts) {
    count(st, "failed");
    spdlog::warn("event_recorder: giving up Event {}/{} ({}) after {} tries: {}", j.effect.ns,
                 j.effect.name, j.about, j.attempts, w.error_text);
    return pump(self);
  }
  ++st.retries;
  st.reg
      ->counter_family("kvip_event_write_retries_total",
                       "Event writes tried again after an API failure.")
      .with()
      .Increment();
  auto wait = st.backoff->next();
  spdlog::debug("event_recorder: writing Event {}/{} failed ({}), again in {} ms", j.effect.ns,
                j.effect.name, w.error_text, wait.count());
  st.current = std::move(j);
  tell_after(self, caf::actor_cast<msg::event_recorder_impl_actor>(self), wait,
             msg::event_retry_tick{});
}

void finished(recorder_pointer self, const msg::event_written& w) {
  auto& st = self->state;
  if (!st.current || !st.in_flight || w.id != st.next_id) return; // not the write in flight
  st.in_flight = false;
  job j = std::move(*st.current);
  st.current.reset();
  auto& e = j.effect;
  bool create = e.what == kind::create;
  if (w.ok || (create && w.error == k8s::error_kind::already_exists)) {
    st.backoff->reset();
    count(st, create ? "created" : "updated");
    spdlog::debug("event_recorder: {} Event {}/{} ({}, count {})", create ? "created" : "updated",
                  e.ns, e.name, j.about, e.count);
  } else if (!create && w.error == k8s::error_kind::not_found) {
    auto again = st.core->recreate(e.series, now(st));
    spdlog::debug("event_recorder: Event {}/{} is gone, {} it again as {}", e.ns, e.name,
                  again.what == kind::create ? "creating" : "not creating", again.name);
    if (again.what == kind::create) st.current = job{std::move(again), j.about, 0};
    if (st.current) return send_current(self);
  } else if (retryable(w)) {
    return retry_or_give_up(self, std::move(j), w);
  } else {
    st.last_error = w.error_text;
    count(st, "rejected");
    spdlog::warn("event_recorder: the API refused Event {}/{} ({}): {}", e.ns, e.name, j.about,
                 w.error_text);
  }
  pump(self);
}

/// Queues a write: merged into a waiting write of the same Event when there
/// is one, else appended (dropping the oldest beyond the bound).
void enqueue(recorder_pointer self, k8s::event_effect e, std::string about) {
  auto& st = self->state;
  if (st.current && !st.in_flight && k8s::fold_into(st.current->effect, e))
    return count(st, "folded");
  for (auto it = st.queue.rbegin(); it != st.queue.rend(); ++it) {
    if (it->effect.series != e.series) continue;
    if (k8s::fold_into(it->effect, e)) return count(st, "folded");
    break;
  }
  st.queue.push_back(job{std::move(e), std::move(about), 0});
  if (st.queue.size() > st.opts.queue_limit) {
    auto& old = st.queue.front();
    spdlog::debug("event_recorder: queue full, dropping the write of Event {}/{} ({})",
                  old.effect.ns, old.effect.name, old.about);
    st.queue.pop_front();
    count(st, "queue_full");
  }
  pump(self);
}

void record(recorder_pointer self, const msg::k8s_event& m) {
  auto& st = self->state;
  auto e = st.core->observe(to_request(m), now(st));
  if (e.what != kind::drop) return enqueue(self, std::move(e), describe_event(m));
  count(st, e.why);
  spdlog::debug("event_recorder: dropped {} ({}): {}", describe_event(m), e.why, e.detail);
}

std::string describe(const recorder_state& st) {
  std::string text = fmt::format(
      "API server {}, {} Events remembered on {} objects, {} writes queued (at most {}), {}",
      st.opts.client->config().server, st.core->series_count(), st.core->object_count(),
      st.queue.size(), st.opts.queue_limit,
      !st.current ? "none in flight" : (st.in_flight ? "one in flight" : "one waiting to retry"));
  for (auto& [result, n] : st.outcomes)
    text += fmt::format(", {} {}", n, result);
  text += fmt::format(", {} retries", st.retries);
  if (!st.last_error.empty()) text += "\n  last error: " + st.last_error;
  return text;
}

msg::event_recorder_impl_actor::behavior_type
recorder_fn(recorder_pointer self, event_recorder_options opts, net::telemetry::registry* reg) {
  log_crashes(self, "event_recorder");
  auto& st = self->state;
  st.opts = std::move(opts);
  st.opts.policy.instance = st.opts.node_name;
  st.reg = reg;
  st.core = std::make_unique<k8s::event_correlator>(st.opts.policy);
  st.backoff = std::make_unique<k8s::backoff>(st.opts.retry);
  st.writer = self->spawn<caf::linked + caf::detached>(writer_fn, st.opts.client);
  return {
      on(self, [self](const msg::k8s_event& m) { record(self, m); }),
      on(self,
         [self](const msg::event_retry_tick&) {
           auto& st = self->state;
           if (st.current && !st.in_flight) send_current(self);
         }),
      on(self,
         [self](const msg::dump_request&) {
           msg::dump_reply r;
           r.actor = "event_recorder";
           r.text = describe(self->state);
           return r;
         }),
      on(self,
         [](const msg::shutdown_request&) {
           msg::shutdown_done d;
           d.actor = "event_recorder";
           return d;
         }),
  };
}

} // namespace

caf::actor spawn_event_recorder(caf::local_actor* parent, event_recorder_options opts,
                                net::telemetry::registry& reg) {
  return caf::actor_cast<caf::actor>(parent->spawn(recorder_fn, std::move(opts), &reg));
}

} // namespace kvip
