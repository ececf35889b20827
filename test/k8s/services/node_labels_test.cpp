// The node labels of enable_node_labeling (k8s/services/node_labels): what a
// node owning VIPs and Services carries (IPv6 as hex, "_" joins, too-long
// names and values left out with a problem), the merge patch from a Node's
// current labels (only what differs, stale kvip labels removed by prefix,
// foreign labels untouched, nothing when it already matches), and the
// blocking write against the embedded API server.
#include <gtest/gtest.h>

#include "k8s/client.hpp"
#include "k8s/object_view.hpp"
#include "k8s/resource.hpp"
#include "k8s/services/node_labels.hpp"
#include "simulation/apiserver.hpp"

namespace kvip::k8s::services {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using labels = std::map<std::string, std::string>;

constexpr const char* sp = "service-provided.kube-vip.io/";

TEST(NodeLabels, LabelsForOwnership) {
  struct row {
    const char* what;
    node_ownership owned;
    labels want;
    std::size_t problems = 0;
  };
  const std::string long_name(60, 'a');
  const std::vector<row> rows = {
      {"nothing owned", {}, {}},
      {"control-plane VIP", {{"192.0.2.1"}, {}}, {{"kube-vip.io/has-ip", "192.0.2.1"}}},
      {"IPv6 control-plane VIP as 32 hex digits",
       {{"2001:db8::1"}, {}},
       {{"kube-vip.io/has-ip", "20010db8000000000000000000000001"}}},
      {"dual-stack control plane joined by _",
       {{"192.0.2.1", "2001:db8::1"}, {}},
       {{"kube-vip.io/has-ip", "192.0.2.1_20010db8000000000000000000000001"}}},
      {"two Services",
       {{}, {{"default", "web", {"192.0.2.10"}}, {"prod", "db", {"192.0.2.11", "2001:db8::b"}}}},
       {{std::string(sp) + "web.default", "192.0.2.10"},
        {std::string(sp) + "db.prod", "192.0.2.11_20010db800000000000000000000000b"}}},
      {"a Service with no address held is not labelled", {{}, {{"default", "web", {}}}}, {}},
      {"an address given twice appears once",
       {{}, {{"default", "web", {"192.0.2.10", "192.0.2.10"}}}},
       {{std::string(sp) + "web.default", "192.0.2.10"}}},
      {"not an IP: left out, a problem",
       {{"vip.example.com"}, {{"default", "web", {"x", "192.0.2.10"}}}},
       {{std::string(sp) + "web.default", "192.0.2.10"}},
       2},
      {"name part too long: left out, a problem",
       {{"192.0.2.1"}, {{"default", long_name, {"192.0.2.10"}}}},
       {{"kube-vip.io/has-ip", "192.0.2.1"}},
       1},
      {"value too long (two IPv6): left out, a problem",
       {{}, {{"default", "web", {"2001:db8::1", "2001:db8::2"}}}},
       {},
       1},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.what);
    auto got = labels_for(r.owned);
    EXPECT_EQ(got.labels, r.want);
    EXPECT_EQ(got.problems.size(), r.problems);
  }
}

json::object node_with(const labels& l) {
  json::object ls;
  for (const auto& [k, v] : l)
    ls[k] = v;
  json::object md;
  md["name"] = "n1";
  md["labels"] = std::move(ls);
  json::object out;
  out["metadata"] = std::move(md);
  return out;
}

json::value patch_of(const json::object& labels_part) {
  json::object md;
  md["labels"] = labels_part;
  json::object out;
  out["metadata"] = std::move(md);
  return out;
}

json::object one(const std::string& k, const std::string& v) {
  json::object o;
  o[k] = v;
  return o;
}

json::object removals(const std::vector<std::string>& keys) {
  json::object o;
  for (const auto& k : keys)
    o[k] = nullptr;
  return o;
}

