// net/rfc3339: the one RFC 3339 formatter and parser (logs, traces, Kubernetes times).
#include "net/rfc3339.hpp"

#include <gtest/gtest.h>

using namespace kvip::net;
using namespace std::chrono;

TEST(NetRfc3339, FormatsUtcWithOrWithoutTheFraction) {
  sys_micros t{seconds{1700000000} + microseconds{42}};
  EXPECT_EQ(format_rfc3339(t), "2023-11-14T22:13:20.000042Z");
  EXPECT_EQ(format_rfc3339(t, false), "2023-11-14T22:13:20Z");
}

TEST(NetRfc3339, ParsesZonesFractionsAndRoundTrips) {
  auto t = parse_rfc3339("2023-11-15T00:13:20.000042+02:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rfc3339(*t), "2023-11-14T22:13:20.000042Z");
  EXPECT_TRUE(parse_rfc3339("2023-11-14T22:13:20Z"));
  EXPECT_FALSE(parse_rfc3339("2023-11-14T22:13:20Z", 6)); // six digits required
  EXPECT_FALSE(parse_rfc3339("2023-11-14T22:13:20.Z"));
  EXPECT_FALSE(parse_rfc3339("2023-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2023-11-14 22:13:20Z"));
  EXPECT_FALSE(parse_rfc3339("2023-11-14T22:13:20"));
}
