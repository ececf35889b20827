// The status writer's queue (k8s/status/queue): coalescing per Service, the
// window, a request arriving while its Service is written, per-Service
// backoff that delays nobody else, drops for gone and recreated Services,
// fair order.
#include <gtest/gtest.h>

#include "k8s/status/queue.hpp"

using namespace kvip::k8s;
using namespace kvip::k8s::status;
using namespace std::chrono_literals;

namespace {

using tp = queue::time_point;
const tp t0{std::chrono::seconds{1000}};

wanted req(const std::string& name, const std::string& host, const std::string& uid = "u") {
  return {"ns", name, uid, {"192.0.2.1"}, {{"TCP", 80}}, host};
}

std::vector<std::string> names(const std::vector<wanted>& ws) {
  std::vector<std::string> out;
  for (const auto& w : ws)
    out.push_back(w.name + ":" + w.vip_host);
  return out;
}

// No jitter: backoff waits are exactly initial, 2x, 4x, ... up to max.
queue make(std::size_t window) {
  return queue{window, backoff_policy{100ms, 1000ms, 2.0, 0.5}, [] { return 0.0; }};
}

} // namespace

TEST(StatusQueue, ANewerRequestReplacesAWaitingOneInPlace) {
  auto q = make(8);
  q.submit(req("a", "n1"), t0);
  q.submit(req("b", "n1"), t0);
  q.submit(req("a", "n2"), t0); // coalesced: a keeps its place, with the newest content
  q.submit(req("a", "n3"), t0);
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(names(q.take(t0)), (std::vector<std::string>{"a:n3", "b:n1"}));
  EXPECT_EQ(q.in_flight(), 2u);
  EXPECT_TRUE(q.take(t0).empty());
  EXPECT_EQ(q.finish("ns/a", outcome::written, t0), 0ms);
  EXPECT_EQ(q.finish("ns/b", outcome::unchanged, t0), 0ms);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.in_flight(), 0u);
  EXPECT_FALSE(q.next_due());
}

TEST(StatusQueue, TheWindowBoundsWritesInFlightAndFreedSlotsGoInArrivalOrder) {
  auto q = make(2);
  for (auto n : {"a", "b", "c", "d", "e"})
    q.submit(req(n, "n1"), t0);
  EXPECT_EQ(names(q.take(t0)), (std::vector<std::string>{"a:n1", "b:n1"}));
  EXPECT_TRUE(q.take(t0).empty());
  q.submit(req("d", "n2"), t0); // waiting: replaced, still before e
  q.finish("ns/b", outcome::written, t0);
  EXPECT_EQ(names(q.take(t0)), (std::vector<std::string>{"c:n1"}));
  q.finish("ns/a", outcome::gone, t0);
  q.finish("ns/c", outcome::written, t0);
  EXPECT_EQ(names(q.take(t0)), (std::vector<std::string>{"d:n2", "e:n1"}));
  EXPECT_EQ(q.window(), 2u);
}

TEST(StatusQueue, ARequestArrivingDuringItsWriteFollowsIt) {
  auto q = make(4);
  q.submit(req("a", "n1"), t0);
  ASSERT_EQ(q.take(t0).size(), 1u);
  q.submit(req("a", "n2"), t0); // in flight: not written twice at once
  q.submit(req("a", "n3"), t0); // coalesced with n2: n2 is never written
  EXPECT_TRUE(q.take(t0).empty());
  EXPECT_EQ(q.pending("ns/a")->vip_host, "n3");
  q.finish("ns/a", outcome::written, t0 + 5ms);
  EXPECT_EQ(names(q.take(t0 + 5ms)), (std::vector<std::string>{"a:n3"}));
  q.finish("ns/a", outcome::written, t0 + 6ms);
  EXPECT_EQ(q.size(), 0u);

  // The same request again while in flight needs no second write.
  q.submit(req("a", "n4"), t0);
  ASSERT_EQ(q.take(t0).size(), 1u);
  q.submit(req("a", "n4"), t0);
  q.finish("ns/a", outcome::written, t0);
  EXPECT_EQ(q.size(), 0u);
}

