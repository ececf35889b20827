#include "actors/service_watcher.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "actors/directory.hpp"
#include "actors/node.hpp"
#include "actors/service_watcher_metrics.hpp"
#include "actors/service_watcher_model.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "k8s/client.hpp"
#include "k8s/object_view.hpp"
#include "k8s/resource.hpp"
#include "messages/election.hpp"
#include "messages/events.hpp"
#include "messages/services.hpp"
#include "messages/supervision.hpp"
#include "net/config/config.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

namespace {

using namespace std::chrono_literals;

/// The two watches.
enum class feed { services, endpoints };

/// What one watch thread reports for the dump.
struct feed_status {
  bool synced = false; ///< its first list arrived
  k8s::watch_stats stats;
  std::string last_error;
  std::uint64_t events = 0;
};

/// Shared by the three threads and the actor (guarded by `m`).
struct watch_core {
  explicit watch_core(k8s::services::filter_config cfg) : model(std::move(cfg)) {}
  std::mutex m;
  std::condition_variable_any cv;
  service_watch_model model;
  bool dirty = false;                                  ///< the model changed since the last compute
  std::chrono::steady_clock::time_point dirty_since{}; ///< when it last became dirty
  /// Services changed since the last compute ("ns/name" -> the first change).
  std::map<std::string, std::chrono::steady_clock::time_point> changed_services;
  feed_status feeds[2];
  std::map<std::string, std::uint64_t> counted;  ///< reason -> times a Service entered it
  std::map<std::string, service_report> reports; ///< as last computed
  std::size_t served = 0, ips = 0;
  std::uint64_t computes = 0, sets = 0, events_sent = 0;
  bool synced() const { return feeds[0].synced && feeds[1].synced; }
};

/// Metric handles (null when no registry was given).
struct watch_metrics {
  net::telemetry::counter_family_t* skipped = nullptr;
  net::telemetry::gauge* ips = nullptr;
};

watch_metrics make_metrics(net::telemetry::registry* reg) {
  watch_metrics m;
  if (reg == nullptr) return m;
  m.skipped = &reg->counter_family("kvip_service_watch_skipped_total",
                                   "Times a Service of type LoadBalancer was left out of (or "
                                   "only partly put in) the announced set, by reason.",
                                   {"reason"});
  m.ips = &reg->gauge_family("kvip_service_watch_ips",
                             "Service IPs in the desired set (after filters, conflicts and "
                             "endpoints).")
               .with();
  return m;
}

/// Counts a reason (dump and metric).
void count(watch_core& core, const watch_metrics& mx, const std::string& reason) {
  ++core.counted[reason];
  if (mx.skipped != nullptr) mx.skipped->with({reason}).Increment();
}

// -- the watch threads ----------------------------------------------------------------

const k8s::resource& resource_of(feed f, const service_watcher_options& o) {
  if (f == feed::services) return k8s::resources::services;
  return o.use_endpoints ? k8s::resources::endpoints : k8s::resources::endpoint_slices;
}

/// Applies one event to the model; a bad endpoints object is logged and counted.
void apply(feed f, const service_watcher_options& o, watch_core& core, const watch_metrics& mx,
           const k8s::watch_event& e) {
  std::string problem;
  bool changed = false;
  {
    std::lock_guard g{core.m};
    ++core.feeds[static_cast<int>(f)].events;
    if (f == feed::services) {
      changed = core.model.on_service(e);
      if (o.kube_vip) o.kube_vip->service_event(k8s::to_string(e.type));
      if (changed && e.type != k8s::event_type::deleted)
        core.changed_services.emplace(k8s::object_key(e.object), std::chrono::steady_clock::now());
    } else if (o.use_endpoints)
      changed = core.model.on_endpoints(e, problem);
    else
      changed = core.model.on_endpoint_slice(e, problem);
    if (!problem.empty()) count(core, mx, "invalid_endpoints");
    if (changed && !core.dirty) core.dirty_since = std::chrono::steady_clock::now();
    core.dirty = core.dirty || changed;
  }
  if (!problem.empty())
    spdlog::warn("service_watcher: {} {} left out: {}", resource_of(f, o).kind,
                 k8s::object_key(e.object), problem);
  if (changed) core.cv.notify_all();
}

/// A watch thread: list + watch one kind until `stop`.
void watch_feed(std::stop_token stop, service_watcher_options o, std::shared_ptr<watch_core> core,
                watch_metrics mx, feed f) {
  auto wo = o.watch;
  wo.namespace_name = o.filter.svc_namespace;
  wo.label_selector.clear();
  if (f == feed::endpoints && !o.use_endpoints) wo.label_selector = "kubernetes.io/service-name";
  const auto& res = resource_of(f, o);
  k8s::watcher w{*o.client, res, wo};
  auto& st = core->feeds[static_cast<int>(f)];
  k8s::watch_handlers h;
  h.on_event = [&](const k8s::watch_event& e) { apply(f, o, *core, mx, e); };
  h.on_error = [&](const k8s::error& e) {
    spdlog::warn("service_watcher: watching {}: {}", res.plural, e.describe());
    std::lock_guard g{core->m};
    st.last_error = e.describe();
    st.stats = w.stats();
  };
  h.on_synced = [&] {
    {
      std::lock_guard g{core->m};
      st.synced = true;
      st.stats = w.stats();
      core->dirty = true;
    }
    core->cv.notify_all();
  };
  w.run(stop, h);
}

// -- the publisher ----------------------------------------------------------------------

std::string event_reason(const service_report& r) {
  if (r.reason == "invalid_service") return "InvalidService";
  if (r.reason == "invalid_config") return "InvalidConfiguration";
  if (r.reason == "ip_conflict") return "AddressConflict";
  if (r.reason == "unsupported_address") return "AddressNotSupported";
  return "NotActedOn";
}

/// A Warning Event on the Service, through the Event recorder (a send, never a wait).
void record_event(const service_watcher_options& o, const std::string& key,
                  const service_report& r) {
  auto dest = o.events     ? caf::actor_cast<msg::event_recorder_actor>(o.events)
              : o.siblings ? o.siblings->events()
                           : msg::event_recorder_actor{};
  if (!dest) return;
  msg::k8s_event e;
  e.type = "Warning";
  e.reason = event_reason(r);
  e.message = r.message;
  for (const auto& n : r.notes)
    e.message += (e.message.empty() ? "" : "; ") + n;
  e.kind = "Service";
  auto slash = key.find('/');
  e.ns = key.substr(0, slash);
  e.object = key.substr(slash + 1);
  tell_anon(dest, std::move(e)); // the recorder folds, rate-limits and caps the message
}

void log_report(const std::string& key, const service_report& r) {
  if (!r.reason.empty()) {
    auto level = r.warning                    ? spdlog::level::warn
                 : r.reason == "no_endpoints" ? spdlog::level::debug
                                              : spdlog::level::info;
    spdlog::log(level, "service_watcher: Service {} not announced as asked ({}): {}", key, r.reason,
                r.message);
  }
  for (const auto& n : r.notes)
    spdlog::warn("service_watcher: Service {}: {}", key, n);
}

/// Logs, counts and records what changed between two computes' reports.
void report_changes(const std::map<std::string, service_report>& before,
                    const std::map<std::string, service_report>& now,
                    const service_watcher_options& o, watch_core& core, const watch_metrics& mx) {
  std::uint64_t sent = 0;
  for (const auto& [key, r] : now) {
    auto old = before.find(key);
    if (old != before.end() && old->second == r) continue;
    log_report(key, r);
    bool entered = old == before.end() || old->second.reason != r.reason;
    if (entered && !r.reason.empty()) {
      if (o.kube_vip) count_reconcile_error(*o.kube_vip, key, r.reason);
      std::lock_guard g{core.m};
      count(core, mx, r.reason);
    }
    if (r.warning && o.report_events) {
      record_event(o, key, r);
      ++sent;
    }
  }
  for (const auto& [key, r] : before)
    if (!now.count(key) && !r.reason.empty())
      spdlog::log(r.reason == "no_endpoints" ? spdlog::level::debug : spdlog::level::info,
                  "service_watcher: Service {} no longer left out ({}), or gone", key, r.reason);
  std::lock_guard g{core.m};
  core.events_sent += sent;
}

/// The publisher thread: computes the set when the model changed (at most once per
/// `coalesce`) and reports it to the actor at `me` when it differs from the last.
void publish(std::stop_token stop, service_watcher_options o, std::shared_ptr<watch_core> core,
             watch_metrics mx, caf::actor_addr me) {
  using clock = std::chrono::steady_clock;
  std::optional<std::vector<msg::service_ip>> last;
  std::map<std::string, service_report> reported;
  kube_vip_view view;
  auto next = clock::time_point::min();
  std::unique_lock lk{core->m};
  while (!stop.stop_requested()) {
    if (!core->cv.wait(lk, stop, [&] { return core->dirty && core->synced(); })) return;
    if (clock::now() < next) { // busy: coalesce until `next`
      core->cv.wait_until(lk, stop, next, [] { return false; });
      if (stop.stop_requested()) return;
    }
    core->dirty = false;
    auto since = core->dirty_since;
    auto began = clock::now();
    auto set = core->model.compute();
    auto changes = std::exchange(core->changed_services, {});
    // While busy, the next compute waits `coalesce` or three times what this
    // one took, whichever is longer: a burst of 1000 Services then costs this
    // thread at most a quarter of a core, and every owner decider one set per
    // window instead of one per 10 ms (each set is O(Service IPs) downstream).
    auto took = clock::now() - began;
    next = clock::now() + std::max<clock::duration>(o.coalesce, 3 * took);
    ++core->computes;
    core->reports = set.reports;
    core->served = set.served;
    core->ips = set.ips.size();
    lk.unlock();
    report_changes(reported, set.reports, o, *core, mx);
    if (o.kube_vip) {
      std::map<std::string, double> reconciled;
      auto done = clock::now();
      for (const auto& [key, at] : changes)
        reconciled[key] = std::chrono::duration<double>(done - at).count();
      publish_kube_vip(*o.kube_vip, set, view, reconciled);
    }
    reported = std::move(set.reports);
    if (mx.ips != nullptr) mx.ips->Set(static_cast<double>(set.ips.size()));
    bool changed = !last || *last != set.ips;
    if (changed) {
      last = set.ips;
      msg::service_ips m;
      m.ips = std::move(set.ips);
      if (since != clock::time_point{})
        m.changed_at_ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(since.time_since_epoch()).count();
      if (auto self = caf::actor_cast<caf::actor>(me)) tell_anon(self, std::move(m));
    }
    lk.lock();
    if (changed) ++core->sets;
  }
}

// -- the actor --------------------------------------------------------------------------

struct service_watcher_state {
  service_watcher_options opts;
  std::shared_ptr<watch_core> core;
  std::optional<msg::service_ips> current; ///< the last set from the publisher
  caf::actor_addr watched;                 ///< the elector incarnation last sent to
  bool retry_pending = false;              ///< a resend to self is scheduled
  std::uint64_t received = 0, forwarded = 0;
  std::jthread services, endpoints, publisher; ///< last: stopped and joined first
  static inline const char* name = "service_watcher";
};

using watcher_pointer = msg::service_watcher_actor::stateful_pointer<service_watcher_state>;

/// The subscriber, seen as what it must accept.
using ips_subscriber = caf::typed_actor<caf::reacts_to<msg::service_ips>>;

/// Sends the set again after `delay` (through the actor's own mailbox; the
/// payload is ignored: the set current then is sent).
void resend_later(watcher_pointer self, caf::timespan delay) {
  auto& st = self->state;
  if (st.retry_pending) return;
  st.retry_pending = true;
  tell_after(self, caf::actor_cast<msg::service_watcher_actor>(self), delay, msg::service_ips{});
}

/// The current set to the elector role (whichever incarnation runs; watched, so
/// that the next one gets it too) or to the subscriber.
void forward(watcher_pointer self) {
  auto& st = self->state;
  if (!st.current) return;
  caf::actor dest = st.opts.subscriber;
  if (st.opts.siblings) {
    dest = st.opts.to_service_elector
               ? caf::actor_cast<caf::actor>(st.opts.siblings->service_elector())
               : caf::actor_cast<caf::actor>(st.opts.siblings->elector());
    if (!dest) {
      resend_later(self, 200ms); // between two incarnations
      return;
    }
    if (dest.address() != st.watched) {
      self->monitor(dest);
      st.watched = dest.address();
    }
  }
  if (!dest) return;
  ++st.forwarded;
  tell(self, caf::actor_cast<ips_subscriber>(dest), *st.current);
}

void on_down(watcher_pointer self, const caf::down_msg& dm) {
  auto& st = self->state;
  if (dm.source != st.watched) return;
  st.watched = caf::actor_addr{};
  resend_later(self, 50ms);
}

std::string describe_ips(const std::vector<msg::service_ip>& ips) {
  std::string text;
  std::size_t shown = 0;
  for (const auto& ip : ips) {
    if (++shown > 50) {
      text += fmt::format("\n  ... {} more IPs", ips.size() - 50);
      break;
    }
    std::string refs;
    for (const auto& r : ip.services)
      refs += (refs.empty() ? "" : ", ") + r.ns + "/" + r.name;
    std::string where = ip.any_node ? "any node" : "nodes";
    for (const auto& n : ip.nodes)
      where += " " + n;
    text += fmt::format("\n  ip {}: {} ({}; lease {}/{})", ip.address, refs, where,
                        ip.lease_namespace, ip.lease_name);
  }
  return text;
}

std::string describe(const service_watcher_state& st) {
  std::lock_guard g{st.core->m};
  const auto& c = *st.core;
  std::map<std::string, std::size_t> now;
  for (const auto& [key, r] : c.reports)
    if (!r.reason.empty()) ++now[r.reason];
  auto text = fmt::format(
      "{} Services announced on {} IPs, {} sets sent ({} computes, {} forwarded, {} Events)",
      c.served, c.ips, c.sets, c.computes, st.forwarded, c.events_sent);
  text += "\n  left out now:";
  for (const auto& [reason, n] : now)
    text += fmt::format(" {}={}", reason, n);
  text += "\n  counted since start:";
  for (const auto& [reason, n] : c.counted)
    text += fmt::format(" {}={}", reason, n);
  const char* names[] = {"Services", st.opts.use_endpoints ? "Endpoints" : "EndpointSlices"};
  for (int i = 0; i < 2; ++i) {
    const auto& f = c.feeds[i];
    text += fmt::format("\n  {}: {} lists ({} after 410), {} events, {} errors{}{}", names[i],
                        f.stats.lists, f.stats.relists, f.events, f.stats.errors,
                        f.last_error.empty() ? "" : ", last: ", f.last_error);
  }
  if (st.current) text += describe_ips(st.current->ips);
  std::size_t shown = 0;
  for (const auto& [key, r] : c.reports) {
    if (r.reason.empty()) continue;
    if (++shown > 50) break;
    text += fmt::format("\n  left out {} ({}): {}", key, r.reason, r.message);
  }
  return text;
}

msg::service_watcher_actor::behavior_type service_watcher_fn(watcher_pointer self,
                                                             service_watcher_options opts) {
  log_crashes(self, "service_watcher");
  auto& st = self->state;
  st.opts = std::move(opts);
  st.core = std::make_shared<watch_core>(st.opts.filter);
  auto mx = make_metrics(st.opts.metrics);
  st.services = std::jthread{watch_feed, st.opts, st.core, mx, feed::services};
  // A client serves one watch stream at a time: the endpoints watch gets its own.
  auto eo = st.opts;
  eo.client = std::make_shared<k8s::client>(st.opts.client->config(), st.opts.client->options());
  st.endpoints = std::jthread{watch_feed, std::move(eo), st.core, mx, feed::endpoints};
  st.publisher = std::jthread{publish, st.opts, st.core, mx, self->address()};
  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  return {
      on(self,
         [self](const msg::service_ips& m) {
           auto& st = self->state;
           bool resend =
               caf::actor_cast<caf::actor_addr>(self->current_sender()) == self->address();
           if (resend) {
             st.retry_pending = false;
           } else {
             st.current = m;
             ++st.received;
           }
           forward(self);
         }),
      on(self,
         [self](const msg::dump_request&) {
           msg::dump_reply r;
           r.actor = "service_watcher";
           r.text = describe(self->state);
           return r;
         }),
      on(self,
         [](const msg::shutdown_request&) {
           msg::shutdown_done d;
           d.actor = "service_watcher";
           return d;
         }),
  };
}

} // namespace

service_watcher_options service_watcher_settings(const net::config::settings& cfg,
                                                 std::shared_ptr<k8s::client> client) {
  service_watcher_options o;
  o.client = std::move(client);
  o.filter.svc_namespace = cfg.svc_namespace;
  o.filter.lb_class_only = cfg.lb_class_only;
  o.filter.lb_class_name = cfg.lb_class_name;
  o.filter.lb_class_legacy_handling = cfg.lb_class_legacy_handling;
  o.filter.svc_election = cfg.services_election;
  o.filter.per_service_election_on_demand = cfg.per_service_election_on_demand;
  o.use_endpoints = cfg.enable_endpoints;
  o.to_service_elector = !cfg.gossip; // gossip off: the Lease-based Service election
  return o;
}

caf::actor spawn_service_watcher(caf::local_actor* parent, service_watcher_options opts) {
  return caf::actor_cast<caf::actor>(
      parent->spawn<caf::detached>(service_watcher_fn, std::move(opts)));
}

} // namespace kvip
