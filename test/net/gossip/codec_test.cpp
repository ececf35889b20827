// The frame codec: membership datagrams plus ownership extras through the
// signed wire format and back, names mapped to ids and back, and every
// refusal (wrong sender, forged, replayed, unsigned, values that do not fit).
#include "net/gossip/codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <limits>

#include "test/net/result_assert.hpp"

namespace kvip::net::gossip {
namespace {

using bytes = std::vector<std::uint8_t>;
const cluster_key key = key_from_secret("codec test key");

name_table known(std::initializer_list<const char*> nodes) {
  name_table t;
  for (const char* n : nodes)
    t.add(n);
  return t;
}

message msg(message::kind k, std::uint64_t seq, std::string target = {}) {
  message m;
  m.what = k;
  m.from = "node-a";
  m.incarnation = 3;
  m.health = health_carrier | health_control_plane;
  m.seq = seq;
  m.target = std::move(target);
  return m;
}

frame_extras extras(std::uint64_t seq) {
  frame_extras x;
  x.seq = seq;
  x.timestamp_us = 1'000'000;
  x.echo_us = 999'000;
  x.digest = 0x1234'5678'9abc'def0ull;
  return x;
}

bytes sealed(const message& m, const frame_extras& x) {
  auto f = encode_frame(m, x, key);
  EXPECT_TRUE(kvip::test::ok(f));
  return f ? *f : bytes{};
}

struct round_trip_case {
  const char* name;
  message m;
  frame_extras x;
  std::uint64_t wire_seq; // what the replay guard sees
};

TEST(GossipCodec, RoundTrips) {
  message ping = msg(message::kind::ping, 101);
  ping.updates = {{"node-b", member_state::suspect, 7, 0},
                  {"node-c", member_state::dead, 2, health_carrier},
                  {"node-a", member_state::left, 3, 0}};
  frame_extras ping_x = extras(101);
  ping_x.claims = {{"10.0.0.100", "node-a", 4, false}, {"fd00::100", "node-b", 9, true}};
  message req = msg(message::kind::ping_req, 102, "node-c");
  req.updates = {{"node-b", member_state::alive, 1, health_carrier}};
  message ack = msg(message::kind::ack, 77, "node-a");
  frame_extras ack_x = extras(103);
  ack_x.claims = {{"10.0.0.100", "node-a", 4, true}, {"10.0.0.101", "", 0, false}};
  frame_extras no_seq = extras(0); // a ping's seq is its own
  const round_trip_case cases[] = {
      {"ping with updates, v4 and v6 claims", ping, ping_x, 101},
      {"ping, extras.seq left 0", msg(message::kind::ping, 104), no_seq, 104},
      {"ping-req", req, extras(102), 102},
      {"ack with answers (one naming no owner)", ack, ack_x, 103},
      {"ack without lists", msg(message::kind::ack, 5, "node-c"), extras(105), 105},
  };
  replay_guard guard;
  const name_table names = known({"node-a", "node-b", "node-c"});
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto got = decode_frame(sealed(c.m, c.x), "node-a", key, guard, names);
    ASSERT_TRUE(kvip::test::ok(got));
    EXPECT_EQ(got->msg.what, c.m.what);
    EXPECT_EQ(got->msg.from, c.m.from);
    EXPECT_EQ(got->msg.incarnation, c.m.incarnation);
    EXPECT_EQ(got->msg.health, c.m.health);
    EXPECT_EQ(got->msg.seq, c.m.seq);
    EXPECT_EQ(got->msg.target, c.m.target);
    EXPECT_EQ(got->msg.updates, c.m.updates);
    EXPECT_EQ(got->extras.seq, c.wire_seq);
    EXPECT_EQ(got->extras.timestamp_us, c.x.timestamp_us);
    EXPECT_EQ(got->extras.echo_us, c.x.echo_us);
    EXPECT_EQ(got->extras.digest, c.x.digest);
    EXPECT_EQ(got->extras.claims, c.x.claims);
    EXPECT_EQ(got->dropped_unknown, 0U);
  }
}

TEST(GossipCodec, UnknownIdsAreDroppedAndCounted) {
  message m = msg(message::kind::ack, 1, "stranger-1");
  m.updates = {{"node-b", member_state::alive, 1, 0},
               {"stranger-2", member_state::dead, 1, 0},
               {"node-a", member_state::alive, 3, health_carrier}};
  frame_extras x = extras(10);
  x.claims = {{"10.0.0.1", "stranger-3", 1, false}, {"10.0.0.2", "node-b", 1, false}};
  replay_guard guard;
  auto got = decode_frame(sealed(m, x), "node-a", key, guard, known({"node-b"}));
  ASSERT_TRUE(kvip::test::ok(got));
  EXPECT_EQ(got->dropped_unknown, 3U); // the ack's target, one update, one claim
  EXPECT_EQ(got->msg.target, "");
  ASSERT_EQ(got->msg.updates.size(), 2U); // the sender itself is known by its routing id
  EXPECT_EQ(got->msg.updates[0].node, "node-b");
  EXPECT_EQ(got->msg.updates[1].node, "node-a");
  ASSERT_EQ(got->extras.claims.size(), 1U);
  EXPECT_EQ(got->extras.claims[0].vip, "10.0.0.2");
}

struct refusal_case {
  const char* name;
  bytes frame;
  std::string routing_id;
  wire_fault want;
};

bytes resealed(const wire_message& w, const cluster_key& k = key) {
  auto f = encode(w, k);
  EXPECT_TRUE(kvip::test::ok(f));
  return f ? *f : bytes{};
}

TEST(GossipCodec, RefusesWithTheRightFault) {
  const bytes good = sealed(msg(message::kind::ping, 50), extras(50));
  bytes forged = good;
  forged[20] ^= 0x01;
  bytes stripped(good.begin(), good.end() - mac_bytes);
  bytes unsigned_frame = good;
  std::fill(unsigned_frame.end() - mac_bytes, unsigned_frame.end(), 0);
  // Wire version 1 (wire_test checks a whole version-1 frame).
  bytes version1 = good;
  version1[0] = 1;
  const std::vector<refusal_case> cases = {
      {"sender id is not the routing id's", good, "node-b", wire_fault::wrong_sender},
      {"forged", forged, "node-a", wire_fault::bad_mac},
      {"unsigned (MAC zeroed)", unsigned_frame, "node-a", wire_fault::bad_mac},
      {"unsigned (tag stripped)", stripped, "node-a", wire_fault::truncated},
      {"another cluster's key",
       *encode_frame(msg(message::kind::ping, 51), extras(51), key_from_secret("other")), "node-a",
       wire_fault::bad_mac},
      {"a version 1 frame", version1, "node-a", wire_fault::unknown_version},
      {"ping-req for an unknown node", sealed(msg(message::kind::ping_req, 52, "x"), extras(52)),
       "node-a", wire_fault::bad_field},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    replay_guard guard;
    auto got = decode_frame(c.frame, c.routing_id, key, guard, known({"node-a", "node-b"}));
    ASSERT_FALSE(got);
    EXPECT_EQ(to_string(got.err().kind), to_string(c.want)) << got.err().describe();
    EXPECT_EQ(guard.senders(), 0U) << "a refused frame moved the replay window";
  }
}

// The sender's own (alive, incarnation, health) is the header: no member
// update repeats it, and an update about the sender (a goodbye) stays one.
TEST(GossipCodec, SenderStateTravelsInTheHeaderOnly) {
  const bytes f = sealed(msg(message::kind::ping, 80), extras(80));
  EXPECT_EQ(f.size(), min_frame_bytes);
  auto w = decode(f, key);
  ASSERT_TRUE(kvip::test::ok(w));
  EXPECT_TRUE(w->members.empty());
  EXPECT_EQ(w->incarnation, 3U);
  EXPECT_EQ(w->health, health_carrier | health_control_plane);

  wire_message bye = *w; // signed by a key holder: health 0, left at its incarnation
  bye.seq = 81;
  bye.health = 0;
  bye.members = {{node_id_of("node-a"), 3, wire_member_state::left, health_carrier}};
  replay_guard guard;
  auto got = decode_frame(resealed(bye), "node-a", key, guard, known({"node-a"}));
  ASSERT_TRUE(kvip::test::ok(got));
  EXPECT_EQ(got->msg.health, 0U);
  EXPECT_EQ(got->msg.incarnation, 3U);
  EXPECT_EQ(got->msg.updates,
            (std::vector<update>{{"node-a", member_state::left, 3, health_carrier}}));
}

// What each frame costs (the gossip bandwidth is frames per second times these).
TEST(GossipCodec, FrameSizesSent) {
  struct row {
    const char* name;
    message::kind kind;
    std::size_t updates;
    std::size_t size;
  };
  const row rows[] = {
      {"empty ping", message::kind::ping, 0, 74},
      {"empty ack", message::kind::ack, 0, 82},
      {"empty ping-req", message::kind::ping_req, 0, 74},
      {"ping, 1 update", message::kind::ping, 1, 89},
      {"ping, 5 updates", message::kind::ping, 5, 149},
  };
  for (const auto& r : rows) {
    auto m = msg(r.kind, 9, "node-b");
    for (std::size_t u = 0; u < r.updates; ++u)
      m.updates.push_back({"node-b", member_state::alive, u + 1, health_carrier});
    const bytes f = sealed(m, extras(9));
    std::printf("gossip frame: %-16s %4zu bytes\n", r.name, f.size());
    EXPECT_EQ(f.size(), r.size) << r.name;
  }
}

TEST(GossipCodec, ReplayedFrameIsRefused) {
  replay_guard guard;
  const name_table names = known({"node-a"});
  const bytes f = sealed(msg(message::kind::ping, 70), extras(0));
  EXPECT_TRUE(kvip::test::ok(decode_frame(f, "node-a", key, guard, names)));
  auto again = decode_frame(f, "node-a", key, guard, names);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.err().kind, wire_fault::replayed);
  // Same seq, new content and a valid MAC: still a replay of that seq.
  auto other =
      decode_frame(sealed(msg(message::kind::ping, 70), extras(70)), "node-a", key, guard, names);
  EXPECT_TRUE(other.is(wire_fault::replayed));
}

