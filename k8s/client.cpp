#include "k8s/client.hpp"

#include <algorithm>

#include "k8s/object_view.hpp"

namespace kvip::k8s {

namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

error_kind kind_for(int status, const std::string& reason) {
  switch (status) {
  case 401:
  case 403:
    return error_kind::unauthorized;
  case 404:
    return error_kind::not_found;
  case 409:
    return reason == "AlreadyExists" ? error_kind::already_exists : error_kind::conflict;
  case 410:
    return error_kind::gone;
  case 400:
  case 422:
    return error_kind::invalid;
  case 408:
  case 504:
    return error_kind::timeout;
  default:
    return error_kind::http;
  }
}

void fill_type(json::object& obj, const resource& r) {
  if (!obj.contains("apiVersion")) obj["apiVersion"] = r.api_version;
  if (!obj.contains("kind")) obj["kind"] = r.kind;
}

} // namespace

error error_from_response(int status, std::string_view body) {
  error e;
  e.http_status = status;
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object() && jsonpath::str(v.get_object(), {"kind"}) == "Status") {
    e.reason = jsonpath::str(v.get_object(), {"reason"});
    e.message = jsonpath::str(v.get_object(), {"message"});
  } else {
    e.message = std::string(body.substr(0, 200));
  }
  e.kind = kind_for(status, e.reason);
  return e;
}

result<json::object> parse_object(std::string_view body, const std::string& what) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec)
    return make_error(error_kind::parse, what + ": invalid JSON (" + ec.message() + ") in " +
                                             std::to_string(body.size()) + " bytes");
  if (!v.is_object()) return make_error(error_kind::parse, what + ": response is not an object");
  return std::move(v.get_object());
}

client::client(connection_config cfg, client_options opts)
    : opts_(std::move(opts)), limiter_(opts_.limiter),
      transport_(std::make_unique<transport>(std::move(cfg), opts_.transport)) {
  if (!limiter_) limiter_ = std::make_shared<rate_limiter>(opts_.qps, opts_.burst, opts_.clock);
}

result<http_response> client::execute(const http_request& req) {
  auto& clk = opts_.clock;
  auto deadline = clk.now() + opts_.request_timeout;
  bool idempotent = req.method == "GET";
  bool token_retried = false;
  milliseconds backoff = opts_.retry_backoff;
  for (int attempt = 0;; ++attempt) {
    if (!limiter_->acquire(deadline))
      return make_error(error_kind::timeout, "client-side rate limit: no token before the " +
                                                 std::to_string(opts_.request_timeout.count()) +
                                                 " ms deadline for " + req.method + " " +
                                                 req.target);
    auto left = std::chrono::duration_cast<milliseconds>(deadline - clk.now());
    if (left <= milliseconds::zero())
      return make_error(error_kind::timeout, req.method + " " + req.target + ": deadline passed");
    auto r = transport_->perform(req, left);
    std::optional<milliseconds> wait;
    if (!r) {
      if (!idempotent || r.err().kind != error_kind::transport || attempt >= opts_.max_retries)
        return r.err();
      wait = backoff;
    } else {
      int s = r->status;
      if (s >= 200 && s < 300) return r;
      if (s == 401 && !token_retried && !transport_->config().token_file.empty()) {
        token_retried = true;
        transport_->invalidate_token();
        --attempt;
        continue;
      }
      auto ra = parse_retry_after(r->retry_after);
      bool retryable = s == 429 || (s >= 500 && (idempotent || ra));
      if (!retryable || attempt >= opts_.max_retries) return error_from_response(s, r->body);
      wait = ra ? *ra : backoff;
      if (clk.now() + *wait > deadline) {
        auto e = error_from_response(s, r->body);
        e.message +=
            " (retry after " + std::to_string(wait->count()) + " ms would pass the deadline)";
        return e;
      }
    }
    clk.sleep(*wait, {});
    backoff *= 2;
  }
}

result<json::object> client::object_call(http_request req) {
  auto r = execute(req);
  if (!r) return r.err();
  return parse_object(r->body, req.method + " " + req.target);
}

result<json::object> client::get(const resource& r, const std::string& ns, const std::string& name,
                                 const std::string& subresource) {
  return object_call({"GET", object_path(r, ns, name, subresource), {}, {}});
}

