// Table tests for net/l2/vip_set: the announcer's desired-set diff, per-VIP
// states, announce_result contents, address repair and stale copies.
#include "net/l2/vip_set.hpp"

#include <gtest/gtest.h>

namespace {

using namespace kvip::net;
using namespace kvip::net::l2;

vip v(const std::string& address, const std::string& interface = "eth0") {
  return *check_vip(address, 0, interface);
}

netlink::link_info link(int ifindex, const std::string& name) {
  netlink::link_info l;
  l.ifindex = ifindex;
  l.name = name;
  return l;
}

/// "key:state" for every entry, in key order.
std::vector<std::string> states(const vip_set& s) {
  std::vector<std::string> out;
  for (const auto& [key, e] : s.entries())
    out.push_back(key + ":" + to_string(e.state));
  return out;
}

std::vector<std::string> keys(const std::vector<vip>& vs) {
  std::vector<std::string> out;
  for (const auto& x : vs)
    out.push_back(x.key);
  return out;
}

using strings = std::vector<std::string>;

TEST(VipSet, ChecksTheDesiredVips) {
  struct row {
    const char* address;
    int len;
    const char* iface;
    const char* key; // "" = error
    const char* error_has;
  };
  const row table[] = {
      {"10.0.0.100", 0, "eth0", "10.0.0.100/32%eth0", ""},
      {"10.0.0.100", 24, "eth0", "10.0.0.100/24%eth0", ""},
      {"fd00::100", 0, "eth1", "fd00::100/128%eth1", ""},
      {"not-an-ip", 0, "eth0", "", "not-an-ip"},
      {"10.0.0.100", 40, "eth0", "", "prefix length 40"},
      {"10.0.0.100", -1, "eth0", "", "prefix length -1"},
      {"10.0.0.100", 0, "", "", "no interface"},
  };
  for (const auto& r : table) {
    SCOPED_TRACE(std::string{r.address} + "/" + std::to_string(r.len) + "%" + r.iface);
    auto got = check_vip(r.address, r.len, r.iface);
    if (*r.key != 0) {
      ASSERT_TRUE(got) << got.err().describe();
      EXPECT_EQ(got->key, r.key);
      EXPECT_EQ(got->label, r.address);
    } else {
      ASSERT_FALSE(got);
      EXPECT_NE(got.err().message.find(r.error_has), std::string::npos) << got.err().message;
    }
  }
}

TEST(VipSet, DiffsDesiredSetsThroughTheirStates) {
  vip_set s;
  // A new set: everything is added, in key order, duplicates once.
  auto fx = s.desire({v("10.0.0.101"), v("10.0.0.100"), v("10.0.0.100")});
  EXPECT_TRUE(fx.remove.empty());
  EXPECT_EQ(keys(fx.add), (strings{"10.0.0.100/32%eth0", "10.0.0.101/32%eth0"}));
  EXPECT_EQ(states(s), (strings{"10.0.0.100/32%eth0:adding", "10.0.0.101/32%eth0:adding"}));
  ASSERT_NE(s.added("10.0.0.100/32%eth0", link(2, "eth0")), nullptr);
  EXPECT_EQ(s.added("10.0.0.101/32%eth0", make_error("eth0: injected")), nullptr);
  EXPECT_EQ(states(s), (strings{"10.0.0.100/32%eth0:held", "10.0.0.101/32%eth0:waiting"}));
  EXPECT_EQ(s.report({}).active, strings{"10.0.0.100"});

  // The same set again: the held one is kept, the waiting one tried again.
  fx = s.desire({v("10.0.0.100"), v("10.0.0.101")});
  EXPECT_TRUE(fx.remove.empty());
  EXPECT_EQ(keys(fx.add), strings{"10.0.0.101/32%eth0"});
  ASSERT_NE(s.added("10.0.0.101/32%eth0", link(2, "eth0")), nullptr);

  // Moving .100 to eth1: the old key is removed (first), the new one added.
  fx = s.desire({v("10.0.0.100", "eth1"), v("10.0.0.101")});
  EXPECT_EQ(fx.remove, strings{"10.0.0.100/32%eth0"});
  EXPECT_EQ(keys(fx.add), strings{"10.0.0.100/32%eth1"});
  EXPECT_EQ(states(s), (strings{"10.0.0.100/32%eth0:removing", "10.0.0.100/32%eth1:adding",
                                "10.0.0.101/32%eth0:held"}));
  s.removed("10.0.0.100/32%eth0", ok());
  s.added("10.0.0.100/32%eth1", link(3, "eth1"));
  EXPECT_EQ(states(s), (strings{"10.0.0.100/32%eth1:held", "10.0.0.101/32%eth0:held"}));

  // An empty set withdraws everything; a failed removal still forgets the VIP.
  fx = s.desire({});
  EXPECT_EQ(fx.remove, (strings{"10.0.0.100/32%eth1", "10.0.0.101/32%eth0"}));
  EXPECT_TRUE(fx.add.empty());
  s.removed("10.0.0.100/32%eth1", ok());
  s.removed("10.0.0.101/32%eth0", make_error("busy"));
  EXPECT_TRUE(s.entries().empty());
}

TEST(VipSet, TransitionTable) {
  // Each row: a VIP brought to `from`, then one event; the state after it,
  // and whether the event asked for an add or a remove.
  enum class ev { desired, not_desired, retry, stop, added_ok, added_failed, removed };
  struct row {
    const char* what;
    vip_state from;
    ev event;
    vip_state to;
    bool adds;
    bool removes;
  };
  const row table[] = {
      {"new", vip_state::gone, ev::desired, vip_state::adding, true, false},
      {"kept while adding", vip_state::adding, ev::desired, vip_state::adding, false, false},
      {"kept while held", vip_state::held, ev::desired, vip_state::held, false, false},
      {"waiting tried again", vip_state::waiting, ev::desired, vip_state::adding, true, false},
      {"re-desired while removing", vip_state::removing, ev::desired, vip_state::adding, true,
       false},
      {"held withdrawn", vip_state::held, ev::not_desired, vip_state::removing, false, true},
      {"adding withdrawn", vip_state::adding, ev::not_desired, vip_state::removing, false, true},
      {"waiting dropped", vip_state::waiting, ev::not_desired, vip_state::gone, false, false},
      {"removing stays", vip_state::removing, ev::not_desired, vip_state::removing, false, false},
      {"retry waiting", vip_state::waiting, ev::retry, vip_state::adding, true, false},
      {"retry leaves held", vip_state::held, ev::retry, vip_state::held, false, false},
      {"stop held", vip_state::held, ev::stop, vip_state::removing, false, true},
      {"stop waiting", vip_state::waiting, ev::stop, vip_state::gone, false, false},
      {"added", vip_state::adding, ev::added_ok, vip_state::held, false, false},
      {"add failed", vip_state::adding, ev::added_failed, vip_state::waiting, false, false},
      {"added while removing", vip_state::removing, ev::added_ok, vip_state::removing, false,
       false},
      {"removed", vip_state::removing, ev::removed, vip_state::gone, false, false},
      {"removed while re-adding", vip_state::adding, ev::removed, vip_state::adding, false, false},
  };
  const auto x = v("10.0.0.100");
  for (const auto& r : table) {
    SCOPED_TRACE(r.what);
    vip_set s;
    // Bring the VIP to `from`.
    if (r.from != vip_state::gone) s.desire({x});
    if (r.from == vip_state::held || r.from == vip_state::removing) s.added(x.key, link(2, "eth0"));
    if (r.from == vip_state::waiting) s.added(x.key, make_error("no eth0"));
    if (r.from == vip_state::removing) s.desire({});
    set_effects fx;
    switch (r.event) {
    case ev::desired:
      fx = s.desire({x});
      break;
    case ev::not_desired:
      fx = s.desire({});
      break;
    case ev::retry:
      fx = s.retry();
      break;
    case ev::stop:
      fx = s.stop();
      break;
    case ev::added_ok:
      s.added(x.key, link(2, "eth0"));
      break;
    case ev::added_failed:
      s.added(x.key, make_error("no eth0"));
      break;
    case ev::removed:
      s.removed(x.key, ok());
      break;
    }
    auto it = s.entries().find(x.key);
    auto now = it == s.entries().end() ? vip_state::gone : it->second.state;
    EXPECT_EQ(to_string(now), std::string{to_string(r.to)});
    EXPECT_EQ(!fx.add.empty(), r.adds);
    EXPECT_EQ(!fx.remove.empty(), r.removes);
  }
}

TEST(VipSet, GenerationsMakeOldTimersStale) {
  vip_set s;
  auto x = v("10.0.0.100");
  s.desire({x});
  const auto* e = s.added(x.key, link(2, "eth0"));
  ASSERT_NE(e, nullptr);
  auto first = e->generation;
  EXPECT_NE(s.current(x.key, first), nullptr);
  s.desire({});
  EXPECT_EQ(s.current(x.key, first), nullptr); // removing: its timer is stale
  s.removed(x.key, ok());
  s.desire({x});
  e = s.added(x.key, link(2, "eth0"));
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->generation, first);
  EXPECT_EQ(s.current(x.key, first), nullptr);
  EXPECT_NE(s.current(x.key, e->generation), nullptr);
  s.relinked(x.key, link(7, "eth0"));
  EXPECT_EQ(s.current(x.key, e->generation)->link.ifindex, 7);
}

