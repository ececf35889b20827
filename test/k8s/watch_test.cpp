// The list+watch loop against a misbehaving test server: resume from the last
// resourceVersion, bookmarks, 410 relist with DELETED, bad JSON, 500s, 429,
// stalled streams, a 10 MB event, stop from another thread.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "fake_clock.hpp"
#include "k8s/object_view.hpp"
#include "k8s/watch.hpp"
#include "net/wait.hpp"
#include "test_server.hpp"

using namespace kvip::k8s;
using namespace kvip::k8s::test_support;
using namespace std::chrono_literals;
using kvip::net::eventually;
namespace json = boost::json;

namespace {

using step = std::function<void(const recorded_request&, connection&)>;

std::string item(const std::string& name, const std::string& rv) {
  return R"({"metadata":{"name":")" + name + R"(","namespace":"d","resourceVersion":")" + rv +
         R"("},"data":{"k":"v"}})";
}

std::string list_body(const std::string& rv, const std::vector<std::string>& items) {
  std::string out =
      R"({"kind":"ConfigMapList","metadata":{"resourceVersion":")" + rv + R"("},"items":[)";
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i ? "," : "") + items[i];
  return out + "]}";
}

std::string event_line(const std::string& type, const std::string& name, const std::string& rv) {
  return R"({"type":")" + type + R"(","object":)" + item(name, rv) + "}\n";
}

std::string bookmark(const std::string& rv) {
  return R"({"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":")" +
         rv + "\"}}}\n";
}

step idle_stream() {
  return [](const recorded_request&, connection& c) {
    c.start_chunked();
    c.wait(5000ms);
  };
}

step list_of(std::string rv, std::vector<std::string> items) {
  return [=](const recorded_request&, connection& c) { c.respond(200, list_body(rv, items)); };
}

// Serves list and watch requests from two scripts; the last step repeats.
struct scripted {
  std::vector<step> lists, watches;
  std::mutex m;
  std::size_t list_n = 0, watch_n = 0;
  handler h() {
    return [this](const recorded_request& r, connection& c) {
      step s;
      {
        std::lock_guard lock(m);
        auto& v = r.q("watch") == "true" ? watches : lists;
        auto& n = r.q("watch") == "true" ? watch_n : list_n;
        s = v[std::min(n++, v.size() - 1)];
      }
      s(r, c);
    };
  }
};

// Collects what the watcher delivers.
struct sink {
  std::mutex m;
  std::vector<std::pair<event_type, std::string>> events; // type, name
  std::vector<error> errors;
  int synced = 0;
  watch_handlers handlers() {
    watch_handlers h;
    h.on_event = [this](const watch_event& e) {
      std::lock_guard lock(m);
      events.emplace_back(e.type, jsonpath::str(e.object, {"metadata", "name"}));
    };
    h.on_error = [this](const error& e) {
      std::lock_guard lock(m);
      errors.push_back(e);
    };
    h.on_synced = [this] {
      std::lock_guard lock(m);
      ++synced;
    };
    return h;
  }
  bool has(event_type t, const std::string& name) {
    std::lock_guard lock(m);
    for (auto& e : events)
      if (e.first == t && e.second == name) return true;
    return false;
  }
  bool error_with(const std::string& text) {
    std::lock_guard lock(m);
    for (auto& e : errors)
      if (e.describe().find(text) != std::string::npos) return true;
    return false;
  }
};

watch_options fast_watch() {
  watch_options o;
  o.namespace_name = "d";
  o.timeout_seconds = 0;
  o.stall_margin = 5000ms;
  o.backoff = {5ms, 50ms, 2.0, 0.5};
  return o;
}

client_options fast_client() {
  client_options o;
  o.request_timeout = 2000ms;
  o.retry_backoff = 1ms;
  o.max_retries = 0;
  return o;
}

// The resourceVersion sent by the n-th watch request (waits for it).
std::string watch_rv(const test_server& srv, std::size_t n) {
  srv.wait_until([&](const std::vector<recorded_request>& reqs) {
    std::size_t k = 0;
    for (auto& r : reqs)
      k += r.q("watch") == "true";
    return k > n;
  });
  auto w = srv.requests_where(true);
  return w.size() > n ? w[n].q("resourceVersion") : "<no request>";
}

connection_config cfg(const test_server& s) {
  connection_config c;
  c.server = s.url();
  return c;
}

/// A scripted server with a config-map watcher running against it; the
/// watcher thread is stopped and joined first when this goes out of scope.
struct running_watch {
  test_server srv;
  client cl;
  watcher w;
  sink s;
  std::jthread t;
  explicit running_watch(scripted& sc)
      : srv(sc.h()), cl(cfg(srv), fast_client()), w(cl, resources::config_maps, fast_watch()),
        t([this](std::stop_token st) { w.run(st, s.handlers()); }) {}
};

} // namespace

