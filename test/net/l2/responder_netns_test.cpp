// The userspace ARP/NDP responder against the real kernel (issue 9): the VIP
// on the node's lo with net/l2/lo_host's settings is accepted but never
// answered by the kernel; a responder thread (in a child process, so it can
// be killed and frozen) answers with the node's MAC; a killed or frozen one
// answers nothing, and a resumed one whose deadline passed stays silent.
//
// Topology: this process's private namespace is the node (veth end kvrn,
// 10.78.0.1/24, fd78::1/64); a named namespace is the client (kvrc,
// 10.78.0.2/24, fd78::2/64), probed from with sim::prober (our own ARP
// requests and neighbour solicitations over a packet socket).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "net/l2/lo_host.hpp"
#include "net/l2/responder_loop.hpp"
#include "net/netlink/socket.hpp"
#include "net/wait.hpp"
#include "simulation/prober.hpp"
#include "test/support/netns_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using namespace kvip::net;
using namespace kvip::net::l2;
using kvip::test::sh;
using kvip::test::sh_out;
namespace fs = std::filesystem;

const auto node_mac = *parse_mac("02:78:00:00:00:01");
const auto client_mac = *parse_mac("02:78:00:00:00:02");
const auto vip4 = *ip_address::parse("10.78.0.100");
const auto vip6 = *ip_address::parse("fd78::100");

class NetnsResponder : public ::testing::Test {
protected:
  void SetUp() override {
    client_ = "kvip-rsp-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++);
    dir_ = fs::temp_directory_path() / (client_ + "-run");
    ASSERT_EQ(sh("ip netns add " + client_), 0);
    ASSERT_EQ(sh("ip link add kvrn address 02:78:00:00:00:01 type veth peer name kvrc netns " +
                 client_ + " address 02:78:00:00:00:02"),
              0);
    // No DAD on the fresh links: until its link-local address is out of
    // DAD (~1 s) the node sends no neighbour solicitation of its own, and an
    // IPv6 reply from the VIP waits for one (a production interface has been
    // up for long).
    ASSERT_EQ(sh("sysctl -qw net.ipv6.conf.kvrn.accept_dad=0 && " +
                 in_client("sysctl -qw net.ipv6.conf.kvrc.accept_dad=0")),
              0);
    ASSERT_EQ(sh("ip link set kvrn up && ip addr add 10.78.0.1/24 dev kvrn && "
                 "ip addr add fd78::1/64 dev kvrn nodad"),
              0);
    ASSERT_EQ(sh(in_client("ip link set lo up") + " && " + in_client("ip link set kvrc up") +
                 " && " + in_client("ip addr add 10.78.0.2/24 dev kvrc") + " && " +
                 in_client("ip addr add fd78::2/64 dev kvrc nodad")),
              0);
    auto nl = netlink::socket::open();
    ASSERT_TRUE(nl) << nl.err().describe();
    auto link = (*nl)->link_by_name("kvrn");
    ASSERT_TRUE(link) << link.err().describe();
    ifindex_ = link->ifindex;
    lo_host_options o;
    o.restore_file = (dir_ / "responder.restore").string();
    auto h = lo_host::open(o);
    ASSERT_TRUE(h) << h.err().describe();
    host_ = std::move(*h);
  }

  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    if (host_) {
      auto r = host_->restore();
      EXPECT_TRUE(r) << r.err().describe();
    }
    sh("ip link del kvrn");
    sh("ip netns del " + client_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string in_client(const std::string& cmd) { return "ip netns exec " + client_ + " " + cmd; }

  /// Holds both VIPs on lo with the settings applied.
  void hold_on_lo() {
    auto p = host_->prepare("kvrn");
    ASSERT_TRUE(p) << p.err().describe();
    for (const auto& v : {vip4, vip6}) {
      auto r = host_->add(v);
      ASSERT_TRUE(r) << r.err().describe();
    }
  }

  /// Probes `vip` from the client every 20 ms.
  std::unique_ptr<kvip::sim::prober> probe(const ip_address& vip) {
    kvip::sim::probe_options o;
    o.netns = client_;
    o.ifname = "kvrc";
    o.vip = vip;
    o.src = *ip_address::parse(vip.is_v4() ? "10.78.0.2" : "fd78::2");
    o.src_mac = client_mac;
    o.interval = 20ms;
    auto p = kvip::sim::prober::start(o);
    EXPECT_TRUE(p) << p.err().describe();
    return p ? std::move(*p) : nullptr;
  }

  /// True when some probe since `t` was answered by exactly the node's MAC.
  static bool answered_by_node(const kvip::sim::prober& p, std::int64_t t) {
    for (const auto& s : p.samples_since(t))
      if (s.macs.size() == 1 && s.macs[0] == node_mac) return true;
    return false;
  }

  /// True when no probe since `t` was answered, and none by two MACs.
  static bool silent(const kvip::sim::prober& p, std::int64_t t) {
    for (const auto& s : p.samples_since(t))
      if (s.answered) return false;
    return true;
  }

  /// Probes for ~300 ms from now: true if nothing answered (and probes went out).
  static bool silent_for_a_while(const kvip::sim::prober& p) {
    auto t = p.now_us();
    bool quiet = always([&] { return silent(p, t); }, 300ms);
    EXPECT_GE(p.samples_since(t).size(), 5u) << "the prober did not probe";
    return quiet;
  }

  /// Forks a child answering both VIPs on kvrn until `deadline`; returns once
  /// its responder thread is listening.
  void start_responder_child(answer_table::time_point deadline) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    child_ = ::fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      ::close(fds[0]);
      auto table = std::make_shared<answer_table>();
      table->set(vip4, deadline);
      table->set(vip6, deadline);
      auto loop = responder_loop::start(ifindex_, node_mac, table);
      char ok = loop ? '1' : '0';
      (void)!::write(fds[1], &ok, 1);
      for (;;)
        ::pause();
    }
    ::close(fds[1]);
    char ok = 0;
    ASSERT_EQ(::read(fds[0], &ok, 1), 1);
    ::close(fds[0]);
    ASSERT_EQ(ok, '1') << "the child could not start its responder";
  }

  static inline int counter_ = 0;
  std::string client_;
  fs::path dir_;
  int ifindex_ = 0;
  std::unique_ptr<lo_host> host_;
  pid_t child_ = -1;
};

