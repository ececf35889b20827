#define CAF_SUITE arp_broadcaster
#include "test/actors/fixture.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <string>
#include <vector>

#include "actors/arp_broadcaster.hpp"
#include "actors/directory.hpp"
#include "messages/announce.hpp"
#include "messages/supervision.hpp"
#include "net/l2/frames.hpp"
#include "net/telemetry/metrics.hpp"
#include "test/actors/fake_l2_host.hpp"

using namespace std::chrono_literals;
using kvip::msg::vip_spec;

namespace {

const kvip::net::mac_address ours{0x02, 0, 0, 0, 0, 0x01};
const kvip::net::mac_address ours_eth1{0x02, 0, 0, 0, 0, 0x02};
const kvip::net::mac_address other{0x02, 0, 0, 0, 0, 0x99};
constexpr int eth0 = 2;
constexpr int eth1 = 3;

vip_spec vip(std::string address, std::string interface = "eth0", int len = 0) {
  vip_spec v;
  v.address = std::move(address);
  v.prefix_length = len;
  v.interface = std::move(interface);
  return v;
}

kvip::net::ip_address ip(const std::string& text) {
  return *kvip::net::ip_address::parse(text);
}

/// "request", "reply", "na" or "other".
std::string kind(const kvip::net::l2::frame& f) {
  auto p = kvip::net::l2::parse_frame(f);
  if (p.arp) return p.arp->op == 1 ? "request" : "reply";
  if (p.nd && p.nd->advertisement) return "na";
  return "other";
}

struct fixture : test_coordinator_fixture<> {
  kvip::net::telemetry::registry reg;
  std::shared_ptr<kvip::test::fake_l2_host> host = std::make_shared<kvip::test::fake_l2_host>();
  std::shared_ptr<std::vector<kvip::msg::vip_conflict>> reports =
      std::make_shared<std::vector<kvip::msg::vip_conflict>>();
  caf::actor sink;
  kvip::msg::announcer_actor arp;

  fixture() {
    host->add_link("eth0", eth0, ours);
    host->add_link("eth1", eth1, ours_eth1);
    auto out = reports;
    sink = sys.spawn([out](caf::event_based_actor*) -> caf::behavior {
      return {[out](const kvip::msg::vip_conflict& c) { out->push_back(c); }};
    });
    sched.run();
  }

