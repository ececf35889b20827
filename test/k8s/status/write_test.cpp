// One blocking status write (k8s/status/write) against the embedded API
// server: status then annotation, each with the resourceVersion read, nothing
// written when the Service already says so, a concurrent writer between the
// read and the PUT (409: read again, the other writer's change survives), a
// writer that never stops, a Service that is gone or was recreated, API
// errors, and what `kubectl get svc` prints as EXTERNAL-IP afterwards.
#include <gtest/gtest.h>

#include "k8s/client.hpp"
#include "k8s/object_view.hpp"
#include "k8s/resource.hpp"
#include "k8s/status/write.hpp"
#include "simulation/apiserver.hpp"
#include "simulation/resources.hpp"
#include "simulation/table.hpp"

namespace kvip::k8s::status {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

struct StatusWrite : ::testing::Test {
  std::unique_ptr<sim::apiserver> api;
  std::shared_ptr<client> c;
  std::string uid;

  void SetUp() override {
    sim::apiserver_options o;
    o.listen = "127.0.0.1:0";
    api = std::make_unique<sim::apiserver>(o);
    ASSERT_TRUE(api->start().ok());
    connection_config cfg;
    cfg.server = api->url();
    client_options opts;
    opts.request_timeout = 2000ms;
    opts.retry_backoff = 10ms;
    opts.max_retries = 0;
    opts.qps = 0;
    c = std::make_shared<client>(cfg, opts);
    uid = create("web");
  }

  std::string create(const std::string& name) {
    json::object svc{{"metadata", {{"name", name}, {"namespace", "default"}}},
                     {"spec",
                      {{"type", "LoadBalancer"},
                       {"selector", {{"app", name}}},
                       {"ports", json::array{json::object{{"port", 80}, {"protocol", "TCP"}}}}}}};
    auto r = c->create(resources::services, "default", svc);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().describe());
    return r.ok() ? object_view{*r}.uid() : "";
  }

  wanted want(const std::string& host = "n1") const {
    return {"default", "web", uid, {"192.0.2.10", "2001:db8::10"}, {{"TCP", 80}}, host};
  }

  json::object read() {
    auto r = c->get(resources::services, "default", "web");
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : json::object{};
  }

  /// Another controller labels the Service (a write of its own).
  void other_writer(const std::string& value) {
    auto r = c->merge_patch(resources::services, "default", "web",
                            json::object{{"metadata", {{"labels", {{"other", value}}}}}});
    ASSERT_TRUE(r.ok());
  }
};

TEST_F(StatusWrite, WritesTheStatusThenTheAnnotationAndThenNothing) {
  auto before = api->objects().changes();
  auto rep = write(*c, want());
  EXPECT_EQ(rep.result, outcome::written);
  EXPECT_EQ(rep.reads, 1);
  EXPECT_EQ(rep.writes, 2);
  EXPECT_EQ(rep.conflicts, 0);
  EXPECT_EQ(rep.detail, "ingress 192.0.2.10, 2001:db8::10 (TCP/80); vipHost n1");
  EXPECT_EQ(api->objects().changes(), before + 2);
  auto svc = read();
  EXPECT_EQ(next_step(want(), svc).kind, step_kind::done);
  EXPECT_EQ(object_view{svc}.annotation(vip_host_annotation), "n1");

  auto again = write(*c, want());
  EXPECT_EQ(again.result, outcome::unchanged);
  EXPECT_EQ(again.writes, 0);
  EXPECT_EQ(again.detail, "already ingress 192.0.2.10, 2001:db8::10 (TCP/80), vipHost n1");
  EXPECT_EQ(api->objects().changes(), before + 2);

  // A new owner: only the annotation changes.
  auto moved = write(*c, want("n2"));
  EXPECT_EQ(moved.writes, 1);
  EXPECT_EQ(moved.detail, "vipHost n2");

  // What `kubectl get svc` prints (the server-side Table).
  auto* res = sim::find_resource("", "v1", "services");
  ASSERT_NE(res, nullptr);
  auto stored = api->objects().get(*res, "default", "web");
  ASSERT_TRUE(stored.obj);
  auto table = sim::make_table(*res, {&stored.obj->obj}, {}, sim::include_object::none, "v1",
                               std::chrono::system_clock::now());
  auto columns = table.at("columnDefinitions").as_array();
  auto cells = table.at("rows").as_array().at(0).as_object().at("cells").as_array();
  ASSERT_EQ(columns.at(3).as_object().at("name"), "External-IP");
  EXPECT_EQ(cells.at(3), "192.0.2.10,2001:db8::10");
}

