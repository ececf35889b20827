#pragma once
// A veth pair `kva` <-> `kvb` inside the test process's private namespace,
// with fixed MACs and addresses 10.77.0.1/24 + fd77::1/64 on kva and
// 10.77.0.2/24 + fd77::2/64 on kvb. Removed after each test.

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

namespace kvip::test {

inline int sh(const std::string& cmd) {
  return std::system(("(" + cmd + ") >/dev/null 2>&1").c_str());
}

/// Output of a shell command (stdout), for assertions on `ip` listings.
inline std::string sh_out(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[512];
    while (auto n = std::fread(buf, 1, sizeof buf, p))
      out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

class veth_pair : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(sh("ip link add kva address 02:77:00:00:00:01 type veth peer name kvb address "
                 "02:77:00:00:00:02"),
              0);
    ASSERT_EQ(sh("ip link set kva up && ip link set kvb up"), 0);
    ASSERT_EQ(sh("ip addr add 10.77.0.1/24 dev kva && ip addr add fd77::1/64 dev kva nodad"), 0);
    ASSERT_EQ(sh("ip addr add 10.77.0.2/24 dev kvb && ip addr add fd77::2/64 dev kvb nodad"), 0);
  }
  void TearDown() override { sh("ip link del kva"); }
};

} // namespace kvip::test
