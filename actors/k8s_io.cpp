#include "actors/k8s_io.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "k8s/client.hpp"
#include "k8s/lease_ops.hpp"
#include "k8s/objects.hpp"
#include "messages/announce.hpp"
#include "messages/election.hpp"
#include "messages/supervision.hpp"

namespace kvip {

namespace {

struct k8s_io_state {
  std::shared_ptr<k8s::client> client;
  std::string node_name;
  std::uint64_t calls = 0;
  std::uint64_t failures = 0;
  static inline const char* name = "k8s_io";
};

using k8s_io_actor = caf::stateful_actor<k8s_io_state>;

msg::lease_reply to_reply(const k8s::result<k8s::lease>& r, k8s_io_state& st) {
  ++st.calls;
  msg::lease_reply rep;
  if (r.ok()) {
    rep.outcome = msg::lease_reply::ok;
    rep.object_json = boost::json::serialize(r->raw());
    return rep;
  }
  switch (r.err().kind) {
  case k8s::error_kind::not_found:
    rep.outcome = msg::lease_reply::not_found;
    break;
  case k8s::error_kind::conflict:
  case k8s::error_kind::already_exists:
    rep.outcome = msg::lease_reply::conflict;
    break;
  default:
    ++st.failures;
    rep.outcome = msg::lease_reply::error;
    break;
  }
  rep.error_text = r.err().describe();
  return rep;
}

caf::behavior k8s_io_fn(k8s_io_actor* self, std::shared_ptr<k8s::client> client,
                        std::string node_name) {
  log_crashes(self, "k8s_io");
  self->state.client = std::move(client);
  self->state.node_name = std::move(node_name);
  return {
      on(self,
         [self](const msg::lease_get& m) {
           return to_reply(k8s::get_lease(*self->state.client, m.ns, m.lease), self->state);
         }),
      on(self,
         [self](const msg::lease_write& m) {
           boost::system::error_code ec;
           auto v = boost::json::parse(m.object_json, ec);
           if (ec || !v.is_object()) {
             msg::lease_reply rep;
             rep.error_text = "lease_write: not a JSON object";
             return rep;
           }
           k8s::lease l{v.as_object()};
           auto& c = *self->state.client;
           return to_reply(m.create ? k8s::create_lease(c, l) : k8s::update_lease(c, l),
                           self->state);
         }),
      on(self,
         [self](const msg::event_report& m) {
           boost::json::object involved{
               {"apiVersion", m.api_version},
               {"kind", m.kind},
               {"metadata", boost::json::object{{"name", m.object}, {"namespace", m.ns}}}};
           k8s::event_spec spec;
           spec.reason = m.reason;
           spec.message = m.message;
           spec.type = m.type;
           spec.host = self->state.node_name;
           auto ev =
               k8s::make_event(k8s::object_view{involved}, spec, std::chrono::system_clock::now());
           ++self->state.calls;
           auto r = self->state.client->create_event(m.ns, ev);
           if (!r.ok()) {
             ++self->state.failures;
             spdlog::warn("k8s_io: recording event {} on {}/{} failed: {}", m.reason, m.ns,
                          m.object, r.err().describe());
           }
         }),
      on(self,
         [self](const msg::vip_conflict& c) {
           // Recorded on this node's Node object, where `kubectl describe node` shows it.
           msg::event_report e;
           e.reason = "VIPConflict";
           e.message = "another host (" + c.other_mac + ") claims VIP " + c.vip + " on " +
                       c.interface + ", which " + self->state.node_name + " announces";
           e.api_version = "v1";
           e.kind = "Node";
           e.ns = "default";
           e.object = self->state.node_name;
           tell(self, caf::actor{self}, e);
         }),
      on(self,
         [self](const msg::dump_request&) {
           msg::dump_reply r;
           r.actor = "k8s_io";
           r.text = fmt::format(
               "API server {} ({}), {} calls, {} failed", self->state.client->config().server,
               self->state.client->config().source, self->state.calls, self->state.failures);
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
                        std::string node_name) {
  return parent->spawn<caf::detached>(k8s_io_fn, std::move(client), std::move(node_name));
}

} // namespace kvip
