#pragma once
// The gossip wire format (issue 9): SWIM probes (ping, ack, ping-req) carrying
// piggybacked membership updates and per-VIP ownership claims, authenticated
// with the cluster key (HMAC-SHA-256, libsodium) and guarded against replay.
// Pure byte work, no sockets: the gossip actor sends what encode() returns and
// hands what arrives to decode() and a replay_guard.
//
// Frame layout (all integers big-endian), at most max_frame_bytes in total so
// one frame always fits one UDP-sized datagram without IP fragmentation:
//
//   header   version u8 (=2) | type u8 | sender u64 | incarnation u32 |
//            health u16 | seq u64 | timestamp_us u64 | echo_us u64 |
//            digest u64                                            48 bytes
//   body     ping: target u64 | ack: target u64, acked_seq u64 |
//            ping-req: target u64                                 8/16/8 bytes
//   lists    n_members u8 | n_claims u8 | members... | claims...
//            member: node u64 | incarnation u32 | state u8 | health u16 (15)
//            claim:  flags+family u8 | address 4|16 | owner u64 | term u64
//                    (21 bytes for IPv4, 33 for IPv6); the low bits of the
//                    first byte are the family (4|6), bit 0x80 is `answering`,
//                    any other bit set is refused (bad_field)
//   tag      HMAC-SHA-256 over every byte before it, its first 16 bytes
//
// The header says all a frame says about its sender: alive (it speaks),
// at `incarnation`, with `health`. The member list carries only piggybacked
// updates (other members, or the sender's own goodbye or refutation).
//
// Version 1 had a 46-byte header without health,
// repeated the sender as the first member update, and a 32-byte tag. Frames
// of another version are refused (unknown_version) before anything else is
// read: a cluster that mixes versions must show it, not half-work.
//
// The tag: HMAC-SHA-256 truncated to its leftmost 128 bits. RFC 2104
// (section 5) allows keeping the leftmost t bits with t no less than half the
// hash length (the birthday bound of the hash) and 80; RFC 4868 defines the
// same 128-bit truncation of HMAC-SHA-256 for IPsec. A forger without the key
// must guess 128 bits per try, and every wrong try is a frame the receiver
// drops and counts (bad_mac); the hash's internal state stays 256 bits, so
// tags seen on the network help no more than full ones would. Verification
// recomputes the tag and compares the 16 bytes in constant time
// (crypto_verify_16). It saves 16 bytes a frame.
//
// Encoded sizes: an empty ping or ping-req is 74 bytes, an empty ack 82; each
// membership update adds 15, each IPv4 claim 21, each IPv6 claim 33. So a
// ping carries up to 88 membership updates (1394 bytes), an ack up to 87
// (1387), or a mix that fits the byte limit (encoded_size() says). Version 1
// frames were 88 and 96 bytes empty, and every frame sent carried 15 more
// (the sender's own entry): 29 bytes saved on every frame.
//
// Replay: the MAC proves a frame came from a key holder, not that it is new.
// Every sender numbers its frames with a strictly increasing 64-bit `seq`,
// which it starts at its wall clock in microseconds so a restarted process
// continues above what it sent before (unless its clock went back). Receivers
// run every authenticated frame through a replay_guard, which accepts each
// (sender, seq) once within a window and rejects older ones.
//
// What the guard cannot see: a receiver that restarted knows no sender, so one
// old frame per sender passes once. That is harmless by construction: an old
// ack names an acked_seq below the restarted receiver's own seq (which starts
// at its wall clock), so it matches no probe in flight; an old ping or
// ping-req costs one probe; old membership updates and claims carry
// incarnations and terms that the newer ones already gossiped supersede.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/ip.hpp"
#include "net/result.hpp"

