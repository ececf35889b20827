// eventually/always: the bounded waits every test and the lab use.
#include "net/wait.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using kvip::net::always;
using kvip::net::eventually;
using clk = std::chrono::steady_clock;

TEST(Wait, EventuallyReturnsAsSoonAsThePredicateHolds) {
  int calls = 0;
  auto t0 = clk::now();
  EXPECT_TRUE(eventually([&] { return ++calls >= 3; }, 5s, 1ms));
  EXPECT_EQ(calls, 3);
  EXPECT_LT(clk::now() - t0, 1s);
}

TEST(Wait, EventuallyFailsWhenTheBudgetRunsOut) {
  auto t0 = clk::now();
  EXPECT_FALSE(eventually([] { return false; }, 50ms, 5ms));
  EXPECT_GE(clk::now() - t0, 50ms);
  EXPECT_LT(clk::now() - t0, 2s);
}

TEST(Wait, EventuallySeesAChangeMadeByAnotherThread) {
  std::atomic<bool> flag{false};
  std::thread t{[&] {
    std::this_thread::sleep_for(30ms);
    flag = true;
  }};
  EXPECT_TRUE(eventually([&] { return flag.load(); }, 5s));
  t.join();
}

TEST(Wait, EventuallyChecksOnceMoreWithAZeroBudget) {
  EXPECT_TRUE(eventually([] { return true; }, 0ms));
  EXPECT_FALSE(eventually([] { return false; }, 0ms));
}

TEST(Wait, AlwaysHoldsForTheWholeWindow) {
  int calls = 0;
  auto t0 = clk::now();
  EXPECT_TRUE(always([&] { return ++calls > 0; }, 50ms, 5ms));
  EXPECT_GE(clk::now() - t0, 50ms);
  EXPECT_GE(calls, 2);
}

TEST(Wait, AlwaysFailsAtTheFirstViolation) {
  int calls = 0;
  auto t0 = clk::now();
  EXPECT_FALSE(always([&] { return ++calls < 3; }, 5s, 1ms));
  EXPECT_EQ(calls, 3);
  EXPECT_LT(clk::now() - t0, 1s);
}

TEST(Wait, AlwaysSeesAViolationLateInTheWindow) {
  std::atomic<bool> ok{true};
  std::thread t{[&] {
    std::this_thread::sleep_for(40ms);
    ok = false;
  }};
  EXPECT_FALSE(always([&] { return ok.load(); }, 5s));
  t.join();
}

} // namespace
