// The gossip wire format: round trips per message type, every refusal named,
// replay protection, the sizes that set gossip bandwidth, and a fuzz loop.
#include "net/gossip/wire.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "test/net/result_assert.hpp"

namespace kvip::net::gossip {
namespace {

using bytes = std::vector<std::uint8_t>;

const cluster_key key = key_from_secret("cluster-a secret");
const cluster_key other_key = key_from_secret("cluster-b secret");

ip_address ip(const char* text) {
  return *ip_address::parse(text);
}

wire_message base(msg_type t) {
  wire_message m;
  m.type = t;
  m.sender = node_id_of("node-1");
  m.incarnation = 7;
  m.seq = 1'764'550'000'000'000ull;
  m.timestamp_us = 123'456'789;
  m.echo_us = 987'654'321;
  m.digest = 0xfeed'beef'0123'4567ull;
  m.target = node_id_of("node-2");
  if (t == msg_type::ack) m.acked_seq = 99;
  return m;
}

std::vector<member_update> members(std::size_t n) {
  std::vector<member_update> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back({node_id_of("node-" + std::to_string(i)), static_cast<std::uint32_t>(i * 3),
                   static_cast<wire_member_state>(i % 4),
                   static_cast<std::uint16_t>(health::carrier | (i % 2 ? health::bgp : 0))});
  return out;
}

bytes sealed(const wire_message& m, const cluster_key& k = key) {
  auto f = encode(m, k);
  EXPECT_TRUE(kvip::test::ok(f));
  // A failed encode still yields a frame-sized buffer, so callers may edit it.
  return f ? *f : bytes(max_frame_bytes, 0);
}

struct round_trip_case {
  const char* name;
  wire_message m;
  std::size_t size;
};

TEST(GossipWire, RoundTripsEveryMessageType) {
  wire_message with_lists = base(msg_type::ping);
  with_lists.members = members(3);
  with_lists.claims = {{ip("10.0.0.10"), node_id_of("node-1"), 4},
                       {ip("fd00::10"), node_id_of("node-3"), ~0ull, true}};
  wire_message req_lists = base(msg_type::ping_req);
  req_lists.members = members(1);
  wire_message ack_lists = base(msg_type::ack);
  ack_lists.claims = {{ip("192.168.1.1"), 0, 0, true}, {ip("192.168.1.2"), 1, 2, false}};
  const round_trip_case cases[] = {
      {"empty ping", base(msg_type::ping), 88},
      {"empty ack", base(msg_type::ack), 96},
      {"empty ping-req", base(msg_type::ping_req), 88},
      {"ping, 3 members, v4+v6 claims", with_lists, 88 + 3 * 15 + 21 + 33},
      {"ping-req, 1 member", req_lists, 88 + 15},
      {"ack, 2 v4 claims (answering, not)", ack_lists, 96 + 2 * 21},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const bytes f = sealed(c.m);
    EXPECT_EQ(f.size(), c.size);
    EXPECT_EQ(encoded_size(c.m), c.size);
    auto back = decode(f, key);
    ASSERT_TRUE(kvip::test::ok(back));
    EXPECT_EQ(*back, c.m);
  }
}

TEST(GossipWire, SizesAndBandwidthPerProbe) {
  // The numbers the gossip knobs are chosen from: bytes per ping/ack with N
  // piggybacked membership updates, and the most that fit one frame.
  for (std::size_t n : {0u, 1u, 4u, 8u, 16u, 32u, 86u}) {
    wire_message ping = base(msg_type::ping);
    wire_message ack = base(msg_type::ack);
    ping.members = ack.members = members(n);
    std::printf("gossip wire: %2zu updates: ping %4zu bytes, ack %4zu bytes\n", n,
                sealed(ping).size(), sealed(ack).size());
    EXPECT_EQ(sealed(ping).size(), 88 + 15 * n);
    EXPECT_EQ(sealed(ack).size(), 96 + 15 * n);
  }
  wire_message full = base(msg_type::ping);
  full.members = members(87); // 88 + 87 * 15 = 1393, the most updates a ping carries
  EXPECT_EQ(sealed(full).size(), 1393u);
  wire_message full_ack = base(msg_type::ack);
  full_ack.members = members(86); // 96 + 86 * 15 = 1386
  EXPECT_EQ(sealed(full_ack).size(), 1386u);
  full_ack.members = members(87);
  EXPECT_TRUE(encode(full_ack, key).is(wire_fault::oversized));
  wire_message ping_claims = base(msg_type::ping);
  ping_claims.claims.assign(62, {ip("10.1.2.3"), 1, 1}); // 88 + 62 * 21 = 1390
  EXPECT_EQ(sealed(ping_claims).size(), 1390u);
}

TEST(GossipWire, EncodeRefusesOversizedLists) {
  wire_message m = base(msg_type::ping);
  m.members = members(88); // 88 + 88 * 15 = 1408
  auto f = encode(m, key);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.err().kind, wire_fault::oversized);
  EXPECT_NE(f.err().message.find("1408"), std::string::npos) << f.err().describe();

