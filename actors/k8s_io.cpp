#include "actors/k8s_io.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "k8s/client.hpp"
#include "k8s/lease_ops.hpp"
#include "k8s/objects.hpp"
#include "k8s/resource.hpp"
#include "messages/announce.hpp"
#include "messages/election.hpp"
#include "messages/supervision.hpp"

namespace kvip {

namespace {

struct k8s_io_state {
  std::shared_ptr<k8s::client> client;
  std::string node_name;
  wall_clock clock;
  std::uint64_t calls = 0;
  std::uint64_t failures = 0;
  static inline const char* name = "k8s_io";
};

using io_pointer = msg::k8s_io_actor::stateful_pointer<k8s_io_state>;

/// Whether an error is an ordinary answer of the Lease protocol rather than
/// a failure of the API (it is counted as a failure in the dump otherwise).
bool expected(k8s::error_kind k) {
  return k == k8s::error_kind::not_found || k == k8s::error_kind::conflict ||
         k == k8s::error_kind::already_exists;
}

msg::lease_reply failed(const k8s::error& e) {
  msg::lease_reply rep;
  rep.error = e.kind;
  rep.http_status = e.http_status;
  rep.error_text = e.describe();
  return rep;
}

msg::lease_reply to_reply(const k8s::result<k8s::lease>& r, k8s_io_state& st) {
  ++st.calls;
  if (!r.ok()) {
    if (!expected(r.err().kind)) ++st.failures;
    return failed(r.err());
  }
  msg::lease_reply rep;
  rep.ok = true;
  rep.object_json = boost::json::serialize(r->raw());
  return rep;
}

msg::lease_reply write_lease(k8s_io_state& st, const msg::lease_write& m) {
  boost::system::error_code ec;
  auto v = boost::json::parse(m.object_json, ec);
  if (ec || !v.is_object())
    return failed(k8s::make_error(k8s::error_kind::invalid, "lease_write: not a JSON object"));
  k8s::lease l{v.as_object()};
  auto& c = *st.client;
  return to_reply(m.create ? k8s::create_lease(c, l) : k8s::update_lease(c, l), st);
}

void record_event(k8s_io_state& st, const msg::event_report& m) {
  boost::json::object involved{
      {"apiVersion", m.api_version},
      {"kind", m.kind},
      {"metadata", boost::json::object{{"name", m.object}, {"namespace", m.ns}}}};
  k8s::event_spec spec;
  spec.reason = m.reason;
  spec.message = m.message;
  spec.type = m.type;
  spec.host = st.node_name;
  auto now = st.clock ? st.clock() : std::chrono::system_clock::now();
  auto ev = k8s::make_event(k8s::object_view{involved}, spec, now);
  ++st.calls;
  auto r = st.client->create_event(m.ns, ev);
  if (!r.ok()) {
    ++st.failures;
    spdlog::warn("k8s_io: recording event {} on {}/{} failed: {}", m.reason, m.ns, m.object,
                 r.err().describe());
  }
}

/// A VIP conflict, as an Event on this node's Node object (where `kubectl
/// describe node` shows it).
msg::event_report conflict_event(const msg::vip_conflict& c, const std::string& node) {
  msg::event_report e;
  e.reason = "VIPConflict";
  e.message = "another host (" + c.other_mac + ") claims VIP " + c.vip + " on " + c.interface +
              ", which " + node + " announces";
  e.api_version = "v1";
  e.kind = "Node";
  e.ns = "default";
  e.object = node;
  return e;
}

msg::lease_list_reply list_leases(k8s_io_state& st, const msg::lease_list& m) {
  msg::lease_list_reply r;
  k8s::list_options o;
  o.label_selector = m.label_selector;
  auto l = st.client->list(k8s::resources::leases, m.ns, o);
  if (!l) {
    r.error_text = l.err().describe();
    return r;
  }
  r.ok = true;
  for (const auto& item : l->items)
    r.objects_json.push_back(boost::json::serialize(item));
  return r;
}

msg::k8s_io_actor::behavior_type k8s_io_fn(io_pointer self, std::shared_ptr<k8s::client> client,
                                           std::string node_name, wall_clock clock) {
  log_crashes(self, "k8s_io");
  self->state.client = std::move(client);
  self->state.node_name = std::move(node_name);
  self->state.clock = std::move(clock);
  return {
      on(self,
         [self](const msg::lease_get& m) {
           return to_reply(k8s::get_lease(*self->state.client, m.ns, m.lease), self->state);
         }),
      on(self, [self](const msg::lease_write& m) { return write_lease(self->state, m); }),
      on(self, [self](const msg::lease_list& m) { return list_leases(self->state, m); }),
      on(self, [self](const msg::event_report& m) { record_event(self->state, m); }),
      on(self,
         [self](const msg::vip_conflict& c) {
           tell(self, caf::actor_cast<msg::k8s_io_actor>(self),
                conflict_event(c, self->state.node_name));
         }),
      on(self,
         [self](const msg::dump_request&) {
           auto& st = self->state;
           msg::dump_reply r;
           r.actor = "k8s_io";
           r.text =
               fmt::format("API server {} ({}), {} calls, {} failed", st.client->config().server,
                           st.client->config().source, st.calls, st.failures);
           return r;
         }),
      on(self,
         [](const msg::shutdown_request&) {
           msg::shutdown_done d;
           d.actor = "k8s_io";
           return d;
         }),
  };
}

} // namespace

caf::actor spawn_k8s_io(caf::local_actor* parent, std::shared_ptr<k8s::client> client,
                        std::string node_name, wall_clock clock) {
  return caf::actor_cast<caf::actor>(parent->spawn<caf::detached>(
      k8s_io_fn, std::move(client), std::move(node_name), std::move(clock)));
}

} // namespace kvip
