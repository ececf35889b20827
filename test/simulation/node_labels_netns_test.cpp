// enable_node_labeling on a real 3-node gossip lab (issue 10): the node that
// answers the control-plane VIP carries kube-vip.io/has-ip, the node that
// answers a Service's address carries service-provided.kube-vip.io/<svc>.<ns>;
// the label follows the address when its owner is killed, the killed node
// removes its stale label when it starts again, and the label goes when the
// Service is deleted. Node objects exist before kvip starts. One cluster
// serves every case; `ctest -R netns_node_labels` runs them.
#include "test/net/result_assert.hpp"
#include "test/simulation/service_lab_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using kvip::net::eventually;
using kvip::test::lab_service;
using kvip::test::service_lab;

const std::string has_ip = "kube-vip.io/has-ip";

service_lab* lab_ = nullptr;

class NetnsNodeLabels : public kvip::test::ServiceLabTest {
protected:
  static void SetUpTestSuite() {
    lab_ = new service_lab;
    lab_->error = kvip::test::build_service_lab(*lab_, kvip::sim::system_id::gossip,
                                                {{"enable_node_labeling", "true"}}, true);
  }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  service_lab& lab() override { return *lab_; }

  /// Node i's label `key` ("" when absent).
  std::string label(int i, const std::string& key) {
    std::string v;
    api().run([&](kvip::k8s::client& cl) {
      if (auto n = cl.get(kvip::k8s::resources::nodes, "", node_name(i)))
        v = kvip::k8s::jsonpath::str(*n, {"metadata", "labels", key});
    });
    return v;
  }

  /// Which nodes carry `key` with `value` ("" = any value).
  std::vector<int> carriers(const std::string& key, const std::string& value = {}) {
    std::vector<int> out;
    for (int i = 0; i < c().options().nodes; ++i)
      if (auto v = label(i, key); !v.empty() && (value.empty() || v == value)) out.push_back(i);
    return out;
  }

  /// Waits until exactly `want` carry `key`=`value`.
  bool carried_by(const std::string& key, const std::string& value, std::vector<int> want,
                  std::chrono::milliseconds budget = 10s) {
    return eventually([&] { return carriers(key) == want && carriers(key, value) == want; }, budget,
                      100ms);
  }
};

TEST_F(NetnsNodeLabels, ControlPlaneVipOwnerCarriesHasIp) {
  const auto& vip = c().options().vips.front();
  int o = owner(vip);
  ASSERT_GE(o, 0);
  EXPECT_TRUE(carried_by(has_ip, vip, {o})) << "carriers: " << carriers(has_ip).size();
}

// Last: it restarts a node.
TEST_F(NetnsNodeLabels, ServiceLabelFollowsItsAddressAndGoesWithTheService) {
  const std::string key = "service-provided.kube-vip.io/lab-nl-a.default";
  const std::string a = "10.99.0.160";
  ASSERT_NO_FATAL_FAILURE(create(lab_service("lab-nl-a", {a})));
  int o = owner(a);
  ASSERT_GE(o, 0);
  EXPECT_TRUE(carried_by(key, a, {o}));

  // The owner dies: the next owner is labelled; the dead node cannot clean up.
  ASSERT_TRUE(lab_->sys->signal(o, SIGKILL));
  int next = -1;
  ASSERT_TRUE(eventually(
      [&] {
        next = sole_owner(a);
        return next >= 0 && next != o;
      },
      5s));
  std::vector<int> both{std::min(o, next), std::max(o, next)};
  EXPECT_TRUE(carried_by(key, a, both));
  lab_->sys->wait_exit(o, 5s);

  // Started again, it removes its stale label at once (by prefix).
  ASSERT_TRUE(kvip::test::ok(lab_->sys->start(o)));
  EXPECT_EQ(lab_->sys->wait_all_ready(30s, nullptr), "");
  int now = owner(a);
  ASSERT_GE(now, 0);
  EXPECT_TRUE(carried_by(key, a, {now}, 15s));

  // The Service goes: so does its label.
  ASSERT_TRUE(api().remove("default", "lab-nl-a").ok());
  EXPECT_TRUE(carried_by(key, a, {}));
}

} // namespace
