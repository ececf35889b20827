// Read verbs: get, list (selectors, pagination), watch; plus the top-level dispatch.
#include "simulation/handlers.hpp"

#include "net/number.hpp"
#include "simulation/discovery.hpp"
#include "simulation/object_util.hpp"
#include "simulation/query.hpp"

namespace kvip::sim {

namespace json = boost::json;

api_reply error_reply(const api_error& e) {
  api_reply r;
  r.resp.status = e.code;
  r.resp.content_type = "application/json";
  r.resp.body = json::serialize(e.to_status());
  if (e.code == 429 || e.code == 503) r.resp.headers.emplace_back("Retry-After", "1");
  return r;
}

api_reply json_reply(int code, std::string body) {
  api_reply r;
  r.resp.status = code;
  r.resp.content_type = "application/json";
  r.resp.body = std::move(body);
  return r;
}

namespace {

std::string list_body(const resource_info& res, const list_result& page) {
  json::object md{{"resourceVersion", std::to_string(page.rv)}};
  if (!page.continue_token.empty()) {
    md["continue"] = page.continue_token;
    md["remainingItemCount"] = page.remaining;
  }
  std::string out = "{\"kind\":\"" + res.kind + "List\",\"apiVersion\":\"" + res.api_version() +
                    "\",\"metadata\":" + json::serialize(md) + ",\"items\":[";
  bool first = true;
  for (const auto& item : page.items) {
    auto copy = item->obj; // list items carry no kind/apiVersion, like the real server
    copy.erase("kind");
    copy.erase("apiVersion");
    if (!first) out += ',';
    first = false;
    out += json::serialize(copy);
  }
  out += "]}";
  return out;
}

api_reply start_watch(const net::http::request& req, const list_query& q, const resource_path& p,
                      api_context& ctx, list_options& opts) {
  auto timeout = ctx.default_watch_timeout;
  if (auto secs = q.timeout_seconds.value_or(0); secs < 0) {
    return error_reply(bad_request("invalid timeoutSeconds \"" + std::to_string(secs) + "\""));
  } else if (secs > 0) {
    timeout = std::chrono::seconds(secs);
  }
  watch_filter f{p.res, p.ns, opts.labels, opts.fields};
  auto w = std::make_shared<watcher>(std::move(f), q.bookmarks, watcher::clock::now() + timeout);
  if (auto e = print_watch(req, *p.res, *w)) return error_reply(*e);
  if (auto err = ctx.st.watch(w, q.resource_version)) {
    if (err->code != 410) return error_reply(*err);
    w->fail(*err); // the watch cache answers 200 and then one ERROR event
  }
  api_reply r;
  r.resp.content_type = "application/json";
  r.watch = std::move(w);
  return r;
}

} // namespace

std::optional<api_error> parse_selectors(const net::http::request& req, const resource_info& res,
                                         list_options& opts) {
  if (auto ls = req.query_or("labelSelector"); !ls.empty()) {
    auto parsed = label_selector::parse(ls);
    if (!parsed) return bad_request(parsed.err().message);
    opts.labels = std::move(*parsed);
  }
  if (auto fs = req.query_or("fieldSelector"); !fs.empty()) {
    std::vector<std::string> supported{"metadata.name"};
    if (res.namespaced) supported.emplace_back("metadata.namespace");
    supported.insert(supported.end(), res.fields.begin(), res.fields.end());
    auto parsed = field_selector::parse(fs, supported);
    if (!parsed) return bad_request(parsed.err().message);
    opts.fields = std::move(*parsed);
  }
  return std::nullopt;
}

api_reply handle_read(const net::http::request& req, const resource_path& p, api_context& ctx) {
  bool watch = p.watch || query_flag(req.query, "watch");
  if (p.kind == resource_path::shape::object && !watch) {
    auto r = ctx.st.get(*p.res, p.ns, p.name);
    if (r.error) return error_reply(*r.error);
    table_meta meta{std::to_string(r.obj->rv)};
    if (auto t = printed_reply(req, *p.res, {r.obj}, meta, false)) return std::move(*t);
    return json_reply(200, *r.obj->text);
  }
  auto q = parse_list_query(req.query, watch);
  if (!q) return error_reply(q.err());
  list_options opts;
  opts.ns = p.ns;
  net::http::request effective = req;
  if (p.kind == resource_path::shape::object) { // deprecated single-object watch
    auto fs = req.query_or("fieldSelector");
    effective.query["fieldSelector"] = (fs.empty() ? "" : fs + ",") + "metadata.name=" + p.name;
  }
  if (auto e = parse_selectors(effective, *p.res, opts)) return error_reply(*e);
  if (watch) return start_watch(req, *q, p, ctx, opts);
  opts.limit = q->limit;
  opts.continue_token = q->continue_token;
  opts.rv = q->rv;
  opts.exact = q->match == rv_match::exact;
  list_result page;
  if (auto e = ctx.st.list(*p.res, opts, page)) return error_reply(*e);
  table_meta meta{std::to_string(page.rv), page.continue_token, page.remaining};
  if (auto t = printed_reply(req, *p.res, page.items, meta, true)) return std::move(*t);
  return json_reply(200, list_body(*p.res, page));
}

api_reply handle_api(const net::http::request& req, api_context& ctx) {
  const auto& path = req.path;
  if (path == "/healthz" || path == "/livez" || path == "/readyz") {
    api_reply r;
    r.resp = net::http::response::text(200, "ok");
    return r;
  }
  bool read = req.method == "GET" || req.method == "HEAD";
  if (read) {
    if (auto d = discovery_response(req, ctx.kube_version, ctx.server_address)) {
      api_reply r;
      r.resp = std::move(*d);
      return r;
    }
  }
  auto p = parse_resource_path(path);
  if (p.kind == resource_path::shape::not_found || p.kind == resource_path::shape::group ||
      p.kind == resource_path::shape::group_version) {
    if (path == "/openapi/v2" || path.rfind("/openapi/", 0) == 0 || read)
      return error_reply(path_not_found());
    return error_reply(p.kind == resource_path::shape::not_found ? path_not_found()
                                                                 : method_not_allowed());
  }
  if (read) return handle_read(req, p, ctx);
  if (p.watch) return error_reply(method_not_allowed());
  return handle_write(req, p, ctx);
}

} // namespace kvip::sim
