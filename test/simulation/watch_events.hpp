// Reading what a watcher queued, for the store and watch tests: every event
// in order, as type, object name and resourceVersion.
#pragma once

#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "simulation/object_util.hpp"
#include "simulation/watch_hub.hpp"

namespace kvip::sim::test {

struct event_view {
  std::string type;
  std::string name;
  std::string rv;
};

/// Reads every queued event of `w`; `ended` (optional) says whether the stream ended.
inline std::vector<event_view> drain(watcher& w, bool* ended = nullptr) {
  namespace json = boost::json;
  std::string buf(1 << 16, '\0');
  std::string all;
  long n = 0;
  while ((n = w.read(buf.data(), buf.size(), [] {})) > 0)
    all.append(buf.data(), static_cast<std::size_t>(n));
  if (ended != nullptr) *ended = n < 0;
  std::vector<event_view> out;
  std::size_t pos = 0;
  while (pos < all.size()) {
    auto nl = all.find('\n', pos);
    auto ev = json::parse(all.substr(pos, nl - pos)).as_object();
    pos = nl + 1;
    auto& obj = ev["object"].as_object();
    out.push_back({std::string(ev["type"].as_string()), jsonpath::str(obj, {"metadata", "name"}),
                   jsonpath::str(obj, {"metadata", "resourceVersion"})});
  }
  return out;
}

/// "TYPE name" (or just "TYPE" for objects without a name) of each event.
inline std::vector<std::string> types_and_names(const std::vector<event_view>& evs) {
  std::vector<std::string> out;
  for (const auto& e : evs)
    out.push_back(e.type + (e.name.empty() ? "" : " " + e.name));
  return out;
}

} // namespace kvip::sim::test
