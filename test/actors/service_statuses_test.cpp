// What an owner tells the status writer (actors/service_statuses.hpp), both
// for the gossip actor and the Lease-mode service elector.
#define CAF_SUITE service_statuses
#include "test/actors/fixture.hpp"

#include "actors/service_statuses.hpp"

namespace {

using kvip::msg::service_ip;
using kvip::msg::service_ref;

service_ref ref(const std::string& name, std::vector<std::string> addresses = {}) {
  service_ref r;
  r.ns = "shop";
  r.name = name;
  r.uid = name + "-uid";
  r.ports = {{"TCP", 80}};
  r.addresses = std::move(addresses);
  return r;
}

service_ip ip(const std::string& address, std::vector<service_ref> services, bool any = true,
              std::vector<std::string> nodes = {}) {
  service_ip i;
  i.address = address;
  i.services = std::move(services);
  i.any_node = any;
  i.nodes = std::move(nodes);
  return i;
}

auto answers(std::set<std::string> held) {
  return [held](const std::string& a) { return held.count(a) > 0; };
}

} // namespace

CAF_TEST(the owner reports every Service on the address with all its addresses) {
  std::vector<service_ip> ips{ip("10.0.0.1", {ref("web", {"10.0.0.1", "fd00::1"}), ref("api")}),
                              ip("10.0.0.2", {ref("db")})};
  auto got = kvip::owner_statuses(ips, "10.0.0.1", "n2");
  CAF_REQUIRE_EQUAL(got.size(), 2u);
  CAF_CHECK_EQUAL(got[0].service, "web");
  CAF_CHECK(got[0].ingress_ips == (std::vector<std::string>{"10.0.0.1", "fd00::1"}));
  CAF_CHECK(got[1].ingress_ips == (std::vector<std::string>{"10.0.0.1"}));
  CAF_CHECK_EQUAL(got[1].vip_host, "n2");
  CAF_CHECK(kvip::owner_statuses(ips, "10.0.0.9", "n2").empty());
}

CAF_TEST(services that leave every announceable address are withdrawn by their owner only) {
  std::vector<service_ip> before{ip("10.0.0.1", {ref("web"), ref("api")}),
                                 ip("10.0.0.2", {ref("db")}), ip("10.0.0.3", {ref("moved")})};
  std::vector<service_ip> next{ip("10.0.0.1", {ref("web")}),           // api left
                               ip("10.0.0.2", {ref("db")}, false, {}), // nobody eligible
                               ip("10.0.0.4", {ref("moved")})};        // moved elsewhere
  auto got = kvip::withdrawn_statuses(before, next, answers({"10.0.0.1", "10.0.0.2", "10.0.0.3"}));
  CAF_REQUIRE_EQUAL(got.size(), 2u);
  CAF_CHECK_EQUAL(got[0].service, "api");
  CAF_CHECK_EQUAL(got[1].service, "db");
  for (const auto& s : got) {
    CAF_CHECK(s.ingress_ips.empty());
    CAF_CHECK(s.vip_host.empty());
  }
  // A node that did not answer for those addresses says nothing.
  CAF_CHECK(kvip::withdrawn_statuses(before, next, answers({"10.0.0.3"})).empty());
  // A Service on two addresses this node held is withdrawn once.
  std::vector<service_ip> dual{ip("10.0.0.1", {ref("web")}), ip("fd00::1", {ref("web")})};
  CAF_CHECK_EQUAL(kvip::withdrawn_statuses(dual, {}, answers({"10.0.0.1", "fd00::1"})).size(), 1u);
}