TEST_F(NetnsResponder, WithoutTheSettingsTheKernelAnswersArpForLo) {
  // Why lo_host sets arp_ignore: with Linux's defaults an address on lo is
  // answered on every interface.
  lo_host_options o;
  o.restore_file = (dir_ / "bare.restore").string();
  auto bare = lo_host::open(o);
  ASSERT_TRUE(bare);
  ASSERT_TRUE((*bare)->add(vip4));
  ASSERT_TRUE((*bare)->add(vip6));
  auto p4 = probe(vip4);
  auto p6 = probe(vip6);
  ASSERT_TRUE(p4 && p6);
  EXPECT_TRUE(eventually([&] { return answered_by_node(*p4, 0); }, 2s))
      << "expected the kernel to answer ARP for a lo address with arp_ignore=0";
  // IPv6: ndisc answers only for addresses on the receiving interface.
  EXPECT_TRUE(silent_for_a_while(*p6)) << "the kernel answered NDP for an address on lo";
  EXPECT_TRUE((*bare)->restore());
}

TEST_F(NetnsResponder, KernelIsSilentButAcceptsTraffic) {
  hold_on_lo();
  EXPECT_EQ(read_sysctl("/proc/sys/net/ipv4/conf/kvrn/arp_ignore").value_or("?"), "1");
  EXPECT_EQ(read_sysctl("/proc/sys/net/ipv4/conf/kvrn/arp_announce").value_or("?"), "2");
  EXPECT_EQ(read_sysctl("/proc/sys/net/ipv4/conf/all/arp_ignore").value_or("?"), "0");
  auto p4 = probe(vip4);
  auto p6 = probe(vip6);
  ASSERT_TRUE(p4 && p6);
  EXPECT_TRUE(silent_for_a_while(*p4)) << "the kernel answered ARP for the VIP on lo";
  EXPECT_TRUE(silent_for_a_while(*p6)) << "the kernel answered NDP for the VIP on lo";
  // Traffic to the VIP arriving on kvrn is accepted (static neighbour entries
  // stand in for the responder).
  ASSERT_EQ(sh(in_client("ip neigh replace 10.78.0.100 lladdr 02:78:00:00:00:01 dev kvrc")), 0);
  ASSERT_EQ(sh(in_client("ip neigh replace fd78::100 lladdr 02:78:00:00:00:01 dev kvrc")), 0);
  EXPECT_EQ(sh(in_client("busybox ping -c1 -W2 10.78.0.100")), 0);
  EXPECT_EQ(sh(in_client("busybox ping -c1 -W2 fd78::100")), 0);
  EXPECT_NE(sh_out("ip addr show dev lo").find("10.78.0.100/32"), std::string::npos);
  EXPECT_NE(sh_out("ip addr show dev lo").find("fd78::100/128"), std::string::npos);
}

