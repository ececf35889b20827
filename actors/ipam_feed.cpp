#include "actors/ipam_feed.hpp"

#include <thread>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "k8s/resource.hpp"
#include "messages/ipam.hpp"
#include "messages/supervision.hpp"

namespace kvip {

namespace {

// -- the feed ---------------------------------------------------------------------------

/// One watch thread: list + watch `res` until `stop`, reporting to `dest`.
void watch_loop(std::stop_token stop, std::shared_ptr<k8s::client> client, k8s::resource res,
                k8s::watch_options wo, msg::ipam_feed feed, std::uint64_t term,
                caf::actor_addr dest) {
  k8s::watcher w{*client, res, wo};
  auto send = [&](auto m) {
    if (auto a = caf::actor_cast<caf::actor>(dest)) tell_anon(a, std::move(m));
  };
  k8s::watch_handlers h;
  h.on_event = [&](const k8s::watch_event& e) {
    msg::ipam_object m;
    m.term = term;
    m.feed = feed;
    m.deleted = e.type == k8s::event_type::deleted;
    m.object_json = boost::json::serialize(e.object);
    send(std::move(m));
  };
  h.on_error = [&](const k8s::error& e) {
    spdlog::warn("ipam_allocator: watching {}: {}", res.plural, e.describe());
  };
  h.on_synced = [&] {
    msg::ipam_synced m;
    m.term = term;
    m.feed = feed;
    send(m);
  };
  w.run(stop, h);
}

struct feed_state {
  std::jthread services, config_map;
  static inline const char* name = "ipam_feed";
};

using feed_pointer = msg::ipam_feed_actor::stateful_pointer<feed_state>;

msg::ipam_feed_actor::behavior_type feed_fn(feed_pointer self, ipam_feed_options o,
                                            std::uint64_t term, caf::actor allocator) {
  log_crashes(self, "ipam_feed");
  auto make_client = [&] { return std::make_shared<k8s::client>(o.connection, o.client); };
  auto sw = o.watch;
  sw.namespace_name.clear(); // every namespace
  self->state.services = std::jthread{
      watch_loop, make_client(),      k8s::resources::services, sw, msg::ipam_feed::services,
      term,       allocator.address()};
  auto cw = o.watch;
  cw.namespace_name = o.config_map_namespace;
  cw.field_selector = "metadata.name=" + o.config_map_name;
  self->state.config_map = std::jthread{
      watch_loop, make_client(),      k8s::resources::config_maps, cw, msg::ipam_feed::config_map,
      term,       allocator.address()};
  return {
      on(self,
         [](const msg::dump_request&) {
           msg::dump_reply r;
           r.actor = "ipam_feed";
           r.text = "watching Services and the pool ConfigMap";
           return r;
         }),
      on(self,
         [](const msg::shutdown_request&) {
           msg::shutdown_done d;
           d.actor = "ipam_feed";
           return d;
         }),
  };
}

// -- a writer ---------------------------------------------------------------------------

struct writer_state {
  std::shared_ptr<k8s::client> client;
  static inline const char* name = "ipam_writer";
};

using writer_pointer = msg::ipam_writer_actor::stateful_pointer<writer_state>;

msg::ipam_write_done write(k8s::client& c, const msg::ipam_write& m) {
  msg::ipam_write_done d;
  d.ns = m.ns;
  d.service = m.service;
  boost::system::error_code ec;
  auto patch = boost::json::parse(m.patch_json, ec);
  if (ec || !patch.is_object()) {
    d.error = k8s::error_kind::invalid;
    d.error_text = "the patch is not a JSON object";
    return d;
  }
  auto r = c.merge_patch(k8s::resources::services, m.ns, m.service, patch.as_object());
  d.ok = r.ok();
  if (!r.ok()) {
    d.error = r.err().kind;
    d.http_status = r.err().http_status;
    d.error_text = r.err().describe();
  }
  return d;
}

msg::ipam_writer_actor::behavior_type writer_fn(writer_pointer self,
                                                std::shared_ptr<k8s::client> client) {
  self->state.client = std::move(client);
  return {
      on(self, [self](const msg::ipam_write& m) { return write(*self->state.client, m); }),
  };
}

} // namespace

caf::actor spawn_ipam_feed(caf::local_actor* parent, ipam_feed_options opts, std::uint64_t term,
                           caf::actor allocator) {
  return caf::actor_cast<caf::actor>(parent->spawn<caf::linked + caf::detached>(
      feed_fn, std::move(opts), term, std::move(allocator)));
}

caf::actor spawn_ipam_writer(caf::local_actor* parent, std::shared_ptr<k8s::client> client) {
  return caf::actor_cast<caf::actor>(
      parent->spawn<caf::linked + caf::detached>(writer_fn, std::move(client)));
}

} // namespace kvip
