// Services of type LoadBalancer in kube-vip's Lease mode (issue 10,
// "Ownership and election": kvip_gossip=false, svc_enable=true) on a real
// 3-node lab: the Lease's holder answers the Service IPs (the kernel, with the
// address on eth0) and a TCP connect reaches it.
//   NetnsServicesLeaseGlobal       svc_election=false: one Lease, plndr-svcs-lock in
//                                  kube-system, for every Service; its holder killed,
//                                  another node takes it within the Lease timings.
//   NetnsServicesLeasePerService   svc_election=true: a Lease per Service,
//                                  kubevip-<service> in the Service's namespace, or
//                                  kube-vip.io/leaseName (shared by the Services naming it).
// One cluster per fixture (test/simulation/service_lab_fixture.hpp); `ctest -R
// netns_svc_lease` runs them.
#include <algorithm>
#include <csignal>

#include "test/net/result_assert.hpp"
#include "test/simulation/service_lab_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using kvip::net::eventually;
using kvip::test::lab_ip;
using kvip::test::lab_service;
using kvip::test::service_lab;

/// What the Lease fixtures share: the node answering an IP, among several.
class LeaseLabTest : public kvip::test::ServiceLabTest {
protected:
  /// True when node i's MAC is among those answering `a`'s newest complete request.
  bool answers(int i, const std::string& a) {
    auto e = sweep().entry(lab_ip(a));
    return e && std::any_of(e->current.begin(), e->current.end(),
                            [&](const auto& m) { return c().node_of(m) == i; });
  }

  /// `a` answered by node i alone, and the TCP connect reaches it.
  void expect_answered_by(int i, const std::string& a) {
    EXPECT_EQ(owner(a), i) << a;
    EXPECT_EQ(hello(a), node_name(i) + "\n") << a;
  }
};

service_lab* global_ = nullptr;

class NetnsServicesLeaseGlobal : public LeaseLabTest {
protected:
  static void SetUpTestSuite() {
    global_ = new service_lab;
    global_->error = kvip::test::build_service_lab(*global_, kvip::sim::system_id::lease, {});
  }
  static void TearDownTestSuite() {
    delete global_;
    global_ = nullptr;
  }
  service_lab& lab() override { return *global_; }
};

TEST_F(NetnsServicesLeaseGlobal, TheGlobalLeaseHolderAnswersEveryServiceIp) {
  ASSERT_NO_FATAL_FAILURE(create(lab_service("lab-lg-a", {"10.99.0.180"})));
  ASSERT_NO_FATAL_FAILURE(create(lab_service("lab-lg-b", {"10.99.0.181"})));
  int h = wait_lease_holder("kube-system", "plndr-svcs-lock");
  ASSERT_GE(h, 0) << "no node holds kube-system/plndr-svcs-lock";
  expect_answered_by(h, "10.99.0.180");
  expect_answered_by(h, "10.99.0.181");
  EXPECT_TRUE(eventually(
      [&] { return annotation("default", "lab-lg-b", "kube-vip.io/vipHost") == node_name(h); }, 5s,
      50ms));
}

// Last in its fixture: it restarts a node.
TEST_F(NetnsServicesLeaseGlobal, KilledHoldersServiceIpIsAnsweredByTheNextHolder) {
  ASSERT_NO_FATAL_FAILURE(create(lab_service("lab-lg-kill", {"10.99.0.182"})));
  int h = wait_lease_holder("kube-system", "plndr-svcs-lock");
  ASSERT_GE(h, 0);
  ASSERT_EQ(owner("10.99.0.182"), h);
  ASSERT_TRUE(lab().sys->signal(h, SIGKILL));
  // The Lease runs out lease_duration (5 s) after its last renewal; a candidate
  // retries every retry_period (1 s).
  const auto& o = c().options();
  auto budget = std::chrono::seconds{o.lease_duration_s + 2 * o.retry_period_s + 2};
  int next = -1;
  EXPECT_TRUE(eventually(
      [&] {
        auto holder = lease_holder("kube-system", "plndr-svcs-lock");
        next = holder ? node_index(*holder) : -1;
        return next >= 0 && next != h && answers(next, "10.99.0.182");
      },
      budget, 50ms))
      << "holder " << next;
  lab().sys->wait_exit(h, 5s);
  ASSERT_TRUE(kvip::test::ok(lab().sys->start(h)));
  EXPECT_EQ(lab().sys->wait_all_ready(30s, nullptr), "");
  // Until now the killed node's kernel still held the address (two MACs, as in
  // kube-vip). The restarted kvip removes what its predecessor recorded
  // holding: the next holder alone answers again.
  EXPECT_EQ(owner("10.99.0.182"), next) << "still answered by two nodes after the restart";
}

} // namespace

