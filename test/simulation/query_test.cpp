// Query parameters as kube-apiserver reads them: booleans, list/watch options and
// their validation, write options (simulation/query.hpp).
#include "simulation/query.hpp"

#include <gtest/gtest.h>

namespace kvip::sim {
namespace {

TEST(QueryFlag, ReadsBooleansLikeApimachinery) {
  struct row {
    const char* value;
    bool expected;
  };
  // Convert_Slice_string_To_bool: only "0" and "false" (any case) are false once present.
  for (auto r :
       {row{"1", true}, row{"t", true}, row{"T", true}, row{"true", true}, row{"TRUE", true},
        row{"True", true}, row{"", true}, row{"yes", true}, row{"0", false}, row{"false", false},
        row{"False", false}, row{"FALSE", false}, row{"fAlSe", false}}) {
    EXPECT_EQ(query_flag({{"watch", r.value}}, "watch"), r.expected) << "watch=" << r.value;
  }
  EXPECT_FALSE(query_flag({}, "watch"));
  EXPECT_FALSE(query_flag({{"other", "true"}}, "watch"));
}

TEST(ListQuery, Defaults) {
  auto q = parse_list_query({});
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->watch);
  EXPECT_EQ(q->match, rv_match::latest);
  EXPECT_EQ(q->limit, 0u);
  EXPECT_FALSE(q->timeout_seconds);
}

TEST(ListQuery, ResourceVersionSemantics) {
  struct row {
    query_map q;
    rv_match match;
    std::uint64_t rv;
  };
  for (const auto& r : {
           row{{{"resourceVersion", "0"}}, rv_match::latest, 0},
           row{{{"resourceVersion", "7"}}, rv_match::not_older_than, 7},
           row{{{"resourceVersion", "7"}, {"resourceVersionMatch", "NotOlderThan"}},
               rv_match::not_older_than,
               7},
           row{{{"resourceVersion", "7"}, {"resourceVersionMatch", "Exact"}}, rv_match::exact, 7},
           // The legacy form: a paginated list at resourceVersion=N is exact.
           row{{{"resourceVersion", "7"}, {"limit", "2"}}, rv_match::exact, 7},
           row{{{"resourceVersion", "0"}, {"limit", "2"}}, rv_match::latest, 0},
           row{{{"resourceVersion", "0"}, {"continue", "x"}}, rv_match::latest, 0},
       }) {
    auto q = parse_list_query(r.q);
    ASSERT_TRUE(q) << q.err().message;
    EXPECT_EQ(q->match, r.match);
    EXPECT_EQ(q->rv, r.rv);
  }
}

struct bad_row {
  query_map q;
  int code;
  std::string message;
};

TEST(ListQuery, RefusesWhatKubeApiserverRefuses) {
  const std::string inv = "ListOptions.meta.k8s.io \"\" is invalid: ";
  for (const auto& r : std::vector<bad_row>{
           {{{"resourceVersionMatch", "Exact"}},
            422,
            inv + "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless "
                  "resourceVersion is provided"},
           {{{"resourceVersionMatch", "Newest"}, {"resourceVersion", "5"}},
            422,
            inv + "resourceVersionMatch: Unsupported value: \"Newest\": supported values: "
                  "\"Exact\", \"NotOlderThan\", \"\""},
           {{{"resourceVersionMatch", "Exact"}, {"resourceVersion", "0"}},
            422,
            inv + "resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden "
                  "for resourceVersion \"0\""},
           {{{"resourceVersionMatch", "Exact"}, {"continue", "abc"}},
            422,
            inv + "[resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless "
                  "resourceVersion is provided, resourceVersionMatch: Forbidden: "
                  "resourceVersionMatch is forbidden when continue is provided]"},
           {{{"sendInitialEvents", "true"}},
            422,
            inv + "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"},
           {{{"watch", "true"}, {"resourceVersionMatch", "NotOlderThan"}},
            422,
            inv + "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch "
                  "unless sendInitialEvents is provided"},
           {{{"continue", "abc"}, {"resourceVersion", "5"}},
            400,
            "specifying resource version is not allowed when using continue"},
           {{{"limit", "ten"}}, 400, "strconv.ParseInt: parsing \"ten\": invalid syntax"},
           {{{"timeoutSeconds", "1s"}}, 400, "strconv.ParseInt: parsing \"1s\": invalid syntax"},
           {{{"resourceVersion", "abc"}}, 400, "invalid resource version \"abc\""},
       }) {
    auto q = parse_list_query(r.q);
    ASSERT_FALSE(q) << r.message;
    EXPECT_EQ(q.err().code, r.code);
    EXPECT_EQ(q.err().message, r.message);
    EXPECT_EQ(q.err().reason, r.code == 422 ? "Invalid" : "BadRequest");
  }
}

TEST(ListQuery, InvalidCarriesCauses) {
  auto q = parse_list_query({{"resourceVersionMatch", "Exact"}});
  ASSERT_FALSE(q);
  const auto& d = q.err().details;
  EXPECT_EQ(d.at("group"), "meta.k8s.io");
  EXPECT_EQ(d.at("kind"), "ListOptions");
  EXPECT_FALSE(d.contains("name"));
  const auto& c = d.at("causes").as_array().at(0).as_object();
  EXPECT_EQ(c.at("reason"), "FieldValueForbidden");
  EXPECT_EQ(c.at("field"), "resourceVersionMatch");
  EXPECT_EQ(c.at("message"),
            "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided");
}

TEST(ListQuery, LegacyWatchPathIsAWatch) {
  auto q = parse_list_query({{"watch", "false"}}, true);
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->watch);
}

