// The store's reads, watch registration, history, commit and snapshot. The
// write verbs live in store_write.cpp.
#include "simulation/store.hpp"

#include <algorithm>

#include "net/number.hpp"
#include "simulation/object_util.hpp"
#include "simulation/query.hpp"

namespace kvip::sim {

namespace json = boost::json;

namespace {

std::string hex_encode(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::optional<std::string> hex_decode(std::string_view s) {
  if (s.size() % 2 != 0) return std::nullopt;
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); i += 2) {
    int hi = val(s[i]);
    int lo = val(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

} // namespace

store::store(std::size_t history, std::uint64_t initial_rv)
    : history_limit_(std::max<std::size_t>(history, 1)), rv_(initial_rv), oldest_rv_(initial_rv) {}

std::uint64_t store::current_rv() const {
  std::lock_guard g{m_};
  return rv_;
}

std::uint64_t store::oldest_rv() const {
  std::lock_guard g{m_};
  return oldest_rv_;
}

std::uint64_t store::changes() const {
  std::lock_guard g{m_};
  return changes_;
}

std::size_t store::size() const {
  std::lock_guard g{m_};
  std::size_t n = 0;
  for (const auto& [_, b] : objects_)
    n += b.size();
  return n;
}

std::string store::key(const std::string& ns, const std::string& name) {
  return ns + "/" + name;
}

const store::bucket* store::find_bucket(const resource_info& res) const {
  auto it = objects_.find(&res);
  return it == objects_.end() ? nullptr : &it->second;
}

object_ptr store::find_locked(const resource_info& res, const std::string& k) const {
  auto* b = find_bucket(res);
  if (b == nullptr) return nullptr;
  auto it = b->find(k);
  return it == b->end() ? nullptr : it->second;
}

bool store::namespace_exists(const std::string& ns) const {
  auto* nsres = find_resource("", "v1", "namespaces");
  auto* b = find_bucket(*nsres);
  return b != nullptr && b->count(key("", ns)) != 0;
}

object_ptr store::commit(const resource_info& res, const std::string& k, json::object obj,
                         event_type type, const object_ptr& old) {
  auto rv = ++rv_;
  ++changes_;
  jsonpath::ensure(obj, {"metadata"})["resourceVersion"] = std::to_string(rv);
  auto ptr = make_stored(std::move(obj), rv);
  auto& b = objects_[&res];
  if (type == event_type::deleted) {
    b.erase(k);
  } else {
    b[k] = ptr;
  }
  store_event ev{rv, &res, type, ptr, old};
  history_.push_back(ev);
  while (history_.size() > history_limit_) {
    oldest_rv_ = history_.front().rv;
    history_.pop_front();
  }
  hub_.dispatch(ev);
  return ptr;
}

void store::bootstrap() {
  auto* nsres = find_resource("", "v1", "namespaces");
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    std::lock_guard g{m_};
    if (namespace_exists(ns)) continue;
    create_locked(*nsres, "", json::object{{"metadata", json::object{{"name", ns}}}}, false);
  }
  auto* svc = find_resource("", "v1", "services");
  std::lock_guard g{m_};
  auto* b = find_bucket(*svc);
  if (b != nullptr && b->count(key("default", "kubernetes")) != 0) return;
  json::object k{
      {"metadata", json::object{{"name", "kubernetes"},
                                {"labels", json::object{{"component", "apiserver"},
                                                        {"provider", "kubernetes"}}}}},
      {"spec",
       json::object{{"clusterIP", "10.96.0.1"},
                    {"ports", json::array{json::object{
                                  {"name", "https"}, {"port", 443}, {"targetPort", 6443}}}}}}};
  create_locked(*svc, "default", std::move(k), false);
}

write_result store::get(const resource_info& res, const std::string& ns,
                        const std::string& name) const {
  std::lock_guard g{m_};
  write_result r;
  r.obj = find_locked(res, key(ns, name));
  if (!r.obj) r.error = not_found(res, name);
  return r;
}

std::optional<api_error> store::list(const resource_info& res, const list_options& opts,
                                     list_result& out) const {
  std::lock_guard g{m_};
  return list_locked(res, opts, out);
}

std::optional<api_error> store::list_locked(const resource_info& res, const list_options& opts,
                                            list_result& out) const {
  out = {};
  if (opts.rv > rv_) return too_large_resource_version(opts.rv, rv_);
  out.rv = opts.exact ? opts.rv : rv_;
  if (out.rv < oldest_rv_) return list_rv_expired();
  std::string start;
  if (!opts.continue_token.empty()) {
    // Token "<rv>:<last key>": every page of one list reports the first page's
    // resourceVersion (as the real server does), so a watch started from it misses
    // nothing that changed between pages; once compacted past it, 410 like the real one.
    auto decoded = hex_decode(opts.continue_token);
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    auto token_rv =
        colon == std::string::npos
            ? std::nullopt
            : net::parse_integer<std::uint64_t>(std::string_view{*decoded}.substr(0, colon));
    if (!token_rv) return bad_request("invalid continue token");
    if (*token_rv < oldest_rv_) {
      return error_with_code(410, "The provided continue parameter is too old to display a "
                                  "consistent list result. You can start a new list without "
                                  "the continue parameter.");
    }
    out.rv = *token_rv;
    start = decoded->substr(colon + 1);
  }
  auto* b = find_bucket(res);
  bucket past; // pages after the first, and Exact lists, see the state at their version
  if (out.rv != rv_) b = &(past = bucket_at_locked(res, out.rv));
  if (b == nullptr) return std::nullopt;
  auto it = start.empty() ? b->begin() : b->upper_bound(start);
  if (!opts.ns.empty() && start.empty()) it = b->lower_bound(opts.ns + "/");
  watch_filter f{&res, opts.ns, opts.labels, opts.fields};
  for (; it != b->end(); ++it) {
    if (!opts.ns.empty() && it->first.compare(0, opts.ns.size() + 1, opts.ns + "/") != 0) break;
    if (!f.matches(it->second->obj)) continue;
    if (opts.limit != 0 && out.items.size() == opts.limit) {
      out.continue_token = hex_encode(std::to_string(out.rv) + ":" + std::prev(it)->first);
      for (; it != b->end(); ++it) {
        if (!opts.ns.empty() && it->first.compare(0, opts.ns.size() + 1, opts.ns + "/") != 0) break;
        if (f.matches(it->second->obj)) ++out.remaining;
      }
      break;
    }
    out.items.push_back(it->second);
  }
  return std::nullopt;
}

std::optional<api_error> store::watch(const std::shared_ptr<watcher>& w, const std::string& rv) {
  std::lock_guard g{m_};
  const auto& f = w->filter();
  if (rv.empty() || rv == "0") {
    if (auto* b = find_bucket(*f.res)) {
      for (const auto& [_, obj] : *b) {
        if (f.matches(obj->obj)) w->push("ADDED", obj->text);
      }
    }
    hub_.add(w);
    return std::nullopt;
  }
  auto n = net::parse_integer<std::uint64_t>(rv);
  if (!n) return bad_request("invalid resource version \"" + rv + "\"");
  if (*n > rv_) {
    return too_large_resource_version(*n, rv_);
  }
  if (*n < oldest_rv_) return expired(*n, oldest_rv_);
  auto it = std::upper_bound(history_.begin(), history_.end(), *n,
                             [](std::uint64_t v, const store_event& e) { return v < e.rv; });
  for (; it != history_.end(); ++it)
    watch_hub::deliver(*w, *it);
  hub_.add(w);
  return std::nullopt;
}

void store::tick(std::chrono::milliseconds bookmark_every) {
  std::lock_guard g{m_};
  hub_.tick(watcher::clock::now(), rv_, bookmark_every);
}

void store::compact() {
  std::lock_guard g{m_};
  history_.clear();
  oldest_rv_ = rv_;
}

json::object store::snapshot() const {
  std::lock_guard g{m_};
  json::array items;
  for (const auto& [_, b] : objects_) {
    for (const auto& [__, obj] : b)
      items.push_back(obj->obj);
  }
  return json::object{{"resourceVersion", std::to_string(rv_)},
                      {"nextClusterIP", alloc_.next_ip},
                      {"nextNodePort", alloc_.next_node_port},
                      {"objects", std::move(items)}};
}

net::result<void> store::load(const json::object& snap) {
  std::map<const resource_info*, bucket> objects;
  auto* rvv = snap.if_contains("resourceVersion");
  auto rv = rvv != nullptr && rvv->is_string() ? net::parse_integer<std::uint64_t>(rvv->as_string())
                                               : std::nullopt;
  if (!rv) return net::make_error("snapshot has no resourceVersion");
  auto* items = snap.if_contains("objects");
  if (items == nullptr || !items->is_array())
    return net::make_error("snapshot has no objects array");
  for (const auto& v : items->as_array()) {
    if (!v.is_object()) return net::make_error("snapshot object is not a JSON object");
    const auto& o = v.as_object();
    auto* res = find_kind(jsonpath::str(o, {"apiVersion"}), jsonpath::str(o, {"kind"}));
    if (res == nullptr) {
      return net::make_error("snapshot object of unknown kind " + jsonpath::str(o, {"apiVersion"}) +
                             " " + jsonpath::str(o, {"kind"}));
    }
    auto orv = net::parse_integer<std::uint64_t>(jsonpath::str(o, {"metadata", "resourceVersion"}))
                   .value_or(0);
    objects[res][key(jsonpath::str(o, {"metadata", "namespace"}),
                     jsonpath::str(o, {"metadata", "name"}))] = make_stored(o, orv);
  }
  std::lock_guard g{m_};
  objects_ = std::move(objects);
  history_.clear();
  rv_ = *rv;
  oldest_rv_ = rv_;
  if (auto* v = snap.if_contains("nextClusterIP"); v != nullptr && v->is_number())
    alloc_.next_ip = static_cast<std::uint32_t>(v->to_number<std::uint64_t>());
  if (auto* v = snap.if_contains("nextNodePort"); v != nullptr && v->is_number())
    alloc_.next_node_port = static_cast<std::uint32_t>(v->to_number<std::uint64_t>());
  return net::ok();
}

} // namespace kvip::sim
