#pragma once
// CI mode. In CI (CI=true, or CI=1) a test that cannot run is a failure, not a
// skip; outside CI it is skipped with its reason. Integration scripts do the
// same with `skip` (test/integration/lib/common.bash).

#include <cstdlib>
#include <string_view>

#include <gtest/gtest.h>

namespace kvip::test {

/// True when running in CI, where a skipped test is a failure.
inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && (std::string_view{ci} == "true" || std::string_view{ci} == "1");
}

} // namespace kvip::test

/// Skips the current test because `why` -- or fails it in CI.
#define KVIP_SKIP(why)                                                                             \
  do {                                                                                             \
    if (::kvip::test::in_ci())                                                                     \
      GTEST_FAIL() << "cannot run: " << (why) << " (CI=true: a skip is a failure)";                \
    else                                                                                           \
      GTEST_SKIP() << (why);                                                                       \
  } while (0)