TEST(WriteQuery, DryRunAndPropagationPolicy) {
  EXPECT_FALSE(validate_write_query({}, "POST"));
  EXPECT_FALSE(validate_write_query({{"dryRun", "All"}}, "PUT"));
  for (const char* p : {"Orphan", "Background", "Foreground"})
    EXPECT_FALSE(validate_write_query({{"propagationPolicy", p}}, "DELETE")) << p;
  struct row {
    query_map q;
    const char* method;
    std::string message;
  };
  for (const auto& r : std::vector<row>{
           {{{"dryRun", "true"}},
            "POST",
            "CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: "
            "[]string{\"true\"}: supported values: \"All\""},
           {{{"dryRun", ""}},
            "PATCH",
            "PatchOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: "
            "[]string{\"\"}: supported values: \"All\""},
           {{{"dryRun", "all"}},
            "PUT",
            "UpdateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: "
            "[]string{\"all\"}: supported values: \"All\""},
           {{{"propagationPolicy", "background"}, {"dryRun", "x"}},
            "DELETE",
            "DeleteOptions.meta.k8s.io \"\" is invalid: [propagationPolicy: Unsupported value: "
            "\"background\": supported values: \"Foreground\", \"Background\", \"Orphan\", "
            "\"nil\", dryRun: Unsupported value: []string{\"x\"}: supported values: \"All\"]"},
       }) {
    auto e = validate_write_query(r.q, r.method);
    ASSERT_TRUE(e) << r.message;
    EXPECT_EQ(e->code, 422);
    EXPECT_EQ(e->reason, "Invalid");
    EXPECT_EQ(e->message, r.message);
    EXPECT_EQ(e->details.at("causes").as_array().at(0).at("reason"), "FieldValueNotSupported");
  }
  // A DELETE with a body takes its options from the body only.
  EXPECT_FALSE(validate_write_query({{"propagationPolicy", "x"}}, "DELETE", true));
  // propagationPolicy means nothing to a create.
  EXPECT_FALSE(validate_write_query({{"propagationPolicy", "x"}}, "POST"));
}

TEST(WriteQuery, DeleteOptionsBody) {
  EXPECT_FALSE(validate_delete_body({{"propagationPolicy", "Background"}}));
  EXPECT_FALSE(validate_delete_body({{"dryRun", boost::json::array{"All"}}}));
  auto e = validate_delete_body({{"propagationPolicy", "Cascade"}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported "
                        "value: \"Cascade\": supported values: \"Foreground\", \"Background\", "
                        "\"Orphan\", \"nil\"");
  e = validate_delete_body({{"dryRun", boost::json::array{"All", "Some"}}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "DeleteOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: "
                        "[]string{\"All\", \"Some\"}: supported values: \"All\"");
}

TEST(QueryErrors, TooLargeAndExpired) {
  auto t = too_large_resource_version(9, 4);
  EXPECT_EQ(t.code, 504);
  EXPECT_EQ(t.reason, "Timeout");
  EXPECT_EQ(t.message, "Too large resource version: 9, current: 4");
  EXPECT_EQ(t.details.at("causes").as_array().at(0).at("reason"), "ResourceVersionTooLarge");
  auto x = list_rv_expired();
  EXPECT_EQ(x.code, 410);
  EXPECT_EQ(x.reason, "Expired");
}

} // namespace
} // namespace kvip::sim