  ~fixture() {
    // Stop the broadcaster while `reg` is alive: its refresh timer never ends,
    // and its exit touches the metrics.
    if (arp) caf::anon_send_exit(arp, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
    sched.run();
  }

  void start(kvip::arp_options opts = {}) {
    opts.node_name = "n1";
    auto siblings = std::make_shared<kvip::directory>();
    siblings->publish(kvip::sibling_role::k8s_events, sink.address());
    opts.siblings = siblings;
    opts.io_detached = false; // the I/O actor runs on the test coordinator too
    arp = kvip::spawn_arp_broadcaster(self.ptr(), std::move(opts), host, reg);
    sched.run();
  }

  kvip::msg::announce_result apply(std::vector<vip_spec> vips) {
    kvip::msg::announce_set m;
    m.vips = std::move(vips);
    auto h = self->request(arp, caf::infinite, m);
    sched.run();
    kvip::msg::announce_result out;
    bool got = false;
    h.receive(
        [&](kvip::msg::announce_result& r) {
          out = std::move(r);
          got = true;
        },
        [&](caf::error& e) { CAF_FAIL("announce_set failed: " << sys.render(e)); });
    CAF_CHECK(got);
    return out;
  }

  /// Moves virtual time on by `d` and runs whatever became due. A timer the
  /// actor arms while handling a due one starts from the new time, so long
  /// waits go in small steps (wait_long).
  void wait(caf::timespan d) {
    advance_time(d);
    sched.run();
  }

  /// Like wait, in 100 ms steps, so that every timer fires on time.
  void wait_long(caf::timespan d) {
    for (caf::timespan t{0}; t < d; t += 100ms)
      wait(std::min<caf::timespan>(100ms, d - t));
  }

  /// Frames sent for `vip` so far (by sender address or NA target).
  std::vector<std::string> frames_for(const std::string& vip_text) {
    std::vector<std::string> out;
    auto want = ip(vip_text);
    for (const auto& s : host->sent) {
      auto p = kvip::net::l2::parse_frame(s.bytes);
      if ((p.arp && p.arp->spa == want) || (p.nd && p.nd->target == want))
        out.push_back(kind(s.bytes));
    }
    return out;
  }

  double counter(const char* name, const std::string& vip_text) {
    return reg.counter_family(name, "", {"node", "vip"}).with({"n1", vip_text}).Value();
  }

  double active(const std::string& vip_text) {
    return reg.gauge_family("kvip_vip_active", "", {"node", "vip"}).with({"n1", vip_text}).Value();
  }

  /// Index of the first recorded call starting with `prefix` (size() if none).
  std::size_t first_call(const std::string& prefix) {
    std::size_t i = 0;
    while (i < host->calls.size() && host->calls[i].rfind(prefix, 0) != 0)
      ++i;
    return i;
  }

  void frame_arrives(int ifindex, const kvip::net::l2::frame& f) {
    kvip::msg::frame_seen m;
    m.ifindex = ifindex;
    m.bytes = f;
    caf::anon_send(caf::actor_cast<caf::actor>(arp), m);
    sched.run();
  }
};

using strings = std::vector<std::string>;

} // namespace

CAF_TEST_FIXTURE_SCOPE(arp_broadcaster_tests, fixture)

CAF_TEST(announce adds the address and sends the burst at 0 100 500 ms then every period) {
  start();
  auto r = apply({vip("10.0.0.100")});
  CAF_CHECK_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.active, strings{"10.0.0.100"});
  CAF_CHECK(host->has_address(eth0, "10.0.0.100/32"));
  // The address goes on before the first frame.
  CAF_CHECK_LESS(first_call("add 10.0.0.100/32 2"), first_call("send 2"));
  CAF_REQUIRE_EQUAL(host->sent.size(), 2u);
  CAF_CHECK_EQUAL(frames_for("10.0.0.100"), (strings{"request", "reply"}));
  auto first = kvip::net::l2::parse_frame(host->sent[0].bytes);
  CAF_CHECK_EQUAL(host->sent[0].ifindex, eth0);
  CAF_CHECK(first.arp->sha == ours);
  CAF_CHECK(first.arp->tpa == ip("10.0.0.100"));
  auto second = kvip::net::l2::parse_frame(host->sent[1].bytes);
  CAF_CHECK(second.arp->tha == ours); // reply form: tha = sha
  wait(99ms);
  CAF_CHECK_EQUAL(host->sent.size(), 2u);
  wait(1ms); // +100 ms
  CAF_CHECK_EQUAL(host->sent.size(), 4u);
  wait(399ms);
  CAF_CHECK_EQUAL(host->sent.size(), 4u);
  wait(1ms); // +500 ms
  CAF_CHECK_EQUAL(host->sent.size(), 6u);
  wait(2999ms);
  CAF_CHECK_EQUAL(host->sent.size(), 6u);
  wait(1ms); // +3500 ms: first refresh
  CAF_CHECK_EQUAL(host->sent.size(), 8u);
  wait(3000ms);
  CAF_CHECK_EQUAL(host->sent.size(), 10u);
  CAF_CHECK_EQUAL(frames_for("10.0.0.100"),
                  (strings{"request", "reply", "request", "reply", "request", "reply", "request",
                           "reply", "request", "reply"}));
  CAF_CHECK_EQUAL(counter("kvip_arp_announcements_total", "10.0.0.100"), 10.0);
  CAF_CHECK_EQUAL(active("10.0.0.100"), 1.0);
}