// Values membership holds in wider types than the wire: refused, never cut.
TEST(GossipCodec, EncodeRefusesWhatDoesNotFit) {
  constexpr std::uint64_t too_big = std::uint64_t{std::numeric_limits<std::uint32_t>::max()} + 1;
  struct row {
    const char* name;
    message m;
    frame_extras x;
  };
  message inc = msg(message::kind::ping, 1);
  inc.incarnation = too_big;
  message upd_inc = msg(message::kind::ping, 1);
  upd_inc.updates = {{"node-b", member_state::alive, too_big, 0}};
  message health = msg(message::kind::ping, 1);
  health.health = 1U << 16U;
  message upd_health = msg(message::kind::ping, 1);
  upd_health.updates = {{"node-b", member_state::alive, 1, 1U << 20U}};
  frame_extras bad_vip = extras(1);
  bad_vip.claims = {{"not-an-ip", "node-a", 1, false}};
  message no_sender = msg(message::kind::ping, 1);
  no_sender.from.clear();
  const std::vector<row> rows = {
      {"own incarnation over 32 bits", inc, extras(1)},
      {"update incarnation over 32 bits", upd_inc, extras(1)},
      {"own health over 16 bits", health, extras(1)},
      {"update health over 16 bits", upd_health, extras(1)},
      {"claim that is not an IP", msg(message::kind::ping, 1), bad_vip},
      {"no sender", no_sender, extras(1)},
      {"ping whose seq differs from extras.seq", msg(message::kind::ping, 1), extras(2)},
      {"ping without a seq", msg(message::kind::ping, 0), extras(0)},
      {"ack without a frame seq", msg(message::kind::ack, 1), extras(0)},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto f = encode_frame(r.m, r.x, key);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.err().kind, wire_fault::bad_field) << f.err().describe();
  }
  message fits = msg(message::kind::ping, 1);
  fits.incarnation = std::numeric_limits<std::uint32_t>::max();
  fits.health = 0xffff;
  EXPECT_TRUE(kvip::test::ok(encode_frame(fits, extras(1), key)));
}