TEST(VipSet, ReportListsHeldVipsAndJoinsErrors) {
  vip_set s;
  s.desire({v("10.0.0.100"), v("10.0.0.101", "eth9"), v("fd00::100")});
  s.added(v("10.0.0.100").key, link(2, "eth0"));
  s.added(v("10.0.0.101", "eth9").key, make_error("vip 10.0.0.101/32: interface eth9 not found"));
  s.added(v("fd00::100").key, link(2, "eth0"));
  struct row {
    strings errors;
    const char* error;
  };
  const row table[] = {
      {{}, ""},
      {{"a"}, "a"},
      {{"a", "b", "c"}, "a; b; c"},
  };
  for (const auto& r : table) {
    auto rep = s.report(r.errors);
    EXPECT_EQ(rep.active, (strings{"10.0.0.100", "fd00::100"}));
    EXPECT_EQ(rep.error, r.error);
  }
  EXPECT_EQ(s.count(vip_state::held), 2u);
  EXPECT_EQ(s.count(vip_state::waiting), 1u);
}

TEST(VipSet, RepairsAHeldAddress) {
  auto p = *ip_prefix::parse("10.0.0.100/32");
  auto addr = [](const char* prefix, std::uint32_t flags) {
    netlink::addr_info a;
    a.ifindex = 2;
    a.prefix = *ip_prefix::parse(prefix);
    a.flags = flags;
    return a;
  };
  struct row {
    const char* what;
    std::vector<netlink::addr_info> addrs;
    address_fix want;
  };
  const row table[] = {
      {"there", {addr("10.0.0.5/24", 0), addr("10.0.0.100/32", 0)}, address_fix::none},
      {"removed by someone", {addr("10.0.0.5/24", 0)}, address_fix::add},
      {"nothing at all", {}, address_fix::add},
      {"other length is not ours", {addr("10.0.0.100/24", 0)}, address_fix::add},
      {"DAD failed", {addr("10.0.0.100/32", 0x08)}, address_fix::replace},
      {"other flags are fine", {addr("10.0.0.100/32", 0x20)}, address_fix::none},
  };
  for (const auto& r : table) {
    SCOPED_TRACE(r.what);
    EXPECT_EQ(repair(r.addrs, p), r.want);
  }
}

