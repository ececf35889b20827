// Watch byte-stream parsing, event decoding, relist diff and the informer cache.
#include <gtest/gtest.h>

#include "k8s/informer_cache.hpp"
#include "k8s/object_view.hpp"
#include "k8s/watch_event.hpp"

using namespace kvip::k8s;
namespace json = boost::json;

namespace {

json::object obj(const std::string& ns, const std::string& name, const std::string& rv,
                 const std::string& data = "v") {
  return json::object{
      {"metadata", json::object{{"name", name}, {"namespace", ns}, {"resourceVersion", rv}}},
      {"data", json::object{{"k", data}}}};
}

std::vector<std::string> feed_all(line_splitter& s, const std::vector<std::string>& chunks) {
  std::vector<std::string> lines;
  for (const auto& c : chunks)
    EXPECT_TRUE(s.feed(c, [&](std::string_view l) {
      lines.emplace_back(l);
      return true;
    }));
  return lines;
}

} // namespace

TEST(K8sWatchParser, SeveralAndPartialLinesPerChunk) {
  line_splitter s;
  auto lines = feed_all(s, {"{\"a\":1}\n{\"b\"", ":2}\r\n\n{\"c\":3}\n{\"d", "\":4}"});
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"}));
  EXPECT_EQ(s.pending(), 7u); // the unfinished {"d":4}
  lines = feed_all(s, {"\n"});
  EXPECT_EQ(lines, std::vector<std::string>{"{\"d\":4}"});
  EXPECT_EQ(s.pending(), 0u);
}

TEST(K8sWatchParser, ByteByByte) {
  std::string stream = R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})"
                       "\n"
                       R"({"type":"DELETED","object":{"metadata":{"name":"a"}}})"
                       "\n";
  line_splitter s;
  std::vector<std::string> chunks;
  for (char c : stream)
    chunks.emplace_back(1, c);
  auto lines = feed_all(s, chunks);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(parse_watch_event(lines[1])->type, event_type::deleted);
}

TEST(K8sWatchParser, StopsWhenCallbackRefusesAndLimitsLineLength) {
  line_splitter s;
  int n = 0;
  EXPECT_FALSE(s.feed("a\nb\nc\n", [&](std::string_view) { return ++n < 2; }));
  EXPECT_EQ(n, 2);
  line_splitter small(4);
  EXPECT_FALSE(small.feed("123456", [](std::string_view) { return true; }));
}

TEST(K8sWatchParser, DecodesEventTypes) {
  auto e = parse_watch_event(
      R"({"type":"BOOKMARK","object":{"kind":"Service","apiVersion":"v1","metadata":{"resourceVersion":"1234"}}})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->type, event_type::bookmark);
  EXPECT_EQ(jsonpath::str(e->object, {"metadata", "resourceVersion"}), "1234");
  auto err = parse_watch_event(
      R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})");
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->type, event_type::error);
}

TEST(K8sWatchParser, ClearErrorsForBadLines) {
  auto bad = parse_watch_event(R"({"type":"ADDED","object":{"metadata":)");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.err().kind, error_kind::parse);
  EXPECT_NE(bad.err().message.find("invalid JSON"), std::string::npos);
  EXPECT_FALSE(parse_watch_event("[1,2]").ok());
  EXPECT_NE(parse_watch_event(R"({"object":{}})").err().message.find("'type'"), std::string::npos);
  EXPECT_NE(parse_watch_event(R"({"type":"ADDED"})").err().message.find("'object'"),
            std::string::npos);
  EXPECT_NE(parse_watch_event(R"({"type":"WEIRD","object":{}})").err().message.find("WEIRD"),
            std::string::npos);
}

TEST(K8sRelistDiff, AddedModifiedDeleted) {
  std::map<std::string, json::object> known{
      {"d/a", obj("d", "a", "1")}, {"d/b", obj("d", "b", "2")}, {"d/gone", obj("d", "gone", "3")}};
  auto events =
      relist_diff(known, {obj("d", "a", "1"), obj("d", "b", "5", "new"), obj("d", "c", "6")});
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, event_type::modified);
  EXPECT_EQ(object_key(events[0].object), "d/b");
  EXPECT_EQ(events[1].type, event_type::added);
  EXPECT_EQ(object_key(events[1].object), "d/c");
  EXPECT_EQ(events[2].type, event_type::deleted);
  EXPECT_EQ(object_key(events[2].object), "d/gone");
  EXPECT_EQ(jsonpath::str(events[2].object, {"metadata", "resourceVersion"}), "3");
}

TEST(K8sRelistDiff, WithoutResourceVersionsComparesContent) {
  std::map<std::string, json::object> known{{"d/a", obj("d", "a", "", "x")}};
  EXPECT_TRUE(relist_diff(known, {obj("d", "a", "", "x")}).empty());
  EXPECT_EQ(relist_diff(known, {obj("d", "a", "", "y")}).size(), 1u);
}

TEST(K8sInformerCache, ApplyAndReplace) {
  informer_cache c;
  auto first = c.replace({obj("d", "a", "1"), obj("", "node1", "2")});
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].type, event_type::added);
  EXPECT_EQ(c.keys(), (std::vector<std::string>{"d/a", "node1"}));
  c.apply({event_type::modified, obj("d", "a", "3", "z")});
  EXPECT_EQ(jsonpath::str(*c.find("d/a"), {"data", "k"}), "z");
  c.apply({event_type::deleted, obj("d", "a", "4")});
  EXPECT_FALSE(c.find("d/a"));
  c.apply({event_type::bookmark, obj("d", "ignored", "5")});
  EXPECT_EQ(c.size(), 1u);
  auto diff = c.replace({});
  ASSERT_EQ(diff.size(), 1u);
  EXPECT_EQ(diff[0].type, event_type::deleted);
  EXPECT_EQ(c.size(), 0u);
}
