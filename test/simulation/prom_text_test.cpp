#include "simulation/prom_text.hpp"

#include <gtest/gtest.h>

namespace {

using kvip::sim::prom_label;
using kvip::sim::prom_samples;

const char* page = "# HELP kvip_gossip_bytes_total Gossip bytes sent and received.\n"
                   "# TYPE kvip_gossip_bytes_total counter\n"
                   "kvip_gossip_bytes_total{direction=\"in\"} 1200\n"
                   "kvip_gossip_bytes_total{direction=\"out\"} 3400.5\n"
                   "kvip_gossip_bytes_total_extra{direction=\"out\"} 9\n"
                   "kvip_gossip_frames_total{direction=\"in\",result=\"bad_mac\"} 40\n"
                   "kvip_up 1\n"
                   "kvip_gossip_bytes_total{direction=\"out\"} not-a-number\n";

TEST(SimPromText, SamplesOfOneMetricWithTheirLabels) {
  auto s = prom_samples(page, "kvip_gossip_bytes_total");
  ASSERT_EQ(s.size(), 2u) << "comments, other metrics and a bad value are skipped";
  EXPECT_EQ(s[0].labels, "direction=\"in\"");
  EXPECT_DOUBLE_EQ(s[0].value, 1200);
  EXPECT_DOUBLE_EQ(s[1].value, 3400.5);
  auto up = prom_samples(page, "kvip_up");
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].labels, "");
  EXPECT_DOUBLE_EQ(up[0].value, 1);
}

TEST(SimPromText, LabelValues) {
  EXPECT_EQ(prom_label("direction=\"in\",result=\"bad_mac\"", "result"), "bad_mac");
  EXPECT_EQ(prom_label("direction=\"in\",result=\"bad_mac\"", "direction"), "in");
  EXPECT_EQ(prom_label("xresult=\"a\",result=\"b\"", "result"), "b") << "whole label names only";
  EXPECT_EQ(prom_label("direction=\"in\"", "result"), "");
}

} // namespace
