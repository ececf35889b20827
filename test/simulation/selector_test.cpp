// Label and field selectors: every operator, whitespace, syntax errors, invalid keys and values,
// unsupported fields. Table-driven; every row names its case.
#include "simulation/selector.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace kvip::sim;
namespace json = boost::json;

namespace {

struct match_case {
  const char* name;
  const char* selector;
  const char* object; // labels (label selector) or the whole object (field selector)
  bool matches;
};

struct error_case {
  const char* name;
  const char* selector;
  const char* error; // substring of the expected error
};

void check_labels(const std::vector<match_case>& cases) {
  for (auto& c : cases) {
    auto s = label_selector::parse(c.selector);
    ASSERT_TRUE(s.ok()) << c.name << ": " << s.err().message;
    EXPECT_EQ(s->matches(json::parse(c.object).as_object()), c.matches) << c.name;
  }
}

void check_label_errors(const std::vector<error_case>& cases) {
  for (auto& c : cases) {
    auto s = label_selector::parse(c.selector);
    ASSERT_FALSE(s.ok()) << c.name << ": parsed";
    const auto& error = s.err().message;
    EXPECT_NE(error.find(c.error), std::string::npos)
        << c.name << ": error \"" << error << "\" lacks \"" << c.error << "\"";
  }
}

void check_fields(std::string_view kind, const std::vector<match_case>& cases) {
  for (auto& c : cases) {
    auto s = field_selector::parse(c.selector, supported_fields(kind));
    ASSERT_TRUE(s.ok()) << c.name << ": " << s.err().message;
    EXPECT_EQ(s->matches(json::parse(c.object).as_object()), c.matches) << c.name;
  }
}

} // namespace

// -- label selectors ---------------------------------------------------------------

TEST(SimSelectorLabel, Operators) {
  check_labels({
      {"empty selects all", "", R"({"a":"1"})", true},
      {"blank selects all", "  \t ", "{}", true},
      {"equals", "app=web", R"({"app":"web","x":"y"})", true},
      {"equals other value", "app=web", R"({"app":"db"})", false},
      {"equals missing label", "app=web", "{}", false},
      {"double equals", "app==web", R"({"app":"web"})", true},
      {"not equals other value", "app!=web", R"({"app":"db"})", true},
      {"not equals same value", "app!=web", R"({"app":"web"})", false},
      {"not equals missing label", "app!=web", "{}", true},
      {"in", "env in (prod,staging)", R"({"env":"staging"})", true},
      {"in other value", "env in (prod,staging)", R"({"env":"dev"})", false},
      {"in missing label", "env in (prod)", "{}", false},
      {"notin", "env notin (prod)", R"({"env":"dev"})", true},
      {"notin listed value", "env notin (prod,dev)", R"({"env":"dev"})", false},
      {"notin missing label", "env notin (prod)", "{}", true},
      {"exists", "tier", R"({"tier":""})", true},
      {"exists missing", "tier", R"({"app":"x"})", false},
      {"does not exist", "!tier", R"({"app":"x"})", true},
      {"does not exist present", "!tier", R"({"tier":"x"})", false},
      {"greater", "rank>5", R"({"rank":"7"})", true},
      {"greater equal bound", "rank>5", R"({"rank":"5"})", false},
      {"less", "rank<5", R"({"rank":"-2"})", true},
      {"greater non-numeric label", "rank>5", R"({"rank":"seven"})", false},
      {"greater missing label", "rank>5", "{}", false},
      {"and of terms", "a=1,b!=2,c", R"({"a":"1","b":"3","c":""})", true},
      {"and fails on one term", "a=1,b!=2,c", R"({"a":"1","b":"2","c":""})", false},
      {"empty value", "app=", R"({"app":""})", true},
      {"empty value vs set value", "app=", R"({"app":"x"})", false},
      {"empty value in a set", "app in (a,)", R"({"app":""})", true},
      {"keyword as value", "mode=in", R"({"mode":"in"})", true},
      {"no space before paren", "env in(a,b)", R"({"env":"b"})", true},
      {"whitespace everywhere", "  app = web ,  env  in  ( a , b ) , ! x ",
       R"({"app":"web","env":"b"})", true},
      {"prefixed key", "kubernetes.io/service-name=web", R"({"kubernetes.io/service-name":"web"})",
       true},
      {"control-plane role exists", "node-role.kubernetes.io/control-plane",
       R"({"node-role.kubernetes.io/control-plane":""})", true},
      {"same key twice", "a!=1,a!=2", R"({"a":"3"})", true},
      {"value with dots and dashes", "v=1.2-rc_3", R"({"v":"1.2-rc_3"})", true},
  });
}

