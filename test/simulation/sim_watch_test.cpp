// Watch semantics of the store and hub: initial events, replay, selector
// transitions, history window and 410, bookmarks and timeouts.
#include <gtest/gtest.h>

#include "simulation/object_util.hpp"
#include "simulation/store.hpp"
#include "watch_events.hpp"

namespace kvip::sim {
namespace {

namespace json = boost::json;

const resource_info& cms() {
  return *find_resource("", "v1", "configmaps");
}

json::object cm(const std::string& name, const std::string& app = "") {
  json::object md{{"name", name}};
  if (!app.empty()) md["labels"] = json::object{{"app", app}};
  return json::object{{"metadata", md}, {"data", json::object{{"k", "v"}}}};
}

using test::drain;
using test::event_view;
using test::types_and_names;

std::shared_ptr<watcher> watch_of(const std::string& labels = "", bool bookmarks = false,
                                  std::chrono::milliseconds life = std::chrono::hours(1)) {
  watch_filter f{&cms(), "default", std::nullopt, std::nullopt};
  if (!labels.empty()) f.labels = *label_selector::parse(labels);
  return std::make_shared<watcher>(f, bookmarks, watcher::clock::now() + life);
}

struct SimWatch : ::testing::Test {
  store st{50, 500};
  void SetUp() override { st.bootstrap(); }
};

TEST_F(SimWatch, NoResourceVersionStartsWithAddedForEveryObject) {
  st.create(cms(), "default", cm("a"));
  st.create(cms(), "default", cm("b"));
  st.create(cms(), "kube-system", cm("elsewhere"));
  for (const char* rv : {"", "0"}) {
    auto w = watch_of();
    ASSERT_FALSE(st.watch(w, rv));
    EXPECT_EQ(types_and_names(drain(*w)), (std::vector<std::string>{"ADDED a", "ADDED b"}));
  }
}

TEST_F(SimWatch, ResumeReplaysChangesAfterRvInOrder) {
  auto a = st.create(cms(), "default", cm("a")).obj;
  auto from = std::to_string(st.current_rv());
  auto body = a->obj;
  body["data"].as_object()["k"] = "2";
  st.update(cms(), "default", "a", body);
  st.create(cms(), "default", cm("b"));
  st.remove(cms(), "default", "a");
  auto w = watch_of();
  ASSERT_FALSE(st.watch(w, from));
  st.create(cms(), "default", cm("c")); // live, after registration
  auto evs = drain(*w);
  EXPECT_EQ(types_and_names(evs),
            (std::vector<std::string>{"MODIFIED a", "ADDED b", "DELETED a", "ADDED c"}));
  for (std::size_t i = 1; i < evs.size(); ++i)
    EXPECT_LT(std::stoull(evs[i - 1].rv), std::stoull(evs[i].rv));
  // The DELETED event carries the deletion's RV, not the last stored one.
  EXPECT_GT(std::stoull(evs[2].rv), std::stoull(evs[1].rv));
}

TEST_F(SimWatch, SelectorTransitionsBecomeAddedAndDeleted) {
  auto w = watch_of("app=web");
  ASSERT_FALSE(st.watch(w, std::to_string(st.current_rv())));
  auto x = st.create(cms(), "default", cm("x", "db")).obj; // not matching: nothing
  auto body = x->obj;
  body["metadata"].as_object()["labels"] = json::object{{"app", "web"}};
  auto y = st.update(cms(), "default", "x", body).obj; // starts matching: ADDED
  body = y->obj;
  body["data"].as_object()["k"] = "changed";
  auto z = st.update(cms(), "default", "x", body).obj; // still matching: MODIFIED
  body = z->obj;
  body["metadata"].as_object()["labels"] = json::object{{"app", "db"}};
  auto gone = st.update(cms(), "default", "x", body).obj; // stops matching: DELETED
  auto evs = drain(*w);
  ASSERT_EQ(types_and_names(evs), (std::vector<std::string>{"ADDED x", "MODIFIED x", "DELETED x"}));
  EXPECT_EQ(evs[2].rv, std::to_string(gone->rv));
}

TEST_F(SimWatch, TooOldResourceVersionIsExpired) {
  auto start = st.current_rv();
  for (int i = 0; i < 60; ++i)
    st.create(cms(), "default", cm("o" + std::to_string(i)));
  auto w = watch_of();
  auto err = st.watch(w, std::to_string(start)); // the window keeps only 50 events
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, 410);
  EXPECT_EQ(err->reason, "Expired");
  EXPECT_NE(err->message.find("too old resource version"), std::string::npos);
  auto recent = std::to_string(st.current_rv() - 10);
  EXPECT_FALSE(st.watch(watch_of(), recent));
  st.compact();
  auto after = st.watch(watch_of(), recent);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->code, 410);
  EXPECT_FALSE(st.watch(watch_of(), std::to_string(st.current_rv())));
  EXPECT_EQ(st.watch(watch_of(), std::to_string(st.current_rv() + 100))->code, 504);
  EXPECT_EQ(st.watch(watch_of(), "abc")->code, 400);
}

TEST_F(SimWatch, BookmarksAndTimeout) {
  auto w = watch_of("", true, std::chrono::milliseconds(0));
  ASSERT_FALSE(st.watch(w, std::to_string(st.current_rv())));
  st.tick(std::chrono::milliseconds(60000));
  bool ended = false;
  auto evs = drain(*w, &ended);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type, "BOOKMARK");
  EXPECT_EQ(evs[0].rv, std::to_string(st.current_rv()));
  EXPECT_TRUE(ended);
  EXPECT_EQ(st.hub().size(), 0u);

  auto quiet = watch_of("", false, std::chrono::hours(1));
  auto periodic = watch_of("", true, std::chrono::hours(1));
  ASSERT_FALSE(st.watch(quiet, std::to_string(st.current_rv())));
  ASSERT_FALSE(st.watch(periodic, std::to_string(st.current_rv())));
  st.tick(std::chrono::milliseconds(0));
  EXPECT_TRUE(drain(*quiet).empty()); // no bookmarks unless asked for
  EXPECT_EQ(types_and_names(drain(*periodic)), std::vector<std::string>{"BOOKMARK"});
}

TEST_F(SimWatch, CloseAllEndsStreamsAndParkedReadersWake) {
  auto w = watch_of();
  ASSERT_FALSE(st.watch(w, ""));
  int woken = 0;
  w->set_waker([&] { ++woken; });
  char buf[64];
  bool parked = false;
  EXPECT_EQ(w->read(buf, sizeof buf, [&] { parked = true; }), 0);
  EXPECT_TRUE(parked);
  st.create(cms(), "default", cm("wake"));
  EXPECT_EQ(woken, 1);
  drain(*w);
  st.hub().close_all();
  bool ended = false;
  drain(*w, &ended);
  EXPECT_TRUE(ended);
}

} // namespace
} // namespace kvip::sim
