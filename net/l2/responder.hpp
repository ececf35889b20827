#pragma once
// The userspace ARP/NDP responder's decision (gossip mode, issue 9): given a
// frame that arrived on an announcing interface, this node's MAC there and
// the answer table at the moment of arrival, the reply to send or a named
// reason for sending none. Pure: no sockets, no clock (`now` is passed in;
// the receive thread passes steady_clock::now() as it reads the frame, so a
// process that was frozen past its deadline answers nothing when it resumes).
//
// Answered:
//  - an ARP request (op 1) whose target is an answered VIP, including an ARP
//    probe (RFC 5227: sender 0.0.0.0): an ARP reply to the asker's MAC;
//  - a neighbour solicitation for an answered VIP: a solicited NA (S, O set)
//    to the asker, using its source link-layer option or else its Ethernet
//    source; a DAD solicitation (source ::) gets an NA to ff02::1 with S clear
//    (RFC 4861 §7.2.4), which defends the VIP against a duplicate.
// During a graceful handover (answer_table::releasing) the reply names the
// successor's MAC once the successor announced itself; the Ethernet source
// stays ours.
// Not answered: replies and advertisements, gratuitous ARP (an announcement,
// not a question), frames from our own MAC, solicitations not addressed to
// the target's solicited-node group or the target itself, and anything the
// table does not answer at `now`.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "net/ip.hpp"
#include "net/l2/answer_table.hpp"
#include "net/l2/frames.hpp"

namespace kvip::net::l2 {

/// Why a frame got (or did not get) a reply.
enum class response_reason {
  answered,      ///< reply built
  malformed,     ///< not a well-formed ARP or ND frame (see parse_frame's drop_reason)
  not_a_request, ///< an ARP reply, an NA, or a gratuitous ARP announcement
  not_ours,      ///< sent by our own MAC, or an NS addressed elsewhere
  not_answering, ///< the table does not answer the target now (not held, or deadline passed)
};

/// Text for logs, metrics and test messages.
std::string_view to_string(response_reason r);

/// The outcome for one received frame.
struct response {
  response_reason reason = response_reason::malformed;
  std::optional<frame> reply;       ///< set exactly when reason == answered
  std::optional<ip_address> target; ///< the address asked for, when the frame asked for one
};

/// Another MAC announcing an address: a gratuitous ARP, an ARP reply (its
/// sender pair) or a neighbour advertisement (its target and link-layer
/// address). The receive thread hands it to answer_table::observed (a
/// releasing owner then answers with the successor's MAC).
struct announcement_seen {
  ip_address address;
  mac_address mac{};
};
std::optional<announcement_seen> announcement_of(std::span<const std::uint8_t> bytes,
                                                 const mac_address& ours);

/// Decides the reply to `bytes` (an Ethernet frame) for a node whose MAC on
/// the receiving interface is `ours`, with `table` read at `now`.
response respond(std::span<const std::uint8_t> bytes, const mac_address& ours,
                 const answer_table& table, answer_table::time_point now);

} // namespace kvip::net::l2
