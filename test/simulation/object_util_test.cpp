// Object name rules per kind (kube-apiserver's NameIsDNSSubdomain, NameIsDNSLabel,
// NameIsDNS1035Label).
#include <gtest/gtest.h>

#include "simulation/object_util.hpp"

namespace kvip::sim {
namespace {

TEST(ObjectUtil, NameRulesPerKind) {
  EXPECT_EQ(object_name_rule("Service"), name_rule::dns1035_label);
  EXPECT_EQ(object_name_rule("Namespace"), name_rule::dns1123_label);
  EXPECT_EQ(object_name_rule("ConfigMap"), name_rule::dns1123_subdomain);
  struct row {
    const char* name;
    bool subdomain, label, dns1035;
  };
  const row rows[] = {
      {"web", true, true, true},
      {"web-1", true, true, true},
      {"1web", true, true, false},
      {"plndr-cp-lock.kube-vip", true, false, false},
      {"web.17a8b2c3d4e5f6", true, false, false},
      {"Web", false, false, false},
      {"a..b", false, false, false},
      {".a", false, false, false},
      {"a-", false, false, false},
      {"under_score", false, false, false},
      {"", false, false, false},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(check_object_name(r.name).ok(), r.subdomain) << r.name;
    EXPECT_EQ(check_object_name(r.name, name_rule::dns1123_label).ok(), r.label) << r.name;
    EXPECT_EQ(check_object_name(r.name, name_rule::dns1035_label).ok(), r.dns1035) << r.name;
  }
  EXPECT_TRUE(check_object_name(std::string(63, 'a'), name_rule::dns1035_label).ok());
  EXPECT_FALSE(check_object_name(std::string(64, 'a'), name_rule::dns1035_label).ok());
  EXPECT_TRUE(check_object_name(std::string(253, 'a').replace(100, 1, ".")).ok());
  EXPECT_FALSE(check_object_name(std::string(254, 'a')).ok());
  auto why = check_object_name("1web", name_rule::dns1035_label);
  ASSERT_FALSE(why.ok());
  EXPECT_EQ(why.err().message.rfind("a DNS-1035 label must consist of lower case alphanumeric", 0),
            0u);
}

} // namespace
} // namespace kvip::sim