TEST(K8sWatch, ResumesFromLastResourceVersionAfterDrop) {
  scripted sc;
  sc.lists = {list_of("10", {item("a", "5"), item("b", "6")})};
  sc.watches = {[](const recorded_request&, connection& c) {
                  c.start_chunked();
                  c.chunk(event_line("ADDED", "c", "11") + event_line("MODIFIED", "a", "12"));
                  c.drop(); // no terminating chunk
                },
                idle_stream()};
  running_watch rw{sc};
  EXPECT_EQ(watch_rv(rw.srv, 0), "10");
  EXPECT_EQ(watch_rv(rw.srv, 1), "12"); // resumed, not replayed from scratch
  auto first = rw.srv.requests_where(true).at(0);
  EXPECT_EQ(first.q("allowWatchBookmarks"), "true");
  EXPECT_EQ(first.path, "/api/v1/namespaces/d/configmaps");
  EXPECT_EQ(rw.srv.requests_where(false).size(), 1u); // no relist
  EXPECT_TRUE(rw.s.has(event_type::added, "a"));
  EXPECT_TRUE(rw.s.has(event_type::added, "c"));
  EXPECT_TRUE(rw.s.has(event_type::modified, "a"));
  EXPECT_EQ(rw.w.cache().size(), 3u);
  EXPECT_FALSE(rw.s.errors.empty()); // the drop was reported
}

TEST(K8sWatch, BookmarkAdvancesResumePoint) {
  scripted sc;
  sc.lists = {list_of("10", {})};
  sc.watches = {[](const recorded_request&, connection& c) {
                  c.start_chunked();
                  c.chunk(bookmark("50"));
                  c.end_chunked(); // server-side timeout: clean end
                },
                idle_stream()};
  running_watch rw{sc};
  EXPECT_EQ(watch_rv(rw.srv, 1), "50");
  EXPECT_TRUE(rw.s.events.empty()); // bookmarks are not delivered
  EXPECT_TRUE(rw.s.errors.empty());
  EXPECT_EQ(rw.w.resource_version(), "50");
}

TEST(K8sWatch, Http410OnResumeRelistsAndDeletesVanished) {
  scripted sc;
  sc.lists = {list_of("10", {item("a", "5"), item("b", "6")}),
              list_of("30", {item("a", "5"), item("c", "25")})};
  sc.watches = {[](const recorded_request&, connection& c) { c.drop(); },
                [](const recorded_request&, connection& c) {
                  c.respond(410, R"({"kind":"Status","code":410,"reason":"Expired"})");
                },
                idle_stream()};
  running_watch rw{sc};
  EXPECT_EQ(watch_rv(rw.srv, 1), "10");
  EXPECT_EQ(watch_rv(rw.srv, 2), "30"); // after the relist
  EXPECT_TRUE(eventually([&] { return rw.s.has(event_type::deleted, "b"); }, 3s));
  EXPECT_TRUE(rw.s.has(event_type::added, "c"));
  EXPECT_EQ(rw.w.cache().keys(), (std::vector<std::string>{"d/a", "d/c"}));
  EXPECT_EQ(rw.w.stats().relists, 1);
  EXPECT_EQ(rw.s.synced, 2);
}

TEST(K8sWatch, ExpiredErrorEventRelists) {
  scripted sc;
  sc.lists = {list_of("10", {item("a", "5")}), list_of("40", {})};
  sc.watches = {[](const recorded_request&, connection& c) {
                  c.start_chunked();
                  c.chunk(R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1",)"
                          R"x("status":"Failure","message":"too old resource version: 10 (35)",)x"
                          R"("reason":"Expired","code":410}})"
                          "\n");
                  c.end_chunked();
                },
                idle_stream()};
  running_watch rw{sc};
  EXPECT_EQ(watch_rv(rw.srv, 1), "40");
  EXPECT_TRUE(rw.s.has(event_type::deleted, "a"));
}

TEST(K8sWatch, InvalidAndTruncatedJsonRecover) {
  scripted sc;
  sc.lists = {list_of("10", {})};
  sc.watches = {[](const recorded_request&, connection& c) {
                  c.start_chunked();
                  c.chunk(event_line("ADDED", "a", "11") + "{this is not json}\n");
                  c.end_chunked();
                },
                [](const recorded_request&, connection& c) {
                  c.start_chunked();
                  c.chunk(event_line("ADDED", "b", "12") + R"({"type":"ADDED","obj)");
                  c.end_chunked(); // ends inside an event
                },
                idle_stream()};
  running_watch rw{sc};
  EXPECT_EQ(watch_rv(rw.srv, 1), "11");
  EXPECT_EQ(watch_rv(rw.srv, 2), "12");
  EXPECT_TRUE(rw.s.error_with("invalid JSON in watch event"));
  EXPECT_TRUE(rw.s.error_with("truncated"));
  EXPECT_TRUE(rw.s.has(event_type::added, "b"));
}

