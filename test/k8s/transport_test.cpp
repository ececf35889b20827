// k8s/transport: the pure parts (Retry-After).
#include "k8s/transport.hpp"

#include <gtest/gtest.h>

using namespace kvip::k8s;
using namespace std::chrono_literals;

TEST(K8sTransport, RetryAfterInWholeSeconds) {
  EXPECT_EQ(parse_retry_after("3"), 3000ms);
  EXPECT_EQ(parse_retry_after("0"), 0ms);
  EXPECT_EQ(parse_retry_after(""), std::nullopt);
  EXPECT_EQ(parse_retry_after("-1"), std::nullopt);
  EXPECT_EQ(parse_retry_after("2.5"), std::nullopt);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt); // HTTP-date
}
