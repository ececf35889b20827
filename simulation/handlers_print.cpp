// Server-side printing on the read verbs: Table and PartialObjectMetadata(List)
// answers when the Accept header asks for them (formatting in table.cpp).
#include "simulation/handlers.hpp"

#include "simulation/object_util.hpp"

namespace kvip::sim {

namespace json = boost::json;

namespace {

net::result<include_object> include_of(const net::http::request& req) {
  auto v = req.query_or("includeObject");
  if (auto inc = parse_include_object(v)) return *inc;
  return net::make_error("unrecognized includeObject value: \"" + v + "\"");
}

} // namespace

std::optional<api_error> print_watch(const net::http::request& req, const resource_info& res,
                                     watcher& w) {
  auto want = negotiate(req.header("accept"), false);
  if (want.kind == representation::as::plain) return std::nullopt;
  if (want.kind == representation::as::partial) {
    w.transform = [version = want.version](const std::string& text) {
      auto obj = json::parse(text).as_object();
      return std::make_shared<const std::string>(json::serialize(partial_metadata(obj, version)));
    };
    return std::nullopt;
  }
  auto include = include_of(req);
  if (!include) return bad_request(include.err().message);
  w.transform = [&res, include = *include, version = want.version,
                 first = true](const std::string& text) mutable {
    auto obj = json::parse(text).as_object();
    table_meta meta{jsonpath::str(obj, {"metadata", "resourceVersion"})};
    auto table = make_table(res, {&obj}, meta, include, version, std::chrono::system_clock::now());
    if (!first) table["columnDefinitions"] = nullptr; // kube-apiserver: NoHeaders after the first
    first = false;
    return std::make_shared<const std::string>(json::serialize(table));
  };
  return std::nullopt;
}

std::optional<api_reply> printed_reply(const net::http::request& req, const resource_info& res,
                                       const std::vector<object_ptr>& items, const table_meta& meta,
                                       bool list) {
  auto want = negotiate(req.header("accept"), list);
  if (want.kind == representation::as::plain) return std::nullopt;
  std::vector<const json::object*> objs;
  objs.reserve(items.size());
  for (const auto& i : items)
    objs.push_back(&i->obj);
  json::object out;
  if (want.kind == representation::as::table) {
    auto include = include_of(req);
    if (!include) return error_reply(bad_request(include.err().message));
    out = make_table(res, objs, meta, *include, want.version, std::chrono::system_clock::now());
  } else if (want.kind == representation::as::partial) {
    out = partial_metadata(*objs.at(0), want.version);
  } else {
    out = partial_metadata_list(objs, meta, want.version);
  }
  // Content-Type stays application/json: kube-apiserver names the GVK there only for
  // aggregated discovery (WriteObjectNegotiated's listGVKInContentType).
  return json_reply(200, json::serialize(out));
}

} // namespace kvip::sim