  m.members = members(256);
  EXPECT_TRUE(encode(m, key).is(wire_fault::oversized));

  m.members.clear();
  m.claims.assign(41, {ip("fd00::1"), 1, 1}); // 88 + 41 * 33 = 1441
  EXPECT_TRUE(encode(m, key).is(wire_fault::oversized));
}

TEST(GossipWire, EncodeRefusesUnknownType) {
  wire_message m = base(msg_type::ping);
  m.type = static_cast<msg_type>(9);
  EXPECT_TRUE(encode(m, key).is(wire_fault::unknown_type));
}

// Re-signs `f` after `edit` changed its signed part, so the parser (not the
// MAC) is what refuses it.
bytes resigned(bytes f, void (*edit)(bytes&)) {
  f.resize(f.size() - mac_bytes);
  edit(f);
  append_mac(f, key);
  return f;
}

struct refusal_case {
  const char* name;
  bytes frame;
  wire_fault want;
};

std::vector<refusal_case> refusal_cases() {
  wire_message lists = base(msg_type::ping);
  lists.members = members(2);
  lists.claims = {{ip("10.0.0.1"), 5, 6, true}};
  const bytes good = sealed(lists);
  bytes forged = good;
  forged[16] ^= 0x01; // the seq: same MAC, altered content
  bytes forged_echo = good;
  forged_echo[32] ^= 0x01; // echo_us: the fencing echo cannot be altered either
  bytes forged_answering = good;
  forged_answering[56 + 30] ^= 0x80; // the claim's answering bit
  bytes bad_tag = good;
  bad_tag[120] ^= 0x80; // inside the MAC (bytes 107..138 of this 139-byte frame)
  bytes unsigned_frame = good;
  unsigned_frame.resize(good.size() - mac_bytes);
  bytes version2 = good;
  version2[0] = 2;
  bytes huge(max_frame_bytes + 1, 0);
  huge[0] = wire_version;
  return {
      {"forged content", forged, wire_fault::bad_mac},
      {"forged MAC", bad_tag, wire_fault::bad_mac},
      {"forged echo", forged_echo, wire_fault::bad_mac},
      {"forged answering flag", forged_answering, wire_fault::bad_mac},
      {"signed with another key", sealed(lists, other_key), wire_fault::bad_mac},
      {"unsigned (MAC stripped)", unsigned_frame, wire_fault::bad_mac},
      {"truncated by one byte", bytes(good.begin(), good.end() - 1), wire_fault::bad_mac},
      {"truncated to the header", bytes(good.begin(), good.begin() + 46), wire_fault::truncated},
      {"empty", bytes{}, wire_fault::truncated},
      {"over 1400 bytes", huge, wire_fault::oversized},
      {"unknown version", version2, wire_fault::unknown_version},
      {"unknown type", resigned(good, [](bytes& b) { b[1] = 7; }), wire_fault::unknown_type},
      {"type zero", resigned(good, [](bytes& b) { b[1] = 0; }), wire_fault::unknown_type},
      {"member count past the end", resigned(good, [](bytes& b) { b[54] = 200; }),
       wire_fault::truncated},
      {"claim count past the end", resigned(good, [](bytes& b) { b[55] = 3; }),
       wire_fault::truncated},
      {"counts short of the bytes", resigned(good, [](bytes& b) { b[55] = 0; }),
       wire_fault::trailing_bytes},
      {"member state 9", resigned(good, [](bytes& b) { b[56 + 12] = 9; }), wire_fault::bad_field},
      {"claim family 5", resigned(good, [](bytes& b) { b[56 + 30] = 5; }), wire_fault::bad_field},
      {"claim family 5 answering", resigned(good, [](bytes& b) { b[56 + 30] = 0x85; }),
       wire_fault::bad_field},
      {"claim family byte with bit 0x40",
       resigned(good, [](bytes& b) { b[56 + 30] = 0x80 | 0x40 | 4; }), wire_fault::bad_field},
      {"claim family byte with bit 0x10", resigned(good, [](bytes& b) { b[56 + 30] = 0x10 | 4; }),
       wire_fault::bad_field},
      {"ack body cut short", resigned(sealed(base(msg_type::ack)), [](bytes& b) { b.resize(60); }),
       wire_fault::truncated},
  };
}

TEST(GossipWire, DecodeRefusesWithTheRightFault) {
  for (const auto& c : refusal_cases()) {
    SCOPED_TRACE(c.name);
    auto m = decode(c.frame, key);
    ASSERT_FALSE(m) << "accepted";
    EXPECT_EQ(to_string(m.err().kind), to_string(c.want)) << m.err().describe();
    EXPECT_FALSE(m.err().message.empty());
  }
}

TEST(GossipWire, ReplayedFrameIsRefused) {
  replay_guard guard;
  wire_message m = base(msg_type::ping);
  const bytes first = sealed(m);
  ASSERT_TRUE(kvip::test::ok(receive(first, key, guard)));
  auto again = receive(first, key, guard);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.err().kind, wire_fault::replayed) << again.err().describe();
  // A forged frame never reaches (or moves) the guard.
  m.seq += 1000;
  bytes forged = sealed(m, other_key);
  EXPECT_TRUE(receive(forged, key, guard).is(wire_fault::bad_mac));
  EXPECT_EQ(guard.senders(), 1u);
  m.seq = base(msg_type::ping).seq + 1;
  EXPECT_TRUE(kvip::test::ok(receive(sealed(m), key, guard)));
  // The window did not move for the forged seq + 1000: this one still passes.
  m.seq = base(msg_type::ping).seq + 2;
  EXPECT_TRUE(kvip::test::ok(receive(sealed(m), key, guard)));
}

