// The owner-side fencing state machine of one VIP (net/gossip/fence) as
// tables: each row is an event at a virtual time and the state and effects it
// must lead to. Times are milliseconds on an injected monotonic clock.
#include "net/gossip/fence.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test/net/result_assert.hpp"

#include "test/net/gossip/table_timing.hpp"

using kvip::test::table_timing;

namespace {

using namespace kvip::net::gossip;
using state = fence::state;
using fx = fence_effect;

time_point at(long ms) {
  return time_point{} + duration{ms};
}

enum class ev { tick, ack, renew, holder, decided, stop, successor };

struct row {
  ev event;
  long now;
  long sent = 0;        ///< ack / renew: when the acknowledged message was sent
  std::string who = {}; ///< holder / decided
  state after;
  std::vector<fx> effects;
};

struct table {
  const char* name;
  std::vector<row> rows;
};

std::ostream& operator<<(std::ostream& os, const table& t) {
  return os << t.name;
}

std::vector<fx> apply(fence& f, const row& r) {
  switch (r.event) {
  case ev::tick:
    return f.tick(at(r.now));
  case ev::ack:
    return f.majority_ack(at(r.now), at(r.sent));
  case ev::renew:
    return f.node_lease_renewed(at(r.now), at(r.sent));
  case ev::holder:
    return f.lease_holder_observed(at(r.now), r.who);
  case ev::decided:
    return f.ownership_decided(at(r.now), r.who);
  case ev::stop:
    return f.stop_requested(at(r.now));
  case ev::successor:
    return f.successor_answering(at(r.now));
  }
  return {};
}

class GossipFence : public ::testing::TestWithParam<table> {};

TEST_P(GossipFence, Table) {
  fence f("a", "10.0.0.1", table_timing()); // fence 100 ms, takeover 150, check 10
  int i = 0;
  for (auto& r : GetParam().rows) {
    auto effects = apply(f, r);
    EXPECT_EQ(f.current(), r.after) << "row " << i << ": " << to_string(f.current());
    EXPECT_EQ(effects, r.effects) << "row " << i;
    ++i;
  }
}

// Every table starts with a's claim confirmed: deadline 1100.
std::vector<row> owning_at_1000() {
  return {{ev::decided, 1000, 0, "a", state::claiming, {fx::write_lease_claim}},
          {ev::ack, 1002, 1000, "", state::owning, {fx::start_answering}}};
}

table with_prefix(const char* name, std::vector<row> rest) {
  auto rows = owning_at_1000();
  rows.insert(rows.end(), rest.begin(), rest.end());
  return {name, rows};
}

INSTANTIATE_TEST_SUITE_P(Gossip, GossipFence,
                         ::
                             testing::
                                 Values(
                                     with_prefix("deadline passes without acks",
                                                 {{ev::tick, 1099, 0, "", state::owning, {}},
                                                  {ev::tick,
                                                   1100,
                                                   0,
                                                   "",
                                                   state::fenced,
                                                   {fx::stop_answering}},
                                                  {ev::ack, 1101, 1101, "", state::fenced, {}}}),
                                     with_prefix("acks and renewals extend from their send time",
                                                 {{ev::ack, 1090, 1080, "", state::owning, {}},
                                                  {ev::tick, 1179, 0, "", state::owning, {}},
                                                  {ev::renew, 1179, 1150, "", state::owning, {}},
                                                  {ev::tick, 1249, 0, "", state::owning, {}},
                                                  {ev::tick,
                                                   1250,
                                                   0,
                                                   "",
                                                   state::fenced,
                                                   {fx::stop_answering}}}),
                                     with_prefix("an old ack never shortens the deadline",
                                                 {{ev::ack, 1050, 1040, "", state::owning, {}},
                                                  {ev::ack, 1060, 1001, "", state::owning, {}},
                                                  {ev::tick, 1139, 0, "", state::owning, {}}}),
                                     table{"a claim needs an ack of a message sent after it",
                                           {{ev::decided,
                                             1000,
                                             0,
                                             "a",
                                             state::claiming,
                                             {fx::write_lease_claim}},
                                            {ev::ack, 1001, 990, "", state::claiming, {}},
                                            {ev::renew, 1001, 999, "", state::claiming, {}},
                                            {ev::renew,
                                             1002,
                                             1001,
                                             "",
                                             state::claiming,
                                             {}}, // never confirms
                                            {ev::ack,
                                             1003,
                                             1001,
                                             "",
                                             state::owning,
                                             {fx::start_answering}}}},
                                     table{
                                         "an ack arriving after its own deadline confirms nothing",
                                         {{ev::decided,
                                           1000,
                                           0,
                                           "a",
                                           state::claiming,
                                           {fx::write_lease_claim}},
                                          {ev::ack, 1200, 1000, "", state::claiming, {}}}},
                                     with_prefix("freeze: a large jump stops before anything else",
                                                 {{ev::ack,
                                                   11000,
                                                   10999,
                                                   "",
                                                   state::fenced,
                                                   {fx::stop_answering}},
                                                  {ev::tick, 11001, 0, "", state::fenced, {}},
                                                  {ev::decided,
                                                   11002,
                                                   0,
                                                   "a",
                                                   state::claiming,
                                                   {fx::write_lease_claim}},
                                                  {ev::ack,
                                                   11004,
                                                   11003,
                                                   "",
                                                   state::owning,
                                                   {fx::start_answering}}}),
                                     with_prefix("freeze: the first event after resume is a "
                                                 "decision for self",
                                                 {{ev::decided,
                                                   11000,
                                                   0,
                                                   "a",
                                                   state::claiming,
                                                   {fx::stop_answering, fx::write_lease_claim}}}),
                                     with_prefix("freeze: the majority moved on meanwhile",
                                                 {{ev::decided,
                                                   11000,
                                                   0,
                                                   "b",
                                                   state::idle,
                                                   {fx::stop_answering}}}),
                                     with_prefix("another holder on the Lease stops at once",
                                                 {{ev::holder, 1010, 0, "a", state::owning, {}},
                                                  {ev::holder, 1011, 0, "", state::owning, {}},
                                                  {ev::holder,
                                                   1012,
                                                   0,
                                                   "b",
                                                   state::idle,
                                                   {fx::stop_answering}},
                                                  {ev::ack, 1013, 1012, "", state::idle, {}}}),
                                     with_prefix("the majority decides another owner",
                                                 {{ev::decided,
                                                   1010,
                                                   0,
                                                   "b",
                                                   state::idle,
                                                   {fx::stop_answering, fx::release}}}),
                                     with_prefix("no eligible owner at all", {{ev::decided,
                                                                               1010,
                                                                               0,
                                                                               "",
                                                                               state::idle,
                                                                               {fx::stop_answering,
                                                                                fx::release}}}),
                                     with_prefix("graceful stop: make-before-break",
                                                 {{ev::stop,
                                                   1010,
                                                   0,
                                                   "",
                                                   state::
                                                       releasing,
                                                   {fx::release}},
                                                  {ev::holder, 1012, 0, "b", state::releasing, {}},
                                                  {ev::decided, 1012, 0, "b", state::releasing, {}},
                                                  {ev::ack, 1015, 1014, "", state::releasing, {}},
                                                  {ev::successor,
                                                   1020,
                                                   0,
                                                   "",
                                                   state::
                                                       stopped,
                                                   {fx::stop_answering}},
                                                  {ev::decided, 1030, 0, "a", state::stopped, {}}}),
                                     with_prefix("graceful stop: the successor never answers",
                                                 {{ev::stop,
                                                   1010,
                                                   0,
                                                   "",
                                                   state::releasing,
                                                   {fx::release}},
                                                  {ev::ack, 1095, 1090, "", state::releasing, {}},
                                                  {ev::renew,
                                                   1150,
                                                   1149,
                                                   "",
                                                   state::releasing,
                                                   {}}, // no extension
                                                  {ev::tick, 1189, 0, "", state::releasing, {}},
                                                  {ev::tick,
                                                   1190,
                                                   0,
                                                   "",
                                                   state::stopped,
                                                   {fx::stop_answering}}}),
                                     table{"graceful stop: the handover timeout bounds the window",
                                           [] {
                                             auto rows = owning_at_1000();
                                             rows.push_back({ev::stop,
                                                             1010,
                                                             0,
                                                             "",
                                                             state::releasing,
                                                             {fx::release}});
                                             for (long t = 1050; t < 2010; t += 50)
                                               rows.push_back(
                                                   {ev::ack, t, t - 1, "", state::releasing, {}});
                                             rows.push_back({ev::tick,
                                                             2010,
                                                             0,
                                                             "",
                                                             state::stopped,
                                                             {fx::stop_answering}});
                                             return rows;
                                           }()},
                                     table{
                                         "claiming: another holder or owner, or a stop",
                                         {{ev::decided,
                                           1000,
                                           0,
                                           "a",
                                           state::claiming,
                                           {fx::write_lease_claim}},
                                          {ev::holder, 1001, 0, "b", state::idle, {}},
                                          {ev::decided,
                                           1002,
                                           0,
                                           "a",
                                           state::claiming,
                                           {fx::write_lease_claim}},
                                          {ev::decided, 1003, 0, "b", state::idle, {}},
                                          {ev::decided,
                                           1004,
                                           0,
                                           "a",
                                           state::claiming,
                                           {fx::write_lease_claim}},
                                          {ev::stop, 1005, 0, "", state::stopped, {fx::release}}}},
                                     with_prefix("fenced: another owner, then stop",
                                                 {{ev::tick,
                                                   1100,
                                                   0,
                                                   "",
                                                   state::fenced,
                                                   {fx::stop_answering}},
                                                  {ev::decided, 1200, 0, "b", state::idle, {}},
                                                  {ev::successor, 1201, 0, "", state::idle, {}},
                                                  {ev::stop, 1202, 0, "", state::stopped, {}}})));

TEST(GossipFenceAnswer, MayAnswerOnlyBeforeTheDeadline) {
  fence f("a", "10.0.0.1", table_timing());
  EXPECT_FALSE(f.may_answer(at(1000)));
  (void)f.ownership_decided(at(1000), "a");
  EXPECT_FALSE(f.may_answer(at(1001))); // claiming answers nothing
  (void)f.majority_ack(at(1002), at(1000));
  EXPECT_TRUE(f.may_answer(at(1099)));
  // No event since: a process resumed at 1100 answers nothing even before
  // its first tick.
  EXPECT_EQ(f.current(), state::owning);
  EXPECT_FALSE(f.may_answer(at(1100)));
  EXPECT_FALSE(f.may_answer(at(50000)));
}

TEST(GossipFenceConfig, FenceTimeoutMustBeShorterThanTakeover) {
  using kvip::test::ok;
  EXPECT_TRUE(ok(validate(kvip::net::gossip::fence_config{})));
  struct bad {
    const char* name;
    fence_config c;
  };
  std::vector<bad> rows = {
      {"equal", {duration{150}, duration{150}, duration{10}, duration{1000}}},
      {"no room for the check interval",
       {duration{140}, duration{150}, duration{10}, duration{1000}}},
      {"fence longer", {duration{200}, duration{150}, duration{10}, duration{1000}}},
      {"zero fence", {duration{0}, duration{150}, duration{10}, duration{1000}}},
      {"zero check", {duration{100}, duration{150}, duration{0}, duration{1000}}},
      {"zero handover", {duration{100}, duration{150}, duration{10}, duration{0}}},
  };
  for (auto& r : rows)
    EXPECT_FALSE(validate(r.c)) << r.name;
  EXPECT_TRUE(ok(validate({duration{139}, duration{150}, duration{10}, duration{1000}})));
}

TEST(GossipFenceConfig, TakeoverWaitsFromTheLastHeard) {
  auto c = table_timing();
  EXPECT_FALSE(takeover_allowed(c, at(1000), at(1149)));
  EXPECT_TRUE(takeover_allowed(c, at(1000), at(1150)));
  EXPECT_TRUE(takeover_allowed(c, at(1000), at(1001), true)); // its process is gone
}

} // namespace
