// The gossip wire format: round trips per message type, every refusal named,
// replay protection, the sizes that set gossip bandwidth, and a fuzz loop.
#include "net/gossip/wire.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include <sodium.h>

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
  m.health = health::carrier | health::control_plane;
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
      {"empty ping", base(msg_type::ping), 74},
      {"empty ack", base(msg_type::ack), 82},
      {"empty ping-req", base(msg_type::ping_req), 74},
      {"ping, 3 members, v4+v6 claims", with_lists, 74 + 3 * 15 + 21 + 33},
      {"ping-req, 1 member", req_lists, 74 + 15},
      {"ack, 2 v4 claims (answering, not)", ack_lists, 82 + 2 * 21},
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
  for (std::size_t n : {0u, 1u, 4u, 5u, 8u, 16u, 32u, 87u}) {
    wire_message ping = base(msg_type::ping);
    wire_message ack = base(msg_type::ack);
    ping.members = ack.members = members(n);
    std::printf("gossip wire: %2zu updates: ping %4zu bytes, ack %4zu bytes\n", n,
                sealed(ping).size(), sealed(ack).size());
    EXPECT_EQ(sealed(ping).size(), 74 + 15 * n);
    EXPECT_EQ(sealed(ack).size(), 82 + 15 * n);
  }
  EXPECT_EQ(min_frame_bytes, 74u);
  wire_message full = base(msg_type::ping);
  full.members = members(88); // 74 + 88 * 15 = 1394, the most updates a ping carries
  EXPECT_EQ(sealed(full).size(), 1394u);
  full.members = members(89);
  EXPECT_TRUE(encode(full, key).is(wire_fault::oversized));
  wire_message full_ack = base(msg_type::ack);
  full_ack.members = members(87); // 82 + 87 * 15 = 1387
  EXPECT_EQ(sealed(full_ack).size(), 1387u);
  full_ack.members = members(88);
  EXPECT_TRUE(encode(full_ack, key).is(wire_fault::oversized));
  wire_message ping_claims = base(msg_type::ping);
  ping_claims.claims.assign(63, {ip("10.1.2.3"), 1, 1}); // 74 + 63 * 21 = 1397
  EXPECT_EQ(sealed(ping_claims).size(), 1397u);
}

TEST(GossipWire, EncodeRefusesOversizedLists) {
  wire_message m = base(msg_type::ping);
  m.members = members(89); // 74 + 89 * 15 = 1409
  auto f = encode(m, key);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.err().kind, wire_fault::oversized);
  EXPECT_NE(f.err().message.find("1409"), std::string::npos) << f.err().describe();

  m.members = members(256);
  EXPECT_TRUE(encode(m, key).is(wire_fault::oversized));

  m.members.clear();
  m.claims.assign(41, {ip("fd00::1"), 1, 1}); // 74 + 41 * 33 = 1427
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

// Offsets in a ping: the header's health, the list counts, the first entry.
constexpr std::size_t health_at = 14;
constexpr std::size_t counts_at = header_bytes + 8;
constexpr std::size_t lists_at = counts_at + list_counts_bytes;

// A version-1 frame as the previous release sent it: 46-byte header without
// health, the sender's own entry first, the full 32-byte HMAC-SHA-256.
bytes version_one_frame() {
  bytes f = {1, static_cast<std::uint8_t>(msg_type::ping)};
  auto put = [&f](std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i)
      f.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  const wire_message m = base(msg_type::ping);
  put(m.sender, 8);
  put(m.incarnation, 4);
  for (std::uint64_t v : {m.seq, m.timestamp_us, m.echo_us, m.digest, m.target})
    put(v, 8);
  f.push_back(1); // one member update: the sender's own
  f.push_back(0);
  put(m.sender, 8);
  put(m.incarnation, 4);
  f.push_back(0); // alive
  put(m.health, 2);
  bytes mac(crypto_auth_hmacsha256_BYTES);
  crypto_auth_hmacsha256(mac.data(), f.data(), f.size(), key.bytes.data());
  f.insert(f.end(), mac.begin(), mac.end());
  return f;
}