TEST(NodeLabels, PatchFromCurrentLabels) {
  struct row {
    const char* what;
    labels desired;
    labels current;
    std::optional<json::object> want; ///< the labels object of the patch
  };
  const std::string web = std::string(sp) + "web.default";
  const std::string old = std::string(sp) + "old.default";
  const std::vector<row> rows = {
      {"nothing wanted, nothing there", {}, {{"kubernetes.io/hostname", "n1"}}, std::nullopt},
      {"already as wanted",
       {{"kube-vip.io/has-ip", "192.0.2.1"}},
       {{"kube-vip.io/has-ip", "192.0.2.1"}, {"kubernetes.io/hostname", "n1"}},
       std::nullopt},
      {"added", {{web, "192.0.2.10"}}, {}, one(web, "192.0.2.10")},
      {"changed value", {{web, "192.0.2.10"}}, {{web, "192.0.2.9"}}, one(web, "192.0.2.10")},
      {"stale kvip labels removed by prefix, others kept",
       {{web, "192.0.2.10"}},
       {{web, "192.0.2.10"},
        {old, "192.0.2.7"},
        {"kube-vip.io/has-ip", "192.0.2.1"},
        {"kube-vip.io/other", "x"},
        {"team", "a"}},
       removals({old, "kube-vip.io/has-ip"})},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.what);
    auto got = label_patch(r.desired, node_with(r.current));
    ASSERT_EQ(got.has_value(), r.want.has_value());
    if (!got) continue;
    EXPECT_EQ(json::value(*got), patch_of(*r.want));
  }
  // A Node without metadata.labels.
  json::object bare_node;
  bare_node["metadata"] = json::object{};
  auto bare = label_patch({{web, "192.0.2.10"}}, bare_node);
  ASSERT_TRUE(bare.has_value());
}

struct NodeLabelWrite : ::testing::Test {
  std::unique_ptr<sim::apiserver> api;
  std::shared_ptr<client> c;

  void SetUp() override {
    sim::apiserver_options o;
    o.listen = "127.0.0.1:0";
    api = std::make_unique<sim::apiserver>(o);
    ASSERT_TRUE(api->start().ok());
    connection_config cfg;
    cfg.server = api->url();
    client_options opts;
    opts.request_timeout = 2000ms;
    opts.max_retries = 0;
    opts.qps = 0;
    c = std::make_shared<client>(cfg, opts);
  }

  labels read() {
    auto r = c->get(resources::nodes, "", "n1");
    EXPECT_TRUE(r.ok());
    return r.ok() ? object_view{*r}.labels() : labels{};
  }
};

TEST_F(NodeLabelWrite, WritesRemovesAndLeavesOthers) {
  const std::string web = std::string(sp) + "web.default";
  const std::string stale = std::string(sp) + "gone.default";
  auto missing = write_node_labels(*c, "n1", {{web, "192.0.2.10"}});
  EXPECT_EQ(missing.result, label_outcome::failed); // no Node yet
  auto made = c->create(resources::nodes, "", node_with({{"team", "a"}, {stale, "192.0.2.7"}}));
  ASSERT_TRUE(made.ok()) << made.err().describe();

  auto first =
      write_node_labels(*c, "n1", {{web, "192.0.2.10"}, {"kube-vip.io/has-ip", "192.0.2.1"}});
  EXPECT_EQ(first.result, label_outcome::written) << first.detail;
  EXPECT_EQ(read(),
            (labels{{"team", "a"}, {web, "192.0.2.10"}, {"kube-vip.io/has-ip", "192.0.2.1"}}));

  auto again =
      write_node_labels(*c, "n1", {{web, "192.0.2.10"}, {"kube-vip.io/has-ip", "192.0.2.1"}});
  EXPECT_EQ(again.result, label_outcome::unchanged) << again.detail;

  auto none = write_node_labels(*c, "n1", {});
  EXPECT_EQ(none.result, label_outcome::written) << none.detail;
  EXPECT_EQ(read(), (labels{{"team", "a"}}));
}

} // namespace
} // namespace kvip::k8s::services