TEST_F(StatusWrite, AConcurrentWriterBetweenReadAndPutIsReadAgainAndKept) {
  int reads = 0;
  write_options o;
  o.after_read = [&](const json::object&) {
    if (++reads == 1) other_writer("first"); // after our GET, before our PUT
  };
  auto rep = write(*c, want(), o);
  EXPECT_EQ(rep.result, outcome::written);
  EXPECT_EQ(rep.reads, 2);
  EXPECT_EQ(rep.conflicts, 1);
  EXPECT_EQ(rep.writes, 2);
  auto svc = read();
  EXPECT_EQ(next_step(want(), svc).kind, step_kind::done);
  EXPECT_EQ(object_view{svc}.label("other"), "first"); // not overwritten
}

TEST_F(StatusWrite, AWriterThatNeverStopsFailsTheWriteAfterMaxReads) {
  write_options o;
  o.max_reads = 3;
  int n = 0;
  o.after_read = [&](const json::object&) { other_writer(std::to_string(++n)); };
  auto rep = write(*c, want(), o);
  EXPECT_EQ(rep.result, outcome::failed);
  EXPECT_EQ(rep.reads, 3);
  EXPECT_EQ(rep.conflicts, 3);
  EXPECT_EQ(rep.detail, "conflicts after each of 3 reads");
}

TEST_F(StatusWrite, AGoneOrRecreatedServiceIsNotWritten) {
  auto missing = want();
  missing.name = "nope";
  auto rep = write(*c, missing);
  EXPECT_EQ(rep.result, outcome::gone);
  EXPECT_NE(rep.detail.find("reading the Service: not_found"), std::string::npos) << rep.detail;

  // Deleted between our read and our PUT.
  write_options o;
  o.after_read = [&](const json::object&) {
    (void)c->remove(resources::services, "default", "web");
  };
  EXPECT_EQ(write(*c, want(), o).result, outcome::gone);

  // Created again under the same name: the request for the old one is refused.
  auto old = want();
  uid = create("web");
  auto before = api->objects().changes();
  auto stale = write(*c, old);
  EXPECT_EQ(stale.result, outcome::recreated);
  EXPECT_EQ(stale.detail, "uid " + uid + " is not the requested " + old.uid);
  EXPECT_EQ(api->objects().changes(), before);
  EXPECT_EQ(write(*c, want()).result, outcome::written);
}

TEST_F(StatusWrite, ApiErrorsFailTheWriteWithTheirDescription) {
  api->faults().set_write_fault("services", 500, -1);
  auto rep = write(*c, want());
  EXPECT_EQ(rep.result, outcome::failed);
  EXPECT_EQ(rep.writes, 0);
  EXPECT_EQ(rep.detail.rfind("writing ingress 192.0.2.10, 2001:db8::10 (TCP/80): http", 0), 0u)
      << rep.detail;
  api->faults().reset();

  ASSERT_TRUE(api->set_outage(sim::outage_mode::unavailable).ok());
  rep = write(*c, want());
  EXPECT_EQ(rep.result, outcome::failed);
  EXPECT_EQ(rep.detail.rfind("reading the Service: ", 0), 0u) << rep.detail;
  ASSERT_TRUE(api->set_outage(sim::outage_mode::none).ok());
  EXPECT_EQ(write(*c, want()).result, outcome::written);
}

} // namespace
} // namespace kvip::k8s::status
