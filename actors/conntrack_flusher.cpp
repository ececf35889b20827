#include "actors/conntrack_flusher.hpp"

#include <spdlog/spdlog.h>

#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "messages/conntrack.hpp"
#include "net/conntrack/conntrack.hpp"
#include "net/ip.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

namespace {

struct flusher_state {
  conntrack_flusher_options opts;
  net::telemetry::registry* reg = nullptr;
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::uint64_t entries = 0;
  std::string last; ///< the latest flush, for the dump
  static inline const char* name = "conntrack_flusher";

  net::telemetry::counter& outcome(const char* o) {
    return reg
        ->counter_family("kvip_conntrack_flushes_total",
                         "Flushes of the conntrack entries toward a Service IP "
                         "(kube-vip.io/flush-conntrack) by outcome: ok, failed.",
                         {"node", "outcome"})
        .with({opts.node_name, o});
  }
  net::telemetry::counter& flushed() {
    return reg
        ->counter_family("kvip_conntrack_entries_flushed_total",
                         "Conntrack entries deleted by kube-vip.io/flush-conntrack.", {"node"})
        .with({opts.node_name});
  }
};

using pointer = msg::conntrack_actor::stateful_pointer<flusher_state>;

void flush(pointer self, const msg::conntrack_flush& m) {
  auto& s = self->state;
  const char* why = m.placed ? "announced here now" : "no longer announced here";
  auto a = net::ip_address::parse(m.address);
  auto n = a ? net::conntrack::flush_destination(*a)
             : net::result<std::size_t>{net::make_error("not an IP address: " + m.address)};
  if (!n) {
    ++s.failed;
    s.outcome("failed").Increment();
    s.last = m.address + " (" + why + "): " + n.err().describe();
    spdlog::warn("conntrack_flusher: flushing the entries toward {} ({}): {}", m.address, why,
                 n.err().describe());
    return;
  }
  ++s.ok;
  s.entries += *n;
  s.outcome("ok").Increment();
  s.flushed().Increment(static_cast<double>(*n));
  s.last = m.address + " (" + why + "): " + std::to_string(*n) + " entries";
  spdlog::info("conntrack_flusher: deleted {} conntrack entries toward {} ({})", *n, m.address,
               why);
}

msg::conntrack_actor::behavior_type flusher_fn(pointer self, conntrack_flusher_options opts,
                                               net::telemetry::registry* reg) {
  log_crashes(self, "conntrack_flusher");
  auto& s = self->state;
  s.opts = std::move(opts);
  s.reg = reg;
  s.outcome("ok");
  s.outcome("failed");
  s.flushed();
  return {
      on(self, [self](const msg::conntrack_flush& m) { flush(self, m); }),
      on(self,
         [self](const msg::dump_request&) {
           const auto& s = self->state;
           msg::dump_reply r;
           r.actor = "conntrack_flusher";
           r.text = "flushes: " + std::to_string(s.ok) + " ok, " + std::to_string(s.failed) +
                    " failed; " + std::to_string(s.entries) + " entries deleted";
           if (!s.last.empty()) r.text += "\n  latest: " + s.last;
           return r;
         }),
      on(self,
         [](const msg::shutdown_request&) {
           msg::shutdown_done d;
           d.actor = "conntrack_flusher";
           return d;
         }),
  };
}

} // namespace

caf::actor spawn_conntrack_flusher(caf::local_actor* parent, conntrack_flusher_options opts,
                                   net::telemetry::registry& reg) {
  return caf::actor_cast<caf::actor>(
      parent->spawn<caf::detached>(flusher_fn, std::move(opts), &reg));
}

} // namespace kvip