TEST(K8sWatch, ServerErrorsBackOffAndRecover) {
  scripted sc;
  sc.lists = {[](const recorded_request&, connection& c) {
                c.respond(500, R"({"kind":"Status","code":500,"reason":"InternalError"})");
              },
              [](const recorded_request&, connection& c) { c.respond(200, "{truncated"); },
              list_of("10", {item("a", "1")})};
  sc.watches = {[](const recorded_request&, connection& c) {
                  c.respond(500, R"({"kind":"Status","code":500,"message":"boom"})");
                },
                idle_stream()};
  test_server srv(sc.h());
  client cl(cfg(srv), fast_client());
  auto o = fast_watch();
  o.random = [&] { return 0.0; };
  watcher w(cl, resources::config_maps, o);
  sink s;
  std::jthread t([&](std::stop_token st) { w.run(st, s.handlers()); });
  EXPECT_EQ(watch_rv(srv, 1), "10");
  EXPECT_TRUE(s.has(event_type::added, "a"));
  EXPECT_TRUE(s.error_with("HTTP 500"));
  EXPECT_TRUE(s.error_with("invalid JSON"));
  EXPECT_EQ(srv.requests_where(false).size(), 3u);
}

TEST(K8sWatch, HonoursRetryAfterOn429) {
  scripted sc;
  sc.lists = {list_of("10", {})};
  sc.watches = {[](const recorded_request&, connection& c) {
                  c.respond(429, R"({"kind":"Status","code":429})", {{"Retry-After", "7"}});
                },
                idle_stream()};
  test_server srv(sc.h());
  client cl(cfg(srv), fast_client());
  fake_clock clk;
  auto o = fast_watch();
  o.clock = clk.hooks();
  o.random = [] { return 0.0; };
  watcher w(cl, resources::config_maps, o);
  sink s;
  std::jthread t([&](std::stop_token st) { w.run(st, s.handlers()); });
  EXPECT_EQ(watch_rv(srv, 1), "10");
  auto sleeps = clk.sleeps();
  ASSERT_GE(sleeps.size(), 1u);
  EXPECT_EQ(sleeps[0], 7s);
}

TEST(K8sWatch, StalledStreamIsReopened) {
  scripted sc;
  sc.lists = {list_of("10", {})};
  sc.watches = {[](const recorded_request&, connection& c) {
                  c.start_chunked();
                  c.chunk(event_line("ADDED", "a", "11"));
                  c.wait(5000ms); // silence: no bytes, connection open
                },
                idle_stream()};
  test_server srv(sc.h());
  client cl(cfg(srv), fast_client());
  auto o = fast_watch();
  o.stall_margin = 300ms; // timeoutSeconds 0 + 300 ms
  watcher w(cl, resources::config_maps, o);
  sink s;
  auto start = std::chrono::steady_clock::now();
  std::jthread t([&](std::stop_token st) { w.run(st, s.handlers()); });
  EXPECT_EQ(watch_rv(srv, 1), "11");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_TRUE(s.error_with("stalled"));
}

TEST(K8sWatch, TenMegabyteEventAcrossChunks) {
  std::string big(10 << 20, 'x');
  scripted sc;
  sc.lists = {list_of("10", {})};
  sc.watches = {[&](const recorded_request&, connection& c) {
                  std::string line = R"({"type":"ADDED","object":{"metadata":{"name":"big",)"
                                     R"("namespace":"d","resourceVersion":"11"},"data":{"b":")" +
                                     big + "\"}}}\n";
                  c.start_chunked();
                  for (std::size_t i = 0; i < line.size(); i += 1 << 20)
                    c.chunk(std::string_view(line).substr(i, 1 << 20));
                  c.wait(5000ms);
                },
                idle_stream()};
  running_watch rw{sc};
  ASSERT_TRUE(eventually([&] { return rw.s.has(event_type::added, "big"); }, 3s));
  EXPECT_EQ(jsonpath::str(*rw.w.cache().find("d/big"), {"data", "b"}).size(), big.size());
}

TEST(K8sWatch, StopFromAnotherThreadIsPrompt) {
  scripted sc;
  sc.lists = {list_of("10", {})};
  sc.watches = {idle_stream()};
  running_watch rw{sc};
  watch_rv(rw.srv, 0);
  auto start = std::chrono::steady_clock::now();
  rw.t.request_stop();
  rw.t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  EXPECT_TRUE(rw.s.errors.empty());
}
