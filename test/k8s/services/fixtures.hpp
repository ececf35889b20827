// Shared by the k8s/services tests: Service objects built from a JSON snippet
// merged over a minimal LoadBalancer Service, so each table row shows only what
// it is about.
#pragma once

#include <string>
#include <string_view>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "k8s/services/service.hpp"

namespace kvip::k8s::services::testing {

namespace json = boost::json;

/// `patch` merged into `base` (objects recursively; anything else replaces).
inline void merge_into(json::object& base, const json::object& patch) {
  for (const auto& [k, v] : patch) {
    auto it = base.find(k);
    if (it != base.end() && it->value().is_object() && v.is_object())
      merge_into(it->value().as_object(), v.as_object());
    else
      base[k] = v;
  }
}

/// A LoadBalancer Service default/web (created 2026-01-01) with `patch` merged in.
inline json::object service_json(std::string_view patch = "{}") {
  auto base = json::parse(R"({"apiVersion":"v1","kind":"Service",
    "metadata":{"name":"web","namespace":"default","uid":"u-web","resourceVersion":"1",
                "creationTimestamp":"2026-01-01T00:00:00Z"},
    "spec":{"type":"LoadBalancer","ports":[{"name":"http","protocol":"TCP","port":80}]}})")
                  .as_object();
  merge_into(base, json::parse(patch).as_object());
  return base;
}

/// The parsed Service of service_json(patch); a parse error fails the test.
inline service parsed(std::string_view patch = "{}") {
  auto r = parse_service(service_json(patch));
  EXPECT_TRUE(r.ok()) << patch << " -> " << (r.ok() ? "" : r.err().message);
  return r.ok() ? *r : service{};
}

} // namespace kvip::k8s::services::testing