TEST(VipSet, FindsStaleCopiesOnEveryInterface) {
  auto addr = [](int ifindex, const char* prefix) {
    netlink::addr_info a;
    a.ifindex = ifindex;
    a.prefix = *ip_prefix::parse(prefix);
    return a;
  };
  std::vector<netlink::addr_info> addrs{addr(2, "10.0.0.100/32"), addr(3, "10.0.0.100/24"),
                                        addr(2, "10.0.0.5/24"), addr(2, "fd00::100/128")};
  auto got = stale_copies(addrs, {*ip_address::parse("10.0.0.100")});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].ifindex, 2);
  EXPECT_EQ(got[1].ifindex, 3);
  EXPECT_TRUE(stale_copies(addrs, {}).empty());
}

TEST(VipSet, AnnouncementFramesPerFamily) {
  const mac_address mac{0x02, 0, 0, 0, 0, 0x01};
  auto v4 = announcement(mac, *ip_address::parse("10.0.0.100"));
  ASSERT_EQ(v4.size(), 2u);
  EXPECT_EQ(parse_frame(v4[0]).arp->op, 1); // request form first
  EXPECT_EQ(parse_frame(v4[1]).arp->op, 2); // then the reply form
  auto v6 = announcement(mac, *ip_address::parse("fd00::100"));
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_TRUE(parse_frame(v6[0]).nd->advertisement);
}

} // namespace