TEST(SimSelectorLabel, SyntaxErrors) {
  check_label_errors({
      {"trailing comma", "app=web,", "identifier after ','"},
      {"leading comma", ",app", "found ','"},
      {"double comma", "a,,b", "found ','"},
      {"in without set", "app in", "'('"},
      {"unclosed set", "app in (a", "',' or ')'"},
      {"empty set", "app in ()", "values set can't be empty"},
      {"operator twice", "app = = x", "found '='"},
      {"unknown operator", "app x", "found 'x', expected: in, notin"},
      {"two values", "app=web x", "',' or 'end of string'"},
      {"bang alone", "!", "found '', expected: identifier"},
      {"bang with value", "!app=web", "',' or 'end of string'"},
      {"keyword as key", "in=x", "found 'in'"},
      {"value is a paren", "app=(", "found '(', expected: identifier"},
      {"gt without integer", "rank>five", "must be an integer"},
      {"gt without value", "rank>", "must be an integer"},
      {"set with garbage", "a in (x y)", "',' or ')'"},
  });
}

TEST(SimSelectorLabel, InvalidKeysAndValues) {
  std::string long_name(64, 'a');
  std::string long_prefix = std::string(250, 'a') + ".com";
  std::string long_value(64, 'v');
  std::string k64 = long_name + "=x";
  std::string p254 = long_prefix + "/a=x";
  std::string v64 = "a=" + long_value;
  std::string ok63 = std::string(63, 'a') + "=" + std::string(63, 'b');
  check_label_errors({
      {"key starts with dash", "-app=x", "key: Invalid value: \"-app\": name part must consist"},
      {"key ends with dot", "app.=x", "name part must consist"},
      {"two slashes", "a/b/c=x", "a qualified name"},
      {"upper-case prefix", "Example.com/a=x", "prefix part a lowercase RFC 1123 subdomain"},
      {"empty prefix", "/a=x", "prefix part must be non-empty"},
      {"empty name", "example.com/=x", "name part must be non-empty"},
      {"name too long", k64.c_str(), "name part must be no more than 63 characters"},
      {"prefix too long", p254.c_str(), "prefix part must be no more than 253 characters"},
      {"value starts with dash", "app=-x", "values[0][app]: Invalid value: \"-x\""},
      {"value with percent", "app=a%b", "a valid label must be an empty string"},
      {"value too long", v64.c_str(), "must be no more than 63 characters"},
      {"bad value in a set", "k in (ok, -bad)", "values[1][k]"},
      {"bad key with exists", "!Bad_", "name part must consist"},
  });
  EXPECT_TRUE(label_selector::parse(ok63).ok());
  EXPECT_TRUE(validate_label_key("example.com/My_Name-1.x").ok());
  EXPECT_TRUE(validate_label_value("").ok());
  EXPECT_FALSE(validate_label_key("a/b/c").ok());
  EXPECT_FALSE(validate_label_value("-bad").ok());
}

