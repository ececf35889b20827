#include "net/gossip/wire.hpp"

#include <sodium.h>

#include <cstring>

namespace kvip::net::gossip {

namespace {

static_assert(crypto_auth_hmacsha256_BYTES / 2 == mac_bytes); // RFC 2104's least t
static_assert(crypto_verify_16_BYTES == mac_bytes);
static_assert(crypto_auth_hmacsha256_KEYBYTES == sizeof(cluster_key::bytes));

// sodium_init() is idempotent and thread-safe; it picks the fastest SHA-256
// implementation, so every entry point that hashes calls it first.
void ensure_sodium() {
  static const int once = sodium_init();
  (void)once;
}

// HMAC-SHA-256 of `bytes`; the tag is its first mac_bytes.
std::array<std::uint8_t, crypto_auth_hmacsha256_BYTES> hmac(std::span<const std::uint8_t> bytes,
                                                            const cluster_key& key) {
  ensure_sodium();
  std::array<std::uint8_t, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256(mac.data(), bytes.data(), bytes.size(), key.bytes.data());
  return mac;
}

wire_error fail(wire_fault kind, std::string message) {
  return wire_error{kind, std::move(message)};
}

std::size_t body_bytes(msg_type t) {
  return t == msg_type::ack ? 16 : 8;
}

std::size_t claim_bytes(const ownership_claim& c) {
  return c.vip.is_v4() ? claim_v4_bytes : claim_v6_bytes;
}

class writer {
public:
  explicit writer(std::vector<std::uint8_t>& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void raw(const std::uint8_t* p, std::size_t n) { out_.insert(out_.end(), p, p + n); }

private:
  void put(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i)
      out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t>& out_;
};

// Reads fields from the authenticated part of a frame. Each read checks the
// bytes left first, so a short frame fails cleanly; `ok` turns false at the
// first short read and every later read returns 0.
class reader {
public:
  explicit reader(std::span<const std::uint8_t> in) : in_(in) {}
  bool ok() const { return ok_; }
  std::size_t left() const { return in_.size() - pos_; }
  std::uint8_t u8() { return static_cast<std::uint8_t>(get(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
  std::uint64_t u64() { return get(8); }
  bool raw(std::uint8_t* p, std::size_t n) {
    if (!take(n)) return false;
    std::memcpy(p, in_.data() + pos_ - n, n);
    return true;
  }

private:
  bool take(std::size_t n) {
    if (!ok_ || left() < n) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }
  std::uint64_t get(std::size_t n) {
    if (!take(n)) return 0;
    std::uint64_t v = 0;
    for (std::size_t i = pos_ - n; i < pos_; ++i)
      v = (v << 8) | in_[i];
    return v;
  }
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

wire_result<void> check_encodable(const wire_message& m) {
  if (m.type != msg_type::ping && m.type != msg_type::ack && m.type != msg_type::ping_req)
    return fail(wire_fault::unknown_type,
                "message type " + std::to_string(static_cast<int>(m.type)) + " is not known");
  if (m.members.size() > 255 || m.claims.size() > 255)
    return fail(wire_fault::oversized, "more than 255 entries in a piggybacked list");
  for (const auto& c : m.claims)
    if (!c.vip.is_v4() && !c.vip.is_v6())
      return fail(wire_fault::bad_field,
                  "ownership claim: address family is neither IPv4 nor IPv6");
  const std::size_t size = encoded_size(m);
  if (size > max_frame_bytes)
    return fail(wire_fault::oversized, "frame would be " + std::to_string(size) +
                                           " bytes, over the limit of " +
                                           std::to_string(max_frame_bytes));
  return {};
}

wire_result<member_update> read_member(reader& r, std::size_t index) {
  member_update u;
  u.node = r.u64();
  u.incarnation = r.u32();
  const std::uint8_t state = r.u8();
  u.health = r.u16();
  if (!r.ok())
    return fail(wire_fault::truncated,
                "membership update " + std::to_string(index) + " runs past the end of the frame");
  if (state > static_cast<std::uint8_t>(wire_member_state::left))
    return fail(wire_fault::bad_field, "membership update " + std::to_string(index) + ": state " +
                                           std::to_string(state) + " is not known");
  u.state = static_cast<wire_member_state>(state);
  return u;
}

wire_result<ownership_claim> read_claim(reader& r, std::size_t index) {
  const std::uint8_t first = r.u8();
  const std::uint8_t family = first & static_cast<std::uint8_t>(~claim_answering_bit);
  if (r.ok() && family != 4 && family != 6)
    return fail(wire_fault::bad_field,
                "ownership claim " + std::to_string(index) + ": flags and address family byte " +
                    std::to_string(first) + " is neither 4 nor 6, with or without 0x80");
  ownership_claim c;
  c.answering = (first & claim_answering_bit) != 0;
  std::array<std::uint8_t, 16> addr{};
  r.raw(addr.data(), family == 4 ? 4 : 16);
  c.owner = r.u64();
  c.term = r.u64();
  if (!r.ok())
    return fail(wire_fault::truncated,
                "ownership claim " + std::to_string(index) + " runs past the end of the frame");
  c.vip = family == 4 ? ip_address::v4(addr.data()) : ip_address::v6(addr.data());
  return c;
}

// Parses the authenticated bytes (the frame without its MAC).
wire_result<wire_message> parse(std::span<const std::uint8_t> signed_part) {
  reader r(signed_part);
  wire_message m;
  r.u8(); // version, checked by decode()
  const std::uint8_t type = r.u8();
  if (type < 1 || type > 3)
    return fail(wire_fault::unknown_type, "message type " + std::to_string(type) + " is not known");
  m.type = static_cast<msg_type>(type);
  m.sender = r.u64();
  m.incarnation = r.u32();
  m.health = r.u16();
  m.seq = r.u64();
  m.timestamp_us = r.u64();
  m.echo_us = r.u64();
  m.digest = r.u64();
  m.target = r.u64();
  if (m.type == msg_type::ack) m.acked_seq = r.u64();
  const std::size_t n_members = r.u8();
  const std::size_t n_claims = r.u8();
  if (!r.ok()) return fail(wire_fault::truncated, "header runs past the end of the frame");
  // Counts are checked against the bytes left before any entry is read, so a
  // count past the end is named as such rather than as a garbled entry.
  const std::size_t least = n_members * member_update_bytes + n_claims * claim_v4_bytes;
  if (least > r.left())
    return fail(wire_fault::truncated, std::to_string(n_members) + " membership updates and " +
                                           std::to_string(n_claims) + " claims need at least " +
                                           std::to_string(least) + " bytes, " +
                                           std::to_string(r.left()) + " left");
  for (std::size_t i = 0; i < n_members; ++i) {
    auto u = read_member(r, i);
    if (!u) return u.err();
    m.members.push_back(*u);
  }
  for (std::size_t i = 0; i < n_claims; ++i) {
    auto c = read_claim(r, i);
    if (!c) return c.err();
    m.claims.push_back(*c);
  }
  if (r.left() != 0)
    return fail(wire_fault::trailing_bytes,
                std::to_string(r.left()) + " bytes after the last list entry");
  return m;
}

} // namespace

node_id node_id_of(std::string_view node_name) {
  ensure_sodium();
  std::array<std::uint8_t, crypto_hash_sha256_BYTES> h{};
  crypto_hash_sha256(h.data(), reinterpret_cast<const unsigned char*>(node_name.data()),
                     node_name.size());
  node_id id = 0;
  for (int i = 0; i < 8; ++i)
    id = (id << 8) | h[static_cast<std::size_t>(i)];
  return id;
}

cluster_key key_from_secret(std::string_view secret) {
  ensure_sodium();
  cluster_key k;
  crypto_hash_sha256(k.bytes.data(), reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size());
  return k;
}

std::string_view to_string(wire_fault f) {
  switch (f) {
  case wire_fault::truncated:
    return "truncated";
  case wire_fault::oversized:
    return "oversized";
  case wire_fault::unknown_version:
    return "unknown_version";
  case wire_fault::bad_mac:
    return "bad_mac";
  case wire_fault::unknown_type:
    return "unknown_type";
  case wire_fault::bad_field:
    return "bad_field";
  case wire_fault::trailing_bytes:
    return "trailing_bytes";
  case wire_fault::replayed:
    return "replayed";
  case wire_fault::too_old:
    return "too_old";
  case wire_fault::wrong_sender:
    return "wrong_sender";
  }
  return "unknown";
}

std::string wire_error::describe() const {
  return "gossip frame refused (" + std::string(to_string(kind)) + "): " + message;
}

std::size_t encoded_size(const wire_message& m) {
  std::size_t n = header_bytes + body_bytes(m.type) + list_counts_bytes + mac_bytes;
  n += m.members.size() * member_update_bytes;
  for (const auto& c : m.claims)
    n += claim_bytes(c);
  return n;
}

void append_mac(std::vector<std::uint8_t>& bytes, const cluster_key& key) {
  const auto mac = hmac(bytes, key);
  bytes.insert(bytes.end(), mac.begin(), mac.begin() + mac_bytes);
}

wire_result<std::vector<std::uint8_t>> encode(const wire_message& m, const cluster_key& key) {
  if (auto ok = check_encodable(m); !ok) return ok.err();
  std::vector<std::uint8_t> out;
  out.reserve(encoded_size(m));
  writer w(out);
  w.u8(wire_version);
  w.u8(static_cast<std::uint8_t>(m.type));
  w.u64(m.sender);
  w.u32(m.incarnation);
  w.u16(m.health);
  w.u64(m.seq);
  w.u64(m.timestamp_us);
  w.u64(m.echo_us);
  w.u64(m.digest);
  w.u64(m.target);
  if (m.type == msg_type::ack) w.u64(m.acked_seq);
  w.u8(static_cast<std::uint8_t>(m.members.size()));
  w.u8(static_cast<std::uint8_t>(m.claims.size()));
  for (const auto& u : m.members) {
    w.u64(u.node);
    w.u32(u.incarnation);
    w.u8(static_cast<std::uint8_t>(u.state));
    w.u16(u.health);
  }
  for (const auto& c : m.claims) {
    const std::uint8_t family = c.vip.is_v4() ? 4 : 6;
    w.u8(c.answering ? family | claim_answering_bit : family);
    w.raw(c.vip.bytes.data(), c.vip.size());
    w.u64(c.owner);
    w.u64(c.term);
  }
  append_mac(out, key);
  return out;
}

wire_result<wire_message> decode(std::span<const std::uint8_t> frame, const cluster_key& key) {
  // Size and version first: they need no key and say the most about a frame
  // from a misconfigured peer or another release (whose frames may be of
  // other sizes, so the version comes before the least size). Nothing else
  // is read before the tag.
  if (frame.size() > max_frame_bytes)
    return fail(wire_fault::oversized, std::to_string(frame.size()) + " bytes, over the limit of " +
                                           std::to_string(max_frame_bytes));
  if (frame.empty()) return fail(wire_fault::truncated, "empty frame");
  if (frame[0] != wire_version)
    return fail(wire_fault::unknown_version,
                "wire version " + std::to_string(frame[0]) + ", this node speaks " +
                    std::to_string(wire_version) + " (is a node running another kvip release?)");
  if (frame.size() < min_frame_bytes)
    return fail(wire_fault::truncated, std::to_string(frame.size()) +
                                           " bytes, shorter than the smallest signed frame (" +
                                           std::to_string(min_frame_bytes) + ")");
  const std::size_t body = frame.size() - mac_bytes;
  const auto mac = hmac(frame.first(body), key);
  if (crypto_verify_16(frame.data() + body, mac.data()) != 0)
    return fail(wire_fault::bad_mac,
                "MAC does not match the cluster key (forged, altered, truncated, unsigned, "
                "or signed with another key)");
  return parse(frame.first(body));
}

wire_result<void> replay_guard::accept(node_id sender, std::uint64_t seq) {
  auto [it, fresh] = senders_.try_emplace(sender);
  track& t = it->second;
  if (fresh) {
    t.highest = seq;
    t.seen = 1;
    return {};
  }
  if (seq > t.highest) {
    const std::uint64_t shift = seq - t.highest;
    t.seen = shift >= window ? 1 : (t.seen << shift) | 1;
    t.highest = seq;
    return {};
  }
  const std::uint64_t back = t.highest - seq;
  if (back >= window)
    return fail(wire_fault::too_old, "seq " + std::to_string(seq) + " from sender " +
                                         std::to_string(sender) + " is " + std::to_string(back) +
                                         " below the newest accepted, past the window of " +
                                         std::to_string(window));
  const std::uint64_t bit = std::uint64_t{1} << back;
  if (t.seen & bit)
    return fail(wire_fault::replayed, "seq " + std::to_string(seq) + " from sender " +
                                          std::to_string(sender) + " was already accepted");
  t.seen |= bit;
  return {};
}

wire_result<wire_message> receive(std::span<const std::uint8_t> frame, const cluster_key& key,
                                  replay_guard& guard) {
  auto m = decode(frame, key);
  if (!m) return m;
  if (auto fresh = guard.accept(m->sender, m->seq); !fresh) return fresh.err();
  return m;
}

} // namespace kvip::net::gossip
