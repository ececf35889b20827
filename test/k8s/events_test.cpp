// The Event core (k8s/events) with an injected clock: the Event body
// `kubectl describe` reads, folding of identical requests into one Event
// (count and lastTimestamp), the fold window, the per-object token bucket,
// message truncation, validation, unique names, cluster-scoped objects, the
// re-create after a 404, folding queued writes and the bounded tables.
#include <gtest/gtest.h>

#include "k8s/events.hpp"
#include "k8s/micro_time.hpp"
#include "k8s/object_view.hpp"

namespace kvip::k8s {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using kind = event_effect::kind;

const wall_time t0{std::chrono::seconds{1767225600}}; // 2026-01-01T00:00:00Z

event_policy policy() {
  event_policy p;
  p.instance = "node-a";
  return p;
}

event_request svc(const std::string& name, const std::string& reason = "LoadBalancerIPConflict",
                  const std::string& message = "10.0.0.5 is taken") {
  event_request r;
  r.object = {"v1", "Service", "shop", name, "uid-" + name};
  r.type = "Warning";
  r.reason = reason;
  r.message = message;
  return r;
}

std::string str(const json::object& o, std::initializer_list<std::string_view> path) {
  return jsonpath::str(o, path);
}

TEST(Events, AFirstRequestCreatesTheEventKubectlDescribeShows) {
  event_correlator c{policy()};
  auto e = c.observe(svc("web"), t0 + 1500ms);
  ASSERT_EQ(e.what, kind::create);
  EXPECT_EQ(e.ns, "shop");
  EXPECT_EQ(e.name, "web.1886725247622f00"); // hex of 1767225601.5 s in ns
  EXPECT_EQ(e.count, 1);
  const auto& b = e.body;
  EXPECT_EQ(str(b, {"apiVersion"}), "v1");
  EXPECT_EQ(str(b, {"kind"}), "Event");
  EXPECT_EQ(str(b, {"metadata", "name"}), e.name);
  EXPECT_EQ(str(b, {"metadata", "namespace"}), "shop");
  EXPECT_EQ(str(b, {"involvedObject", "apiVersion"}), "v1");
  EXPECT_EQ(str(b, {"involvedObject", "kind"}), "Service");
  EXPECT_EQ(str(b, {"involvedObject", "namespace"}), "shop");
  EXPECT_EQ(str(b, {"involvedObject", "name"}), "web");
  EXPECT_EQ(str(b, {"involvedObject", "uid"}), "uid-web");
  EXPECT_EQ(jsonpath::find(b, {"involvedObject", "resourceVersion"}), nullptr);
  EXPECT_EQ(str(b, {"reason"}), "LoadBalancerIPConflict");
  EXPECT_EQ(str(b, {"type"}), "Warning");
  EXPECT_EQ(str(b, {"message"}), "10.0.0.5 is taken");
  EXPECT_EQ(str(b, {"source", "component"}), "kvip");
  EXPECT_EQ(str(b, {"source", "host"}), "node-a");
  EXPECT_EQ(str(b, {"reportingComponent"}), "kvip");
  EXPECT_EQ(str(b, {"reportingInstance"}), "node-a");
  EXPECT_EQ(str(b, {"firstTimestamp"}), "2026-01-01T00:00:01Z");
  EXPECT_EQ(str(b, {"lastTimestamp"}), "2026-01-01T00:00:01Z");
  EXPECT_EQ(jsonpath::integer(b, {"count"}), 1);
}

TEST(Events, IdenticalRequestsFoldWithinTheWindowAndAnythingElseIsANewEvent) {
  struct row {
    std::chrono::seconds at;
    event_request request;
    kind want;
    std::int64_t count;
    int same_name_as; ///< index of the row whose Event this writes; -1 = a new one
  };
  auto warning_as_normal = svc("web");
  warning_as_normal.type = "Normal";
  auto other_uid = svc("web");
  other_uid.object.uid = "uid-2";
  std::vector<row> rows = {
      {0s, svc("web"), kind::create, 1, -1},
      {1s, svc("web"), kind::patch, 2, 0},
      {2s, svc("web", "LoadBalancerIPConflict", "10.0.0.6 is taken"), kind::create, 1, -1},
      {3s, svc("web", "AddressPoolExhausted"), kind::create, 1, -1},
      {4s, warning_as_normal, kind::create, 1, -1},
      {5s, svc("api"), kind::create, 1, -1},
      {6s, other_uid, kind::create, 1, -1},
      {7s, svc("web"), kind::patch, 3, 0},
      {607s, svc("web"), kind::patch, 4, 0},    // 600 s after the last repeat: still folds
      {1208s, svc("web"), kind::create, 1, -1}, // 601 s after it: a new Event
      {1209s, svc("web"), kind::patch, 2, 9},
      {1210s, svc("web", "LoadBalancerIPConflict", "10.0.0.6 is taken"), kind::create, 1, -1},
  };
  event_correlator c{policy()};
  std::vector<std::string> names;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& r = rows[i];
    SCOPED_TRACE("row " + std::to_string(i));
    auto e = c.observe(r.request, t0 + r.at);
    names.push_back(e.name);
    ASSERT_EQ(e.what, r.want) << e.detail;
    EXPECT_EQ(e.count, r.count);
    if (r.same_name_as >= 0) {
      EXPECT_EQ(e.name, names[static_cast<std::size_t>(r.same_name_as)]);
      EXPECT_EQ(str(e.body, {"lastTimestamp"}), format_time(t0 + r.at));
      EXPECT_EQ(jsonpath::integer(e.body, {"count"}), r.count);
      EXPECT_EQ(e.body.size(), 2u); // a patch carries only count and lastTimestamp
    } else {
      for (std::size_t j = 0; j < i; ++j)
        EXPECT_NE(e.name, names[j]);
    }
  }
  EXPECT_EQ(c.series_count(), 6u);
}