TEST(GossipCodec, OversizedWhenTooManyUpdates) {
  message m = msg(message::kind::ping, 1);
  for (int i = 0; i < 89; ++i) // 74 + 89 * 15 = 1409
    m.updates.push_back({"n" + std::to_string(i), member_state::alive, 0, 0});
  EXPECT_TRUE(encode_frame(m, extras(1), key).is(wire_fault::oversized));
  m.updates.pop_back();
  EXPECT_TRUE(kvip::test::ok(encode_frame(m, extras(1), key)));
}

std::vector<vip_claim> many_claims(std::size_t n) {
  std::vector<vip_claim> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back({i % 3 == 0 ? "fd00::" + std::to_string(i + 1)
                              : "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250),
                   "node-b", i + 1, i % 2 == 0});
  return out;
}

TEST(GossipCodec, FrameSizeIsWhatEncodingProduces) {
  for (auto k : {message::kind::ping, message::kind::ack, message::kind::ping_req})
    for (std::size_t updates : {0U, 1U, 5U})
      for (std::size_t claims : {0U, 1U, 7U, 30U}) {
        auto m = msg(k, 9, "node-b");
        for (std::size_t u = 0; u < updates; ++u)
          m.updates.push_back({"node-b", member_state::suspect, u + 1, 0});
        auto x = extras(9);
        x.claims = many_claims(claims);
        auto f = encode_frame(m, x, key);
        ASSERT_TRUE(kvip::test::ok(f));
        EXPECT_EQ(frame_size(m, x.claims), f->size()) << updates << " updates, " << claims;
      }
}

