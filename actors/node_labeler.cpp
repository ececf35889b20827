#include "actors/node_labeler.hpp"

#include <map>
#include <memory>
#include <optional>

#include <spdlog/spdlog.h>

#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "k8s/services/node_labels.hpp"
#include "messages/node_labels.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

namespace {

namespace svc = k8s::services;
using label_map = std::map<std::string, std::string>;

// -- the worker: one blocking write at a time, off the scheduler ----------------

struct worker_state {
  std::shared_ptr<k8s::client> client;
  std::string node;
  static inline const char* name = "node_label_worker";
};

msg::node_label_worker_actor::behavior_type
worker_fn(msg::node_label_worker_actor::stateful_pointer<worker_state> self,
          std::shared_ptr<k8s::client> client, std::string node) {
  self->state.client = std::move(client);
  self->state.node = std::move(node);
  return {
      on(self,
         [self](const msg::node_labels_wanted& m) {
           label_map want;
           for (const auto& l : m.labels)
             want[l.key] = l.value;
           auto rep = svc::write_node_labels(*self->state.client, self->state.node, want);
           msg::node_labels_done d;
           d.outcome = static_cast<std::uint8_t>(rep.result);
           d.detail = std::move(rep.detail);
           return d;
         }),
  };
}

// -- the labeler ---------------------------------------------------------------------

struct labeler_state {
  node_labeler_options opts;
  std::unique_ptr<k8s::backoff> backoff;
  svc::node_ownership owned;
  bool heard_cp = false;
  bool heard_services = false;
  bool grace_over = false;
  std::vector<std::string> problems; ///< of the latest desired labels (logged when they change)
  label_map desired;
  std::optional<label_map> written; ///< what the Node is known to carry (nullopt: unknown)
  bool in_flight = false;
  bool backing_off = false;
  std::uint64_t timer_generation = 0;
  msg::node_label_worker_actor worker;
  std::map<svc::label_outcome, std::uint64_t> outcomes;
  std::string last_detail;
  net::telemetry::registry* reg = nullptr;
  static inline const char* name = "node_labeler";

  bool ready() const {
    return grace_over ||
           ((heard_cp || !opts.expect_control_plane) && (heard_services || !opts.expect_services));
  }

