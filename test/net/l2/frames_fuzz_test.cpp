// net/l2/frames: bad frames from the wire never crash the parser (seeded
// random and mutated ARP/NDP frames; see test/support/fuzz.hpp).
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/l2/frames.hpp"
#include "test/support/fuzz.hpp"

namespace {

using kvip::test::mutate;
using kvip::test::random_bytes;

TEST(FramesFuzz, FramesFromTheWire) {
  std::mt19937 rng{1};
  const kvip::net::mac_address mac{2, 0, 0, 0, 0, 1};
  std::vector<kvip::net::l2::frame> seeds = {
      kvip::net::l2::build_garp(mac, *kvip::net::ip_address::parse("10.0.0.1"),
                                kvip::net::l2::garp_form::request),
      kvip::net::l2::build_unsolicited_na(mac, *kvip::net::ip_address::parse("fd00::1")),
      kvip::net::l2::build_neighbor_solicitation(mac, *kvip::net::ip_address::parse("fd00::2"),
                                                 *kvip::net::ip_address::parse("fd00::1")),
  };
  auto vip = *kvip::net::ip_address::parse("10.0.0.1");
  for (int i = 0; i < 100000; ++i) {
    std::string bytes = i % 2 ? random_bytes(rng, 128)
                              : mutate(rng, std::string(seeds[i % 3].begin(), seeds[i % 3].end()));
    kvip::net::l2::frame f(bytes.begin(), bytes.end());
    auto p = kvip::net::l2::parse_frame(f);
    // A parsed frame has a value; a dropped one has a reason and no value.
    ASSERT_EQ(p.reason == kvip::net::l2::drop_reason::none, p.arp.has_value() || p.nd.has_value());
    (void)kvip::net::l2::conflicting_claim(p, vip, mac);
  }
}

} // namespace
