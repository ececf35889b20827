// Which addresses kube-vip.io/flush-conntrack flushes (k8s/services/
// conntrack_flush): only flagged addresses, only when they enter or leave
// this node's announced set; unchanged ones are never flushed again.
#include <gtest/gtest.h>

#include "k8s/services/conntrack_flush.hpp"

namespace kvip::k8s::services {
namespace {

using set = std::set<std::string>;

TEST(ConntrackFlush, FlaggedAddressesThatEnterOrLeave) {
  struct row {
    const char* what;
    set before, after, flagged;
    std::vector<conntrack_flush> want;
  };
  const std::vector<row> rows{
      {"nothing announced", {}, {}, {"10.0.0.1"}, {}},
      {"placed here", {}, {"10.0.0.1"}, {"10.0.0.1"}, {{"10.0.0.1", true}}},
      {"moved away", {"10.0.0.1"}, {}, {"10.0.0.1"}, {{"10.0.0.1", false}}},
      {"unflagged placed", {}, {"10.0.0.2"}, {"10.0.0.1"}, {}},
      {"still announced: no second flush", {"10.0.0.1"}, {"10.0.0.1"}, {"10.0.0.1"}, {}},
      {"one leaves, one enters, one stays",
       {"10.0.0.1", "10.0.0.3"},
       {"10.0.0.2", "10.0.0.3"},
       {"10.0.0.1", "10.0.0.2", "10.0.0.3"},
       {{"10.0.0.1", false}, {"10.0.0.2", true}}},
      {"IPv6", {}, {"fd00::1", "fd00::2"}, {"fd00::2"}, {{"fd00::2", true}}},
  };
  for (const auto& r : rows)
    EXPECT_EQ(conntrack_flushes(r.before, r.after, r.flagged), r.want) << r.what;
}

} // namespace
} // namespace kvip::k8s::services