TEST(GossipWire, UnauthenticatedFramesCreateNoSenderState) {
  replay_guard guard;
  std::mt19937 rng(7);
  for (int i = 0; i < 1000; ++i) {
    wire_message m = base(msg_type::ping);
    m.sender = rng();
    EXPECT_TRUE(receive(sealed(m, other_key), key, guard).is(wire_fault::bad_mac));
  }
  EXPECT_EQ(guard.senders(), 0u);
}

struct guard_step {
  node_id sender;
  std::uint64_t seq;
  bool accepted;
  wire_fault fault; // when refused
};

TEST(GossipWire, ReplayGuardWindow) {
  const guard_step steps[] = {
      {1, 1000, true, {}},
      {1, 1000, false, wire_fault::replayed},
      {1, 1002, true, {}},
      {1, 1001, true, {}}, // reordered within the window: once
      {1, 1001, false, wire_fault::replayed},
      {2, 5, true, {}}, // senders are independent
      {2, 1000, true, {}},
      {1, 1002 + 63, true, {}},
      {1, 1002, false, wire_fault::replayed}, // 63 back: still in the window
      {1, 1001, false, wire_fault::too_old},  // 64 back: past it
      {1, 0, false, wire_fault::too_old},
      {1, 1'000'000, true, {}}, // a big jump clears the window
      {1, 1'000'000 - 1, true, {}},
      {1, 1'000'000 - 64, false, wire_fault::too_old},
      {2, 999, true, {}},                   // within sender 2's window, not seen
      {2, 936, false, wire_fault::too_old}, // 1000 - 936 = 64: just past the window
  };
  replay_guard guard;
  std::size_t i = 0;
  for (const auto& s : steps) {
    SCOPED_TRACE("step " + std::to_string(i++));
    auto r = guard.accept(s.sender, s.seq);
    ASSERT_EQ(r.ok(), s.accepted) << (r ? "" : r.err().describe());
    if (!s.accepted) {
      EXPECT_EQ(r.err().kind, s.fault) << r.err().describe();
    }
  }
  EXPECT_EQ(guard.senders(), 2u);
  guard.forget(2);
  EXPECT_EQ(guard.senders(), 1u);
}

