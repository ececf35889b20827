#pragma once
// What the ownership tests (ownership_test.cpp, ownership_claims_test.cpp)
// build their rows from: one VIP, virtual time in milliseconds, members in
// each state, claims of that VIP.
#include <cstdint>
#include <string>

#include "net/gossip/ownership.hpp"

namespace kvip::test {

inline const std::string V = "10.0.0.33";

inline net::gossip::time_point at(long ms) {
  return net::gossip::time_point{} + net::gossip::duration{ms};
}
inline net::gossip::member_view live(const std::string& n) {
  return {n, true, true, false};
}
inline net::gossip::member_view dead(const std::string& n) {
  return {n, false, false, false};
}
inline net::gossip::member_view gone(const std::string& n) {
  return {n, false, false, true};
}
inline net::gossip::vip_claim claim(const std::string& owner, std::uint64_t term,
                                    bool answering = false) {
  return {V, owner, term, answering};
}

} // namespace kvip::test
