// Server-side printing: Accept negotiation, HumanDuration, and the columns and
// cells kube-apiserver's printers give the kinds kvip touches.
#include "simulation/table.hpp"

#include <gtest/gtest.h>

#include "net/rfc3339.hpp"

namespace kvip::sim {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using rep = representation::as;

const resource_info& res(std::string_view kind) {
  for (const auto& r : resources())
    if (r.kind == kind) return r;
  throw std::runtime_error("no kind");
}

std::chrono::system_clock::time_point t0() {
  return *net::parse_rfc3339("2026-11-26T08:00:00Z");
}

json::object table_of(std::string_view kind, const std::string& obj_json,
                      include_object inc = include_object::metadata) {
  auto o = json::parse(obj_json).as_object();
  return make_table(res(kind), {&o}, {"42"}, inc, "v1", t0() + 300s);
}

json::array cells(const json::object& t) {
  return t.at("rows").as_array().at(0).at("cells").as_array();
}

std::vector<std::string> column_names(const json::object& t) {
  std::vector<std::string> out;
  for (auto& c : t.at("columnDefinitions").as_array())
    out.emplace_back(c.at("name").as_string());
  return out;
}

TEST(Table, NegotiatesWhatKubectlSends) {
  auto kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;"
                 "v=v1beta1;g=meta.k8s.io,application/json";
  EXPECT_EQ(negotiate(kubectl, true).kind, rep::table);
  EXPECT_EQ(negotiate(kubectl, true).version, "v1");
  EXPECT_EQ(negotiate("application/json;as=Table;v=v1beta1;g=meta.k8s.io", false).version,
            "v1beta1");
  EXPECT_EQ(negotiate("application/json", true).kind, rep::plain);
  EXPECT_EQ(negotiate("", true).kind, rep::plain);
  EXPECT_EQ(negotiate("*/*", false).kind, rep::plain);
  // Unknown groups/versions and protobuf are skipped for the next entry.
  EXPECT_EQ(negotiate("application/json;as=Table;v=v2;g=meta.k8s.io,application/json", true).kind,
            rep::plain);
  auto meta_client = "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;"
                     "g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;"
                     "g=meta.k8s.io;v=v1,application/json";
  EXPECT_EQ(negotiate(meta_client, true).kind, rep::partial_list);
  EXPECT_EQ(negotiate(meta_client, false).kind, rep::plain);
  EXPECT_EQ(
      negotiate(" application/json ; as=PartialObjectMetadata ; g=meta.k8s.io ; v=v1", false).kind,
      rep::partial);
}

TEST(Table, IncludeObjectValues) {
  EXPECT_EQ(parse_include_object(""), include_object::metadata);
  EXPECT_EQ(parse_include_object("Metadata"), include_object::metadata);
  EXPECT_EQ(parse_include_object("Object"), include_object::object);
  EXPECT_EQ(parse_include_object("None"), include_object::none);
  EXPECT_FALSE(parse_include_object("object").has_value());
}

TEST(Table, HumanDurationAsKubectlPrintsIt) {
  EXPECT_EQ(human_duration(-5s), "<invalid>");
  EXPECT_EQ(human_duration(-1s), "0s");
  EXPECT_EQ(human_duration(0s), "0s");
  EXPECT_EQ(human_duration(119s), "119s");
  EXPECT_EQ(human_duration(120s), "2m");
  EXPECT_EQ(human_duration(200s), "3m20s");
  EXPECT_EQ(human_duration(45min), "45m");
  EXPECT_EQ(human_duration(3h), "3h");
  EXPECT_EQ(human_duration(3h + 5min), "3h5m");
  EXPECT_EQ(human_duration(20h), "20h");
  EXPECT_EQ(human_duration(51h), "2d3h");
  EXPECT_EQ(human_duration(24h * 30), "30d");
  EXPECT_EQ(human_duration(24h * 365 * 3 + 24h * 5), "3y5d");
  EXPECT_EQ(human_duration(24h * 365 * 10), "10y");
}

TEST(Table, ServiceColumnsAndCells) {
  auto t = table_of("Service", R"({"kind":"Service","apiVersion":"v1",
    "metadata":{"name":"web","namespace":"default","creationTimestamp":"2026-11-26T08:00:00Z"},
    "spec":{"type":"LoadBalancer","clusterIPs":["10.96.0.10"],"selector":{"b":"2","a":"1"},
      "ports":[{"port":80,"nodePort":31234,"protocol":"TCP"},{"port":53,"protocol":"UDP"}]},
    "status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.200"},{"hostname":"lb.example"}]}}})");
  EXPECT_EQ(t.at("kind"), "Table");
  EXPECT_EQ(t.at("apiVersion"), "meta.k8s.io/v1");
  EXPECT_EQ(t.at("metadata").at("resourceVersion"), "42");
  EXPECT_EQ(column_names(t), (std::vector<std::string>{"Name", "Type", "Cluster-IP", "External-IP",
                                                       "Port(s)", "Age", "Selector"}));
  auto& defs = t.at("columnDefinitions").as_array();
  EXPECT_EQ(defs.at(0).at("format"), "name");
  EXPECT_EQ(defs.at(6).at("priority"), 1);
  EXPECT_EQ(defs.at(1).at("priority"), 0);
  EXPECT_EQ(cells(t), (json::array{"web", "LoadBalancer", "10.96.0.10", "192.168.1.200,lb.example",
                                   "80:31234/TCP,53/UDP", "5m", "a=1,b=2"}));
  auto& obj = t.at("rows").as_array().at(0).at("object");
  EXPECT_EQ(obj.at("kind"), "PartialObjectMetadata");
  EXPECT_EQ(obj.at("apiVersion"), "meta.k8s.io/v1");
  EXPECT_EQ(obj.at("metadata").at("name"), "web");
  EXPECT_FALSE(obj.as_object().contains("spec"));
}

