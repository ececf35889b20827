// The health checker's decision (net/http/health_gate) as tables: each row is
// a probe outcome and the verdict and state it must lead to.
#include "net/http/health_gate.hpp"

#include <gtest/gtest.h>

namespace {

using kvip::net::http::health_gate;
using state = health_gate::state;

struct row {
  bool ok;
  bool healthy; ///< the verdict
  bool changed;
  state after;
};

struct table {
  const char* name;
  int threshold;
  std::vector<row> rows;
};

std::ostream& operator<<(std::ostream& os, const table& t) {
  return os << t.name;
}

class HealthGate : public ::testing::TestWithParam<table> {};

TEST_P(HealthGate, Table) {
  health_gate g{"http://127.0.0.1:6443/livez", GetParam().threshold};
  int i = 0;
  for (const auto& r : GetParam().rows) {
    SCOPED_TRACE("row " + std::to_string(i++));
    auto v = g.probed(r.ok, r.ok ? "HTTP 200" : "HTTP 503");
    EXPECT_EQ(v.healthy, r.healthy);
    EXPECT_EQ(v.changed, r.changed);
    EXPECT_STREQ(to_string(g.current()), to_string(r.after));
    EXPECT_EQ(v.detail, r.healthy ? (r.ok ? "HTTP 200" : "HTTP 503")
                                  : "http://127.0.0.1:6443/livez: HTTP 503");
  }
}

const table tables[] = {
    {"UnhealthyAtTheThresholdAndHealthyAfterOneSuccess",
     3,
     {
         {true, true, false, state::healthy},
         {false, true, false, state::failing},
         {false, true, false, state::failing},
         {false, false, true, state::unhealthy},
         {false, false, false, state::unhealthy},
         {true, true, true, state::healthy},
     }},
    {"ASuccessResetsTheCount",
     3,
     {
         {false, true, false, state::failing},
         {false, true, false, state::failing},
         {true, true, false, state::healthy},
         {false, true, false, state::failing},
         {false, true, false, state::failing},
         {false, false, true, state::unhealthy},
     }},
    {"ThresholdOneFailsAtOnce",
     1,
     {
         {false, false, true, state::unhealthy},
         {true, true, true, state::healthy},
     }},
    {"ThresholdZeroActsLikeOne",
     0,
     {
         {false, false, true, state::unhealthy},
     }},
};

INSTANTIATE_TEST_SUITE_P(Net, HealthGate, ::testing::ValuesIn(tables),
                         [](const auto& info) { return std::string{info.param.name}; });

TEST(NetHealthGate, CountsFailuresInARow) {
  health_gate g{"u", 5};
  g.probed(false, "x");
  g.probed(false, "x");
  EXPECT_EQ(g.failures(), 2);
  g.probed(true, "ok");
  EXPECT_EQ(g.failures(), 0);
}

} // namespace
