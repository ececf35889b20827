#include "simulation/faults.hpp"

#include "net/number.hpp"
#include "simulation/resources.hpp"

namespace kvip::sim {

namespace json = boost::json;

std::string to_string(outage_mode m) {
  switch (m) {
  case outage_mode::none:
    return "none";
  case outage_mode::unavailable:
    return "503";
  case outage_mode::refuse:
    return "refuse";
  }
  return "none";
}

void fault_state::set_write_fault(const std::string& plural, int code, int count) {
  std::lock_guard g{m_};
  if (code == 0) {
    writes_.erase(plural);
  } else {
    writes_[plural] = {code, count};
  }
}

std::optional<int> fault_state::take_write_fault(const std::string& plural) {
  std::lock_guard g{m_};
  auto it = writes_.find(plural);
  if (it == writes_.end()) return std::nullopt;
  int code = it->second.code;
  if (it->second.remaining > 0 && --it->second.remaining == 0) writes_.erase(it);
  return code;
}

void fault_state::reset() {
  latency_ms = 0;
  outage = outage_mode::none;
  std::lock_guard g{m_};
  writes_.clear();
}

json::object fault_state::to_json() const {
  json::object fw;
  {
    std::lock_guard g{m_};
    for (const auto& [plural, f] : writes_)
      fw[plural] = json::object{{"code", f.code}, {"remaining", f.remaining}};
  }
  return {{"latencyMs", latency_ms.load()},
          {"outage", to_string(outage.load())},
          {"failWrites", std::move(fw)}};
}

namespace {

net::http::response json_reply(int status, const json::object& o) {
  net::http::response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = json::serialize(o) + "\n";
  return r;
}

net::http::response error_reply(const std::string& msg) {
  return json_reply(400, json::object{{"error", msg}});
}

} // namespace

void install_admin_routes(net::http::server& srv, fault_state& faults, admin_hooks hooks) {
  auto state = [&faults] { return json_reply(200, faults.to_json()); };
  srv.route("GET", "/healthz",
            [](const net::http::request&) { return net::http::response::text(200, "ok"); });
  srv.route("GET", "/faults", [state](const net::http::request&) { return state(); });
  srv.route("GET", "/stats",
            [hooks](const net::http::request&) { return json_reply(200, hooks.stats()); });
  srv.route("POST", "/faults/latency", [&faults, state](const net::http::request& req) {
    auto ms = net::parse_integer<int>(req.query_or("ms"));
    if (!ms || *ms < 0 || *ms > 600000)
      return error_reply("ms must be a number of milliseconds from 0 to 600000");
    faults.latency_ms = *ms;
    return state();
  });
  srv.route("POST", "/faults/outage", [&faults, hooks, state](const net::http::request& req) {
    auto mode = req.query_or("mode");
    outage_mode m = outage_mode::none;
    if (mode == "503") {
      m = outage_mode::unavailable;
    } else if (mode == "refuse") {
      m = outage_mode::refuse;
    } else if (mode != "none") {
      return error_reply("mode must be none, 503 or refuse");
    }
    if (auto set = hooks.set_outage(m); !set) return error_reply(set.err().describe());
    (void)faults;
    return state();
  });
  srv.route("POST", "/faults/drop-watches", [hooks, state](const net::http::request&) {
    hooks.drop_watches();
    return state();
  });
  srv.route("POST", "/faults/compact", [hooks, state](const net::http::request&) {
    hooks.compact();
    return state();
  });
  srv.route("POST", "/faults/fail-writes", [&faults, state](const net::http::request& req) {
    auto plural = req.query_or("resource");
    bool known = false;
    for (const auto& r : resources())
      known |= r.plural == plural;
    if (!known)
      return error_reply("unknown resource '" + plural + "' (use the plural, e.g. leases)");
    auto code = net::parse_integer<int>(req.query_or("code"));
    if (!code || (*code != 0 && (*code < 400 || *code > 599)))
      return error_reply("code must be 0 (clear) or an HTTP error code from 400 to 599");
    auto c = req.query_or("count");
    auto count = c.empty() ? std::optional<int>{-1} : net::parse_integer<int>(c);
    if (!count || (!c.empty() && *count <= 0))
      return error_reply("count must be a positive number");
    faults.set_write_fault(plural, *code, *count);
    return state();
  });
  srv.route("POST", "/faults/reset", [&faults, hooks, state](const net::http::request&) {
    (void)hooks.set_outage(outage_mode::none);
    faults.reset();
    return state();
  });
  srv.route("POST", "/snapshot", [hooks](const net::http::request&) {
    if (auto saved = hooks.save_snapshot(); !saved) return error_reply(saved.err().describe());
    return json_reply(200, json::object{{"saved", true}});
  });
}

} // namespace kvip::sim
