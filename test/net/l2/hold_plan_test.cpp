// The responder's holds on lo change by difference only (net/l2/hold_plan.hpp).
#include "net/l2/hold_plan.hpp"

#include <gtest/gtest.h>

namespace {

using kvip::net::ip_address;
using set = std::map<ip_address, std::string>;

ip_address ip(const char* s) {
  return *ip_address::parse(s);
}

TEST(HoldPlan, OnlyTheDifferenceGoesOnOrOffLo) {
  struct row {
    const char* what;
    set held, wanted;
    std::vector<ip_address> add, remove;
  };
  const auto a = ip("10.0.0.1"), b = ip("10.0.0.2"), c = ip("fd00::3");
  for (const auto& r : {
           row{"first set", {}, {{a, "eth0"}, {b, "eth0"}}, {a, b}, {}},
           row{"same set again: nothing",
               {{a, "eth0"}, {b, "eth0"}},
               {{a, "eth0"}, {b, "eth0"}},
               {},
               {}},
           row{"one more", {{a, "eth0"}}, {{a, "eth0"}, {c, "eth0"}}, {c}, {}},
           row{"one less", {{a, "eth0"}, {b, "eth0"}}, {{b, "eth0"}}, {}, {a}},
           row{"another interface: lo unchanged", {{a, "eth0"}}, {{a, "eth1"}}, {}, {}},
           row{"all gone", {{a, "eth0"}, {c, "eth1"}}, {}, {}, {a, c}},
       }) {
    auto p = kvip::net::l2::plan_holds(r.held, r.wanted);
    EXPECT_EQ(p.add, r.add) << r.what;
    EXPECT_EQ(p.remove, r.remove) << r.what;
  }
}

TEST(HoldPlan, AThousandHeldAndOneNewAddsOne) {
  set held;
  for (int i = 0; i < 1000; ++i)
    held[ip(("10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1)).c_str())] =
        "eth0";
  auto wanted = held;
  wanted[ip("10.2.0.1")] = "eth0";
  auto p = kvip::net::l2::plan_holds(held, wanted);
  EXPECT_EQ(p.add, std::vector<ip_address>{ip("10.2.0.1")});
  EXPECT_TRUE(p.remove.empty());
}

} // namespace
