// The gossip owner's rule for a VIP's Lease (k8s/vip_lease): a change of
// holder is written, the same holder in a newer term is not, and another
// holder in a higher term wins.
#include <gtest/gtest.h>

#include "k8s/vip_lease.hpp"

namespace kvip::k8s {
namespace {

TEST(VipLease, WritesOnlyAChangeOfHolder) {
  struct row {
    const char* what;
    std::string recorded_holder;
    std::uint64_t recorded_term;
    std::string holder;
    std::uint64_t term;
    vip_lease_action want;
  };
  const std::vector<row> rows{
      {"no Lease yet (empty record)", "", 0, "n1", 1, vip_lease_action::write},
      {"released", "", 4, "n1", 5, vip_lease_action::write},
      {"same holder, same term", "n1", 3, "n1", 3, vip_lease_action::recorded},
      {"same holder, newer term (reclaimed after a lapse)", "n1", 3, "n1", 9,
       vip_lease_action::recorded},
      {"taken over from another holder", "n2", 3, "n1", 4, vip_lease_action::write},
      {"another holder in the same term", "n2", 4, "n1", 4, vip_lease_action::write},
      {"another holder in a higher term", "n2", 5, "n1", 4, vip_lease_action::yield},
  };
  for (const auto& r : rows)
    EXPECT_EQ(to_string(vip_lease_decision(r.recorded_holder, r.recorded_term, r.holder, r.term)),
              std::string{to_string(r.want)})
        << r.what;
}

} // namespace
} // namespace kvip::k8s
