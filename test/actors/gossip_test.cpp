// Service IPs in the gossip actor (actors/gossip.cpp, issue 10): the service
// watcher's msg::service_ips adds them to what the nodes own, each with its
// allowed owners. Three real gossip actors on loopback (gossip_lab.hpp): a
// Service IP with externalTrafficPolicy Local is answered only by the node
// with the local endpoint, follows the endpoint to another node, is answered
// by nobody without one, and by exactly one node once any node may own it;
// the control-plane VIP stays where it is throughout.
#define CAF_SUITE gossip
#include "test/actors/gossip_lab.hpp"

#include <optional>
#include <string>
#include <vector>

#include "messages/services.hpp"

using namespace kvip::test::gossip_lab;

namespace {

constexpr const char* svc_ip = "10.99.1.10";
const std::vector<std::string> all{"n1", "n2", "n3"};

/// What the service watcher would send: one Service on svc_ip, owned by
/// any node (nullopt) or only by `nodes`.
msg::service_ips one_service(std::optional<std::vector<std::string>> nodes) {
  msg::service_ip ip;
  ip.address = svc_ip;
  ip.services = {{"default", "web", "uid-1", {{"TCP", 80}}}};
  ip.any_node = !nodes;
  if (nodes) ip.nodes = *nodes;
  msg::service_ips ips;
  ips.ips = {ip};
  return ips;
}

struct services_fixture : fixture {
  void send_all(const msg::service_ips& ips) {
    for (const auto& n : all)
      self->send(nodes.at(n), ips);
  }
  /// The nodes answering for `address` now.
  std::vector<std::string> owners(const std::string& address) {
    std::vector<std::string> out;
    for (const auto& n : all)
      if (answering(n, address)) out.push_back(n);
    return out;
  }
  bool only(const std::string& address, const std::string& node) {
    return owners(address) == std::vector<std::string>{node};
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(gossip_services_tests, services_fixture)

CAF_TEST(a local service ip follows its endpoint and never has two owners) {
  CAF_REQUIRE(port != 0);
  for (const auto& n : all)
    start(n);
  for (const auto& n : all)
    list(n, all);
  CAF_REQUIRE(eventually([&] { return owners(vip).size() == 1; }));
  const auto cp_owner = owners(vip).front();

  send_all(one_service(std::vector<std::string>{"n2"}));
  CAF_CHECK(eventually([&] { return only(svc_ip, "n2"); }));
  send_all(one_service(std::vector<std::string>{"n3"}));
  CAF_CHECK(eventually([&] { return only(svc_ip, "n3"); }));
  CAF_CHECK(kvip::net::always([&] { return owners(svc_ip).size() <= 1; }, 300ms));

  send_all(one_service(std::vector<std::string>{})); // no ready endpoint anywhere
  CAF_CHECK(eventually([&] { return owners(svc_ip).empty(); }));
  CAF_CHECK(kvip::net::always([&] { return owners(svc_ip).empty(); }, 300ms));

  send_all(one_service(std::nullopt)); // externalTrafficPolicy Cluster
  CAF_CHECK(eventually([&] { return owners(svc_ip).size() == 1; }));

  send_all(msg::service_ips{}); // the Service is gone
  CAF_CHECK(eventually([&] { return owners(svc_ip).empty(); }));
  CAF_CHECK(owners(vip) == std::vector<std::string>{cp_owner});
}

// The owner of a Service IP asks the status writer (here: the test, in the
// status_writer role) to record it in the Service's status.
CAF_TEST(the owner of a service ip reports it for the service status) {
  CAF_REQUIRE(port != 0);
  siblings = std::make_shared<kvip::directory>();
  siblings->publish(kvip::sibling_role::status_writer, self->address());
  for (const auto& n : all)
    start(n);
  for (const auto& n : all)
    list(n, all);
  send_all(one_service(std::vector<std::string>{"n2"}));
  auto expect_status_from = [&](const std::string& owner) {
    bool seen = false;
    kvip::net::eventually(
        [&] {
          self->receive(
              [&](msg::service_status& s) {
                seen = s.vip_host == owner && s.ns == "default" && s.service == "web" &&
                       s.uid == "uid-1" && s.ingress_ips == std::vector<std::string>{svc_ip} &&
                       s.ports == std::vector<msg::service_port>{{"TCP", 80}};
              },
              caf::after(std::chrono::milliseconds(50)) >> [] {});
          return seen;
        },
        10s);
    return seen;
  };
  CAF_CHECK(expect_status_from("n2"));
  send_all(one_service(std::vector<std::string>{"n3"}));
  CAF_CHECK(expect_status_from("n3"));
  // The Service leaves the set (no ready endpoint anywhere): its owner clears
  // the status and vipHost (kube-vip leaves them, W14), once.
  send_all(one_service(std::vector<std::string>{}));
  int clears = 0;
  kvip::net::eventually(
      [&] {
        self->receive(
            [&](msg::service_status& s) {
              if (s.service == "web" && s.uid == "uid-1" && s.ingress_ips.empty() &&
                  s.vip_host.empty())
                ++clears;
            },
            caf::after(std::chrono::milliseconds(50)) >> [] {});
        return clears > 0;
      },
      10s);
  CAF_CHECK_EQUAL(clears, 1);
  self->receive([&](msg::service_status&) { ++clears; },
                caf::after(std::chrono::milliseconds(300)) >> [] {});
  CAF_CHECK_EQUAL(clears, 1); // only the owner (n3) withdraws
}

CAF_TEST_FIXTURE_SCOPE_END()