TEST(Table, ServiceExternalIpForms) {
  auto ext = [](const std::string& spec, const std::string& status = "{}") {
    auto t = table_of("Service", R"({"metadata":{"name":"s"},"spec":)" + spec + R"(,"status":)" +
                                     status + "}");
    return std::string(cells(t).at(3).as_string());
  };
  EXPECT_EQ(ext(R"({"type":"LoadBalancer"})"), "<pending>");
  EXPECT_EQ(ext(R"({"type":"ClusterIP"})"), "<none>");
  EXPECT_EQ(ext(R"({"type":"NodePort","externalIPs":["1.2.3.4","5.6.7.8"]})"), "1.2.3.4,5.6.7.8");
  EXPECT_EQ(ext(R"({"type":"LoadBalancer","externalIPs":["9.9.9.9"]})",
                R"({"loadBalancer":{"ingress":[{"ip":"10.0.0.2"},{"ip":"10.0.0.1"}]}})"),
            "10.0.0.1,10.0.0.2,9.9.9.9");
  EXPECT_EQ(ext(R"({"type":"ExternalName","externalName":"db.example"})"), "db.example");
  auto t = table_of("Service", R"({"metadata":{"name":"s"},"spec":{"type":"ClusterIP"}})");
  EXPECT_EQ(cells(t).at(2), "<none>");
  EXPECT_EQ(cells(t).at(4), "<none>");
  EXPECT_EQ(cells(t).at(5), "<unknown>");
}

TEST(Table, LeaseNodeEndpointSlice) {
  auto lease = table_of("Lease", R"({"metadata":{"name":"plndr-cp-lock",
    "creationTimestamp":"2026-11-26T07:00:00Z"},"spec":{"holderIdentity":"node1"}})");
  EXPECT_EQ(column_names(lease), (std::vector<std::string>{"Name", "Holder", "Age"}));
  EXPECT_EQ(cells(lease), (json::array{"plndr-cp-lock", "node1", "65m"}));
  // Every column has a type and a description (shown by clients in help text).
  for (const auto& d : lease.at("columnDefinitions").as_array()) {
    EXPECT_EQ(d.at("type"), "string");
    EXPECT_FALSE(d.at("description").as_string().empty());
  }

  auto node = table_of("Node", R"({"metadata":{"name":"n1","labels":{
      "node-role.kubernetes.io/control-plane":"","kubernetes.io/role":"edge"}},
    "spec":{"unschedulable":true},
    "status":{"conditions":[{"type":"MemoryPressure","status":"False"},
                            {"type":"Ready","status":"False"}],
      "addresses":[{"type":"InternalIP","address":"10.0.0.1"}],
      "nodeInfo":{"kubeletVersion":"v1.31.0"}}})");
  EXPECT_EQ(
      column_names(node),
      (std::vector<std::string>{"Name", "Status", "Roles", "Age", "Version", "Internal-IP",
                                "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"}));
  EXPECT_EQ(cells(node),
            (json::array{"n1", "NotReady,SchedulingDisabled", "control-plane,edge", "<unknown>",
                         "v1.31.0", "10.0.0.1", "<none>", "<unknown>", "<unknown>", "<unknown>"}));
  auto bare = table_of("Node", R"({"metadata":{"name":"n2"}})");
  EXPECT_EQ(cells(bare).at(1), "Unknown");
  EXPECT_EQ(cells(bare).at(2), "<none>");

  auto slice = table_of("EndpointSlice", R"({"metadata":{"name":"web-abc"},"addressType":"IPv4",
    "endpoints":[{"addresses":["10.0.0.1","10.0.0.2"]},{"addresses":["10.0.0.3"]},
                 {"addresses":["10.0.0.4","10.0.0.5"]}],
    "ports":[{"name":"http","port":8080},{"name":"metrics"}]})");
  EXPECT_EQ(column_names(slice),
            (std::vector<std::string>{"Name", "AddressType", "Ports", "Endpoints", "Age"}));
  EXPECT_EQ(cells(slice), (json::array{"web-abc", "IPv4", "8080,metrics",
                                       "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...", "<unknown>"}));
  auto empty = table_of("EndpointSlice", R"({"metadata":{"name":"e"},"addressType":"IPv6",
    "endpoints":null,"ports":null})");
  EXPECT_EQ(cells(empty).at(2), "<unset>");
  EXPECT_EQ(cells(empty).at(3), "<unset>");
}

