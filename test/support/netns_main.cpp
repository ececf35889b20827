// Tests that need root and a network namespace. The process moves itself into
// a fresh, private network namespace before any test runs, so every link and
// address a test makes is invisible to the host and vanishes with the process,
// also when a test crashes.
//
// When the tests cannot run (no root, no unshare, no iproute2) or a test calls
// GTEST_SKIP, the binary says which and why, and exits 77 (ctest: skipped) --
// or 1 with CI=true, where a skipped test is a failure.
#include <cstdio>
#include <cstdlib>
#include <sched.h>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "test/support/ci.hpp"

namespace {

/// The exit status for "could not run": 77 (skipped), or 1 in CI.
int cannot_run(const char* why) {
  if (kvip::test::in_ci()) {
    std::printf("FAIL: cannot run: %s (CI=true: a skip is a failure)\n", why);
    return 1;
  }
  std::printf("SKIP: %s\n", why);
  return 77;
}

/// Names every test that called GTEST_SKIP, with its message; their count.
int report_skipped() {
  const auto& unit = *::testing::UnitTest::GetInstance();
  int n = 0;
  for (int i = 0; i < unit.total_test_suite_count(); ++i) {
    const auto& suite = *unit.GetTestSuite(i);
    for (int j = 0; j < suite.total_test_count(); ++j) {
      const auto& info = *suite.GetTestInfo(j);
      if (!info.should_run() || !info.result()->Skipped()) continue;
      ++n;
      std::string why;
      for (int k = 0; k < info.result()->total_part_count(); ++k)
        if (info.result()->GetTestPartResult(k).skipped())
          why = info.result()->GetTestPartResult(k).message();
      std::printf("SKIP: %s.%s: %s\n", suite.name(), info.name(), why.c_str());
    }
  }
  return n;
}

} // namespace

int main(int argc, char** argv) {
  if (::geteuid() != 0) return cannot_run("network-namespace tests need root");
  if (::unshare(CLONE_NEWNET) != 0) {
    std::perror("unshare(CLONE_NEWNET)");
    return cannot_run("cannot make a private network namespace");
  }
  if (std::system("ip link set lo up") != 0)
    return cannot_run("cannot bring up lo in the private namespace (is iproute2 there?)");
  ::testing::InitGoogleTest(&argc, argv);
  int rc = RUN_ALL_TESTS();
  if (rc != 0) return rc;
  if (int skipped = report_skipped(); skipped > 0) {
    std::printf("%d test(s) skipped\n", skipped);
    return cannot_run("some tests skipped themselves (listed above)");
  }
  return 0;
}
