// Pure helpers of k8s/: rate limiter (fake clock), backoff, MicroTime, base64, URLs.
#include <gtest/gtest.h>

#include <vector>

#include "fake_clock.hpp"
#include "k8s/backoff.hpp"
#include "k8s/base64.hpp"
#include "k8s/micro_time.hpp"
#include "k8s/rate_limiter.hpp"
#include "k8s/resource.hpp"

using namespace kvip::k8s;
using namespace std::chrono_literals;

TEST(K8sRateLimiter, BurstThenQps) {
  test_support::fake_clock clk;
  rate_limiter rl(10, 3, clk.hooks()); // 10/s, burst 3
  auto far = clk.hooks().now() + 1h;
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(rl.acquire(far));
  EXPECT_TRUE(clk.sleeps().empty());
  EXPECT_TRUE(rl.acquire(far)); // 4th waits one token interval
  ASSERT_EQ(clk.sleeps().size(), 1u);
  EXPECT_NEAR(std::chrono::duration<double>(clk.sleeps()[0]).count(), 0.1, 1e-6);
}

TEST(K8sRateLimiter, RefillsOverTimeUpToBurst) {
  test_support::fake_clock clk;
  rate_limiter rl(100, 250, clk.hooks()); // kube-vip's defaults
  auto far = clk.hooks().now() + 1h;
  for (int i = 0; i < 250; ++i)
    ASSERT_TRUE(rl.acquire(far));
  EXPECT_LT(rl.available(), 1.0);
  clk.advance(10s); // would be 1000 tokens, capped at 250
  EXPECT_DOUBLE_EQ(rl.available(), 250.0);
  EXPECT_TRUE(clk.sleeps().empty());
}

TEST(K8sRateLimiter, FailsAtDeadlineWithoutTakingAToken) {
  test_support::fake_clock clk;
  rate_limiter rl(1, 1, clk.hooks());
  auto now = clk.hooks().now();
  EXPECT_TRUE(rl.acquire(now + 10ms));
  EXPECT_FALSE(rl.acquire(now + 10ms)); // next token in 1 s > deadline
  EXPECT_TRUE(clk.sleeps().empty());    // did not wait in vain
  EXPECT_TRUE(rl.acquire(now + 2s));    // waits ~1 s
  ASSERT_EQ(clk.sleeps().size(), 1u);
  EXPECT_NEAR(std::chrono::duration<double>(clk.sleeps()[0]).count(), 1.0, 1e-6);
}

TEST(K8sRateLimiter, ReservationsQueue) {
  test_support::fake_clock clk;
  rate_limiter rl(10, 1, clk.hooks());
  auto far = clk.hooks().now() + 1h;
  EXPECT_TRUE(rl.acquire(far));
  // Sleeping advances the fake clock, so each later caller waits one interval.
  EXPECT_TRUE(rl.acquire(far));
  EXPECT_TRUE(rl.acquire(far));
  ASSERT_EQ(clk.sleeps().size(), 2u);
  for (auto d : clk.sleeps())
    EXPECT_NEAR(std::chrono::duration<double>(d).count(), 0.1, 1e-6);
}

TEST(K8sRateLimiter, ZeroQpsIsUnlimited) {
  test_support::fake_clock clk;
  rate_limiter rl(0, 1, clk.hooks());
  for (int i = 0; i < 1000; ++i)
    EXPECT_TRUE(rl.acquire(clk.hooks().now()));
}

TEST(K8sBackoff, GrowsCapsAndJitters) {
  backoff_policy p{100ms, 1000ms, 2.0, 0.5};
  double r = 0.0;
  backoff b(p, [&] { return r; });
  EXPECT_EQ(b.next(), 100ms);
  EXPECT_EQ(b.next(), 200ms);
  EXPECT_EQ(b.next(), 400ms);
  EXPECT_EQ(b.next(), 800ms);
  EXPECT_EQ(b.next(), 1000ms);
  r = 1.0;
  EXPECT_EQ(b.next(), 1500ms); // jitter stretches by up to 50 %
  b.reset();
  r = 0.5;
  EXPECT_EQ(b.next(), 125ms);
}

TEST(K8sMicroTime, FormatsSixDigitsUtc) {
  auto t = parse_micro_time("2026-11-26T08:59:06.484405Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_micro_time(*t), "2026-11-26T08:59:06.484405Z");
  sys_micros whole{std::chrono::seconds(1700000000)};
  EXPECT_EQ(format_micro_time(whole), "2023-11-14T22:13:20.000000Z");
  EXPECT_EQ(format_time(std::chrono::system_clock::time_point(std::chrono::seconds(1700000000))),
            "2023-11-14T22:13:20Z");
}

TEST(K8sMicroTime, ParseRequiresExactlySixDigits) {
  EXPECT_FALSE(parse_micro_time("2026-11-26T08:59:06Z"));
  EXPECT_FALSE(parse_micro_time("2026-11-26T08:59:06.123Z"));
  EXPECT_FALSE(parse_micro_time("2026-11-26T08:59:06.123456789Z"));
  EXPECT_FALSE(parse_micro_time("2026-11-26T08:59:06.123456"));
  EXPECT_FALSE(parse_micro_time("garbage"));
  EXPECT_FALSE(parse_micro_time("2026-02-30T08:59:06.123456Z"));
  auto off = parse_micro_time("2026-11-26T10:59:06.000001+02:00");
  ASSERT_TRUE(off);
  EXPECT_EQ(format_micro_time(*off), "2026-11-26T08:59:06.000001Z");
  // metav1.Time accepts any precision.
  EXPECT_TRUE(parse_time("2026-11-26T08:59:06Z"));
  EXPECT_TRUE(parse_time("2026-11-26T08:59:06.5Z"));
}

TEST(K8sBase64, RoundTripAndErrors) {
  for (std::string s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)})
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  EXPECT_EQ(base64_encode("s3cr3t"), "czNjcjN0");
  EXPECT_EQ(base64_decode("czNj\ncjN0"), "s3cr3t");
  EXPECT_FALSE(base64_decode("cz!j"));
  EXPECT_FALSE(base64_decode("cz=j"));
}

TEST(K8sBase64, EncodesWithPadding) {
  // Secret data and kubeconfig *-data fields are padded standard base64.
  EXPECT_EQ(base64_encode("a"), "YQ==");
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_EQ(base64_encode("abc"), "YWJj");
  EXPECT_EQ(base64_encode(std::string("\xfb\xff", 2)), "+/8=");
}

TEST(K8sResource, Paths) {
  EXPECT_EQ(collection_path(resources::services, "default"), "/api/v1/namespaces/default/services");
  EXPECT_EQ(collection_path(resources::services, ""), "/api/v1/services");
  EXPECT_EQ(object_path(resources::nodes, "ignored", "n1"), "/api/v1/nodes/n1");
  EXPECT_EQ(object_path(resources::leases, "kube-system", "plndr-cp-lock"),
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/plndr-cp-lock");
  EXPECT_EQ(object_path(resources::services, "d", "web", "status"),
            "/api/v1/namespaces/d/services/web/status");
  EXPECT_EQ(with_query("/x", {{"labelSelector", "kubernetes.io/service-name=web"}, {"a", ""}}),
            "/x?labelSelector=kubernetes.io%2Fservice-name%3Dweb");
}