TEST(GossipWire, NodeIdsAndKeysAreStable) {
  EXPECT_EQ(node_id_of("node-1"), node_id_of("node-1"));
  EXPECT_NE(node_id_of("node-1"), node_id_of("node-2"));
  EXPECT_EQ(key_from_secret("s").bytes, key_from_secret("s").bytes);
  EXPECT_NE(key_from_secret("s").bytes, key_from_secret("t").bytes);
  // SHA-256("abc") begins ba7816bf 8f01cfea.
  EXPECT_EQ(node_id_of("abc"), 0xba7816bf8f01cfeaull);
}

// Mutates a frame the way a noisy network or an attacker might.
void mutate(bytes& f, std::mt19937& rng) {
  std::uniform_int_distribution<int> op(0, 3);
  std::uniform_int_distribution<int> byte(0, 255);
  const int n = std::uniform_int_distribution<int>(1, 4)(rng);
  for (int i = 0; i < n; ++i) {
    const auto at =
        f.empty() ? 0 : std::uniform_int_distribution<std::size_t>(0, f.size() - 1)(rng);
    switch (op(rng)) {
    case 0:
      if (!f.empty()) f[at] = static_cast<std::uint8_t>(byte(rng));
      break;
    case 1:
      if (!f.empty()) f.resize(at);
      break;
    case 2:
      f.insert(f.begin() + static_cast<long>(at), static_cast<std::uint8_t>(byte(rng)));
      break;
    default:
      if (!f.empty()) f.erase(f.begin() + static_cast<long>(at));
      break;
    }
  }
}

wire_message random_message(std::mt19937& rng) {
  std::uniform_int_distribution<int> small(0, 6);
  wire_message m = base(static_cast<msg_type>(1 + rng() % 3));
  m.seq = rng();
  m.members = members(static_cast<std::size_t>(small(rng)));
  for (int i = small(rng); i > 0; --i)
    m.claims.push_back({rng() % 2 ? ip("10.9.8.7") : ip("fd00::7"), rng(), rng()});
  return m;
}

TEST(GossipWire, FuzzNeverCrashes) {
  std::mt19937 rng(20261201);
  std::size_t accepted = 0;
  std::size_t parsed_after_mac = 0;
  for (int i = 0; i < 100'000; ++i) {
    bytes f;
    switch (i % 3) {
    case 0: { // random bytes, sometimes with a valid version byte
      f.resize(std::uniform_int_distribution<std::size_t>(0, 1500)(rng));
      for (auto& b : f)
        b = static_cast<std::uint8_t>(rng());
      if (!f.empty() && rng() % 2) f[0] = wire_version;
      break;
    }
    case 1: // a real frame, mutated: the MAC must catch it
      f = sealed(random_message(rng));
      mutate(f, rng);
      break;
    default: // a mutated frame re-signed: the parser itself must hold
      f = sealed(random_message(rng));
      f.resize(f.size() - mac_bytes);
      mutate(f, rng);
      if (!f.empty()) f[0] = wire_version;
      append_mac(f, key);
      ++parsed_after_mac;
      break;
    }
    auto m = decode(f, key);
    if (m) {
      ++accepted;
      // Whatever decodes re-encodes to the same bytes: no field is dropped.
      auto again = encode(*m, key);
      ASSERT_TRUE(kvip::test::ok(again));
      EXPECT_EQ(*again, f);
    } else {
      EXPECT_FALSE(m.err().message.empty());
    }
  }
  std::printf("gossip wire fuzz: 100000 frames, %zu re-signed, %zu decoded\n", parsed_after_mac,
              accepted);
}

} // namespace
} // namespace kvip::net::gossip