  net::telemetry::counter& outcome_counter(svc::label_outcome o) {
    return reg
        ->counter_family("kvip_node_label_writes_total",
                         "Writes of this node's kvip labels (kube-vip.io/has-ip, "
                         "service-provided.kube-vip.io/*) by outcome: written, unchanged, failed.",
                         {"node", "outcome"})
        .with({opts.node_name, svc::to_string(o)});
  }
};

using pointer = msg::node_labeler_impl_actor::stateful_pointer<labeler_state>;

void pump(pointer self);

void arm_timer(pointer self, caf::timespan delay) {
  msg::node_label_tick t;
  t.generation = ++self->state.timer_generation;
  tell_after(self, caf::actor_cast<msg::node_labeler_impl_actor>(self), delay, t);
}

/// The desired labels from what this node owns now (problems logged once).
void recompute(pointer self) {
  auto& s = self->state;
  auto d = svc::labels_for(s.owned);
  if (d.problems != s.problems)
    for (const auto& p : d.problems)
      spdlog::warn("node_labeler: {}", p);
  s.problems = std::move(d.problems);
  s.desired = std::move(d.labels);
}

void finished(pointer self, const label_map& sent, const msg::node_labels_done& d) {
  auto& s = self->state;
  s.in_flight = false;
  auto o = static_cast<svc::label_outcome>(d.outcome);
  ++s.outcomes[o];
  s.outcome_counter(o).Increment();
  s.last_detail = d.detail;
  if (o == svc::label_outcome::failed) {
    s.written.reset();
    s.backing_off = true;
    auto wait = s.backoff->next();
    spdlog::warn("node_labeler: node {}: {}; retry in {} ms", s.opts.node_name, d.detail,
                 wait.count());
    arm_timer(self, wait);
    return;
  }
  s.backoff->reset();
  s.written = sent;
  if (o == svc::label_outcome::written)
    spdlog::info("node_labeler: node {}: {}", s.opts.node_name, d.detail);
  pump(self);
}

/// A worker that did not answer within the bound of its calls is left to
/// finish on its own and replaced at the next write.
void retire(pointer self) {
  auto& w = self->state.worker;
  if (!w) return;
  self->unlink_from(w);
  self->send_exit(w, caf::exit_reason::user_shutdown);
  w = nullptr;
}

/// Starts a write when one is due and none is in flight.
void pump(pointer self) {
  auto& s = self->state;
  if (!s.ready() || s.in_flight || s.backing_off) return;
  if (s.written && *s.written == s.desired) return;
  if (!s.worker) {
    auto client = std::make_shared<k8s::client>(s.opts.connection, s.opts.client);
    s.worker =
        self->spawn<caf::linked + caf::detached>(worker_fn, std::move(client), s.opts.node_name);
  }
  s.in_flight = true;
  msg::node_labels_wanted m;
  for (const auto& [k, v] : s.desired)
    m.labels.push_back({k, v});
  auto bound = s.opts.client.request_timeout * 2 + std::chrono::seconds{5};
  ask(self, s.worker, bound, m)
      .then(on(self, [self, sent = s.desired](
                         const msg::node_labels_done& d) { finished(self, sent, d); }),
            [self, sent = s.desired](caf::error& e) {
              if (e == caf::sec::request_timeout) retire(self);
              msg::node_labels_done d;
              d.outcome = static_cast<std::uint8_t>(svc::label_outcome::failed);
              d.detail = "worker: " + self->system().render(e);
              finished(self, sent, d);
            });
}

std::string describe(const labeler_state& s) {
  auto count = [&](svc::label_outcome o) {
    auto it = s.outcomes.find(o);
    return it == s.outcomes.end() ? std::uint64_t{0} : it->second;
  };
  std::string text = fmt::format(
      "node {}: {} label(s) wanted, {}{}{}; {} written, {} unchanged, {} failed", s.opts.node_name,
      s.desired.size(),
      !s.ready() ? "waiting for the owners' first reports"
                 : (s.written && *s.written == s.desired ? "on the Node" : "not written yet"),
      s.in_flight ? ", writing" : "", s.backing_off ? ", backing off" : "",
      count(svc::label_outcome::written), count(svc::label_outcome::unchanged),
      count(svc::label_outcome::failed));
  for (const auto& [k, v] : s.desired)
    text += "\n  " + k + "=" + v;
  if (!s.last_detail.empty()) text += "\n  last write: " + s.last_detail;
  return text;
}

msg::node_labeler_impl_actor::behavior_type labeler_fn(pointer self, node_labeler_options opts,
                                                       net::telemetry::registry* reg) {
  log_crashes(self, "node_labeler");
  auto& s = self->state;
  s.opts = std::move(opts);
  s.reg = reg;
  if (!s.opts.client.limiter)
    s.opts.client.limiter = std::make_shared<k8s::rate_limiter>(
        s.opts.client.qps, s.opts.client.burst, s.opts.client.clock);
  s.backoff = std::make_unique<k8s::backoff>(s.opts.retry);
  for (auto o :
       {svc::label_outcome::written, svc::label_outcome::unchanged, svc::label_outcome::failed})
    s.outcome_counter(o); // every series from the start
  arm_timer(self, s.opts.startup_grace);
  return {
      on(self,
         [self](const msg::owned_control_plane& m) {
           auto& s = self->state;
           s.heard_cp = true;
           s.owned.control_plane = m.addresses;
           recompute(self);
           pump(self);
         }),
      on(self,
         [self](const msg::owned_services& m) {
           auto& s = self->state;
           s.heard_services = true;
           s.owned.services.clear();
           for (const auto& o : m.services)
             s.owned.services.push_back({o.ns, o.name, o.addresses});
           recompute(self);
           pump(self);
         }),
      on(self,
         [self](const msg::node_label_tick& t) {
           auto& s = self->state;
           if (t.generation != s.timer_generation) return;
           s.grace_over = true;
           s.backing_off = false;
           pump(self);
         }),
      on(self,
         [self](const msg::dump_request&) {
           msg::dump_reply r;
           r.actor = "node_labeler";
           r.text = describe(self->state);
           return r;
         }),
      on(self,
         [](const msg::shutdown_request&) {
           msg::shutdown_done d;
           d.actor = "node_labeler";
           return d;
         }),
  };
}

} // namespace

caf::actor spawn_node_labeler(caf::local_actor* parent, node_labeler_options opts,
                              net::telemetry::registry& reg) {
  return caf::actor_cast<caf::actor>(parent->spawn(labeler_fn, std::move(opts), &reg));
}

} // namespace kvip
