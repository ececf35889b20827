#include "simulation/watch_hub.hpp"

#include <algorithm>
#include <cstring>

#include "simulation/object_util.hpp"

namespace kvip::sim {

namespace json = boost::json;

object_ptr make_stored(json::object obj, std::uint64_t rv) {
  auto s = std::make_shared<stored_object>();
  s->text = std::make_shared<const std::string>(json::serialize(obj));
  s->obj = std::move(obj);
  s->rv = rv;
  return s;
}

bool watch_filter::matches(const json::object& obj) const {
  if (!ns.empty() && jsonpath::str(obj, {"metadata", "namespace"}) != ns) return false;
  if (labels) {
    static const json::object none;
    const auto* l = jsonpath::object_at(obj, {"metadata", "labels"});
    if (!labels->matches(l != nullptr ? *l : none)) return false;
  }
  if (fields && !fields->matches(obj)) return false;
  return true;
}

// -- watcher ---------------------------------------------------------------------------

watcher::watcher(watch_filter filter, bool bookmarks, clock::time_point deadline)
    : filter_(std::move(filter)), bookmarks_(bookmarks), deadline_(deadline) {}

void watcher::wake_locked() {
  if (parked_ && wake_ && !detached_) {
    parked_ = false;
    wake_();
  }
}

void watcher::push(const char* type, std::shared_ptr<const std::string> text) {
  if (transform && type[0] != 'B' && type[0] != 'E') text = transform(*text); // not BOOKMARK/ERROR
  std::lock_guard g{m_};
  if (closing_ || detached_) return;
  if (queue_.size() >= max_queue) { // slow reader: end the stream, the client relists
    closing_ = true;
    wake_locked();
    return;
  }
  queue_.push_back({type, std::move(text)});
  wake_locked();
}

void watcher::fail(const api_error& err) {
  std::lock_guard g{m_};
  if (closing_ || detached_) return;
  queue_.push_back(
      {"ERROR", std::make_shared<const std::string>(json::serialize(err.to_status()))});
  closing_ = true;
  wake_locked();
}

void watcher::close() {
  std::lock_guard g{m_};
  closing_ = true;
  wake_locked();
}

bool watcher::closed() const {
  std::lock_guard g{m_};
  return closing_ || detached_;
}

std::size_t watcher::queued() const {
  std::lock_guard g{m_};
  return queue_.size();
}

long watcher::read(char* buf, std::size_t max, const std::function<void()>& park) {
  std::lock_guard g{m_};
  std::size_t done = 0;
  while (done < max) {
    if (offset_ == current_.size()) {
      if (queue_.empty()) break;
      auto& l = queue_.front();
      current_.clear();
      current_.append("{\"type\":\"").append(l.type).append("\",\"object\":");
      current_.append(*l.text).append("}\n");
      offset_ = 0;
      queue_.pop_front();
    }
    auto n = std::min(max - done, current_.size() - offset_);
    std::memcpy(buf + done, current_.data() + offset_, n);
    offset_ += n;
    done += n;
  }
  if (done > 0) return static_cast<long>(done);
  if (closing_ || detached_) return -1;
  parked_ = true;
  park();
  return 0;
}

void watcher::set_waker(std::function<void()> wake) {
  std::lock_guard g{m_};
  wake_ = std::move(wake);
}

void watcher::detach() {
  std::lock_guard g{m_};
  detached_ = true;
  parked_ = false;
  wake_ = nullptr;
  queue_.clear();
}

// -- hub ---------------------------------------------------------------------------------

std::shared_ptr<const std::string> bookmark_text(const resource_info& res, std::uint64_t rv) {
  json::object o{{"kind", res.kind},
                 {"apiVersion", res.api_version()},
                 {"metadata", json::object{{"resourceVersion", std::to_string(rv)}}}};
  return std::make_shared<const std::string>(json::serialize(o));
}

void watch_hub::add(std::shared_ptr<watcher> w) {
  std::lock_guard g{m_};
  watchers_.push_back(std::move(w));
}

void watch_hub::deliver(watcher& w, const store_event& ev) {
  const auto& f = w.filter();
  if (f.res != ev.res) return;
  switch (ev.type) {
  case event_type::added:
    if (f.matches(ev.obj->obj)) w.push("ADDED", ev.obj->text);
    return;
  case event_type::deleted:
    if (f.matches(ev.obj->obj)) w.push("DELETED", ev.obj->text);
    return;
  case event_type::modified: {
    bool now = f.matches(ev.obj->obj);
    bool before = ev.old && f.matches(ev.old->obj);
    if (now && before) {
      w.push("MODIFIED", ev.obj->text);
    } else if (now) {
      w.push("ADDED", ev.obj->text);
    } else if (before) { // stopped matching: previous content with this event's RV
      auto copy = ev.old->obj;
      jsonpath::ensure(copy, {"metadata"})["resourceVersion"] = std::to_string(ev.rv);
      w.push("DELETED", std::make_shared<const std::string>(json::serialize(copy)));
    }
    return;
  }
  }
}

void watch_hub::dispatch(const store_event& ev) {
  std::lock_guard g{m_};
  for (auto& w : watchers_) {
    if (w->filter().res == ev.res) deliver(*w, ev);
  }
}

void watch_hub::tick(watcher::clock::time_point now, std::uint64_t current_rv,
                     std::chrono::milliseconds bookmark_every) {
  std::lock_guard g{m_};
  for (auto& w : watchers_) {
    if (w->closed()) continue;
    if (now >= w->deadline()) {
      if (w->bookmarks()) w->push("BOOKMARK", bookmark_text(*w->filter().res, current_rv));
      w->close();
    } else if (w->bookmarks() && now - w->last_bookmark >= bookmark_every) {
      w->last_bookmark = now;
      w->push("BOOKMARK", bookmark_text(*w->filter().res, current_rv));
    }
  }
  watchers_.erase(std::remove_if(watchers_.begin(), watchers_.end(),
                                 [](const auto& w) { return w->closed() && w->queued() == 0; }),
                  watchers_.end());
}

void watch_hub::close_all() {
  std::lock_guard g{m_};
  for (auto& w : watchers_)
    w->close();
}

std::size_t watch_hub::size() const {
  std::lock_guard g{m_};
  std::size_t n = 0;
  for (const auto& w : watchers_)
    n += w->closed() ? 0 : 1;
  return n;
}

} // namespace kvip::sim
