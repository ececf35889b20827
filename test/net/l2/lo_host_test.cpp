// net/l2/lo_host's settings and restore file, on a fake /proc/sys tree (the
// addresses on lo are covered by test/net/l2/responder_netns_test.cpp).
#include "net/l2/lo_host.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;
using namespace kvip::net;
using namespace kvip::net::l2;

class LoHost : public ::testing::Test {
protected:
  void SetUp() override {
    static int n = 0;
    root_ = fs::temp_directory_path() /
            ("kvip_lo_host_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    for (const char* dev : {"all", "eth0", "eth1"}) {
      fs::create_directories(root_ / "sys/net/ipv4/conf" / dev);
      put(std::string{dev} + "/arp_ignore", "0");
      put(std::string{dev} + "/arp_announce", "0");
    }
    opts_.proc_sys = (root_ / "sys").string();
    opts_.restore_file = (root_ / "run/kvip/responder.restore").string();
    opts_.manage_addresses = false;
  }
  void TearDown() override { fs::remove_all(root_); }

  void put(const std::string& rel, const std::string& v) {
    std::ofstream{root_ / "sys/net/ipv4/conf" / rel} << v << "\n";
  }
  std::string get(const std::string& rel) {
    return read_sysctl((root_ / "sys/net/ipv4/conf" / rel).string()).value_or("?");
  }
  std::unique_ptr<lo_host> open() {
    auto h = lo_host::open(opts_);
    EXPECT_TRUE(h) << h.err().describe();
    return h ? std::move(*h) : nullptr;
  }

  fs::path root_;
  lo_host_options opts_;
};

TEST_F(LoHost, PrepareSetsAndRestoreRestores) {
  put("eth0/arp_announce", "1");
  auto h = open();
  ASSERT_TRUE(h);
  ASSERT_TRUE(h->prepare("eth0"));
  EXPECT_EQ(get("eth0/arp_ignore"), "1");
  EXPECT_EQ(get("eth0/arp_announce"), "2");
  EXPECT_EQ(get("all/arp_ignore"), "0") << "all is not touched";
  EXPECT_EQ(get("eth1/arp_ignore"), "0");
  EXPECT_TRUE(fs::exists(opts_.restore_file));
  EXPECT_EQ(h->describe().size(), 2u);
  ASSERT_TRUE(h->restore());
  EXPECT_EQ(get("eth0/arp_ignore"), "0");
  EXPECT_EQ(get("eth0/arp_announce"), "1");
  EXPECT_FALSE(fs::exists(opts_.restore_file)) << "clean exit leaves nothing";
}

TEST_F(LoHost, PrepareTwiceKeepsTheFirstOriginal) {
  auto h = open();
  ASSERT_TRUE(h->prepare("eth0"));
  ASSERT_TRUE(h->prepare("eth0"));
  EXPECT_EQ(h->originals().at("net/ipv4/conf/eth0/arp_ignore"), "0");
  ASSERT_TRUE(h->restore());
  EXPECT_EQ(get("eth0/arp_ignore"), "0");
}

TEST_F(LoHost, AStricterArpIgnoreIsKept) {
  put("eth0/arp_ignore", "2");
  put("eth1/arp_ignore", "3"); // answers global-scope addresses: replaced
  auto h = open();
  ASSERT_TRUE(h->prepare("eth0"));
  ASSERT_TRUE(h->prepare("eth1"));
  EXPECT_EQ(get("eth0/arp_ignore"), "2");
  EXPECT_EQ(get("eth1/arp_ignore"), "1");
  ASSERT_TRUE(h->restore());
  EXPECT_EQ(get("eth1/arp_ignore"), "3");
}

TEST_F(LoHost, AllThatOverridesTheInterfaceIsAnError) {
  put("all/arp_ignore", "3");
  auto h = open();
  auto r = h->prepare("eth0");
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message.find("all.arp_ignore=3"), std::string::npos) << r.err().message;
  ASSERT_TRUE(h->restore());
  EXPECT_EQ(get("eth0/arp_ignore"), "0");
}

TEST_F(LoHost, AKilledPredecessorsOriginalsAreRestoredNotItsOwnValues) {
  {
    auto first = open();
    ASSERT_TRUE(first->prepare("eth0"));
    // SIGKILL: no restore(); the file stays.
  }
  EXPECT_EQ(get("eth0/arp_ignore"), "1");
  auto second = open();
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->prepare("eth0")); // sees 1 and 2 now: they are not originals
  EXPECT_EQ(second->originals().at("net/ipv4/conf/eth0/arp_ignore"), "0");
  ASSERT_TRUE(second->restore());
  EXPECT_EQ(get("eth0/arp_ignore"), "0");
  EXPECT_EQ(get("eth0/arp_announce"), "0");
  EXPECT_FALSE(fs::exists(opts_.restore_file));
}

TEST_F(LoHost, AdoptedSettingsAreRestoredEvenIfNeverPreparedAgain) {
  {
    auto first = open();
    ASSERT_TRUE(first->prepare("eth1"));
  }
  auto second = open();
  ASSERT_TRUE(second->prepare("eth0"));
  ASSERT_TRUE(second->restore());
  EXPECT_EQ(get("eth1/arp_ignore"), "0");
  EXPECT_EQ(get("eth1/arp_announce"), "0");
}

TEST_F(LoHost, AVanishedInterfaceIsNotAnError) {
  auto h = open();
  ASSERT_TRUE(h->prepare("eth1"));
  fs::remove_all(root_ / "sys/net/ipv4/conf/eth1");
  EXPECT_TRUE(h->restore());
  EXPECT_FALSE(fs::exists(opts_.restore_file));
}

TEST_F(LoHost, BadInputIsRefusedOrIgnored) {
  auto h = open();
  EXPECT_FALSE(h->prepare(""));
  EXPECT_FALSE(h->prepare("../../etc"));
  EXPECT_FALSE(h->prepare("nosuchif")) << "missing sysctl names itself";
  fs::create_directories(fs::path{opts_.restore_file}.parent_path());
  std::ofstream{opts_.restore_file} << "garbage line\nsysctl\naddress not-an-ip\n"
                                    << "sysctl ../../etc/passwd x\n"
                                    << "sysctl net/ipv4/conf/eth0/arp_ignore 0\n";
  put("eth0/arp_ignore", "1");
  auto again = open();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->originals().size(), 1u);
  EXPECT_TRUE(again->held().empty());
  ASSERT_TRUE(again->restore());
  EXPECT_EQ(get("eth0/arp_ignore"), "0");
}

} // namespace
