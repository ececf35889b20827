#include "net/gossip/codec.hpp"

#include <algorithm>
#include <limits>

// What travels where (membership.hpp `message` + frame_extras <-> wire_message):
//
//   kind, from              type, sender = node_id_of(from)
//   incarnation (u64)       header incarnation (u32)
//   health (u32)            header health (u16)
//   (the sender is alive)   implied by the frame itself: membership.received
//                           takes every frame as (from, alive, incarnation,
//                           health), so the wire carries no entry of the
//                           sender's own (wire version 1 repeated one as the
//                           first update and decode checked it against the
//                           header: that check now holds by construction)
//   seq                     ping / ping-req: the wire seq itself (membership
//                           gives every ping and ping-req a seq of its own;
//                           extras.seq must be 0 or equal); ack: acked_seq,
//                           while the wire seq is extras.seq (the driver's
//                           membership::next_seq())
//   target                  target id (0 when empty: a ping need not name it)
//   updates                 membership updates
//   extras.timestamp_us, echo_us, digest   the header fields of that name
//   extras.claims           claims (owner id, 0 for none; answering bit)
//
// Narrowing: membership counts incarnations in u64 and health in u32, the
// wire in u32 and u16. Encoding refuses (bad_field) a value that does not fit
// instead of truncating it: a truncated incarnation would wrap below what the
// cluster has seen (the refutation would lose), and a truncated health would
// drop bits that decide eligibility. 2^32 incarnations are ~136 years at one
// bump per second; health bits above 15 are not defined.

