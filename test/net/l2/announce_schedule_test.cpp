// Table tests for net/l2/announce_schedule: when the announcer announces a VIP.
#include "net/l2/announce_schedule.hpp"

#include <gtest/gtest.h>

namespace {

using kvip::net::l2::announce_schedule;
using ms = std::chrono::milliseconds;

TEST(AnnounceSchedule, DefaultBurstThenRefresh) {
  announce_schedule s{{ms{0}, ms{100}, ms{500}}, ms{3000}};
  struct row {
    std::uint32_t step;
    ms delay;
    bool refresh;
    std::uint32_t next;
  };
  // step 0 at once, +100, +400 (500 after the start), then every 3000.
  const row table[] = {
      {0, ms{0}, false, 1},   {1, ms{100}, false, 2}, {2, ms{400}, false, 3},
      {3, ms{3000}, true, 3}, {4, ms{3000}, true, 3}, {1000, ms{3000}, true, 3},
  };
  for (const auto& r : table) {
    SCOPED_TRACE("step " + std::to_string(r.step));
    EXPECT_EQ(s.delay_before(r.step), r.delay);
    EXPECT_EQ(s.is_refresh(r.step), r.refresh);
    EXPECT_EQ(s.next(r.step), r.next);
  }
  EXPECT_TRUE(s.immediate());
  EXPECT_EQ(s.describe(), "0/100/500 ms then every 3000 ms");
}

TEST(AnnounceSchedule, OffsetsAddUpToTheConfiguredTimes) {
  // Walking the steps from the moment the VIP is held gives the offsets.
  announce_schedule s{{ms{0}, ms{100}, ms{500}}, ms{1000}};
  std::vector<long> at;
  long t = 0;
  std::uint32_t step = 0;
  for (int i = 0; i < 6; ++i) {
    t += s.delay_before(step).count();
    at.push_back(t);
    step = s.next(step);
  }
  EXPECT_EQ(at, (std::vector<long>{0, 100, 500, 1500, 2500, 3500}));
}

TEST(AnnounceSchedule, NormalisesWhatItIsGiven) {
  struct row {
    const char* what;
    std::vector<ms> burst;
    ms refresh;
    std::vector<ms> want_burst;
    ms want_refresh;
    bool immediate;
  };
  const row table[] = {
      {"unsorted", {ms{500}, ms{0}, ms{100}}, ms{3000}, {ms{0}, ms{100}, ms{500}}, ms{3000}, true},
      {"negative is 0", {ms{-5}, ms{50}}, ms{1000}, {ms{0}, ms{50}}, ms{1000}, true},
      {"empty is {0}", {}, ms{1000}, {ms{0}}, ms{1000}, true},
      {"zero refresh falls back", {ms{0}}, ms{0}, {ms{0}}, ms{3000}, true},
      {"negative refresh falls back", {ms{0}}, ms{-1}, {ms{0}}, ms{3000}, true},
      {"delayed start", {ms{20}, ms{70}}, ms{1000}, {ms{20}, ms{70}}, ms{1000}, false},
  };
  for (const auto& r : table) {
    SCOPED_TRACE(r.what);
    announce_schedule s{r.burst, r.refresh};
    EXPECT_EQ(s.burst(), r.want_burst);
    EXPECT_EQ(s.refresh(), r.want_refresh);
    EXPECT_EQ(s.immediate(), r.immediate);
  }
}

TEST(AnnounceSchedule, ADelayedStartWaitsItsFirstOffset) {
  announce_schedule s{{ms{20}, ms{70}}, ms{1000}};
  EXPECT_EQ(s.delay_before(0), ms{20});
  EXPECT_EQ(s.delay_before(1), ms{50});
  EXPECT_EQ(s.delay_before(2), ms{1000});
  EXPECT_FALSE(s.is_refresh(1));
  EXPECT_TRUE(s.is_refresh(2));
}

} // namespace