TEST(GossipCodec, FitFrameDropsUpdatesFirstThenClaimsUntilItFits) {
  auto m = msg(message::kind::ping, 9, "node-b");
  for (std::size_t u = 0; u < 40; ++u)
    m.updates.push_back({"node-b", member_state::alive, u + 1, 0});
  auto x = extras(9);
  x.claims = many_claims(60);
  ASSERT_GT(frame_size(m, x.claims), max_frame_bytes);
  auto dropped = fit_frame(m, x);
  EXPECT_TRUE(m.updates.empty());
  EXPECT_LT(x.claims.size(), 60U);
  EXPECT_EQ(dropped, 40 + (60 - x.claims.size()));
  EXPECT_LE(frame_size(m, x.claims), max_frame_bytes);
  // One more claim would not have fitted: it dropped no more than needed.
  auto more = x.claims;
  more.push_back(many_claims(60)[x.claims.size()]);
  EXPECT_GT(frame_size(m, more), max_frame_bytes);
  EXPECT_TRUE(kvip::test::ok(encode_frame(m, x, key)));
}

TEST(GossipCodec, FitFrameLeavesAFittingFrameAlone) {
  auto m = msg(message::kind::ack, 9, "node-b");
  m.updates.push_back({"node-b", member_state::alive, 1, 0});
  auto x = extras(9);
  x.claims = many_claims(3);
  EXPECT_EQ(fit_frame(m, x), 0U);
  EXPECT_EQ(m.updates.size(), 1U);
  EXPECT_EQ(x.claims.size(), 3U);
}

TEST(GossipCodec, ClaimsPerFrameSplitsAThousandClaimsIntoFramesWhoseAcksFit) {
  auto claims = many_claims(1000);
  std::size_t frames = 0, sent = 0;
  for (std::size_t i = 0, n = 0; i < claims.size(); i += n, ++frames) {
    n = claims_per_frame(claims, i);
    ASSERT_GT(n, 0U);
    std::vector<vip_claim> part(claims.begin() + static_cast<std::ptrdiff_t>(i),
                                claims.begin() + static_cast<std::ptrdiff_t>(i + n));
    auto ping = extras(9);
    ping.claims = part;
    EXPECT_TRUE(kvip::test::ok(encode_frame(msg(message::kind::ping, 9, "node-b"), ping, key)));
    EXPECT_LE(frame_size(msg(message::kind::ack, 9, "node-b"), part), max_frame_bytes);
    if (i + n < claims.size()) { // the next claim would have overflowed the ack
      part.push_back(claims[i + n]);
      EXPECT_GT(frame_size(msg(message::kind::ack, 9, "node-b"), part), max_frame_bytes);
    }
    sent += n;
  }
  EXPECT_EQ(sent, 1000U);
  EXPECT_LT(frames, 25U);
  EXPECT_EQ(claims_per_frame(claims, 1000), 0U);
}

} // namespace
} // namespace kvip::net::gossip
