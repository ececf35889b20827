// net/http/glue: the pieces both libmicrohttpd servers share.
#include "net/http/glue.hpp"

#include <string>

#include <gtest/gtest.h>

using namespace kvip::net::http;

TEST(HttpGlue, AppendCappedKeepsBodiesUpToTheCap) {
  std::string body;
  EXPECT_TRUE(append_capped(body, "abc", 5));
  EXPECT_TRUE(append_capped(body, "de", 5)); // exactly the cap
  EXPECT_EQ(body, "abcde");
  EXPECT_FALSE(append_capped(body, "f", 5)); // one byte over: the body is dropped
  EXPECT_EQ(body, "");
}

TEST(HttpGlue, LowerCasesAscii) {
  EXPECT_EQ(lower("Content-Type"), "content-type");
  EXPECT_EQ(lower(""), "");
}
