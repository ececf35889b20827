// A GoogleTest predicate for net::result (and k8s::result): on failure it
// prints the error, so `ASSERT_TRUE(ok(lab->exec(...)))` says why.
#pragma once

#include <gtest/gtest.h>

#include "net/result.hpp"

namespace kvip::test {

template <class T, class E>
::testing::AssertionResult ok(const net::result<T, E>& r) {
  if (r) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << r.err().describe();
}

} // namespace kvip::test
