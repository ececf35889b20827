#include "k8s/watch.hpp"

#include <optional>

#include "k8s/object_view.hpp"

namespace kvip::k8s {

namespace json = boost::json;
using std::chrono::milliseconds;

watcher::watcher(client& c, resource r, watch_options opts)
    : client_(c), resource_(std::move(r)), opts_(std::move(opts)),
      backoff_(opts_.backoff, opts_.random) {}

std::string watcher::resource_version() const {
  std::lock_guard lock(mutex_);
  return rv_;
}

watch_stats watcher::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void watcher::set_rv(std::string rv) {
  if (rv.empty()) return;
  std::lock_guard lock(mutex_);
  rv_ = std::move(rv);
}

void watcher::report(const watch_handlers& h, const error& e) {
  {
    std::lock_guard lock(mutex_);
    ++stats_.errors;
  }
  if (h.on_error) h.on_error(e);
}

void watcher::pause(milliseconds d, std::stop_token stop) {
  if (!stop.stop_requested()) opts_.clock.sleep(d, stop);
}

bool watcher::relist(std::stop_token stop, const watch_handlers& h) {
  list_options lo;
  lo.label_selector = opts_.label_selector;
  lo.field_selector = opts_.field_selector;
  lo.limit = opts_.page_size;
  auto r = client_.list(resource_, opts_.namespace_name, lo);
  if (!r) {
    auto e = r.err();
    e.message = "list " + resource_.plural + ": " + e.message;
    report(h, e);
    return false;
  }
  if (stop.stop_requested()) return false;
  auto events = cache_.replace(r->items);
  {
    std::lock_guard lock(mutex_);
    rv_ = r->resource_version;
    ++stats_.lists;
  }
  if (h.on_event)
    for (const auto& e : events)
      h.on_event(e);
  if (h.on_synced) h.on_synced();
  return true;
}

namespace {

bool is_expired(const json::object& status) {
  auto code = jsonpath::integer(status, {"code"});
  auto reason = jsonpath::str(status, {"reason"});
  return code == 410 || reason == "Expired" || reason == "Gone";
}

} // namespace

bool watcher::on_line(std::string_view line, const watch_handlers& h, stream_state& st) {
  st.got_lines = true;
  auto ev = parse_watch_event(line);
  if (!ev) {
    st.problem = ev.err();
    return false;
  }
  switch (ev->type) {
  case event_type::bookmark:
    set_rv(jsonpath::str(ev->object, {"metadata", "resourceVersion"}));
    return true;
  case event_type::error:
    if (is_expired(ev->object)) {
      st.gone = true;
    } else {
      st.problem = error_from_response(
          static_cast<int>(jsonpath::integer(ev->object, {"code"}).value_or(500)),
          json::serialize(ev->object));
      st.problem->message = "watch ERROR event: " + st.problem->message;
    }
    return false;
  default:
    break;
  }
  cache_.apply(*ev);
  set_rv(jsonpath::str(ev->object, {"metadata", "resourceVersion"}));
  backoff_.reset();
  if (h.on_event) h.on_event(*ev);
  return true;
}

watcher::stream_outcome watcher::stream_once(std::stop_token stop, const watch_handlers& h) {
  watch_request w;
  w.label_selector = opts_.label_selector;
  w.field_selector = opts_.field_selector;
  w.resource_version = resource_version();
  w.timeout_seconds = opts_.timeout_seconds;
  w.allow_bookmarks = true;
  auto idle = milliseconds(opts_.timeout_seconds * 1000LL) + opts_.stall_margin;

  line_splitter lines;
  stream_state st;
  auto& problem = st.problem;
  const auto& gone = st.gone;
  auto line_handler = [&](std::string_view line) { return on_line(line, h, st); };
  auto on_data = [&](std::string_view bytes) -> bool {
    try {
      if (lines.feed(bytes, line_handler)) return true;
      if (!problem && !gone) problem = make_error(error_kind::parse, "watch event line too long");
      return false;
    } catch (const std::exception& ex) {
      problem = make_error(error_kind::parse, std::string("watch handler failed: ") + ex.what());
      return false;
    }
  };

  {
    std::lock_guard lock(mutex_);
    ++stats_.streams;
  }
  auto r = client_.watch(resource_, opts_.namespace_name, w, on_data, idle, stop);
  if (stop.stop_requested()) return stream_outcome::stopped;
  if (gone) return stream_outcome::relist;
  if (problem) {
    report(h, *problem);
    return stream_outcome::failed;
  }
  if (!r) {
    auto e = r.err();
    e.message = "watch " + resource_.plural + " from " + w.resource_version + ": " + e.message;
    report(h, e);
    return stream_outcome::failed;
  }
  if (r->status == 410) return stream_outcome::relist;
  if (r->status < 200 || r->status > 299) {
    auto e = error_from_response(r->status, r->body);
    report(h, e);
    if (auto ra = parse_retry_after(r->retry_after)) pause(*ra, stop);
    return stream_outcome::failed;
  }
  if (lines.pending() > 0) {
    report(h, make_error(error_kind::parse, "watch stream ended inside an event (" +
                                                std::to_string(lines.pending()) +
                                                " bytes of a truncated line)"));
    return stream_outcome::failed;
  }
  return st.got_lines ? stream_outcome::clean : stream_outcome::failed;
}

void watcher::run(std::stop_token stop, const watch_handlers& h) {
  bool need_list = true;
  while (!stop.stop_requested()) {
    if (need_list) {
      if (!relist(stop, h)) {
        pause(backoff_.next(), stop);
        continue;
      }
      backoff_.reset();
      need_list = false;
    }
    switch (stream_once(stop, h)) {
    case stream_outcome::stopped:
      return;
    case stream_outcome::clean:
      break; // server timeout: resume at once
    case stream_outcome::relist: {
      std::lock_guard lock(mutex_);
      ++stats_.relists;
      need_list = true;
      break;
    }
    case stream_outcome::failed:
      pause(backoff_.next(), stop);
      break;
    }
  }
}

} // namespace kvip::k8s
