// Between a Lease object and the election record (k8s/lease_record).
#include "k8s/lease_record.hpp"

#include <gtest/gtest.h>

namespace {

using namespace kvip::k8s;

TEST(K8sLeaseRecord, ReadsTheElectionFieldsOfTheSpec) {
  auto l = lease::make("kube-system", "plndr-cp-lock");
  l.set_holder_identity("n1");
  l.set_lease_duration_seconds(15);
  l.set_lease_transitions(4);
  auto t = parse_micro_time("2026-11-26T08:59:06.484405Z");
  ASSERT_TRUE(t);
  l.set_renew_time(*t);
  auto r = election::to_record(l);
  EXPECT_EQ(r.holder, "n1");
  EXPECT_EQ(r.lease_duration_s, 15);
  EXPECT_EQ(r.transitions, 4);
  EXPECT_EQ(r.renew_time, t);
  EXPECT_FALSE(r.acquire_time);
}

TEST(K8sLeaseRecord, AnEmptyLeaseIsAReleasedRecord) {
  auto r = election::to_record(lease::make("kube-system", "plndr-cp-lock"));
  EXPECT_EQ(r.holder, "");
  EXPECT_EQ(r.lease_duration_s, 0);
  EXPECT_EQ(r.transitions, 0);
}

TEST(K8sLeaseRecord, WritesTheRecordAndAnnotationsAndKeepsOtherFields) {
  auto l = lease::make("kube-system", "plndr-cp-lock");
  l.set_resource_version("7");
  l.set_annotation("other.io/keep", "yes");
  election::record r;
  r.holder = "n2";
  r.lease_duration_s = 5;
  r.acquire_time = parse_micro_time("2026-11-26T08:59:06.000001Z");
  r.renew_time = r.acquire_time;
  r.transitions = 2;
  election::write_record(l, r, {{"example.com/owner", "kvip"}});
  EXPECT_EQ(election::to_record(l), r);
  EXPECT_EQ(l.resource_version(), "7");
  EXPECT_EQ(l.annotation("other.io/keep").value_or(""), "yes");
  EXPECT_EQ(l.annotation("example.com/owner").value_or(""), "kvip");
}

} // namespace
