#pragma once
// The `forge` fault of `kvip simulate` (issue 9: forged, replayed and unsigned
// gossip frames are dropped and never move a VIP). From one lab namespace it
// opens ZeroMQ DEALERs to every node's gossip port, with routing ids of real
// node names, and for a while sends, in rounds, frames built with
// net/gossip's own wire functions:
//
//   wrong key     a ping claiming the owner dead and left and the VIP for
//                 another node (term and incarnations far ahead), signed with
//                 a key that is not the cluster's         -> bad_mac
//   unsigned      that frame with its MAC cut off, and a short ping without
//                 one, and the first half of a frame     -> bad_mac / truncated
//   wrong sender  a frame signed with the cluster key whose sender is the
//                 owner while its routing id is another node -> wrong_sender
//   replay        a harmless ping (no updates, no claims) signed with the
//                 cluster key as the receiver itself (so it changes nothing),
//                 sent twice, then once more with seq 1  -> replayed, too_old
//
// Every frame goes over one DEALER per node whose routing id is that node's
// own name, which no real connection uses. With `take_over` (the fault
// `forge-peers`) the wrong-key and unsigned frames go instead over a DEALER
// under the name of the node they claim to come from, opened afresh every
// round: the receiver's ROUTER already has that node's real connection, and
// an attacker without the key who connects under a peer's name is part of
// what must not move a VIP.

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "net/ip.hpp"
#include "net/result.hpp"

namespace kvip::sim {

struct forge_plan {
  std::string netns;                  ///< where the DEALERs live ("" = here)
  std::vector<std::string> names;     ///< node names, by node index
  std::vector<std::string> addresses; ///< their gossip addresses ("10.99.0.1:7947")
  int owner = 0;                      ///< index of the node that holds the VIP
  net::ip_address vip;
  std::string key_file; ///< the cluster's key file (for the valid frames)
  std::chrono::milliseconds duration{2000};
  std::chrono::milliseconds round{200}; ///< one batch to every node this often
  bool take_over = false;               ///< forged frames under the routing ids of real peers
};

/// Frames handed to ZeroMQ, by kind.
struct forge_sent {
  int wrong_key = 0, unsigned_frames = 0, wrong_sender = 0, replays = 0, stale = 0, valid = 0;
  int rounds = 0;
};

/// Sends the forgeries of `plan` for plan.duration (blocks); an error names
/// what could not be done (namespace, key file, socket).
net::result<forge_sent> send_forgeries(const forge_plan& plan);

/// kvip_gossip_frames_total{direction="in"} by result, read from a Prometheus
/// text page (absent series are absent).
std::map<std::string, double> inbound_frames(std::string_view metrics);

/// after - before for every result other than "accepted", summed over nodes:
/// the frames the nodes refused while the forgery ran.
std::map<std::string, long> refused_between(const std::vector<std::string>& before,
                                            const std::vector<std::string>& after);

} // namespace kvip::sim