namespace kvip::net::gossip {

/// A member's identity on the wire: the first 8 bytes of SHA-256 of its node
/// name (node_id_of), so updates stay fixed-size whatever the name's length.
using node_id = std::uint64_t;

/// node_id of a Kubernetes node name.
node_id node_id_of(std::string_view node_name);

/// The cluster key: 32 bytes, the HMAC-SHA-256 key every member shares.
struct cluster_key {
  std::array<std::uint8_t, 32> bytes{};
};

/// A cluster key from a secret of any length (a key file's contents): its
/// SHA-256, so short or long secrets both give a full-width key.
cluster_key key_from_secret(std::string_view secret);

inline constexpr std::uint8_t wire_version = 2;
inline constexpr std::size_t max_frame_bytes = 1400;
inline constexpr std::size_t header_bytes = 48;
inline constexpr std::size_t list_counts_bytes = 2;
/// The tag: HMAC-SHA-256 truncated to its first 16 bytes (see above).
inline constexpr std::size_t mac_bytes = 16;
/// The smallest frame decode() reads past the version: an empty ping.
inline constexpr std::size_t min_frame_bytes = header_bytes + 8 + list_counts_bytes + mac_bytes;
inline constexpr std::size_t member_update_bytes = 15;
inline constexpr std::size_t claim_v4_bytes = 21;
inline constexpr std::size_t claim_v6_bytes = 33;
/// Bit of a claim's family byte that carries ownership_claim::answering.
inline constexpr std::uint8_t claim_answering_bit = 0x80;

enum class msg_type : std::uint8_t { ping = 1, ack = 2, ping_req = 3 };

enum class wire_member_state : std::uint8_t { alive = 0, suspect = 1, dead = 2, left = 3 };

/// Node-local health bits gossiped with membership (issue 9: they decide
/// eligibility). Unknown bits are carried, not rejected, so a newer node may
/// add checks without breaking older ones.
namespace health {
inline constexpr std::uint16_t carrier = 1u << 0;       // the VIP interface has carrier
inline constexpr std::uint16_t control_plane = 1u << 1; // control-plane health check passes
inline constexpr std::uint16_t bgp = 1u << 2;           // BGP sessions established
inline constexpr std::uint16_t endpoints = 1u << 3;     // local endpoints ready
} // namespace health

/// One piggybacked membership update (SWIM: node, incarnation, state).
struct member_update {
  node_id node = 0;
  std::uint32_t incarnation = 0;
  wire_member_state state = wire_member_state::alive;
  std::uint16_t health = 0;
  friend bool operator==(const member_update&, const member_update&) = default;
};

/// One piggybacked ownership claim: `owner` holds `vip` in `term`;
/// `answering`: the owner's claim was confirmed and it answers for the VIP.
struct ownership_claim {
  ip_address vip;
  node_id owner = 0;
  std::uint64_t term = 0;
  bool answering = false;
  friend bool operator==(const ownership_claim&, const ownership_claim&) = default;
};

/// A decoded (or to-be-encoded) gossip frame (named apart from membership.hpp's
/// `message`, which holds names where this holds node ids).
struct wire_message {
  msg_type type = msg_type::ping;
  node_id sender = 0;
  std::uint32_t incarnation = 0;  // the sender's own incarnation
  std::uint16_t health = 0;       // the sender's own health bits (namespace health)
  std::uint64_t seq = 0;          // strictly increasing per sender (replay)
  std::uint64_t timestamp_us = 0; // the sender's clock at send (RTT, logs)
  // timestamp_us of the latest frame the sender accepted from this frame's
  // addressee (0: none yet): the addressee's own clock, echoed (fencing).
  std::uint64_t echo_us = 0;
  // The sender's digest of what it believes the addressee owns (ownership.hpp).
  std::uint64_t digest = 0;
  // ping: the node meant to answer (a node that is not it does not ack);
  // ping-req: the node to probe; ack: the node whose liveness it confirms
  // (the sender for a direct probe, the target for an indirect one).
  node_id target = 0;
  std::uint64_t acked_seq = 0; // ack only: the ping's or ping-req's seq
  std::vector<member_update> members;
  std::vector<ownership_claim> claims;
  friend bool operator==(const wire_message&, const wire_message&) = default;
};

/// Why a frame was refused. Every decode failure names one.
enum class wire_fault : std::uint8_t {
  truncated,       // shorter than a signed frame, or a field runs past the end
  oversized,       // longer than max_frame_bytes (or, encoding, would be)
  unknown_version, // version byte is not wire_version (another kvip release)
  bad_mac,         // forged, altered, unsigned or signed with another key
  unknown_type,    // type byte is not a msg_type
  bad_field,       // a field holds a value outside its domain
  trailing_bytes,  // bytes left between the last list entry and the MAC
  replayed,        // this (sender, seq) was already accepted
  too_old,         // seq below the replay window of this sender
  wrong_sender,    // sender id is not the one the transport saw (codec.hpp)
};

/// The name of a fault ("bad_mac").
std::string_view to_string(wire_fault f);

/// A refused frame: the fault and a message naming what is wrong.
struct wire_error {
  wire_fault kind = wire_fault::truncated;
  std::string message;
  std::string describe() const;
};

template <class T>
using wire_result = net::result<T, wire_error>;

/// Bytes encode(m) produces (including the MAC); may exceed max_frame_bytes.
std::size_t encoded_size(const wire_message& m);

/// The signed frame of `m`; `oversized` when it would exceed max_frame_bytes
/// (the caller piggybacks fewer updates), `bad_field` for a claim whose
/// address is not IPv4 or IPv6, or lists longer than 255.
wire_result<std::vector<std::uint8_t>> encode(const wire_message& m, const cluster_key& key);

/// The message in `frame`, after checking size, version and MAC before any
/// other field is trusted. Never throws; every input gives a value or an error.
wire_result<wire_message> decode(std::span<const std::uint8_t> frame, const cluster_key& key);

/// Appends the tag of `bytes` (HMAC-SHA-256, first mac_bytes) to it (tests and
/// tools build frames by hand).
void append_mac(std::vector<std::uint8_t>& bytes, const cluster_key& key);

/// Accepts each (sender, seq) once: per sender the highest seq seen and a
/// bitmap of the `window` seqs below it, so frames reordered by the network
/// within the window still pass once, and anything older is refused. Feed it
/// only frames decode() authenticated (an unauthenticated frame must not move
/// a window). Memory: one entry per sender; forget() one that left.
class replay_guard {
public:
  static constexpr std::uint64_t window = 64;

  /// ok, or `replayed` / `too_old`; on ok the pair is recorded.
  wire_result<void> accept(node_id sender, std::uint64_t seq);

  /// Drops what is known of `sender` (it left the cluster).
  void forget(node_id sender) { senders_.erase(sender); }

  std::size_t senders() const { return senders_.size(); }

private:
  struct track {
    std::uint64_t highest = 0;
    std::uint64_t seen = 0; // bit i: highest - i was accepted
  };
  std::unordered_map<node_id, track> senders_;
};

/// decode() then guard.accept(): what a receiver calls for each datagram.
wire_result<wire_message> receive(std::span<const std::uint8_t> frame, const cluster_key& key,
                                  replay_guard& guard);

} // namespace kvip::net::gossip