TEST(SimSelectorLabel, ObservesRequirements) {
  auto s = label_selector::parse("a in (x, y), !b");
  ASSERT_TRUE(s.ok()) << s.err().message;
  ASSERT_EQ(s->requirements().size(), 2u);
  EXPECT_EQ(s->requirements()[0].key, "a");
  EXPECT_EQ(s->requirements()[0].operation, label_selector::op::in);
  EXPECT_EQ(s->requirements()[0].values, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(s->requirements()[1].operation, label_selector::op::not_exists);
  EXPECT_FALSE(s->empty());
  EXPECT_TRUE(label_selector::parse("")->empty());
}

// -- field selectors ----------------------------------------------------------------

TEST(SimSelectorField, Operators) {
  constexpr auto svc = R"({"metadata":{"name":"web","namespace":"default"},
                           "spec":{"type":"LoadBalancer","clusterIP":"10.96.0.12"}})";
  check_fields(
      "Service",
      {
          {"empty selects all", "", svc, true},
          {"name equals", "metadata.name=web", svc, true},
          {"name double equals", "metadata.name==web", svc, true},
          {"name differs", "metadata.name=db", svc, false},
          {"name not equals", "metadata.name!=db", svc, true},
          {"name not equals same", "metadata.name!=web", svc, false},
          {"and", "metadata.name=web,metadata.namespace=default", svc, true},
          {"and fails", "metadata.name=web,metadata.namespace=kube-system", svc, false},
          {"whitespace trimmed", " metadata.name = web , spec.type=LoadBalancer ", svc, true},
          {"spec.clusterIP", "spec.clusterIP=10.96.0.12", svc, true},
          {"escaped comma", R"(metadata.name=a\,b)", R"({"metadata":{"name":"a,b"}})", true},
          {"absent field is empty", "metadata.namespace=", R"({"metadata":{"name":"x"}})", true},
          {"absent field not equal", "metadata.namespace!=default", "{}", true},
          {"empty term skipped", "metadata.name=web,", svc, true},
      });
  check_fields(
      "Node",
      {
          {"cordoned", "spec.unschedulable=true", R"({"spec":{"unschedulable":true}})", true},
          {"absent bool reads false", "spec.unschedulable=false", R"({"spec":{}})", true},
          {"absent bool is not true", "spec.unschedulable!=true", "{}", true},
      });
  check_fields("Secret",
               {{"type", "type=kubernetes.io/tls", R"({"type":"kubernetes.io/tls"})", true}});
  check_fields(
      "Event",
      {
          {"kubectl describe query",
           "involvedObject.name=web,involvedObject.namespace=default,"
           "involvedObject.kind=Service,involvedObject.uid=3f0c",
           R"({"involvedObject":{"kind":"Service","name":"web","namespace":"default",
                                          "uid":"3f0c"}})",
           true},
          {"source is source.component", "source=kubelet",
           R"({"source":{"component":"kubelet","host":"n1"}})", true},
          {"reason", "reason=Pulled,type=Normal", R"({"reason":"Pulled","type":"Normal"})", true},
      });
  check_fields("Pod",
               {{"hostNetwork number-free bool", "spec.hostNetwork=true",
                 R"({"spec":{"hostNetwork":true}})", true},
                {"phase", "status.phase!=Running", R"({"status":{"phase":"Pending"}})", true}});
}

TEST(SimSelectorField, Errors) {
  struct row {
    const char* name;
    const char* kind;
    const char* selector;
    const char* error;
  };
  for (auto& r : std::vector<row>{
           {"unsupported field", "Service", "spec.foo=x", "field label not supported: spec.foo"},
           {"field of another kind", "ConfigMap", "spec.type=x",
            "field label not supported: spec.type"},
           {"unsupported after a good term", "Node", "metadata.name=n1,status.phase=x",
            "field label not supported: status.phase"},
           {"no operator", "Service", "metadata.name", "can't understand 'metadata.name'"},
           {"bad escape", "Service", R"(metadata.name=a\x)", "invalid escape"},
           {"label syntax is not field syntax", "Service", "metadata.name in (a)",
            "can't understand"},
       }) {
    auto s = field_selector::parse(r.selector, supported_fields(r.kind));
    ASSERT_FALSE(s.ok()) << r.name;
    const auto& error = s.err().message;
    EXPECT_NE(error.find(r.error), std::string::npos)
        << r.name << ": error \"" << error << "\" lacks \"" << r.error << "\"";
  }
}

TEST(SimSelectorField, SupportedFields) {
  auto has = [](std::string_view kind, std::string_view f) {
    auto& v = supported_fields(kind);
    return std::find(v.begin(), v.end(), f) != v.end();
  };
  for (auto kind : {"Service", "ConfigMap", "Lease", "EndpointSlice", "Node", "Endpoints", "Pod",
                    "Secret", "Namespace", "Event", "Widget"}) {
    EXPECT_TRUE(has(kind, "metadata.name")) << kind;
    EXPECT_TRUE(has(kind, "metadata.namespace")) << kind;
  }
  EXPECT_TRUE(has("Service", "spec.type"));
  EXPECT_TRUE(has("Service", "spec.clusterIP"));
  EXPECT_TRUE(has("Node", "spec.unschedulable"));
  EXPECT_TRUE(has("Secret", "type"));
  EXPECT_TRUE(has("Event", "involvedObject.fieldPath"));
  EXPECT_TRUE(has("Event", "source"));
  EXPECT_FALSE(has("ConfigMap", "spec.type"));
  EXPECT_EQ(supported_fields("Widget").size(), 2u);
}
