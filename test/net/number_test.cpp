// net/number: whole-string decimal integers.
#include "net/number.hpp"

#include <cstdint>

#include <gtest/gtest.h>

using kvip::net::parse_integer;

TEST(NetNumber, ParsesWholeDecimalIntegers) {
  EXPECT_EQ(parse_integer<int>("0"), 0);
  EXPECT_EQ(parse_integer<int>("42"), 42);
  EXPECT_EQ(parse_integer<int>("-7"), -7);
  EXPECT_EQ(parse_integer<std::uint64_t>("18446744073709551615"), UINT64_MAX);
}

TEST(NetNumber, RejectsAnythingElse) {
  for (const char* bad : {"", " 1", "1 ", "+1", "1x", "0x10", "1.5", "--1"})
    EXPECT_EQ(parse_integer<int>(bad), std::nullopt) << bad;
  EXPECT_EQ(parse_integer<unsigned>("-1"), std::nullopt); // no sign for unsigned
  EXPECT_EQ(parse_integer<std::uint64_t>("18446744073709551616"), std::nullopt); // overflow
  EXPECT_EQ(parse_integer<int>("2147483648"), std::nullopt);
}
