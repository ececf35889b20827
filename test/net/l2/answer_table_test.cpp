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

namespace {

const kvip::net::mac_address successor_mac{0x02, 0, 0, 0, 0, 0x02};
const kvip::net::mac_address other_mac{0x02, 0, 0, 0, 0, 0x03};

TEST(AnswerTable, ANewOwnerAnswersOnlyAfterItsFirstAnnouncement) {
  answer_table t;
  t.set(v4, t0 + 100ms, true);
  EXPECT_TRUE(t.may_announce(v4, t0));
  EXPECT_FALSE(t.may_answer(v4, t0)) << "not announced yet";
  EXPECT_FALSE(t.may_answer(v4, t0 + 50ms));
  t.announced(v4, t0 + 53ms);
  EXPECT_FALSE(t.may_answer(v4, t0 + 52ms));
  EXPECT_TRUE(t.may_answer(v4, t0 + 53ms));
  // An extension of a VIP already answered changes nothing but the deadline.
  t.set(v4, t0 + 200ms, true);
  EXPECT_TRUE(t.may_answer(v4, t0 + 150ms));
  t.announced(v4, t0 + 180ms);
  EXPECT_TRUE(t.may_answer(v4, t0 + 150ms)) << "only the first announcement counts";
  EXPECT_FALSE(t.may_announce(v4, t0 + 200ms));
}

TEST(AnswerTable, AHandoverAnswersWithTheSuccessorsMacThenStops) {
  answer_table t;
  t.set(v4, t0 + 100ms);
  EXPECT_FALSE(t.answer_as(v4)) << "our own MAC";
  EXPECT_FALSE(t.redirect(v4, successor_mac)) << "only while releasing";
  t.observed(v4, other_mac, t0);
  EXPECT_FALSE(t.answer_as(v4)) << "someone else's announcement while we own it changes nothing";
  t.releasing(v4);
  EXPECT_TRUE(t.redirect(v4, successor_mac));
  EXPECT_EQ(t.answer_as(v4), successor_mac);
  EXPECT_FALSE(t.redirect(v6, successor_mac)) << "not answered at all";
  // The successor tells us it answers: we linger 30 ms, still with its MAC.
  t.handed_over(v4, t0 + 10ms, 30ms);
  EXPECT_TRUE(t.may_answer(v4, t0 + 39ms));
  EXPECT_FALSE(t.may_answer(v4, t0 + 40ms));
}

TEST(AnswerTable, TheFirstAnnouncerIsTheSuccessorAndEndsALingerThatWaitsForIt) {
  answer_table t;
  t.set(v4, t0 + 100ms);
  t.releasing(v4);
  t.redirect(v4, successor_mac);
  // Told before its announcement arrived... but it is already known, so the
  // linger starts now.
  answer_table u;
  u.set(v4, t0 + 100ms);
  u.releasing(v4);
  u.handed_over(v4, t0 + 10ms, 30ms);
  EXPECT_TRUE(u.may_answer(v4, t0 + 80ms)) << "no successor seen: the deadline bounds it";
  u.observed(v4, other_mac, t0 + 20ms);
  EXPECT_EQ(u.answer_as(v4), other_mac);
  EXPECT_TRUE(u.may_answer(v4, t0 + 49ms));
  EXPECT_FALSE(u.may_answer(v4, t0 + 50ms)) << "30 ms after the announcement";
  // Another node announcing first replaces the expected successor.
  t.observed(v4, other_mac, t0 + 5ms);
  EXPECT_EQ(t.answer_as(v4), other_mac);
}

TEST(AnswerTable, APlacedVipIsAnsweredOnItsInterfaceAlone) {
  answer_table t;
  t.set(v4, t0 + 100ms);
  EXPECT_TRUE(t.answers_on(v4, 2)) << "unplaced: on every interface";
  EXPECT_TRUE(t.answers_on(v4, 7));
  t.place(v4, 7);
  EXPECT_FALSE(t.answers_on(v4, 2));
  EXPECT_TRUE(t.answers_on(v4, 7));
  EXPECT_TRUE(t.answers_on(v6, 2)) << "another VIP keeps its own placement";
  t.clear();
  t.set(v4, t0 + 100ms);
  EXPECT_FALSE(t.answers_on(v4, 2)) << "the deadlines do not touch the placement";
  t.place(v4, 0);
  EXPECT_TRUE(t.answers_on(v4, 2));
}

} // namespace