TEST(Table, OtherKindsAndIncludeObject) {
  auto cm = table_of("ConfigMap", R"({"metadata":{"name":"c"},"data":{"a":"1","b":"2"},
    "binaryData":{"c":"AA=="}})");
  EXPECT_EQ(cells(cm), (json::array{"c", 3, "<unknown>"}));
  auto ns = table_of("Namespace", R"({"metadata":{"name":"x"},"status":{"phase":"Active"}})");
  EXPECT_EQ(cells(ns), (json::array{"x", "Active", "<unknown>"}));
  auto pod = table_of("Pod", R"({"metadata":{"name":"p"}})");
  EXPECT_EQ(column_names(pod), (std::vector<std::string>{"Name", "Age"}));

  auto full = table_of("ConfigMap", R"({"kind":"ConfigMap","apiVersion":"v1",
    "metadata":{"name":"c"},"data":{"a":"1"}})",
                       include_object::object);
  EXPECT_EQ(full.at("rows").as_array().at(0).at("object").at("data").at("a"), "1");
  auto none = table_of("ConfigMap", R"({"metadata":{"name":"c"}})", include_object::none);
  EXPECT_TRUE(none.at("rows").as_array().at(0).at("object").is_null());
}

TEST(Table, EventsAsKubectlGetEventsShowsThem) {
  auto ev = table_of("Event", R"({"metadata":{"name":"web.1812d7f3c1a2b3c4"},
    "involvedObject":{"kind":"Service","name":"web","namespace":"default"},
    "reason":"LoadBalancerAssigned","message":" assigned 192.168.1.200\n","type":"Normal",
    "source":{"component":"kube-vip","host":"node1"},
    "firstTimestamp":"2026-11-26T07:59:00Z","lastTimestamp":"2026-11-26T08:04:00Z","count":3})");
  EXPECT_EQ(column_names(ev),
            (std::vector<std::string>{"Last Seen", "Type", "Reason", "Object", "Subobject",
                                      "Source", "Message", "First Seen", "Count", "Name"}));
  EXPECT_EQ(ev.at("columnDefinitions").as_array().at(9).at("priority"), 1);
  EXPECT_EQ(cells(ev), (json::array{"60s", "Normal", "LoadBalancerAssigned", "service/web", "",
                                    "kube-vip, node1", "assigned 192.168.1.200", "6m", 3,
                                    "web.1812d7f3c1a2b3c4"}));
  // events.k8s.io-style writes: eventTime, reportingComponent, no count.
  auto bare = table_of("Event", R"({"metadata":{"name":"e"},"involvedObject":{"kind":"Node"},
    "eventTime":"2026-11-26T08:04:00.000000Z","reportingComponent":"kvip"})");
  EXPECT_EQ(cells(bare).at(0), "60s");
  EXPECT_EQ(cells(bare).at(3), "node");
  EXPECT_EQ(cells(bare).at(5), "kvip");
  EXPECT_EQ(cells(bare).at(8), 1);
}

TEST(Table, EndpointsColumn) {
  auto ep = table_of("Endpoints", R"({"metadata":{"name":"web"},"subsets":[
    {"addresses":[{"ip":"10.0.0.1"},{"ip":"fd00::1"}],"ports":[{"port":80},{"port":443}]}]})");
  EXPECT_EQ(column_names(ep), (std::vector<std::string>{"Name", "Endpoints", "Age"}));
  EXPECT_EQ(cells(ep).at(1), "10.0.0.1:80,[fd00::1]:80,10.0.0.1:443 + 1 more...");
  auto none = table_of("Endpoints", R"({"metadata":{"name":"web"}})");
  EXPECT_EQ(cells(none).at(1), "<none>");
}

TEST(Table, PartialObjectMetadataList) {
  auto a = json::parse(R"({"kind":"Lease","metadata":{"name":"a"},"spec":{}})").as_object();
  auto b = json::parse(R"({"kind":"Lease","metadata":{"name":"b"}})").as_object();
  auto l = partial_metadata_list({&a, &b}, {"7", "tok", 3}, "v1");
  EXPECT_EQ(l.at("kind"), "PartialObjectMetadataList");
  EXPECT_EQ(l.at("metadata").at("continue"), "tok");
  EXPECT_EQ(l.at("metadata").at("remainingItemCount"), 3);
  auto& items = l.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items.at(1).at("metadata").at("name"), "b");
  EXPECT_EQ(items.at(0).at("kind"), "PartialObjectMetadata");
  EXPECT_FALSE(items.at(0).as_object().contains("spec"));
}

} // namespace
} // namespace kvip::sim
