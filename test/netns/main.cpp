// Tests that need root and a network namespace. The process moves itself into
// a fresh, private network namespace before any test runs, so every link and
// address a test makes is invisible to the host and vanishes with the process,
// also when a test crashes. Exit 77 (ctest: skipped) without root.
#include <cstdio>
#include <cstdlib>
#include <sched.h>
#include <unistd.h>

#include <gtest/gtest.h>

int main(int argc, char** argv) {
  if (::geteuid() != 0) {
    std::printf("skipped: network-namespace tests need root\n");
    return 77;
  }
  if (::unshare(CLONE_NEWNET) != 0) {
    std::perror("skipped: unshare(CLONE_NEWNET)");
    return 77;
  }
  if (std::system("ip link set lo up") != 0) {
    std::printf("skipped: cannot bring up lo in the private namespace (is iproute2 there?)\n");
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
