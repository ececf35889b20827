// Write verbs: create (POST), update (PUT), patch (PATCH), delete and
// deletecollection (DELETE), with injected write faults.
#include "simulation/handlers.hpp"

#include "simulation/object_util.hpp"
#include "simulation/patch.hpp"
#include "simulation/query.hpp"
#include "simulation/request_body.hpp"

namespace kvip::sim {

namespace json = boost::json;

namespace {

/// Parses a JSON request body; `what` names it in errors.
std::optional<api_error> parse_body(const std::string& body, json::value& out) {
  boost::system::error_code ec;
  json::parse_options po;
  po.max_depth = 64;
  out = json::parse(body, ec, {}, po);
  if (ec) return bad_request("error decoding request body: " + ec.message());
  return std::nullopt;
}

api_reply result_reply(const write_result& r) {
  if (r.error) return error_reply(*r.error);
  if (r.body) return json_reply(r.code, json::serialize(*r.body));
  return json_reply(r.code, *r.obj->text);
}

std::optional<api_error> injected(api_context& ctx, const resource_path& p) {
  auto code = ctx.faults.take_write_fault(p.res->plural);
  if (!code) return std::nullopt;
  if (*code == 409 && !p.name.empty()) return conflict(*p.res, p.name);
  return error_with_code(*code, "injected fault: writes to " + p.res->qualified() + " fail");
}

api_reply patch_object(const net::http::request& req, const resource_path& p, api_context& ctx,
                       bool dry_run) {
  auto ct = media_type(req.header("content-type"));
  json::value patch;
  std::function<net::result<void>(json::value&)> apply;
  int error_code = 422;
  if (ct == "application/merge-patch+json" || ct == "application/strategic-merge-patch+json" ||
      ct == "application/json-patch+json") {
    if (auto e = parse_body(req.body, patch)) return error_reply(*e);
  } else {
    return error_reply(unsupported_media_type());
  }
  if (ct == "application/merge-patch+json") {
    if (!patch.is_object()) return error_reply(bad_request("merge patch must be a JSON object"));
    apply = [&patch](json::value& t) { return apply_merge_patch(t, patch); };
  } else if (ct == "application/strategic-merge-patch+json") {
    if (!patch.is_object())
      return error_reply(bad_request("strategic merge patch must be a JSON object"));
    auto kind = p.res->kind;
    apply = [&patch, kind](json::value& t) { return apply_strategic_merge_patch(t, patch, kind); };
  } else {
    if (!patch.is_array()) return error_reply(bad_request("json patch must be a JSON array"));
    apply = [&patch](json::value& t) { return apply_json_patch(t, patch); };
  }
  auto fv = field_validation_of(req, "PatchOptions");
  if (!fv) return error_reply(fv.err());
  patch_result_check check(*p.res, *fv, ct == "application/json-patch+json" ? "" : req.body);
  auto typed = [&apply, &check](json::value& t) -> net::result<void> {
    if (auto r = apply(t); !r) return r;
    return check(t);
  };
  auto r =
      ctx.st.patch(*p.res, p.ns, p.name, typed, error_code, p.subresource == "status", dry_run);
  auto reply = check.failure() ? error_reply(*check.failure()) : result_reply(r);
  add_warnings(reply.resp, check.warnings());
  return reply;
}

api_reply delete_object(const net::http::request& req, const resource_path& p, api_context& ctx,
                        bool dry_run) {
  delete_preconditions pre;
  if (!req.body.empty()) {
    json::value v;
    if (auto e = parse_body(req.body, v)) return error_reply(*e);
    if (!v.is_object()) return error_reply(bad_request("DeleteOptions must be a JSON object"));
    if (auto e = validate_delete_body(v.as_object())) return error_reply(*e);
    auto* pc = v.as_object().if_contains("preconditions");
    if (pc != nullptr && pc->is_object()) {
      if (auto* u = pc->as_object().if_contains("uid"); u != nullptr && u->is_string())
        pre.uid = std::string(u->as_string());
      if (auto* r = pc->as_object().if_contains("resourceVersion"); r != nullptr && r->is_string())
        pre.resource_version = std::string(r->as_string());
    }
    auto* dr = v.as_object().if_contains("dryRun");
    if (dr != nullptr && dr->is_array() && !dr->as_array().empty()) dry_run = true;
  }
  return result_reply(ctx.st.remove(*p.res, p.ns, p.name, pre, dry_run));
}

api_reply delete_collection(const net::http::request& req, const resource_path& p, api_context& ctx,
                            bool dry_run) {
  list_options opts;
  opts.ns = p.ns;
  if (auto e = parse_selectors(req, *p.res, opts)) return error_reply(*e);
  auto gone = ctx.st.remove_collection(*p.res, opts, dry_run);
  json::array items;
  for (const auto& o : gone) {
    auto copy = o->obj;
    copy.erase("kind");
    copy.erase("apiVersion");
    items.push_back(std::move(copy));
  }
  json::object list{
      {"kind", p.res->kind + "List"},
      {"apiVersion", p.res->api_version()},
      {"metadata", json::object{{"resourceVersion", std::to_string(ctx.st.current_rv())}}},
      {"items", std::move(items)}};
  return json_reply(200, json::serialize(list));
}

} // namespace

api_reply handle_write(const net::http::request& req, const resource_path& p, api_context& ctx) {
  bool collection = p.kind == resource_path::shape::collection;
  const auto& m = req.method;
  bool allowed =
      collection ? (m == "POST" || m == "DELETE") : (m == "PUT" || m == "PATCH" || m == "DELETE");
  if (collection && m == "DELETE" && !p.res->delete_collection) allowed = false;
  if (!allowed) return error_reply(method_not_allowed());
  if (p.res->namespaced && p.ns.empty() && collection) return error_reply(method_not_allowed());
  if (p.subresource == "finalize") return error_reply(method_not_allowed());
  if (p.subresource == "status" && m == "DELETE") return error_reply(method_not_allowed());
  if (auto e = injected(ctx, p)) return error_reply(*e);
  if (auto e = validate_write_query(req.query, m, !req.body.empty())) return error_reply(*e);
  bool dry_run = req.query_or("dryRun") == "All";
  if (m == "POST") {
    auto body = read_typed_body(req, *p.res, "CreateOptions");
    if (!body) return error_reply(body.err());
    auto reply = result_reply(ctx.st.create(*p.res, p.ns, std::move(body->object), dry_run));
    add_warnings(reply.resp, body->warnings);
    return reply;
  }
  if (m == "PUT") {
    auto body = read_typed_body(req, *p.res, "UpdateOptions");
    if (!body) return error_reply(body.err());
    auto reply = result_reply(ctx.st.update(*p.res, p.ns, p.name, std::move(body->object),
                                            p.subresource == "status", dry_run));
    add_warnings(reply.resp, body->warnings);
    return reply;
  }
  if (m == "PATCH") return patch_object(req, p, ctx, dry_run);
  if (collection) return delete_collection(req, p, ctx, dry_run);
  return delete_object(req, p, ctx, dry_run);
}

} // namespace kvip::sim
