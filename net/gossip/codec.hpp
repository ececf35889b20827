#pragma once
// Between the membership machine's datagram (membership.hpp `message`, node
// names) plus the ownership fields (ownership.hpp `vip_claim`, echo, digest)
// and the signed wire frame (wire.hpp, node ids). Pure: no sockets, no clock.
//
// Names travel as node ids (wire.hpp node_id_of); the receiver maps them back
// with the names it knows (configured peers, Node objects, routing ids of the
// frames it received). A membership update or a claim naming an unknown id
// is dropped and counted, never guessed. The frame's sender id must equal
// node_id_of(routing id the transport reported) or the frame is refused.

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/gossip/membership.hpp"
#include "net/gossip/ownership.hpp"
#include "net/gossip/wire.hpp"

namespace kvip::net::gossip {

/// Node names by id, for decoding.
class name_table {
public:
  void add(const std::string& name) { names_[node_id_of(name)] = name; }
  const std::string* find(node_id id) const {
    auto it = names_.find(id);
    return it == names_.end() ? nullptr : &it->second;
  }
  std::size_t size() const { return names_.size(); }

private:
  std::unordered_map<node_id, std::string> names_;
};

/// What a frame carries besides the membership datagram.
struct frame_extras {
  std::uint64_t seq = 0;          ///< strictly increasing per sender (replay guard)
  std::uint64_t timestamp_us = 0; ///< the sender's steady clock at send, microseconds
  std::uint64_t echo_us =
      0; ///< timestamp_us of the latest frame accepted from the addressee (0: none)
  std::uint64_t digest = 0;      ///< ownership::digest_for(addressee)
  std::vector<vip_claim> claims; ///< ping/ping-req: claims; ack: answers
};

struct decoded_frame {
  message msg; ///< membership's view of it (names)
  frame_extras extras;
  unsigned dropped_unknown = 0; ///< updates or claims naming an unknown node
};

/// Signs `m` with `extras`; `oversized` when the updates and claims do not fit
/// (the caller drops piggybacked updates first, then claims).
wire_result<std::vector<std::uint8_t>> encode_frame(const message& m, const frame_extras& extras,
                                                    const cluster_key& key);

/// Bytes encode_frame(m, {.claims = claims}) would produce, counted without
/// encoding or signing; may exceed max_frame_bytes. A claim whose VIP has a ':' counts as IPv6.
std::size_t frame_size(const message& m, const std::vector<vip_claim>& claims);

/// Drops piggybacked updates, then claims, from the back until the frame fits
/// max_frame_bytes (both are sent again later); returns how many it dropped.
/// The sender encodes and signs once.
std::size_t fit_frame(message& m, frame_extras& extras);

/// How many of `claims`, starting at `first`, one claim frame (a ping with no
/// updates) carries so that the ack answering each of them fits too (at least
/// one when any is left).
std::size_t claims_per_frame(const std::vector<vip_claim>& claims, std::size_t first);

/// Authenticates (wire::receive, replay guard included), checks the sender id
/// against `routing_id`, and maps ids back to names.
wire_result<decoded_frame> decode_frame(std::span<const std::uint8_t> bytes,
                                        const std::string& routing_id, const cluster_key& key,
                                        replay_guard& guard, const name_table& names);

} // namespace kvip::net::gossip
