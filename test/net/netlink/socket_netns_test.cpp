// net/netlink/socket against the real kernel (private network namespace).
#include "net/netlink/socket.hpp"

#include <linux/if_addr.h>

#include "test/support/netns_fixture.hpp"

namespace {

using kvip::net::ip_prefix;
using kvip::test::sh;
using kvip::test::sh_out;

/// "" for success, else the error's text.
std::string error_of(const kvip::net::result<void>& r) {
  return r ? "" : r.err().describe();
}

class NetnsNetlink : public kvip::test::veth_pair {
protected:
  void SetUp() override {
    veth_pair::SetUp();
    auto nl = kvip::net::netlink::socket::open();
    ASSERT_TRUE(nl) << nl.err().describe();
    nl_ = std::move(*nl);
    auto l = nl_->link_by_name("kva");
    ASSERT_TRUE(l) << l.err().describe();
    kva_ = *l;
  }
  std::unique_ptr<kvip::net::netlink::socket> nl_;
  kvip::net::netlink::link_info kva_;
};

TEST_F(NetnsNetlink, FindsLinksByNameIndexAndSubnet) {
  EXPECT_EQ(kvip::net::to_string(kva_.mac), "02:77:00:00:00:01");
  EXPECT_TRUE(kva_.admin_up);
  auto by_index = nl_->link_by_index(kva_.ifindex);
  ASSERT_TRUE(by_index);
  EXPECT_EQ(by_index->name, "kva");
  auto missing = nl_->link_by_name("nope0");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.err().message.find("nope0"), std::string::npos);
  auto chosen = nl_->link_for(*kvip::net::ip_address::parse("10.77.0.200"));
  ASSERT_TRUE(chosen && *chosen) << error_of(chosen ? kvip::net::ok() : chosen.err());
  EXPECT_TRUE((*chosen)->name == "kva" || (*chosen)->name == "kvb");
  auto none = nl_->link_for(*kvip::net::ip_address::parse("192.0.2.1"));
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST_F(NetnsNetlink, AddsVipsDeprecatedSoTheyAreNeverASourceAddress) {
  auto v4 = *ip_prefix::parse("10.77.0.100/32");
  auto v6 = *ip_prefix::parse("fd77::100/128");
  ASSERT_EQ(error_of(nl_->add_vip(kva_.ifindex, v4)), "");
  ASSERT_EQ(error_of(nl_->add_vip(kva_.ifindex, v6)), "");
  auto shown = sh_out("ip -o addr show dev kva");
  EXPECT_NE(shown.find("10.77.0.100/32"), std::string::npos) << shown;
  EXPECT_NE(shown.find("fd77::100/128"), std::string::npos) << shown;
  auto addrs = nl_->addresses(kva_.ifindex);
  ASSERT_TRUE(addrs) << addrs.err().describe();
  int found = 0;
  for (const auto& a : *addrs) {
    if (a.prefix == v4 || a.prefix == v6) {
      ++found;
      EXPECT_TRUE(a.deprecated()) << a.prefix.to_string();
      EXPECT_EQ(a.valid_lifetime, 0xffffffffU);
      if (a.prefix.address.is_v6()) {
        EXPECT_TRUE(a.flags & IFA_F_NODAD);
      }
    }
  }
  EXPECT_EQ(found, 2);
  // The kernel does not pick the VIP as the source towards its own subnet.
  auto route = sh_out("ip route get 10.77.0.2 from 0.0.0.0 2>&1; ip route get 10.77.0.9");
  EXPECT_EQ(route.find("src 10.77.0.100"), std::string::npos) << route;
  // Adding again refreshes, it is not an error.
  EXPECT_EQ(error_of(nl_->add_vip(kva_.ifindex, v4)), "");
}

TEST_F(NetnsNetlink, RemovesAddressesAndMissingOnesAreNotErrors) {
  auto v4 = *ip_prefix::parse("10.77.0.101/32");
  ASSERT_EQ(error_of(nl_->add_vip(kva_.ifindex, v4)), "");
  EXPECT_EQ(error_of(nl_->remove_address(kva_.ifindex, v4)), "");
  EXPECT_EQ(sh_out("ip -o addr show dev kva").find("10.77.0.101"), std::string::npos);
  EXPECT_EQ(error_of(nl_->remove_address(kva_.ifindex, v4)), "");
}

TEST_F(NetnsNetlink, ErrorsNameTheAddress) {
  auto err = error_of(nl_->add_vip(999999, *ip_prefix::parse("10.77.0.102/32")));
  EXPECT_NE(err.find("10.77.0.102/32"), std::string::npos) << err;
}

TEST_F(NetnsNetlink, HostScopeOnLo) {
  auto lo = nl_->link_by_name("lo");
  ASSERT_TRUE(lo) << lo.err().describe();
  auto vip = *ip_prefix::parse("10.77.9.1/32");
  ASSERT_EQ(error_of(nl_->add_vip(lo->ifindex, vip, {.host_scope = true})), "");
  auto shown = sh_out("ip -o addr show dev lo");
  EXPECT_NE(shown.find("10.77.9.1/32 scope host"), std::string::npos) << shown;
  EXPECT_EQ(error_of(nl_->remove_address(lo->ifindex, vip)), "");
}

} // namespace
