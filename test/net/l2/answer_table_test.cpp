#include "net/l2/answer_table.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using kvip::net::ip_address;
using kvip::net::l2::answer_table;

const auto t0 = answer_table::time_point{} + 1000s;
const auto v4 = *ip_address::parse("10.0.0.100");
const auto v6 = *ip_address::parse("fd00::100");

TEST(AnswerTable, EmptyAnswersNothing) {
  answer_table t;
  EXPECT_FALSE(t.may_answer(v4, t0));
  EXPECT_TRUE(t.answering(t0).empty());
}

TEST(AnswerTable, AnswersStrictlyBeforeTheDeadline) {
  answer_table t;
  t.set(v4, t0 + 100ms);
  EXPECT_TRUE(t.may_answer(v4, t0));
  EXPECT_TRUE(t.may_answer(v4, t0 + 99ms));
  EXPECT_FALSE(t.may_answer(v4, t0 + 100ms)) << "the deadline itself is past";
  EXPECT_FALSE(t.may_answer(v4, t0 + 1h)) << "a resumed process finds it passed";
  EXPECT_FALSE(t.may_answer(v6, t0)) << "only the VIP that was set";
}

TEST(AnswerTable, SetExtendsShortensAndStops) {
  answer_table t;
  t.set(v4, t0 + 100ms);
  t.set(v4, t0 + 300ms);
  EXPECT_TRUE(t.may_answer(v4, t0 + 200ms));
  t.set(v4, t0 + 50ms);
  EXPECT_FALSE(t.may_answer(v4, t0 + 60ms)) << "a later set may shorten";
  t.set(v4, answer_table::time_point{});
  EXPECT_FALSE(t.may_answer(v4, t0));
}

TEST(AnswerTable, FamiliesAreDistinctAndListed) {
  answer_table t;
  t.set(v4, t0 + 1s);
  t.set(v6, t0 + 2s);
  EXPECT_EQ(t.answering(t0), (std::vector<ip_address>{v4, v6}));
  EXPECT_EQ(t.answering(t0 + 1500ms), (std::vector<ip_address>{v6}));
  EXPECT_TRUE(t.answering(t0 + 2s).empty());
}

TEST(AnswerTable, ClearStopsEverything) {
  answer_table t;
  t.set(v4, t0 + 1s);
  t.set(v6, t0 + 1s);
  t.clear();
  EXPECT_FALSE(t.may_answer(v4, t0));
  EXPECT_FALSE(t.may_answer(v6, t0));
}

TEST(AnswerTable, ReadersAndAWriterConcurrently) {
  answer_table t;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop)
      (void)t.may_answer(v4, t0);
  });
  for (int i = 0; i < 10000; ++i)
    t.set(v4, i % 2 ? t0 + 1s : answer_table::time_point{});
  stop = true;
  reader.join();
  EXPECT_TRUE(t.may_answer(v4, t0)); // the last set (i = 9999) answers
}

} // namespace
