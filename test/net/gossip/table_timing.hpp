#pragma once
// The fence timing the gossip cores' tables were written for (fence 100 ms,
// takeover 150, check 10, handover 1 s). kvip's defaults are shorter
// (fence.hpp); the lab benchmark measures those.
#include "net/gossip/fence.hpp"

namespace kvip::test {

inline net::gossip::fence_config table_timing() {
  using d = net::gossip::duration;
  return {d{100}, d{150}, d{10}, d{1000}};
}

} // namespace kvip::test
