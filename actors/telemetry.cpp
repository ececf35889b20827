#include "actors/telemetry.hpp"

#include <atomic>
#include <memory>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "messages/supervision.hpp"
#include "net/http/server.hpp"
#include "net/telemetry/metrics.hpp"

namespace kvip {

namespace {

/// What /readyz reports; written by the actor, read by HTTP threads.
struct readiness {
  std::atomic<bool> config_valid{true};
  std::atomic<std::uint32_t> up{0};
  std::atomic<std::uint32_t> total{0};
  std::atomic<bool> stopping{false};
  std::atomic<bool> known{false}; // a children_status has arrived
};

struct telemetry_state {
  std::shared_ptr<readiness> ready = std::make_shared<readiness>();
  std::unique_ptr<net::http::server> server;
  static inline const char* name = "telemetry";
};

using telemetry_ptr = msg::telemetry_actor::stateful_pointer<telemetry_state>;

net::http::response trace_state() {
  auto& sink = net::telemetry::trace_sink::instance();
  boost::json::object o{
      {"enabled", sink.enabled()}, {"path", sink.path()}, {"written", sink.written()}};
  net::http::response r;
  r.content_type = "application/json";
  r.body = boost::json::serialize(o) + "\n";
  return r;
}

void add_routes(net::http::server& srv, std::shared_ptr<readiness> ready,
                net::telemetry::registry& reg) {
  srv.route("GET", "/", [](const net::http::request&) {
    net::http::response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = "<html><head><title>kvip</title></head><body><h1>kvip</h1><ul>"
             "<li><a href=\"/metrics\">/metrics</a></li><li><a href=\"/healthz\">/healthz</a></li>"
             "<li><a href=\"/readyz\">/readyz</a></li><li><a href=\"/trace\">/trace</a></li>"
             "</ul></body></html>\n";
    return r;
  });
  srv.route("GET", "/metrics", [&reg](const net::http::request&) {
    net::http::response r;
    r.content_type = std::string{net::telemetry::registry::content_type};
    r.body = reg.expose();
    return r;
  });
  srv.route("GET", "/healthz",
            [](const net::http::request&) { return net::http::response::text(200, "ok\n"); });
  srv.route("GET", "/readyz", [ready](const net::http::request&) {
    std::string why;
    if (!ready->config_valid) why += "configuration invalid\n";
    if (ready->stopping) why += "shutting down\n";
    if (!ready->known)
      why += "actors starting\n";
    else if (ready->up < ready->total)
      why += fmt::format("{} of {} actors up\n", ready->up.load(), ready->total.load());
    return why.empty() ? net::http::response::text(200, "ok\n")
                       : net::http::response::text(503, why);
  });
  srv.route("GET", "/trace", [](const net::http::request&) { return trace_state(); });
  srv.route("POST", "/trace", [](const net::http::request& req) {
    auto v = req.query_or("enabled", req.body);
    while (!v.empty() && (v.back() == '\n' || v.back() == ' '))
      v.pop_back();
    bool on;
    if (v == "true" || v == "1" || v == "on")
      on = true;
    else if (v == "false" || v == "0" || v == "off")
      on = false;
    else
      return net::http::response::text(400, "expected enabled=true|false, got \"" + v + "\"\n");
    if (auto set = net::telemetry::trace_sink::instance().set_enabled(on); !set)
      return net::http::response::text(409, set.err().describe() + "\n");
    spdlog::info("message tracing turned {} over HTTP", on ? "on" : "off");
    return trace_state();
  });
}

msg::telemetry_actor::behavior_type telemetry_fn(telemetry_ptr self, telemetry_options opts,
                                                 net::telemetry::registry* reg) {
  log_crashes(self, "telemetry");
  auto& st = self->state;
  st.ready->config_valid = opts.config_valid;
  st.server = std::make_unique<net::http::server>(opts.listen);
  if (opts.healthz_only)
    st.server->route("GET", "/healthz", [](const net::http::request&) {
      return net::http::response::text(200, "OK");
    });
  else
    add_routes(*st.server, st.ready, *reg);
  // A typed behavior cannot be empty: on a listen failure the actor quits
  // and the handlers below are never called.
  if (auto started = st.server->start(); !started) {
    auto err = started.err().describe();
    spdlog::error("telemetry: cannot listen on {}: {}", opts.listen, err);
    self->quit(caf::make_error(caf::sec::runtime_error, "telemetry listen: " + err));
  } else {
    spdlog::info("telemetry: serving {} on {} (port {})",
                 opts.healthz_only ? "/healthz (health_check_port)"
                                   : "/metrics /healthz /readyz /trace",
                 opts.listen, st.server->port());
  }
  return {
      on(self,
         [self](const msg::children_status& m) {
           auto& r = *self->state.ready;
           r.up = m.up;
           r.total = m.total;
           r.stopping = m.stopping;
           r.known = true;
         }),
      on(self,
         [self](const msg::dump_request&) {
           auto& st = self->state;
           auto& r = *st.ready;
           msg::dump_reply rep;
           rep.actor = "telemetry";
           rep.text = fmt::format("listening on {} (port {}), ready: config {}, {} of {} actors "
                                  "up{}",
                                  st.server->listen_spec(), st.server->port(),
                                  r.config_valid ? "valid" : "invalid", r.up.load(), r.total.load(),
                                  r.stopping ? ", stopping" : "");
           return rep;
         }),
      on(self,
         [self](const msg::shutdown_request&) {
           self->state.ready->stopping = true;
           self->state.server->stop();
           msg::shutdown_done d;
           d.actor = "telemetry";
           return d;
         }),
  };
}

} // namespace

msg::telemetry_actor spawn_telemetry(caf::local_actor* parent, telemetry_options opts,
                                     net::telemetry::registry& reg) {
  return parent->spawn(telemetry_fn, std::move(opts), &reg);
}

} // namespace kvip
