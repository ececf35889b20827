// The table-test driver the patch engines' tests share (patch_test.cpp,
// strategic_merge_test.cpp): apply one case, then compare with the wanted
// document, or check the error text and, for atomic engines, that the target
// is unchanged.
#pragma once

#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "simulation/patch.hpp"

namespace kvip::sim::test {

struct patch_case {
  const char* name;
  const char* target;
  const char* patch;
  const char* want;  // expected document; nullptr = an error is expected
  const char* error; // substring of the expected error (when want == nullptr)
};

/// Runs `c` through `apply(target, patch)`.
template <class Apply>
void check_patch(const patch_case& c, Apply apply, bool atomic) {
  namespace json = boost::json;
  auto target = json::parse(c.target);
  auto before = target;
  auto applied = apply(target, json::parse(c.patch));
  if (c.want != nullptr) {
    EXPECT_TRUE(applied.ok()) << c.name << ": " << applied.err().message;
    EXPECT_TRUE(json_equal(target, json::parse(c.want)))
        << c.name << ": got " << json::serialize(target) << ", want " << c.want;
    return;
  }
  ASSERT_FALSE(applied.ok()) << c.name << ": expected an error, got " << json::serialize(target);
  const auto& error = applied.err().message;
  EXPECT_NE(error.find(c.error), std::string::npos)
      << c.name << ": error \"" << error << "\" lacks \"" << c.error << "\"";
  if (atomic) {
    EXPECT_EQ(target, before) << c.name << ": target changed on error";
  }
}

} // namespace kvip::sim::test
