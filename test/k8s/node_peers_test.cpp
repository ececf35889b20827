// Gossip peers from Node objects (k8s/node_peers): the address family
// preference, Nodes skipped with reasons (no InternalIP, bad address, this
// node), the watch table's added/removed/changed/none, and list_node_peers
// against the embedded API server.
#include <gtest/gtest.h>

#include "k8s/client.hpp"
#include "k8s/node_peers.hpp"
#include "k8s/resource.hpp"
#include "simulation/apiserver.hpp"

namespace kvip::k8s {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using kind = peer_change::kind;

/// A Node with `addresses` as (type, address) pairs.
json::object node_obj(const std::string& name,
                      const std::vector<std::pair<std::string, std::string>>& addresses) {
  json::array a;
  for (auto& [type, address] : addresses)
    a.push_back(json::object{{"type", type}, {"address", address}});
  return json::object{{"apiVersion", "v1"},
                      {"kind", "Node"},
                      {"metadata", {{"name", name}}},
                      {"status", {{"addresses", a}}}};
}

const auto dual = node_obj("dual", {{"Hostname", "dual"},
                                    {"InternalIP", "fd00:0:0::12"},
                                    {"ExternalIP", "203.0.113.9"},
                                    {"InternalIP", "10.0.0.12"}});

TEST(NodePeers, PrefersTheVipFamilyAndFallsBackToTheOther) {
  struct row {
    json::object node;
    ip_family prefer;
    std::string want; ///< address, or "" when skipped
    std::string reason;
  };
  std::vector<row> rows = {
      {dual, ip_family::v4, "10.0.0.12", ""},
      {dual, ip_family::v6, "fd00::12", ""}, // canonical text
      {node_obj("v6only", {{"InternalIP", "fd00::7"}}), ip_family::v4, "fd00::7", ""},
      {node_obj("v4only", {{"InternalIP", "10.0.0.7"}}), ip_family::v6, "10.0.0.7", ""},
      {node_obj("ext", {{"ExternalIP", "203.0.113.1"}, {"Hostname", "ext"}}), ip_family::v4, "",
       "no InternalIP in status.addresses"},
      {node_obj("none", {}), ip_family::v4, "", "no InternalIP in status.addresses"},
      {json::object{{"metadata", {{"name", "bare"}}}}, ip_family::v4, "",
       "no InternalIP in status.addresses"},
      {node_obj("bad", {{"InternalIP", "node-7.lan"}}), ip_family::v4, "",
       "InternalIP \"node-7.lan\" is not an IP address"},
      {node_obj("badthengood", {{"InternalIP", "x"}, {"InternalIP", "10.0.0.8"}}), ip_family::v4,
       "10.0.0.8", ""},
      {node_obj("me", {{"InternalIP", "10.0.0.1"}}), ip_family::v4, "", "this node"},
      {json::object{{"status", json::object{}}}, ip_family::v4, "", "Node without metadata.name"},
  };
  for (auto& r : rows) {
    auto got = read_node(r.node, "me", r.prefer);
    SCOPED_TRACE(json::serialize(r.node));
    if (r.want.empty()) {
      EXPECT_FALSE(got.peer.has_value());
      EXPECT_EQ(got.skip_reason, r.reason);
    } else {
      ASSERT_TRUE(got.peer.has_value()) << got.skip_reason;
      EXPECT_EQ(got.peer->address, r.want);
      EXPECT_EQ(got.peer->name, got.name);
    }
  }
}

TEST(NodePeers, ListIsSortedAndCountsSkippedNodes) {
  auto l = node_peers_from({node_obj("c", {{"InternalIP", "10.0.0.3"}}), dual,
                            node_obj("me", {{"InternalIP", "10.0.0.1"}}),
                            node_obj("a", {{"InternalIP", "10.0.0.2"}}), node_obj("x", {})},
                           "me", ip_family::v4);
  EXPECT_EQ(l.peers,
            (std::vector<node_peer>{{"a", "10.0.0.2"}, {"c", "10.0.0.3"}, {"dual", "10.0.0.12"}}));
  EXPECT_EQ(l.skipped, (std::map<std::string, std::string>{
                           {"me", "this node"}, {"x", "no InternalIP in status.addresses"}}));
}

watch_event ev(event_type t, json::object o) {
  return watch_event{t, std::move(o)};
}

TEST(NodePeerTable, WatchEventsBecomePeerChanges) {
  node_peer_table t{"me", ip_family::v4};
  struct step {
    watch_event e;
    kind what;
    std::string address, previous, reason;
  };
  auto a1 = node_obj("a", {{"InternalIP", "10.0.0.2"}});
  auto a2 = node_obj("a", {{"InternalIP", "10.0.0.22"}});
  auto a_none = node_obj("a", {{"Hostname", "a"}});
  std::vector<step> steps = {
      {ev(event_type::added, a1), kind::added, "10.0.0.2", "", ""},
      {ev(event_type::modified, a1), kind::none, "10.0.0.2", "", ""}, // heartbeat
      {ev(event_type::modified, a2), kind::changed, "10.0.0.22", "10.0.0.2", ""},
      {ev(event_type::modified, a_none), kind::removed, "", "10.0.0.22",
       "no InternalIP in status.addresses"},
      {ev(event_type::modified, a_none), kind::none, "", "", "no InternalIP in status.addresses"},
      {ev(event_type::modified, a1), kind::added, "10.0.0.2", "", ""},
      {ev(event_type::added, node_obj("me", {{"InternalIP", "10.0.0.1"}})), kind::none, "", "",
       "this node"},
      {ev(event_type::bookmark, json::object{}), kind::none, "", "", ""},
      {ev(event_type::deleted, a1), kind::removed, "", "10.0.0.2", "Node deleted"},
      {ev(event_type::deleted, a1), kind::none, "", "", "Node deleted"},
  };
  for (std::size_t i = 0; i < steps.size(); ++i) {
    auto& s = steps[i];
    auto ch = t.apply(s.e);
    SCOPED_TRACE("step " + std::to_string(i));
    EXPECT_EQ(to_string(ch.what), std::string{to_string(s.what)});
    EXPECT_EQ(ch.address, s.address);
    EXPECT_EQ(ch.previous, s.previous);
    EXPECT_EQ(ch.reason, s.reason);
  }
  EXPECT_TRUE(t.peers().empty());
  EXPECT_EQ(t.skipped(), (std::map<std::string, std::string>{{"me", "this node"}}));
}

TEST(NodePeerTable, PeersAreSortedAndSkippedNodesTracked) {
  node_peer_table t{"me", ip_family::v6};
  t.apply(ev(event_type::added, node_obj("b", {{"InternalIP", "fd00::b"}})));
  t.apply(ev(event_type::added, dual));
  t.apply(ev(event_type::added, node_obj("x", {})));
  EXPECT_EQ(t.peers(), (std::vector<node_peer>{{"b", "fd00::b"}, {"dual", "fd00::12"}}));
  EXPECT_EQ(t.skipped().size(), 1u);
  // A skipped Node that gains an InternalIP is a peer and no longer skipped.
  auto ch = t.apply(ev(event_type::modified, node_obj("x", {{"InternalIP", "fd00::c"}})));
  EXPECT_EQ(ch.what, kind::added);
  EXPECT_TRUE(t.skipped().empty());
}

TEST(NodePeers, ListedFromTheEmbeddedApiServer) {
  sim::apiserver_options o;
  o.listen = "127.0.0.1:0";
  sim::apiserver api{o};
  ASSERT_TRUE(api.start().ok());
  connection_config cfg;
  cfg.server = api.url();
  client_options co;
  co.qps = 0;
  co.request_timeout = 5000ms;
  client c{cfg, co};
  for (auto& n : {node_obj("cp1", {{"InternalIP", "10.0.0.1"}, {"InternalIP", "fd00::1"}}),
                  node_obj("cp2", {{"InternalIP", "10.0.0.2"}, {"InternalIP", "fd00::2"}}),
                  node_obj("cp3", {{"InternalIP", "fd00::3"}}), node_obj("edge", {})}) {
    auto r = c.create(resources::nodes, "", n);
    ASSERT_TRUE(r.ok()) << r.err().describe();
  }
  auto l = list_node_peers(c, "cp1", ip_family::v4);
  ASSERT_TRUE(l.ok()) << l.err().describe();
  EXPECT_EQ(l->peers, (std::vector<node_peer>{{"cp2", "10.0.0.2"}, {"cp3", "fd00::3"}}));
  EXPECT_EQ(l->skipped, (std::map<std::string, std::string>{
                            {"cp1", "this node"}, {"edge", "no InternalIP in status.addresses"}}));
  l = list_node_peers(c, "cp3", ip_family::v6);
  ASSERT_TRUE(l.ok()) << l.err().describe();
  EXPECT_EQ(l->peers, (std::vector<node_peer>{{"cp1", "fd00::1"}, {"cp2", "fd00::2"}}));
}

} // namespace
} // namespace kvip::k8s