TEST(StatusQueue, FailuresBackOffPerServiceWithoutDelayingOthers) {
  auto q = make(1);
  q.submit(req("a", "n1"), t0);
  q.submit(req("b", "n1"), t0);
  ASSERT_EQ(names(q.take(t0)), (std::vector<std::string>{"a:n1"}));
  EXPECT_EQ(q.finish("ns/a", outcome::failed, t0), 100ms);
  EXPECT_EQ(q.failures("ns/a"), 1u);
  EXPECT_EQ(q.failing(10), (std::vector<std::pair<std::string, unsigned>>{{"ns/a", 1}}));
  EXPECT_EQ(names(q.take(t0)), (std::vector<std::string>{"b:n1"})); // b is not held up
  q.finish("ns/b", outcome::written, t0);
  EXPECT_EQ(q.next_due(), t0 + 100ms);
  EXPECT_TRUE(q.take(t0 + 99ms).empty());
  q.submit(req("a", "n2"), t0 + 50ms); // a newer request keeps the backoff
  EXPECT_EQ(q.next_due(), t0 + 100ms);
  ASSERT_EQ(names(q.take(t0 + 100ms)), (std::vector<std::string>{"a:n2"}));
  EXPECT_EQ(q.finish("ns/a", outcome::failed, t0 + 100ms), 200ms);
  ASSERT_EQ(q.take(t0 + 300ms).size(), 1u);
  EXPECT_EQ(q.finish("ns/a", outcome::failed, t0 + 300ms), 400ms);
  ASSERT_EQ(q.take(t0 + 700ms).size(), 1u);
  EXPECT_EQ(q.finish("ns/a", outcome::failed, t0 + 700ms), 800ms);
  ASSERT_EQ(q.take(t0 + 1500ms).size(), 1u);
  EXPECT_EQ(q.finish("ns/a", outcome::failed, t0 + 1500ms), 1000ms); // capped
  EXPECT_EQ(q.failures("ns/a"), 5u);
  EXPECT_TRUE(q.failing(0).empty());
  ASSERT_EQ(q.take(t0 + 2500ms).size(), 1u);
  q.finish("ns/a", outcome::written, t0 + 2500ms);
  EXPECT_EQ(q.size(), 0u);

  // After a success the backoff starts over.
  q.submit(req("a", "n3"), t0 + 3s);
  ASSERT_EQ(q.take(t0 + 3s).size(), 1u);
  EXPECT_EQ(q.finish("ns/a", outcome::failed, t0 + 3s), 100ms);
}

TEST(StatusQueue, GoneAndRecreatedDropTheRequestUnlessANewerOneCame) {
  auto q = make(4);
  q.submit(req("a", "n1"), t0);
  q.submit(req("b", "n1", "old"), t0);
  ASSERT_EQ(q.take(t0).size(), 2u);
  q.submit(req("b", "n1", "new"), t0); // the watcher saw the new incarnation meanwhile
  q.finish("ns/a", outcome::gone, t0);
  q.finish("ns/b", outcome::recreated, t0);
  EXPECT_EQ(q.size(), 1u);
  auto next = q.take(t0);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].uid, "new");
}

TEST(StatusQueue, AnUnknownOrIdleKeyIsIgnoredAndWindowIsAtLeastOne) {
  auto q = queue{0};
  EXPECT_EQ(q.window(), 1u);
  EXPECT_EQ(q.finish("ns/none", outcome::written, t0), 0ms);
  q.submit(req("a", "n1"), t0);
  EXPECT_EQ(q.finish("ns/a", outcome::failed, t0), 0ms); // not taken: nothing to end
  EXPECT_EQ(q.in_flight(), 0u);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_STREQ(to_string(outcome::recreated), "recreated");
}