namespace kvip::net::gossip {

namespace {

wire_error fail(wire_fault kind, std::string message) {
  return wire_error{kind, std::move(message)};
}

wire_result<std::uint32_t> narrow_incarnation(std::uint64_t v, const std::string& node) {
  if (v > std::numeric_limits<std::uint32_t>::max())
    return fail(wire_fault::bad_field, "incarnation " + std::to_string(v) + " of " + node +
                                           " does not fit the wire's 32 bits");
  return static_cast<std::uint32_t>(v);
}

wire_result<std::uint16_t> narrow_health(health_bits v, const std::string& node) {
  if (v > std::numeric_limits<std::uint16_t>::max())
    return fail(wire_fault::bad_field, "health bits " + std::to_string(v) + " of " + node +
                                           " do not fit the wire's 16 bits");
  return static_cast<std::uint16_t>(v);
}

wire_member_state to_wire(member_state s) {
  switch (s) {
  case member_state::alive:
    return wire_member_state::alive;
  case member_state::suspect:
    return wire_member_state::suspect;
  case member_state::dead:
    return wire_member_state::dead;
  case member_state::left:
    return wire_member_state::left;
  }
  return wire_member_state::dead;
}

member_state from_wire(wire_member_state s) {
  switch (s) {
  case wire_member_state::alive:
    return member_state::alive;
  case wire_member_state::suspect:
    return member_state::suspect;
  case wire_member_state::dead:
    return member_state::dead;
  case wire_member_state::left:
    return member_state::left;
  }
  return member_state::dead;
}

wire_result<member_update> to_wire(const update& u) {
  auto inc = narrow_incarnation(u.incarnation, u.node);
  if (!inc) return inc.err();
  auto health = narrow_health(u.health, u.node);
  if (!health) return health.err();
  return member_update{node_id_of(u.node), *inc, to_wire(u.state), *health};
}

wire_result<ownership_claim> to_wire(const vip_claim& c) {
  auto ip = ip_address::parse(c.vip);
  if (!ip || (!ip->is_v4() && !ip->is_v6()))
    return fail(wire_fault::bad_field, "claim: \"" + c.vip + "\" is not an IP address");
  // No owner ("": an answer saying none) travels as id 0.
  return ownership_claim{*ip, c.owner.empty() ? 0 : node_id_of(c.owner), c.term, c.answering};
}

msg_type to_wire(message::kind k) {
  switch (k) {
  case message::kind::ping:
    return msg_type::ping;
  case message::kind::ack:
    return msg_type::ack;
  case message::kind::ping_req:
    return msg_type::ping_req;
  }
  return msg_type::ping;
}

message::kind from_wire(msg_type t) {
  return t == msg_type::ack        ? message::kind::ack
         : t == msg_type::ping_req ? message::kind::ping_req
                                   : message::kind::ping;
}

// The header and seqs of `m` into `w` (see the table above).
wire_result<void> header(const message& m, const frame_extras& x, wire_message& w) {
  if (m.from.empty()) return fail(wire_fault::bad_field, "message without a sender");
  w.type = to_wire(m.what);
  w.sender = node_id_of(m.from);
  auto inc = narrow_incarnation(m.incarnation, m.from);
  if (!inc) return inc.err();
  w.incarnation = *inc;
  auto health = narrow_health(m.health, m.from);
  if (!health) return health.err();
  w.health = *health;
  if (m.what == message::kind::ack) {
    if (x.seq == 0) return fail(wire_fault::bad_field, "ack without a frame seq (extras.seq)");
    w.seq = x.seq;
    w.acked_seq = m.seq;
  } else {
    if (x.seq != 0 && x.seq != m.seq)
      return fail(wire_fault::bad_field, "ping seq " + std::to_string(m.seq) +
                                             " differs from the frame seq " +
                                             std::to_string(x.seq));
    if (m.seq == 0) return fail(wire_fault::bad_field, "ping or ping-req without a seq");
    w.seq = m.seq;
  }
  w.timestamp_us = x.timestamp_us;
  w.echo_us = x.echo_us;
  w.digest = x.digest;
  w.target = m.target.empty() ? 0 : node_id_of(m.target);
  return {};
}

} // namespace

wire_result<std::vector<std::uint8_t>> encode_frame(const message& m, const frame_extras& extras,
                                                    const cluster_key& key) {
  wire_message w;
  if (auto h = header(m, extras, w); !h) return h.err();
  for (const auto& u : m.updates) {
    auto wu = to_wire(u);
    if (!wu) return wu.err();
    w.members.push_back(*wu);
  }
  for (const auto& c : extras.claims) {
    auto wc = to_wire(c);
    if (!wc) return wc.err();
    w.claims.push_back(*wc);
  }
  return encode(w, key);
}

namespace {

std::size_t claim_size(const vip_claim& c) {
  return c.vip.find(':') == std::string::npos ? claim_v4_bytes : claim_v6_bytes;
}

std::size_t empty_size(message::kind k) {
  const std::size_t body = k == message::kind::ack ? 16 : 8;
  return header_bytes + body + list_counts_bytes + mac_bytes;
}

} // namespace

std::size_t frame_size(const message& m, const std::vector<vip_claim>& claims) {
  std::size_t n = empty_size(m.what) + m.updates.size() * member_update_bytes;
  for (const auto& c : claims)
    n += claim_size(c);
  return n;
}

std::size_t fit_frame(message& m, frame_extras& extras) {
  std::size_t size = frame_size(m, extras.claims);
  std::size_t dropped = 0;
  while (size > max_frame_bytes && !m.updates.empty()) {
    m.updates.pop_back();
    size -= member_update_bytes;
    ++dropped;
  }
  while (size > max_frame_bytes && !extras.claims.empty()) {
    size -= claim_size(extras.claims.back());
    extras.claims.pop_back();
    ++dropped;
  }
  return dropped;
}

std::size_t claims_per_frame(const std::vector<vip_claim>& claims, std::size_t first) {
  // The ack is the larger of the two (its body holds the acked seq), and its
  // answers have the same families as the claims.
  std::size_t size = empty_size(message::kind::ack);
  std::size_t n = 0;
  for (std::size_t i = first; i < claims.size(); ++i) {
    size += claim_size(claims[i]);
    if (size > max_frame_bytes) break;
    ++n;
  }
  return first < claims.size() ? std::max<std::size_t>(n, 1) : 0;
}

wire_result<decoded_frame> decode_frame(std::span<const std::uint8_t> bytes,
                                        const std::string& routing_id, const cluster_key& key,
                                        replay_guard& guard, const name_table& names) {
  auto w = decode(bytes, key);
  if (!w) return w.err();
  // Checked before the replay guard: a frame refused here must not move the
  // window of the sender it claims to be.
  if (w->sender != node_id_of(routing_id))
    return fail(wire_fault::wrong_sender, "sender id " + std::to_string(w->sender) +
                                              " is not that of the routing id \"" + routing_id +
                                              "\"");
  const std::string* target = w->target == 0 ? nullptr : names.find(w->target);
  if (w->type == msg_type::ping_req && !target)
    return fail(wire_fault::bad_field,
                "ping-req for node id " + std::to_string(w->target) + ", which is not known");
  if (auto fresh = guard.accept(w->sender, w->seq); !fresh) return fresh.err();

  decoded_frame out;
  message& m = out.msg;
  m.what = from_wire(w->type);
  m.from = routing_id;
  m.incarnation = w->incarnation;
  m.health = w->health;
  m.seq = w->type == msg_type::ack ? w->acked_seq : w->seq;
  if (target)
    m.target = *target;
  else if (w->target != 0)
    ++out.dropped_unknown;
  for (const member_update& u : w->members) {
    const std::string* node = u.node == w->sender ? &routing_id : names.find(u.node);
    if (!node) {
      ++out.dropped_unknown;
      continue;
    }
    m.updates.push_back(update{*node, from_wire(u.state), u.incarnation, u.health});
  }
  out.extras.seq = w->seq;
  out.extras.timestamp_us = w->timestamp_us;
  out.extras.echo_us = w->echo_us;
  out.extras.digest = w->digest;
  for (const auto& c : w->claims) {
    static const std::string none;
    const std::string* owner = c.owner == 0           ? &none
                               : c.owner == w->sender ? &routing_id
                                                      : names.find(c.owner);
    if (!owner) {
      ++out.dropped_unknown;
      continue;
    }
    out.extras.claims.push_back(vip_claim{c.vip.to_string(), *owner, c.term, c.answering});
  }
  return out;
}

} // namespace kvip::net::gossip
