// kvip_service_announce_seconds' clock (k8s/services/announce_clock): a
// change is timed once, from its Service change to the first announcement;
// addresses that left or waited past the horizon are not timed.
#include <gtest/gtest.h>

#include "k8s/services/announce_clock.hpp"

namespace kvip::k8s::services {
namespace {

using namespace std::chrono_literals;
using tp = announce_clock::time_point;
const tp t0 = tp{} + 1000s;

TEST(AnnounceClock, TimesAChangeOnceFromItsServiceChange) {
  announce_clock c;
  c.update({"10.0.0.1", "10.0.0.2"}, {"10.0.0.1"}, t0, t0 + 5ms);
  EXPECT_EQ(c.announced("10.0.0.2", t0 + 10ms), std::nullopt) << "unchanged: not timed";
  auto took = c.announced("10.0.0.1", t0 + 30ms);
  ASSERT_TRUE(took);
  EXPECT_DOUBLE_EQ(took->count(), 0.030);
  EXPECT_EQ(c.announced("10.0.0.1", t0 + 40ms), std::nullopt) << "timed once";
}

TEST(AnnounceClock, AnEarlierPendingChangeKeepsItsTime) {
  announce_clock c;
  c.update({"10.0.0.1"}, {"10.0.0.1"}, t0, t0);
  c.update({"10.0.0.1"}, {"10.0.0.1"}, t0 + 100ms, t0 + 100ms);
  auto took = c.announced("10.0.0.1", t0 + 150ms);
  ASSERT_TRUE(took);
  EXPECT_DOUBLE_EQ(took->count(), 0.150);
}

TEST(AnnounceClock, ForgetsWhatLeftWhatWaitedTooLongAndUntimedChanges) {
  struct row {
    const char* what;
    std::set<std::string> next_all;
    tp next_at;
    tp announce_at;
  };
  const std::vector<row> rows{
      {"the address left", {}, t0 + 1s, t0 + 1s},
      {"past the horizon", {"10.0.0.1"}, t0 + 61s, t0 + 61s},
  };
  for (const auto& r : rows) {
    announce_clock c;
    c.update({"10.0.0.1"}, {"10.0.0.1"}, t0, t0);
    c.update(r.next_all, {}, r.next_at, r.next_at);
    EXPECT_EQ(c.pending(), 0u) << r.what;
    EXPECT_EQ(c.announced("10.0.0.1", r.announce_at), std::nullopt) << r.what;
  }
  announce_clock c;
  c.update({"10.0.0.1"}, {"10.0.0.1"}, tp{}, t0);
  EXPECT_EQ(c.pending(), 0u) << "no change time: nothing timed";
}

} // namespace
} // namespace kvip::k8s::services
