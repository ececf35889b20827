#include "k8s/events.hpp"

#include <algorithm>
#include <cstdio>

#include "k8s/micro_time.hpp"
#include "k8s/objects.hpp"

namespace kvip::k8s {

namespace json = boost::json;

namespace {

constexpr char sep = '\x1f'; // never part of a name, kind, reason or type

std::string object_key(const involved_object& o) {
  return o.api_version + sep + o.kind + sep + o.ns + sep + o.name + sep + o.uid;
}

bool camel_case(const std::string& reason) {
  if (reason.empty() || reason.size() > 128) return false;
  if (reason[0] < 'A' || reason[0] > 'Z') return false;
  return std::all_of(reason.begin(), reason.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

/// Why the API would refuse `r`, or "" when it would not.
std::string invalid(const event_request& r) {
  if (r.object.kind.empty() || r.object.name.empty() || r.object.api_version.empty())
    return "the involved object needs apiVersion, kind and name";
  if (r.type != "Normal" && r.type != "Warning")
    return "type \"" + r.type + "\" is neither Normal nor Warning";
  if (!camel_case(r.reason)) return "reason \"" + r.reason + "\" is not CamelCase";
  return {};
}

event_effect dropped(std::string why, std::string detail) {
  event_effect e;
  e.what = event_effect::kind::drop;
  e.why = std::move(why);
  e.detail = std::move(detail);
  return e;
}

} // namespace

std::string truncate_message(std::string_view message, std::size_t limit) {
  if (message.size() <= limit) return std::string{message};
  if (limit <= truncation_marker.size()) return std::string{truncation_marker.substr(0, limit)};
  std::size_t keep = limit - truncation_marker.size();
  // Never cut inside a UTF-8 sequence: back up over continuation bytes.
  while (keep > 0 && (static_cast<unsigned char>(message[keep]) & 0xC0) == 0x80)
    --keep;
  return std::string{message.substr(0, keep)} + std::string{truncation_marker};
}

const char* to_string(event_effect::kind k) {
  switch (k) {
  case event_effect::kind::create:
    return "create";
  case event_effect::kind::patch:
    return "patch";
  case event_effect::kind::drop:
    return "drop";
  }
  return "?";
}

bool fold_into(event_effect& queued, const event_effect& newer) {
  using kind = event_effect::kind;
  if (newer.what != kind::patch || queued.what == kind::drop) return false;
  if (queued.series != newer.series || queued.name != newer.name || queued.ns != newer.ns)
    return false;
  queued.count = newer.count;
  if (queued.what == kind::patch) {
    queued.body = newer.body;
  } else {
    queued.body["count"] = newer.count;
    if (auto* t = newer.body.if_contains("lastTimestamp")) queued.body["lastTimestamp"] = *t;
  }
  return true;
}

event_correlator::event_correlator(event_policy p)
    : policy_(std::move(p)), series_(policy_.max_series), buckets_(policy_.max_objects) {}

bool event_correlator::take_token(const std::string& object, wall_time now) {
  auto* b = buckets_.find(object);
  if (!b) b = &buckets_.put(object, bucket{static_cast<double>(policy_.burst), now});
  if (now > b->last && policy_.refill.count() > 0) {
    std::chrono::duration<double> elapsed = now - b->last;
    b->tokens = std::min<double>(
        policy_.burst, b->tokens + elapsed.count() / static_cast<double>(policy_.refill.count()));
  }
  b->last = now; // a clock that stepped back refills nothing
  if (b->tokens < 1.0) return false;
  b->tokens -= 1.0;
  return true;
}

std::string event_correlator::next_name(const std::string& object_name, wall_time now) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  auto suffix =
      std::max<std::uint64_t>(ns > 0 ? static_cast<std::uint64_t>(ns) : 0, last_suffix_ + 1);
  last_suffix_ = suffix;
  char hex[24];
  std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(suffix));
  return object_name + "." + hex;
}

event_effect event_correlator::create_effect(const std::string& series, const record& rec) const {
  const auto& o = rec.request.object;
  json::object meta{{"name", o.name}, {"namespace", o.ns}};
  if (!o.uid.empty()) meta["uid"] = o.uid;
  json::object involved{{"apiVersion", o.api_version}, {"kind", o.kind}, {"metadata", meta}};
  event_spec spec;
  spec.reason = rec.request.reason;
  spec.message = rec.request.message;
  spec.type = rec.request.type;
  spec.component = policy_.component;
  spec.host = policy_.instance;
  event_effect e;
  e.what = event_effect::kind::create;
  e.series = series;
  e.ns = rec.ns;
  e.name = rec.name;
  e.count = rec.count;
  e.body = make_event(object_view{involved}, spec, rec.first);
  e.body["metadata"].as_object()["name"] = rec.name;
  e.body["lastTimestamp"] = format_time(rec.last);
  e.body["count"] = rec.count;
  // Leave out what kvip does not know rather than send empty strings.
  auto& ref = e.body["involvedObject"].as_object();
  for (const char* k : {"uid", "resourceVersion", "namespace"})
    if (auto* v = ref.if_contains(k); v && v->is_string() && v->as_string().empty()) ref.erase(k);
  return e;
}

event_effect event_correlator::observe(const event_request& r, wall_time now) {
  if (auto why = invalid(r); !why.empty()) return dropped("invalid", why);
  event_request req = r;
  req.message = truncate_message(r.message, policy_.max_message);
  auto object = object_key(req.object);
  if (!take_token(object, now))
    return dropped("rate_limited", "more than " + std::to_string(policy_.burst) + " Events on " +
                                       req.object.kind + " " + req.object.name);
  auto series = object + sep + req.type + sep + req.reason + sep + req.message;
  if (auto* rec = series_.find(series); rec && now - rec->last <= policy_.fold_window) {
    rec->count += 1;
    rec->last = std::max(rec->last, now);
    event_effect e;
    e.what = event_effect::kind::patch;
    e.series = series;
    e.ns = rec->ns;
    e.name = rec->name;
    e.count = rec->count;
    e.body = json::object{{"count", rec->count}, {"lastTimestamp", format_time(rec->last)}};
    return e;
  }
  record rec;
  rec.ns = req.object.ns.empty() ? "default" : req.object.ns;
  rec.name = next_name(req.object.name, now);
  rec.first = rec.last = now;
  rec.count = 1;
  rec.request = std::move(req);
  return create_effect(series, series_.put(series, std::move(rec)));
}

event_effect event_correlator::recreate(const std::string& series, wall_time now) {
  auto* rec = series_.find(series);
  if (!rec) return dropped("forgotten", "the Event's series is no longer remembered");
  rec->name = next_name(rec->request.object.name, now);
  return create_effect(series, *rec);
}

} // namespace kvip::k8s