result<object_list> client::list_pages(const resource& r, const std::string& ns,
                                       const list_options& opts, int limit) {
  object_list out;
  std::string cont;
  do {
    std::string target = with_query(
        collection_path(r, ns), {{"labelSelector", opts.label_selector},
                                 {"fieldSelector", opts.field_selector},
                                 {"limit", limit > 0 ? std::to_string(limit) : ""},
                                 {"continue", cont},
                                 {"resourceVersion", cont.empty() ? opts.resource_version : ""}});
    auto page = object_call({"GET", target, {}, {}});
    if (!page) {
      if (!cont.empty() && page.is(error_kind::gone)) page.err().reason = "ContinueExpired";
      return page.err();
    }
    auto items = page->find("items");
    if (items != page->end() && items->value().is_array()) {
      for (auto& item : items->value().get_array())
        if (item.is_object()) out.items.push_back(std::move(item.get_object()));
    } else if (items != page->end() && !items->value().is_null()) {
      return make_error(error_kind::parse, "GET " + target + ": 'items' is not a list");
    }
    cont.clear();
    // The first page's resourceVersion is the watch start point: a server whose later
    // pages report a newer one would otherwise hide changes made between pages.
    if (out.resource_version.empty())
      out.resource_version = jsonpath::str(*page, {"metadata", "resourceVersion"});
    cont = jsonpath::str(*page, {"metadata", "continue"});
  } while (!cont.empty());
  return out;
}

result<object_list> client::list(const resource& r, const std::string& ns,
                                 const list_options& opts) {
  auto res = list_pages(r, ns, opts, opts.limit);
  if (!res && res.err().reason == "ContinueExpired") return list_pages(r, ns, opts, 0);
  return res;
}

result<json::object> client::create(const resource& r, const std::string& ns, json::object obj) {
  fill_type(obj, r);
  return object_call({"POST", collection_path(r, ns), json::serialize(obj), {}});
}

result<json::object> client::update(const resource& r, const std::string& ns, json::object obj) {
  std::string name = jsonpath::str(obj, {"metadata", "name"});
  if (name.empty()) return make_error(error_kind::invalid, "update: metadata.name is empty");
  fill_type(obj, r);
  return object_call({"PUT", object_path(r, ns, name), json::serialize(obj), {}});
}

result<json::object> client::update_status(const resource& r, const std::string& ns,
                                           json::object obj) {
  std::string name = jsonpath::str(obj, {"metadata", "name"});
  if (name.empty()) return make_error(error_kind::invalid, "update_status: metadata.name is empty");
  fill_type(obj, r);
  return object_call({"PUT", object_path(r, ns, name, "status"), json::serialize(obj), {}});
}

result<json::object> client::merge_patch(const resource& r, const std::string& ns,
                                         const std::string& name, const json::object& patch,
                                         const std::string& subresource) {
  return object_call({"PATCH", object_path(r, ns, name, subresource), json::serialize(patch),
                      "application/merge-patch+json"});
}

result<json::object> client::remove(const resource& r, const std::string& ns,
                                    const std::string& name, const std::string& rv) {
  json::object opts{
      {"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
  if (!rv.empty()) opts["preconditions"] = json::object{{"resourceVersion", rv}};
  return object_call({"DELETE", object_path(r, ns, name), json::serialize(opts), {}});
}

result<stream_end> client::watch(const resource& r, const std::string& ns, const watch_request& w,
                                 const std::function<bool(std::string_view)>& on_data,
                                 milliseconds idle_timeout, std::stop_token stop) {
  std::string target = with_query(
      collection_path(r, ns),
      {{"watch", "true"},
       {"labelSelector", w.label_selector},
       {"fieldSelector", w.field_selector},
       {"resourceVersion", w.resource_version},
       {"allowWatchBookmarks", w.allow_bookmarks ? "true" : ""},
       {"timeoutSeconds", w.timeout_seconds > 0 ? std::to_string(w.timeout_seconds) : ""}});
  auto deadline = opts_.clock.now() + opts_.request_timeout;
  if (!limiter_->acquire(deadline, stop))
    return make_error(stop.stop_requested() ? error_kind::cancelled : error_kind::timeout,
                      "client-side rate limit: no token for watch " + target);
  return transport_->stream({"GET", target, {}, {}}, on_data, idle_timeout, stop);
}

} // namespace kvip::k8s