TEST_F(NetnsResponder, RestorePutsTheSettingsBackAndRemovesTheAddresses) {
  ASSERT_TRUE(write_sysctl("/proc/sys/net/ipv4/conf/kvrn/arp_announce", "1"));
  hold_on_lo();
  ASSERT_TRUE(fs::exists(dir_ / "responder.restore"));
  {
    // A restarted kvip after a SIGKILL adopts the file and restores the
    // original values, not the ones its predecessor set.
    lo_host_options o;
    o.restore_file = (dir_ / "responder.restore").string();
    auto next = lo_host::open(o);
    ASSERT_TRUE(next);
    ASSERT_TRUE((*next)->prepare("kvrn"));
    auto r = (*next)->restore();
    EXPECT_TRUE(r) << r.err().describe();
  }
  EXPECT_EQ(read_sysctl("/proc/sys/net/ipv4/conf/kvrn/arp_ignore").value_or("?"), "0");
  EXPECT_EQ(read_sysctl("/proc/sys/net/ipv4/conf/kvrn/arp_announce").value_or("?"), "1");
  EXPECT_EQ(sh_out("ip addr show dev lo").find("10.78.0.100"), std::string::npos);
  EXPECT_EQ(sh_out("ip addr show dev lo").find("fd78::100"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "responder.restore"));
  host_.reset(); // already restored by its successor
}

TEST_F(NetnsResponder, TheResponderAnswersAndAKilledOneDoesNot) {
  hold_on_lo();
  start_responder_child(std::chrono::steady_clock::now() + 1h);
  auto p4 = probe(vip4);
  auto p6 = probe(vip6);
  ASSERT_TRUE(p4 && p6);
  EXPECT_TRUE(eventually([&] { return answered_by_node(*p4, 0); }, 2s));
  EXPECT_TRUE(eventually([&] { return answered_by_node(*p6, 0); }, 2s));
  for (const auto& s : p4->samples())
    EXPECT_LE(s.macs.size(), 1u) << "two MACs answered";
  // The reply taught the client's kernel nothing else: it can now reach the VIP.
  EXPECT_EQ(sh(in_client("busybox ping -c1 -W2 10.78.0.100")), 0);
  ASSERT_EQ(::kill(child_, SIGKILL), 0);
  ASSERT_EQ(::waitpid(child_, nullptr, 0), child_);
  child_ = -1;
  EXPECT_TRUE(silent_for_a_while(*p4)) << "answered after SIGKILL";
  EXPECT_TRUE(silent_for_a_while(*p6)) << "answered after SIGKILL";
}

TEST_F(NetnsResponder, AFrozenResponderIsSilentAndStaysSoPastItsDeadline) {
  hold_on_lo();
  auto deadline = std::chrono::steady_clock::now() + 1500ms;
  start_responder_child(deadline);
  auto p4 = probe(vip4);
  auto p6 = probe(vip6);
  ASSERT_TRUE(p4 && p6);
  ASSERT_TRUE(eventually([&] { return answered_by_node(*p4, 0); }, 1s));
  ASSERT_TRUE(eventually([&] { return answered_by_node(*p6, 0); }, 1s));
  ASSERT_EQ(::kill(child_, SIGSTOP), 0);
  EXPECT_TRUE(silent_for_a_while(*p4)) << "answered while stopped";
  EXPECT_TRUE(silent_for_a_while(*p6)) << "answered while stopped";
  // Past the deadline, resumed: the requests queued while it was stopped and
  // the new ones all find the deadline passed.
  ASSERT_TRUE(eventually([&] { return std::chrono::steady_clock::now() > deadline; }, 3s));
  ASSERT_EQ(::kill(child_, SIGCONT), 0);
  EXPECT_TRUE(silent_for_a_while(*p4)) << "answered after SIGCONT past the deadline";
  EXPECT_TRUE(silent_for_a_while(*p6)) << "answered after SIGCONT past the deadline";
}

} // namespace