std::vector<refusal_case> refusal_cases() {
  wire_message lists = base(msg_type::ping);
  lists.members = members(2);
  lists.claims = {{ip("10.0.0.1"), 5, 6, true}};
  const bytes good = sealed(lists); // 74 + 2 * 15 + 21 = 125 bytes, the tag from 109
  const std::size_t claim_at = lists_at + 2 * member_update_bytes;
  bytes forged = good;
  forged[16] ^= 0x01; // the seq: same MAC, altered content
  bytes forged_health = good;
  forged_health[health_at + 1] ^= health::carrier; // the sender's health, now in the header
  bytes forged_echo = good;
  forged_echo[32] ^= 0x01; // echo_us: the fencing echo cannot be altered either
  bytes forged_answering = good;
  forged_answering[claim_at] ^= 0x80; // the claim's answering bit
  bytes bad_tag = good;
  bad_tag[good.size() - 1] ^= 0x80; // the tag's last byte
  bytes unsigned_frame = good;
  unsigned_frame.resize(good.size() - mac_bytes);
  bytes full_tag = good; // the whole HMAC-SHA-256 instead of its first 16 bytes
  full_tag.resize(good.size() - mac_bytes);
  std::array<std::uint8_t, crypto_auth_hmacsha256_BYTES> full{};
  crypto_auth_hmacsha256(full.data(), full_tag.data(), full_tag.size(), key.bytes.data());
  full_tag.insert(full_tag.end(), full.begin(), full.end());
  bytes version1 = good;
  version1[0] = 1;
  bytes version3 = good;
  version3[0] = 3;
  bytes huge(max_frame_bytes + 1, 0);
  huge[0] = wire_version;
  return {
      {"forged content", forged, wire_fault::bad_mac},
      {"forged sender health", forged_health, wire_fault::bad_mac},
      {"forged tag", bad_tag, wire_fault::bad_mac},
      {"forged echo", forged_echo, wire_fault::bad_mac},
      {"forged answering flag", forged_answering, wire_fault::bad_mac},
      {"signed with another key", sealed(lists, other_key), wire_fault::bad_mac},
      {"unsigned (tag stripped)", unsigned_frame, wire_fault::bad_mac},
      {"untruncated 32-byte HMAC as the tag", full_tag, wire_fault::bad_mac},
      {"truncated by one byte", bytes(good.begin(), good.end() - 1), wire_fault::bad_mac},
      {"truncated to the header", bytes(good.begin(), good.begin() + header_bytes),
       wire_fault::truncated},
      {"one byte short of the smallest frame", bytes(good.begin(), good.begin() + 73),
       wire_fault::truncated},
      {"empty", bytes{}, wire_fault::truncated},
      {"over 1400 bytes", huge, wire_fault::oversized},
      {"version 1 byte on a version 2 frame", version1, wire_fault::unknown_version},
      {"a version 1 frame (own entry, 32-byte tag)", version_one_frame(),
       wire_fault::unknown_version},
      {"version 3", version3, wire_fault::unknown_version},
      {"a short frame of another version", bytes{3, 1, 0}, wire_fault::unknown_version},
      {"unknown type", resigned(good, [](bytes& b) { b[1] = 7; }), wire_fault::unknown_type},
      {"type zero", resigned(good, [](bytes& b) { b[1] = 0; }), wire_fault::unknown_type},
      {"member count past the end", resigned(good, [](bytes& b) { b[counts_at] = 200; }),
       wire_fault::truncated},
      {"claim count past the end", resigned(good, [](bytes& b) { b[counts_at + 1] = 3; }),
       wire_fault::truncated},
      {"counts short of the bytes", resigned(good, [](bytes& b) { b[counts_at + 1] = 0; }),
       wire_fault::trailing_bytes},
      {"member state 9", resigned(good, [](bytes& b) { b[lists_at + 12] = 9; }),
       wire_fault::bad_field},
      {"claim family 5", resigned(good, [](bytes& b) { b[lists_at + 30] = 5; }),
       wire_fault::bad_field},
      {"claim family 5 answering", resigned(good, [](bytes& b) { b[lists_at + 30] = 0x85; }),
       wire_fault::bad_field},
      {"claim family byte with bit 0x40",
       resigned(good, [](bytes& b) { b[lists_at + 30] = 0x80 | 0x40 | 4; }), wire_fault::bad_field},
      {"claim family byte with bit 0x10",
       resigned(good, [](bytes& b) { b[lists_at + 30] = 0x10 | 4; }), wire_fault::bad_field},
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

TEST(GossipWire, TagIsHmacSha256TruncatedTo128Bits) {
  // RFC 4231 test case 5 ("Test With Truncation"): HMAC-SHA-256 with a 20-byte
  // key of 0x0c, truncated to 128 bits. HMAC pads keys with zeros, so the
  // same key zero-filled to the cluster key's 32 bytes gives the same tag.
  cluster_key k;
  std::fill_n(k.bytes.begin(), 20, 0x0c);
  const std::string data = "Test With Truncation";
  bytes f(data.begin(), data.end());
  append_mac(f, k);
  ASSERT_EQ(f.size(), data.size() + 16);
  const bytes want = {0xa3, 0xb6, 0x16, 0x74, 0x73, 0x10, 0x0e, 0xe0,
                      0x6e, 0x0c, 0x79, 0x6c, 0x29, 0x55, 0x55, 0x2b};
  EXPECT_EQ(bytes(f.end() - 16, f.end()), want);
}

TEST(GossipWire, EveryBitOfTheTagIsChecked) {
  wire_message m = base(msg_type::ack);
  m.members = members(1);
  const bytes good = sealed(m);
  ASSERT_TRUE(kvip::test::ok(decode(good, key)));
  for (std::size_t i = good.size() - mac_bytes; i < good.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      bytes f = good;
      f[i] ^= static_cast<std::uint8_t>(1u << bit);
      EXPECT_TRUE(decode(f, key).is(wire_fault::bad_mac)) << "byte " << i << " bit " << bit;
    }
  // The other half of the HMAC is not a tag either.
  bytes signed_part(good.begin(), good.end() - mac_bytes);
  std::array<std::uint8_t, crypto_auth_hmacsha256_BYTES> full{};
  crypto_auth_hmacsha256(full.data(), signed_part.data(), signed_part.size(), key.bytes.data());
  ASSERT_TRUE(std::equal(full.begin(), full.begin() + mac_bytes, good.end() - mac_bytes));
  signed_part.insert(signed_part.end(), full.begin() + mac_bytes, full.end());
  EXPECT_TRUE(decode(signed_part, key).is(wire_fault::bad_mac));
}

TEST(GossipWire, AnotherVersionIsNamedInTheRefusal) {
  auto m = decode(version_one_frame(), key);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.err().kind, wire_fault::unknown_version);
  EXPECT_NE(m.err().message.find("version 1, this node speaks 2"), std::string::npos)
      << m.err().describe();
  // A node of the previous release sent frames of at least 88 bytes, which
  // this one refuses by version, never as truncated or forged.
  EXPECT_GE(version_one_frame().size(), 88u);
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