CAF_TEST(the refresh period and burst come from the options) {
  kvip::arp_options o;
  o.refresh = 1000ms;
  o.burst = {0ms, 50ms};
  start(o);
  apply({vip("10.0.0.100")});
  CAF_CHECK_EQUAL(host->sent.size(), 2u);
  wait(50ms);
  CAF_CHECK_EQUAL(host->sent.size(), 4u);
  wait(999ms);
  CAF_CHECK_EQUAL(host->sent.size(), 4u);
  wait(1ms);
  CAF_CHECK_EQUAL(host->sent.size(), 6u);
}

CAF_TEST(the same set again changes nothing) {
  start();
  apply({vip("10.0.0.100")});
  auto adds = host->count_calls("add");
  auto r = apply({vip("10.0.0.100")});
  CAF_CHECK_EQUAL(r.active, strings{"10.0.0.100"});
  CAF_CHECK_EQUAL(host->count_calls("add"), adds);
  CAF_CHECK_EQUAL(host->sent.size(), 2u); // no second burst
  wait(100ms);
  CAF_CHECK_EQUAL(host->sent.size(), 4u); // one schedule, not two
}

CAF_TEST(sets sent back to back are applied in order and each answered for itself) {
  start();
  kvip::msg::announce_set a, b;
  a.vips = {vip("10.0.0.100")};
  b.vips = {vip("10.0.0.101")};
  auto ha = self->request(arp, caf::infinite, a);
  auto hb = self->request(arp, caf::infinite, b);
  sched.run();
  strings first, second;
  ha.receive([&](kvip::msg::announce_result& r) { first = r.active; },
             [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  hb.receive([&](kvip::msg::announce_result& r) { second = r.active; },
             [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  CAF_CHECK_EQUAL(first, strings{"10.0.0.100"});
  CAF_CHECK_EQUAL(second, strings{"10.0.0.101"});
  CAF_CHECK(!host->has_address(eth0, "10.0.0.100/32"));
  CAF_CHECK(host->has_address(eth0, "10.0.0.101/32"));
  // .100 was added, announced once, then removed before .101 was added.
  CAF_CHECK_LESS(first_call("add 10.0.0.100/32"), first_call("remove 10.0.0.100/32"));
  CAF_CHECK_LESS(first_call("remove 10.0.0.100/32"), first_call("add 10.0.0.101/32"));
  auto before = frames_for("10.0.0.100").size();
  wait_long(1s);
  CAF_CHECK_EQUAL(frames_for("10.0.0.100").size(), before); // its timers are stale
  CAF_CHECK_EQUAL(active("10.0.0.100"), 0.0);
}

CAF_TEST(withdraw removes the address first and stops its frames) {
  start();
  apply({vip("10.0.0.100"), vip("10.0.0.101")});
  wait_long(600ms);
  host->calls.clear();
  auto r = apply({vip("10.0.0.101")});
  CAF_CHECK_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.active, strings{"10.0.0.101"});
  CAF_REQUIRE(!host->calls.empty());
  CAF_CHECK_EQUAL(host->calls.front(), "remove 10.0.0.100/32 2");
  CAF_CHECK(!host->has_address(eth0, "10.0.0.100/32"));
  CAF_CHECK(host->has_address(eth0, "10.0.0.101/32"));
  CAF_CHECK_EQUAL(active("10.0.0.100"), 0.0);
  auto before = frames_for("10.0.0.100").size();
  wait_long(10s);
  CAF_CHECK_EQUAL(frames_for("10.0.0.100").size(), before);
  CAF_CHECK_GREATER(frames_for("10.0.0.101").size(), 6u);
}

CAF_TEST(an empty set removes everything) {
  start();
  apply({vip("10.0.0.100"), vip("fd00::100", "eth1")});
  auto r = apply({});
  CAF_CHECK_EQUAL(r.error, "");
  CAF_CHECK(r.active.empty());
  CAF_CHECK(host->addrs.empty());
  auto sent = host->sent.size();
  wait(10s);
  CAF_CHECK_EQUAL(host->sent.size(), sent);
  CAF_CHECK_EQUAL(active("fd00::100"), 0.0);
}

CAF_TEST(a vip moving to another interface leaves the old one first) {
  start();
  apply({vip("10.0.0.100", "eth0")});
  host->calls.clear();
  auto r = apply({vip("10.0.0.100", "eth1")});
  CAF_CHECK_EQUAL(r.error, "");
  CAF_REQUIRE_GREATER_OR_EQUAL(host->calls.size(), 3u);
  CAF_CHECK_EQUAL(host->calls[0], "remove 10.0.0.100/32 2");
  CAF_CHECK_EQUAL(host->calls[1], "link eth1");
  CAF_CHECK_EQUAL(host->calls[2], "add 10.0.0.100/32 3");
  CAF_CHECK(host->has_address(eth1, "10.0.0.100/32"));
  CAF_CHECK(!host->has_address(eth0, "10.0.0.100/32"));
}

CAF_TEST(an address removed by someone else is put back on the next refresh and counted) {
  start();
  apply({vip("10.0.0.100")});
  wait_long(500ms); // burst done
  host->drop_address("10.0.0.100/32");
  wait(2999ms);
  CAF_CHECK(!host->has_address(eth0, "10.0.0.100/32"));
  CAF_CHECK_EQUAL(counter("kvip_vip_readded_total", "10.0.0.100"), 0.0);
  wait(1ms);
  CAF_CHECK(host->has_address(eth0, "10.0.0.100/32"));
  CAF_CHECK_EQUAL(counter("kvip_vip_readded_total", "10.0.0.100"), 1.0);
  wait(3000ms); // still there: not counted again
  CAF_CHECK_EQUAL(counter("kvip_vip_readded_total", "10.0.0.100"), 1.0);
}

CAF_TEST(a conflicting claim is counted and reported once per 10 s) {
  start();
  apply({vip("10.0.0.100")});
  // Through the listener the broadcaster started on eth0.
  CAF_CHECK_EQUAL(host->count_calls("listen 2"), 1u);
  auto claim =
      kvip::net::l2::build_garp(other, ip("10.0.0.100"), kvip::net::l2::garp_form::request);
  CAF_REQUIRE(host->deliver(eth0, claim));
  sched.run();
  CAF_CHECK_EQUAL(counter("kvip_arp_conflicts_total", "10.0.0.100"), 1.0);
  CAF_REQUIRE_EQUAL(reports->size(), 1u);
  CAF_CHECK_EQUAL(reports->at(0).vip, "10.0.0.100");
  CAF_CHECK_EQUAL(reports->at(0).other_mac, "02:00:00:00:00:99");
  CAF_CHECK_EQUAL(reports->at(0).interface, "eth0");
  wait(5s);
  frame_arrives(eth0, claim);
  CAF_CHECK_EQUAL(counter("kvip_arp_conflicts_total", "10.0.0.100"), 2.0);
  CAF_CHECK_EQUAL(reports->size(), 1u);
  wait(5s); // 10 s after the first report
  frame_arrives(eth0, claim);
  CAF_CHECK_EQUAL(counter("kvip_arp_conflicts_total", "10.0.0.100"), 3.0);
  CAF_CHECK_EQUAL(reports->size(), 2u);
}

CAF_TEST(our own frames other vips and other interfaces are not conflicts) {
  start();
  apply({vip("10.0.0.100")});
  using kvip::net::l2::garp_form;
  frame_arrives(eth0, kvip::net::l2::build_garp(ours, ip("10.0.0.100"), garp_form::reply));
  frame_arrives(eth0, kvip::net::l2::build_garp(other, ip("10.0.0.200"), garp_form::request));
  frame_arrives(eth1, kvip::net::l2::build_garp(other, ip("10.0.0.100"), garp_form::request));
  frame_arrives(eth0, kvip::net::l2::build_arp_request(other, ip("10.0.0.7"), ip("10.0.0.100")));
  frame_arrives(eth0, kvip::net::l2::frame(20, 0)); // garbage
  CAF_CHECK_EQUAL(counter("kvip_arp_conflicts_total", "10.0.0.100"), 0.0);
  CAF_CHECK(reports->empty());
}

CAF_TEST(a missing interface gives an error naming it and the broadcaster lives on) {
  start();
  auto r = apply({vip("10.0.0.100"), vip("10.0.0.101", "eth9")});
  CAF_CHECK_EQUAL(r.active, strings{"10.0.0.100"});
  CAF_CHECK_NOT_EQUAL(r.error.find("eth9"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(r.error.find("10.0.0.101"), std::string::npos);
  CAF_CHECK_EQUAL(r.error.find("10.0.0.100"), std::string::npos);
  auto bad = apply({vip("not-an-ip"), vip("10.0.0.100", "eth0", 40)});
  CAF_CHECK_NOT_EQUAL(bad.error.find("not-an-ip"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(bad.error.find("prefix length 40"), std::string::npos);
  CAF_CHECK(bad.active.empty());
  auto ok = apply({vip("10.0.0.100")});
  CAF_CHECK_EQUAL(ok.error, "");
  CAF_CHECK_EQUAL(ok.active, strings{"10.0.0.100"});
}

CAF_TEST(a vip whose interface appears later is applied on a retry) {
  start();
  auto r = apply({vip("10.0.0.101", "eth9")});
  CAF_CHECK(r.active.empty());
  host->add_link("eth9", 9, ours);
  wait(3000ms);
  CAF_CHECK(host->has_address(9, "10.0.0.101/32"));
  CAF_CHECK_EQUAL(frames_for("10.0.0.101").size(), 2u);
  CAF_CHECK_EQUAL(active("10.0.0.101"), 1.0);
}

CAF_TEST(send failures are logged and announcing resumes) {
  start();
  host->fail_send = true;
  auto r = apply({vip("10.0.0.100")});
  CAF_CHECK_EQUAL(r.active, strings{"10.0.0.100"});
  CAF_CHECK_EQUAL(counter("kvip_arp_announcements_total", "10.0.0.100"), 0.0);
  host->fail_send = false;
  wait(100ms);
  CAF_CHECK_EQUAL(counter("kvip_arp_announcements_total", "10.0.0.100"), 2.0);
}

CAF_TEST(shutdown removes what it added and replies) {
  start();
  apply({vip("10.0.0.100"), vip("fd00::100")});
  host->put_address(eth0, "10.0.0.5/24"); // the node's own address stays
  auto h = self->request(arp, caf::infinite, kvip::msg::shutdown_request{});
  sched.run();
  bool done = false;
  h.receive([&](kvip::msg::shutdown_done& d) { done = d.actor == "arp_broadcaster"; },
            [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  CAF_CHECK(done);
  CAF_CHECK(!host->has_address(eth0, "10.0.0.100/32"));
  CAF_CHECK(!host->has_address(eth0, "fd00::100/128"));
  CAF_CHECK(host->has_address(eth0, "10.0.0.5/24"));
  auto sent = host->sent.size();
  wait(10s);
  CAF_CHECK_EQUAL(host->sent.size(), sent);
  auto late = apply({vip("10.0.0.100")});
  CAF_CHECK_NOT_EQUAL(late.error.find("shutting down"), std::string::npos);
  CAF_CHECK(!host->has_address(eth0, "10.0.0.100/32"));
}

CAF_TEST(stale vips are removed from every interface at start) {
  host->put_address(eth0, "10.0.0.100/32");
  host->put_address(eth1, "10.0.0.100/24");
  host->put_address(eth0, "10.0.0.5/24");
  kvip::arp_options o;
  o.stale_vips = {"10.0.0.100"};
  start(o);
  CAF_CHECK(!host->has_address(eth0, "10.0.0.100/32"));
  CAF_CHECK(!host->has_address(eth1, "10.0.0.100/24"));
  CAF_CHECK(host->has_address(eth0, "10.0.0.5/24"));
  CAF_CHECK(host->sent.empty());
}

CAF_TEST(the record of held addresses is removed by the next incarnation) {
  auto record = "/tmp/kvip-arp-record-" + std::to_string(::getpid()) + ".list";
  std::remove(record.c_str());
  kvip::arp_options o;
  o.record_file = record;
  start(o);
  apply({vip("10.0.0.100"), vip("10.0.0.101")});
  auto lines = [&] {
    std::ifstream in{record};
    strings out;
    for (std::string l; std::getline(in, l);)
      out.push_back(l);
    return out;
  };
  CAF_CHECK_EQUAL(lines(), (strings{"10.0.0.100", "10.0.0.101"}));
  apply({vip("10.0.0.101")});
  CAF_CHECK_EQUAL(lines(), strings{"10.0.0.101"});
  // SIGKILL: no exit cleanup; the addresses stay, and so does the record.
  caf::anon_send_exit(arp, caf::exit_reason::kill);
  sched.run();
  host->put_address(eth0, "10.0.0.101/32");
  std::ofstream{record} << "10.0.0.101\n";
  start(o);
  CAF_CHECK(!host->has_address(eth0, "10.0.0.101/32"));
  CAF_CHECK(lines().empty());
  std::remove(record.c_str());
}

CAF_TEST(a restarted broadcaster converges on the next set) {
  start();
  apply({vip("10.0.0.100")});
  // A crash: the old incarnation removes what it held on its way out.
  caf::anon_send_exit(arp, caf::exit_reason::kill);
  sched.run();
  CAF_CHECK(!host->has_address(eth0, "10.0.0.100/32"));
  CAF_CHECK_EQUAL(host->deliver(eth0, kvip::net::l2::frame(20, 0)), false); // listener stopped
  host->put_address(eth0, "10.0.0.100/32"); // as if the exit cleanup had not run
  kvip::arp_options o;
  o.stale_vips = {"10.0.0.100"};
  start(o);
  CAF_CHECK(!host->has_address(eth0, "10.0.0.100/32"));
  auto r = apply({vip("10.0.0.100")});
  CAF_CHECK_EQUAL(r.active, strings{"10.0.0.100"});
  CAF_CHECK(host->has_address(eth0, "10.0.0.100/32"));
  CAF_CHECK_EQUAL(active("10.0.0.100"), 1.0);
}

CAF_TEST(ipv6 vips get unsolicited neighbour advertisements) {
  start();
  auto r = apply({vip("fd00::100")});
  CAF_CHECK_EQUAL(r.active, strings{"fd00::100"});
  CAF_CHECK(host->has_address(eth0, "fd00::100/128"));
  CAF_REQUIRE_EQUAL(host->sent.size(), 1u);
  auto p = kvip::net::l2::parse_frame(host->sent[0].bytes);
  CAF_REQUIRE(p.nd.has_value());
  CAF_CHECK(p.nd->advertisement);
  CAF_CHECK(p.nd->override_flag);
  CAF_CHECK(!p.nd->solicited);
  CAF_CHECK(p.nd->target == ip("fd00::100"));
  CAF_CHECK(p.nd->link_addr == ours);
  wait(100ms);
  wait(400ms);
  CAF_CHECK_EQUAL(frames_for("fd00::100"), (strings{"na", "na", "na"}));
  // Another MAC advertising our IPv6 VIP is a conflict.
  frame_arrives(eth0, kvip::net::l2::build_unsolicited_na(other, ip("fd00::100")));
  CAF_CHECK_EQUAL(counter("kvip_arp_conflicts_total", "fd00::100"), 1.0);
  CAF_CHECK_EQUAL(reports->size(), 1u);
}

CAF_TEST(dump describes the held vips) {
  start();
  apply({vip("10.0.0.100")});
  auto h = self->request(arp, caf::infinite, kvip::msg::dump_request{});
  sched.run();
  std::string text;
  h.receive([&](kvip::msg::dump_reply& d) { text = d.text; },
            [&](caf::error& e) { CAF_FAIL(sys.render(e)); });
  CAF_CHECK_NOT_EQUAL(text.find("10.0.0.100/32 on eth0"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(text.find("listening on ifindex 2"), std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
