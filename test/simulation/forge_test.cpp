// The forge fault's frames, received by a real gossip transport on loopback
// and judged by the codec the gossip actor uses: every forged, unsigned and
// misaddressed frame is refused for the reason it was built for, and the only
// frames accepted are the harmless valid ones. And the /metrics parsing the
// trial uses to count refusals.
#include "simulation/forge.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "net/gossip/codec.hpp"
#include "net/gossip/transport.hpp"
#include "net/gossip/wire.hpp"

namespace {

namespace gs = kvip::net::gossip;
using namespace std::chrono_literals;

struct key_file {
  std::string path;
  key_file() {
    char tmpl[] = "/tmp/kvip-forge-key-XXXXXX";
    int fd = ::mkstemp(tmpl);
    path = tmpl;
    const std::string hex(64, 'a');
    if (fd >= 0) {
      (void)::write(fd, hex.data(), hex.size());
      ::fchmod(fd, 0600);
      ::close(fd);
    }
  }
  ~key_file() { std::remove(path.c_str()); }
};

TEST(SimForge, EveryForgedFrameIsRefusedForItsReason) {
  key_file kf;
  auto secret = std::string(32, '\xaa');
  gs::transport_config cfg;
  cfg.self = "node-a";
  cfg.bind_address = "127.0.0.1";
  cfg.port = 0;
  auto tx = gs::transport::open(cfg);
  ASSERT_TRUE(tx) << tx.err().describe();
  const std::string here = "127.0.0.1:" + std::to_string((*tx)->bound_port());

  kvip::sim::forge_plan plan;
  plan.names = {"node-a", "node-b", "node-c"};
  plan.addresses = {here, "127.0.0.1:1", "127.0.0.1:1"}; // b and c: nobody listens
  plan.owner = 1;
  plan.vip = *kvip::net::ip_address::parse("10.99.0.100");
  plan.key_file = kf.path;
  plan.duration = 120ms;
  plan.round = 50ms;
  auto sent = kvip::sim::send_forgeries(plan);
  ASSERT_TRUE(sent) << sent.err().describe();
  ASSERT_GE(sent->rounds, 1);

  gs::name_table names;
  for (auto& n : plan.names)
    names.add(n);
  gs::replay_guard guard;
  const auto key = gs::key_from_secret(secret);
  std::map<std::string, int> seen;
  int frames = 0;
  const int expected = sent->rounds * 18; // 2 x (7 forged) + 4 signed, to node-a
  for (auto until = std::chrono::steady_clock::now() + 5s;
       frames < expected && std::chrono::steady_clock::now() < until;) {
    for (auto& e : (*tx)->poll(20ms)) {
      if (e.what != gs::transport_event::kind::frame) continue;
      ++frames;
      auto got = gs::decode_frame(e.bytes, e.peer, key, guard, names);
      if (!got) {
        ++seen[std::string{gs::to_string(got.err().kind)}];
        continue;
      }
      ++seen["accepted"];
      EXPECT_EQ(got->msg.from, "node-a"); // only the receiver's own harmless ping
      EXPECT_TRUE(got->msg.updates.empty());
      EXPECT_TRUE(got->extras.claims.empty());
    }
  }
  const int r = sent->rounds;
  EXPECT_EQ(frames, expected);
  EXPECT_EQ(seen["bad_mac"], 8 * r);
  EXPECT_EQ(seen["truncated"], 6 * r);
  EXPECT_EQ(seen["wrong_sender"], r);
  EXPECT_EQ(seen["replayed"], r);
  EXPECT_EQ(seen["too_old"], r);
  EXPECT_EQ(seen["accepted"], r);
}

TEST(SimForge, CountsInboundRefusalsFromMetrics) {
  const std::string before = "# HELP kvip_gossip_frames_total x\n"
                             "kvip_gossip_frames_total{direction=\"in\",result=\"accepted\"} 10\n"
                             "kvip_gossip_frames_total{direction=\"in\",result=\"bad_mac\"} 2\n"
                             "kvip_gossip_frames_total{direction=\"out\",result=\"sent\"} 7\n";
  const std::string after = "kvip_gossip_frames_total{direction=\"in\",result=\"accepted\"} 50\n"
                            "kvip_gossip_frames_total{direction=\"in\",result=\"bad_mac\"} 12\n"
                            "kvip_gossip_frames_total{direction=\"in\",result=\"too_old\"} 3\n"
                            "kvip_gossip_frames_total{direction=\"out\",result=\"sent\"} 70\n";
  auto in = kvip::sim::inbound_frames(after);
  EXPECT_EQ(in.size(), 3u);
  EXPECT_EQ(in["bad_mac"], 12);
  auto refused = kvip::sim::refused_between({before, before}, {after, after});
  EXPECT_EQ(refused, (std::map<std::string, long>{{"bad_mac", 20}, {"too_old", 6}}));
  EXPECT_TRUE(kvip::sim::inbound_frames("garbage\n{}\n").empty());
}

} // namespace