TEST(Events, EachObjectHasATokenBucketSoABurstFoldsIntoABoundedCount) {
  event_correlator c{policy()}; // burst 25, one token back every 300 s
  int created = 0, patched = 0, limited = 0;
  std::int64_t last_count = 0;
  for (int i = 0; i < 100; ++i) {
    auto e = c.observe(svc("web"), t0);
    if (e.what == kind::create) ++created;
    if (e.what == kind::patch) ++patched, last_count = e.count;
    if (e.what == kind::drop) {
      ++limited;
      EXPECT_EQ(e.why, "rate_limited");
    }
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(patched, 24);
  EXPECT_EQ(limited, 75);
  EXPECT_EQ(last_count, 25);
  // Other objects have their own buckets.
  EXPECT_EQ(c.observe(svc("api"), t0).what, kind::create);
  // Half a refill period gives nothing, a whole one gives one token.
  EXPECT_EQ(c.observe(svc("web"), t0 + 150s).what, kind::drop);
  auto e = c.observe(svc("web"), t0 + 300s);
  EXPECT_EQ(e.what, kind::patch);
  EXPECT_EQ(e.count, 26);
  EXPECT_EQ(c.observe(svc("web"), t0 + 301s).what, kind::drop);
  // A clock that steps back refills nothing.
  EXPECT_EQ(c.observe(svc("web"), t0).what, kind::drop);
  // A long quiet period refills up to the burst, not beyond.
  int passed = 0;
  for (int i = 0; i < 40; ++i)
    passed += c.observe(svc("web"), t0 + 100h).what != kind::drop;
  EXPECT_EQ(passed, 25);
  EXPECT_EQ(c.object_count(), 2u);
}

TEST(Events, LongMessagesAreCutAtAUtf8BoundaryWithAMarker) {
  struct row {
    std::string message;
    std::size_t limit;
    std::string want;
  };
  std::string e_acute = "\xC3\xA9", twelve;
  for (int i = 0; i < 12; ++i)
    twelve += e_acute;
  std::vector<row> rows = {
      {"short", 1024, "short"},
      {std::string(1024, 'x'), 1024, std::string(1024, 'x')},
      {std::string(1025, 'x'), 1024, std::string(1009, 'x') + "... [truncated]"},
      {"abcdefghijklmnopqrstuvwxyz", 20, "abcde... [truncated]"},
      // "é" is two bytes: 20 - 15 = 5 bytes would split the third one.
      {twelve, 20, e_acute + e_acute + "... [truncated]"},
      {"abcdefghijklmnopqrstuvwxyz", 10, "... [trunc"},
  };
  for (auto& r : rows) {
    auto got = truncate_message(r.message, r.limit);
    EXPECT_EQ(got, r.want);
    EXPECT_LE(got.size(), r.limit);
  }
  event_correlator c{policy()};
  auto e = c.observe(svc("web", "Flapping", std::string(5000, 'y')), t0);
  ASSERT_EQ(e.what, kind::create);
  auto message = str(e.body, {"message"});
  EXPECT_EQ(message.size(), 1024u);
  EXPECT_TRUE(message.ends_with("... [truncated]"));
  // Two long messages equal up to the cut fold into one Event.
  EXPECT_EQ(c.observe(svc("web", "Flapping", std::string(6000, 'y')), t0).what, kind::patch);
}

TEST(Events, RequestsTheApiWouldRefuseAreDroppedWithoutSpendingTokens) {
  auto no_kind = svc("web");
  no_kind.object.kind = "";
  auto no_name = svc("");
  auto no_version = svc("web");
  no_version.object.api_version = "";
  auto bad_type = svc("web");
  bad_type.type = "Error";
  std::vector<event_request> rows = {no_kind,
                                     no_name,
                                     no_version,
                                     bad_type,
                                     svc("web", ""),
                                     svc("web", "lowerCase"),
                                     svc("web", "Has Space"),
                                     svc("web", "With-Dash"),
                                     svc("web", std::string(129, 'A'))};
  event_correlator c{policy()};
  for (int round = 0; round < 5; ++round)
    for (auto& r : rows) {
      auto e = c.observe(r, t0);
      EXPECT_EQ(e.what, kind::drop);
      EXPECT_EQ(e.why, "invalid");
      EXPECT_FALSE(e.detail.empty());
    }
  EXPECT_EQ(c.object_count(), 0u);
  EXPECT_EQ(c.observe(svc("web", "Valid2Reason"), t0).what, kind::create);
}

TEST(Events, NamesNeverRepeatEvenAtTheSameInstant) {
  event_correlator c{policy()};
  auto a = c.observe(svc("web", "ReasonA"), t0);
  auto b = c.observe(svc("web", "ReasonB"), t0);
  auto d = c.observe(svc("web", "ReasonC"), t0 - 1s); // the clock stepped back
  EXPECT_EQ(a.name, "web.18867251edfa0000");
  EXPECT_EQ(b.name, "web.18867251edfa0001");
  EXPECT_EQ(d.name, "web.18867251edfa0002");
}

TEST(Events, ClusterScopedObjectsGetTheirEventsInDefault) {
  event_request r;
  r.object = {"v1", "Node", "", "node-a", ""};
  r.type = "Warning";
  r.reason = "VIPConflict";
  r.message = "another host claims 10.0.0.100";
  event_correlator c{policy()};
  auto e = c.observe(r, t0);
  ASSERT_EQ(e.what, kind::create);
  EXPECT_EQ(e.ns, "default");
  EXPECT_EQ(str(e.body, {"metadata", "namespace"}), "default");
  EXPECT_EQ(str(e.body, {"involvedObject", "name"}), "node-a");
  EXPECT_EQ(jsonpath::find(e.body, {"involvedObject", "namespace"}), nullptr);
  EXPECT_EQ(jsonpath::find(e.body, {"involvedObject", "uid"}), nullptr);
}

TEST(Events, AnEventGoneFromTheServerIsCreatedAgainWithItsCount) {
  event_correlator c{policy()};
  auto first = c.observe(svc("web"), t0);
  c.observe(svc("web"), t0 + 10s);
  auto again = c.recreate(first.series, t0 + 11s);
  ASSERT_EQ(again.what, kind::create);
  EXPECT_NE(again.name, first.name);
  EXPECT_EQ(again.count, 2);
  EXPECT_EQ(jsonpath::integer(again.body, {"count"}), 2);
  EXPECT_EQ(str(again.body, {"metadata", "name"}), again.name);
  EXPECT_EQ(str(again.body, {"firstTimestamp"}), "2026-01-01T00:00:00Z");
  EXPECT_EQ(str(again.body, {"lastTimestamp"}), "2026-01-01T00:00:10Z");
  auto next = c.observe(svc("web"), t0 + 12s);
  EXPECT_EQ(next.what, kind::patch);
  EXPECT_EQ(next.name, again.name);
  EXPECT_EQ(next.count, 3);
  c.forget(first.series);
  EXPECT_EQ(c.recreate(first.series, t0 + 13s).what, kind::drop);
  EXPECT_EQ(c.observe(svc("web"), t0 + 14s).what, kind::create);
}

TEST(Events, AQueuedWriteTakesTheCountOfALaterPatchOfTheSameEvent) {
  event_correlator c{policy()};
  auto create = c.observe(svc("web"), t0);
  auto p2 = c.observe(svc("web"), t0 + 1s);
  auto p3 = c.observe(svc("web"), t0 + 2s);
  auto other = c.observe(svc("api"), t0 + 3s);
  auto other_patch = c.observe(svc("api"), t0 + 4s);

  auto queued = create;
  EXPECT_TRUE(fold_into(queued, p2));
  EXPECT_TRUE(fold_into(queued, p3));
  EXPECT_EQ(queued.what, kind::create);
  EXPECT_EQ(queued.count, 3);
  EXPECT_EQ(jsonpath::integer(queued.body, {"count"}), 3);
  EXPECT_EQ(str(queued.body, {"lastTimestamp"}), "2026-01-01T00:00:02Z");
  EXPECT_EQ(str(queued.body, {"firstTimestamp"}), "2026-01-01T00:00:00Z");

  auto patch = p2;
  EXPECT_TRUE(fold_into(patch, p3));
  EXPECT_EQ(patch.body, p3.body);

  auto untouched = create;
  EXPECT_FALSE(fold_into(untouched, other_patch)); // another Event
  EXPECT_FALSE(fold_into(untouched, other));       // a create is never folded
  EXPECT_EQ(untouched.body, create.body);
}

TEST(Events, TheTablesAreBoundedLeastRecentlyUsedFirst) {
  auto p = policy();
  p.max_series = 2;
  p.max_objects = 2;
  event_correlator c{p};
  c.observe(svc("a"), t0);
  c.observe(svc("b"), t0);
  c.observe(svc("a"), t0);                               // a is now the most recent
  EXPECT_EQ(c.observe(svc("c"), t0).what, kind::create); // evicts b
  EXPECT_EQ(c.series_count(), 2u);
  EXPECT_EQ(c.object_count(), 2u);
  EXPECT_EQ(c.observe(svc("a"), t0).what, kind::patch);
  EXPECT_EQ(c.observe(svc("b"), t0).what, kind::create); // forgotten: a new Event

  lru_map<int> m{2};
  m.put("x", 1);
  m.put("y", 2);
  ASSERT_NE(m.find("x"), nullptr);
  m.put("z", 3);
  EXPECT_EQ(m.find("y"), nullptr);
  EXPECT_EQ(*m.find("x"), 1);
  m.put("x", 4);
  EXPECT_EQ(*m.find("x"), 4);
  m.erase("x");
  EXPECT_EQ(m.find("x"), nullptr);
  EXPECT_EQ(m.size(), 1u);
}

} // namespace
} // namespace kvip::k8s