namespace {

service_lab* per_service_ = nullptr;
const std::string lease_ns = "lab-lease-ns";

class NetnsServicesLeasePerService : public LeaseLabTest {
protected:
  static void SetUpTestSuite() {
    per_service_ = new service_lab;
    per_service_->error = kvip::test::build_service_lab(*per_service_, kvip::sim::system_id::lease,
                                                        {{"svc_election", "true"}});
    if (per_service_->error.empty() && !per_service_->api->ensure_namespace(lease_ns))
      per_service_->error = "cannot create namespace " + lease_ns;
  }
  static void TearDownTestSuite() {
    delete per_service_;
    per_service_ = nullptr;
  }
  service_lab& lab() override { return *per_service_; }
};

TEST_F(NetnsServicesLeasePerService, EachServiceHasItsLeaseInItsNamespace) {
  ASSERT_NO_FATAL_FAILURE(create(lab_service("lab-ps-a", {"10.99.0.185"}, lease_ns)));
  int h = wait_lease_holder(lease_ns, "kubevip-lab-ps-a");
  ASSERT_GE(h, 0) << "no node holds " << lease_ns << "/kubevip-lab-ps-a";
  expect_answered_by(h, "10.99.0.185");
  EXPECT_FALSE(lease_holder("kube-system", "plndr-svcs-lock")) << "the global Lease exists";
}

// kube-vip.io/leaseName: the Lease has that name, and the Services naming it
// share its holder.
TEST_F(NetnsServicesLeasePerService, LeaseNameAnnotationNamesASharedLease) {
  auto b = lab_service("lab-ps-b", {"10.99.0.186"}, lease_ns);
  b.annotations["kube-vip.io/leaseName"] = "lab-shared-lease";
  auto c2 = lab_service("lab-ps-c", {"10.99.0.187"}, lease_ns);
  c2.annotations["kube-vip.io/leaseName"] = "lab-shared-lease";
  ASSERT_NO_FATAL_FAILURE(create(b));
  ASSERT_NO_FATAL_FAILURE(create(c2));
  int h = wait_lease_holder(lease_ns, "lab-shared-lease");
  ASSERT_GE(h, 0) << "no node holds " << lease_ns << "/lab-shared-lease";
  expect_answered_by(h, "10.99.0.186");
  expect_answered_by(h, "10.99.0.187");
  EXPECT_FALSE(lease_holder(lease_ns, "kubevip-lab-ps-b")) << "the default Lease exists too";
  EXPECT_FALSE(lease_holder(lease_ns, "kubevip-lab-ps-c")) << "the default Lease exists too";
}

// kube-vip.io/leaseName as "namespace/name": the Lease lives in that namespace.
TEST_F(NetnsServicesLeasePerService, LeaseNameWithANamespacePutsTheLeaseThere) {
  auto d = lab_service("lab-ps-d", {"10.99.0.188"}, lease_ns);
  d.annotations["kube-vip.io/leaseName"] = "kube-system/lab-ns-lease";
  ASSERT_NO_FATAL_FAILURE(create(d));
  int h = wait_lease_holder("kube-system", "lab-ns-lease");
  ASSERT_GE(h, 0) << "no node holds kube-system/lab-ns-lease";
  expect_answered_by(h, "10.99.0.188");
  EXPECT_FALSE(lease_holder(lease_ns, "lab-ns-lease")) << "a Lease in the Service's namespace";
}

// A Service on the control-plane VIP (10.99.0.100) is not elected on a Lease
// of its own (kube-vip: kubevip-<service>, which may pick another node than
// plndr-cp-lock, and both announce it): the control-plane Lease's holder
// alone answers it and writes its status.
TEST_F(NetnsServicesLeasePerService, AServiceOnTheControlPlaneVipFollowsTheControlPlaneLease) {
  ASSERT_NO_FATAL_FAILURE(create(lab_service("lab-ps-cp", {"10.99.0.100"})));
  int cp = wait_lease_holder("kube-system", "plndr-cp-lock");
  ASSERT_GE(cp, 0) << "no node holds kube-system/plndr-cp-lock";
  EXPECT_TRUE(eventually(
      [&] { return annotation("default", "lab-ps-cp", "kube-vip.io/vipHost") == node_name(cp); },
      10s, 50ms))
      << "vipHost of a Service on the control-plane VIP";
  sweep().mark();
  EXPECT_TRUE(kvip::net::always([&] { return owner("10.99.0.100") == cp; }, 2s))
      << "10.99.0.100 answered by another node than the control-plane Lease holder "
      << node_name(cp);
  EXPECT_FALSE(lease_holder("default", "kubevip-lab-ps-cp")) << "a Service Lease for it";
}

} // namespace
