// Unit tests for net/telemetry/trace_sink: JSON escaping, record format, cause ids.
#include "net/telemetry/trace_sink.hpp"

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace {

std::string escaped(std::string_view s) {
  std::string out;
  kvip::net::telemetry::append_json_escaped(out, s);
  return out;
}

TEST(TraceSinkEscape, EscapesQuotesBackslashesAndControls) {
  struct row {
    const char* name;
    std::string in;
    std::string out;
  };
  const row rows[] = {
      {"plain", "abc", "abc"},
      {"quote", "a\"b", "a\\\"b"},
      {"backslash", "a\\b", "a\\\\b"},
      {"newline and tab", "a\nb\tc", "a\\nb\\tc"},
      {"control byte", std::string{"a\x01"}, "a\\u0001"},
      {"valid utf-8 kept", "caf\xc3\xa9", "caf\xc3\xa9"},
      {"invalid byte replaced", "a\xff", "a\xef\xbf\xbd"},
      {"truncated sequence replaced", "a\xe2\x82", "a\xef\xbf\xbd\xef\xbf\xbd"},
  };
  for (const auto& r : rows)
    EXPECT_EQ(escaped(r.in), r.out) << r.name;
}

TEST(TraceSinkCause, IdsAreUniqueAndNonZero) {
  auto& s = kvip::net::telemetry::trace_sink::instance();
  auto a = s.next_cause();
  auto b = s.next_cause();
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a >> 32, b >> 32); // same process prefix
  EXPECT_EQ(kvip::net::telemetry::cause_to_string(0x12345678000000abULL),
            "12345678-00000000000000ab");
}

class TraceSinkFile : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kvip-trace-unit-XXXXXX";
    int fd = mkstemp(tmpl);
    ::close(fd);
    path_ = tmpl;
  }
  void TearDown() override { std::remove(path_.c_str()); }

  std::vector<std::string> lines() {
    std::vector<std::string> out;
    std::ifstream in{path_};
    for (std::string l; std::getline(in, l);)
      out.push_back(l);
    return out;
  }

  std::string path_;
};

TEST_F(TraceSinkFile, WritesOneValidJsonLinePerRecordOnlyWhenEnabled) {
  kvip::net::telemetry::trace_sink s;
  s.set_node("n1");
  ASSERT_TRUE(s.set_path(path_).ok());
  s.write({"a", "b", "t", "before", 1});
  EXPECT_TRUE(lines().empty());
  ASSERT_TRUE(s.set_enabled(true).ok());
  std::string long_summary(1000, 'x');
  s.write({"a", "b", "hop", "hop(\"quoted\")", 0x100000002ULL});
  s.write({"a", "b", "big", long_summary, 3});
  auto ls = lines();
  ASSERT_EQ(ls.size(), 2u);
  auto r0 = boost::json::parse(ls[0]).as_object();
  EXPECT_EQ(r0.at("node").as_string(), "n1");
  EXPECT_EQ(r0.at("from").as_string(), "a");
  EXPECT_EQ(r0.at("to").as_string(), "b");
  EXPECT_EQ(r0.at("type").as_string(), "hop");
  EXPECT_EQ(r0.at("msg").as_string(), "hop(\"quoted\")");
  EXPECT_EQ(r0.at("cause").as_string(), "00000001-0000000000000002");
  auto r1 = boost::json::parse(ls[1]).as_object();
  EXPECT_EQ(r1.at("msg").as_string().size(), kvip::net::telemetry::trace_sink::max_summary + 3);
  EXPECT_EQ(s.written(), 2u);
}

TEST_F(TraceSinkFile, UnwritablePathIsAnErrorNamingThePath) {
  kvip::net::telemetry::trace_sink s;
  auto opened = s.set_path("/nonexistent-dir/trace.jsonl");
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.err().describe().find("/nonexistent-dir/trace.jsonl"), std::string::npos);
  EXPECT_FALSE(s.set_enabled(true).ok());
  EXPECT_FALSE(s.enabled());
}

TEST_F(TraceSinkFile, ActorNamesFallBackToIds) {
  kvip::net::telemetry::trace_sink s;
  s.name_actor(7, "node");
  EXPECT_EQ(s.actor_name(7), "node");
  EXPECT_EQ(s.actor_name(8), "actor#8");
  s.forget_actor(7);
  EXPECT_EQ(s.actor_name(7), "actor#7");
}

} // namespace
