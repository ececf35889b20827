#include "k8s/watch_event.hpp"

namespace kvip::k8s {

namespace json = boost::json;

const char* to_string(event_type t) {
  switch (t) {
  case event_type::added:
    return "ADDED";
  case event_type::modified:
    return "MODIFIED";
  case event_type::deleted:
    return "DELETED";
  case event_type::bookmark:
    return "BOOKMARK";
  case event_type::error:
    return "ERROR";
  }
  return "?";
}

result<watch_event> parse_watch_event(std::string_view line) {
  auto excerpt = [&] { return std::string(line.substr(0, 80)) + (line.size() > 80 ? "…" : ""); };
  json::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec)
    return make_error(error_kind::parse,
                      "invalid JSON in watch event (" + ec.message() + "): " + excerpt());
  if (!v.is_object()) return make_error(error_kind::parse, "watch event is not an object");
  auto& o = v.get_object();
  auto type = o.find("type");
  auto obj = o.find("object");
  if (type == o.end() || !type->value().is_string())
    return make_error(error_kind::parse, "watch event without a 'type': " + excerpt());
  if (obj == o.end() || !obj->value().is_object())
    return make_error(error_kind::parse, "watch event without an 'object': " + excerpt());
  watch_event e;
  std::string_view t = type->value().get_string();
  if (t == "ADDED")
    e.type = event_type::added;
  else if (t == "MODIFIED")
    e.type = event_type::modified;
  else if (t == "DELETED")
    e.type = event_type::deleted;
  else if (t == "BOOKMARK")
    e.type = event_type::bookmark;
  else if (t == "ERROR")
    e.type = event_type::error;
  else
    return make_error(error_kind::parse, "unknown watch event type '" + std::string(t) + "'");
  e.object = std::move(obj->value().get_object());
  return e;
}

bool line_splitter::feed(std::string_view bytes,
                         const std::function<bool(std::string_view)>& on_line) {
  buf_.append(bytes);
  std::size_t start = 0;
  bool ok = true;
  while (ok) {
    auto nl = buf_.find('\n', std::max(start, scanned_));
    if (nl == std::string::npos) break;
    std::string_view line(buf_.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) ok = on_line(line);
    start = nl + 1;
    scanned_ = start;
  }
  buf_.erase(0, start);
  scanned_ = ok ? buf_.size() : 0; // after an early stop, rescan what is left
  if (!ok) return false;
  if (buf_.size() > max_line_) return false;
  return true;
}

} // namespace kvip::k8s
