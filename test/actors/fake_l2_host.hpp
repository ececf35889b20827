#pragma once
// A recording net::l2::host for actor tests: links and addresses live in
// memory, every call is appended to `calls`, sent frames to `sent`. Tests
// can make an address vanish ("removed by someone else"), make sends or adds
// fail, make calls slow (on_call), and push received frames through a started
// listener. Not thread-safe: the test coordinator runs everything on the
// test's thread; a test with a real scheduler reads it only after the
// announcer is gone.

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "net/l2/host.hpp"

namespace kvip::test {

class fake_l2_host final : public net::l2::host {
public:
  /// A frame the actor sent.
  struct sent_frame {
    int ifindex = 0;
    net::l2::frame bytes;
  };

  /// Adds an interface the fake knows about.
  void add_link(const std::string& name, int ifindex, const net::mac_address& mac) {
    net::netlink::link_info l;
    l.ifindex = ifindex;
    l.name = name;
    l.mac = mac;
    l.admin_up = l.oper_up = true;
    links_[name] = l;
  }

  /// Puts an address on an interface as if someone else had (not recorded).
  void put_address(int ifindex, const std::string& prefix) {
    net::netlink::addr_info a;
    a.ifindex = ifindex;
    a.prefix = *net::ip_prefix::parse(prefix);
    addrs.push_back(a);
  }

  /// Removes an address behind the actor's back (not recorded).
  void drop_address(const std::string& prefix) {
    auto p = *net::ip_prefix::parse(prefix);
    std::erase_if(addrs, [&](const net::netlink::addr_info& a) { return a.prefix == p; });
  }

  /// True if `prefix` is on `ifindex`.
  bool has_address(int ifindex, const std::string& prefix) const {
    auto p = *net::ip_prefix::parse(prefix);
    return std::any_of(addrs.begin(), addrs.end(), [&](const net::netlink::addr_info& a) {
      return a.ifindex == ifindex && a.prefix == p;
    });
  }

  /// Delivers a frame through the listener on `ifindex`; false if none runs.
  bool deliver(int ifindex, const net::l2::frame& f) {
    auto it = handlers_.find(ifindex);
    if (it == handlers_.end() || !*it->second) return false;
    (*it->second)(ifindex, f);
    return true;
  }

  /// Number of calls whose record starts with `prefix`.
  std::size_t count_calls(const std::string& prefix) const {
    return static_cast<std::size_t>(std::count_if(
        calls.begin(), calls.end(), [&](auto& c) { return c.rfind(prefix, 0) == 0; }));
  }

  // -- net::l2::host ------------------------------------------------------------

  net::result<net::netlink::link_info> link(const std::string& name) override {
    record("link " + name);
    auto it = links_.find(name);
    if (it == links_.end()) return net::make_error("no interface called " + name);
    return it->second;
  }

  net::result<std::vector<net::netlink::addr_info>> addresses(int ifindex) override {
    record("addresses " + std::to_string(ifindex));
    std::vector<net::netlink::addr_info> out;
    for (const auto& a : addrs)
      if (ifindex == 0 || a.ifindex == ifindex) out.push_back(a);
    return out;
  }

  net::result<void> add_vip(int ifindex, const net::ip_prefix& vip,
                            const net::netlink::vip_options&) override {
    record("add " + vip.to_string() + " " + std::to_string(ifindex));
    if (fail_add) return net::make_error("add " + vip.to_string() + ": injected failure");
    if (!has_address(ifindex, vip.to_string())) {
      net::netlink::addr_info a;
      a.ifindex = ifindex;
      a.prefix = vip;
      a.preferred_lifetime = 0;
      addrs.push_back(a);
    }
    return net::ok();
  }

  net::result<void> remove_address(int ifindex, const net::ip_prefix& a) override {
    record("remove " + a.to_string() + " " + std::to_string(ifindex));
    std::erase_if(addrs, [&](const net::netlink::addr_info& x) {
      return x.ifindex == ifindex && x.prefix == a;
    });
    return net::ok();
  }

  net::result<void> send(int ifindex, const net::l2::frame& f) override {
    record("send " + std::to_string(ifindex));
    if (fail_send)
      return net::make_error("send on ifindex " + std::to_string(ifindex) + ": injected failure");
    sent.push_back({ifindex, f});
    return net::ok();
  }

  net::result<std::unique_ptr<net::l2::listener>> listen(int ifindex,
                                                         net::l2::frame_handler on_frame) override {
    record("listen " + std::to_string(ifindex));
    if (fail_listen) return net::make_error("listen: injected failure");
    auto h = std::make_shared<net::l2::frame_handler>(std::move(on_frame));
    handlers_[ifindex] = h;
    return std::unique_ptr<net::l2::listener>{std::make_unique<listener>(h)};
  }

  std::vector<std::string> calls;
  std::vector<sent_frame> sent;
  std::vector<net::netlink::addr_info> addrs;
  bool fail_send = false;
  bool fail_add = false;
  bool fail_listen = false;
  /// Called with each call's record before it is made (e.g. to block, as a
  /// slow netlink call would). Runs on the caller's thread.
  std::function<void(const std::string&)> on_call;

private:
  void record(std::string call) {
    if (on_call) on_call(call);
    calls.push_back(std::move(call));
  }

  /// Clears its handler when destroyed, like a stopped receive thread.
  struct listener final : net::l2::listener {
    explicit listener(std::shared_ptr<net::l2::frame_handler> h) : h_(std::move(h)) {}
    ~listener() override { *h_ = nullptr; }
    std::shared_ptr<net::l2::frame_handler> h_;
  };

  std::map<std::string, net::netlink::link_info> links_;
  std::map<int, std::shared_ptr<net::l2::frame_handler>> handlers_;
};

} // namespace kvip::test
