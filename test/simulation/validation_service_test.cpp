// Service validation after defaulting (pure): ports, node ports, cluster IPs,
// type-dependent fields, policies, loadBalancerIP and status ingress.
#include <gtest/gtest.h>

#include "simulation/defaults.hpp"
#include "simulation/validation.hpp"

namespace kvip::sim {
namespace {

namespace json = boost::json;
using list = std::vector<std::string>;

const resource_info& services() {
  return *find_resource("", "v1", "services");
}

/// Defaults and validates Service writes the way the store does.
struct service_writes {
  allocator alloc;
  validation_context others; ///< what other Services hold
  json::object result;       ///< the defaulted object of the last write

  /// "field reason" of every cause (empty: accepted, `result` holds the object).
  list write(const std::string& text, const json::object* old = nullptr) {
    result = json::parse(text).as_object();
    alloc.taken_node_ports = others.node_ports;
    alloc.taken_cluster_ips = others.cluster_ips;
    auto e = old == nullptr ? prepare_create(services(), result, alloc)
                            : prepare_update(services(), *old, result, alloc);
    if (!e) e = validate_object(services(), old, result, others);
    list out;
    if (!e) return out;
    for (const auto& c : e->details.at("causes").as_array())
      out.push_back(std::string(c.at("field").as_string()) + " " +
                    std::string(c.at("reason").as_string()));
    return out;
  }
  /// A create that must succeed.
  json::object made(const std::string& text) {
    auto errs = write(text);
    EXPECT_EQ(errs, list{}) << text;
    return result;
  }
};

struct row {
  const char* spec;
  list want;
};

TEST(ValidationService, CreateTable) {
  const row rows[] = {
      {R"({"ports":[{"port":80}]})", {}},
      {R"({"ports":[{"name":"http","port":80},{"name":"https","port":443,"targetPort":"web-tls"}]})",
       {}},
      {R"({"type":"ExternalName","externalName":"db.example.com"})", {}},
      {R"({"clusterIP":"None"})", {}},
      {R"({})", {"spec.ports FieldValueRequired"}},
      {R"({"ports":[{"port":80},{"port":443}]})",
       {"spec.ports[0].name FieldValueRequired", "spec.ports[1].name FieldValueRequired"}},
      {R"({"ports":[{"name":"web","port":80},{"name":"web","port":443}]})",
       {"spec.ports[1].name FieldValueDuplicate"}},
      {R"({"ports":[{"name":"Web_1","port":80}]})", {"spec.ports[0].name FieldValueInvalid"}},
      // targetPort defaults to port, so kube-apiserver names both.
      {R"({"ports":[{"port":0}]})",
       {"spec.ports[0].port FieldValueInvalid", "spec.ports[0].targetPort FieldValueInvalid"}},
      {R"({"ports":[{"port":70000,"targetPort":80}]})", {"spec.ports[0].port FieldValueInvalid"}},
      {R"({"ports":[{"port":80,"targetPort":65536}]})",
       {"spec.ports[0].targetPort FieldValueInvalid"}},
      {R"({"ports":[{"port":80,"targetPort":"1234"}]})",
       {"spec.ports[0].targetPort FieldValueInvalid"}},
      {R"({"ports":[{"port":80,"protocol":"ICMP"}]})",
       {"spec.ports[0].protocol FieldValueNotSupported"}},
      {R"({"ports":[{"name":"a","port":80},{"name":"b","port":80}]})",
       {"spec.ports[1] FieldValueDuplicate"}},
      {R"({"ports":[{"name":"a","port":53},{"name":"b","port":53,"protocol":"UDP"}]})", {}},
      {R"({"ports":[{"port":80,"nodePort":30080}]})",
       {"spec.ports[0].nodePort FieldValueForbidden"}},
      {R"({"type":"NodePort","ports":[{"port":80,"nodePort":80}]})",
       {"spec.ports[0].nodePort FieldValueInvalid"}},
      {R"({"type":"NodePort","ports":[{"name":"a","port":80,"nodePort":30080},{"name":"b","port":81,"nodePort":30080}]})",
       {"spec.ports[1].nodePort FieldValueDuplicate"}},
      {R"({"type":"LoadBalancer","loadBalancerIP":"192.168.1.300","ports":[{"port":80}]})",
       {"spec.loadBalancerIP FieldValueInvalid"}},
      {R"({"type":"LoadBalancer","loadBalancerIP":"fd00::200","ports":[{"port":80}]})", {}},
      {R"({"clusterIP":"10.96.0.300","ports":[{"port":80}]})",
       {"spec.clusterIPs[0] FieldValueInvalid"}},
      {R"({"sessionAffinity":"Sticky","ports":[{"port":80}]})",
       {"spec.sessionAffinity FieldValueNotSupported"}},
      {R"({"externalTrafficPolicy":"Local","ports":[{"port":80}]})",
       {"spec.externalTrafficPolicy FieldValueInvalid"}},
      {R"({"type":"NodePort","externalTrafficPolicy":"Nearest","ports":[{"port":80}]})",
       {"spec.externalTrafficPolicy FieldValueNotSupported"}},
      {R"({"internalTrafficPolicy":"Any","ports":[{"port":80}]})",
       {"spec.internalTrafficPolicy FieldValueNotSupported"}},
      {R"({"allocateLoadBalancerNodePorts":false,"ports":[{"port":80}]})",
       {"spec.allocateLoadBalancerNodePorts FieldValueForbidden"}},
      {R"({"type":"NodePort","healthCheckNodePort":31000,"ports":[{"port":80}]})",
       {"spec.healthCheckNodePort FieldValueInvalid"}},
      {R"({"type":"ExternalName"})", {"spec.externalName FieldValueRequired"}},
      {R"({"type":"ExternalName","externalName":"a.b","clusterIP":"10.96.5.5"})",
       {"spec.clusterIPs FieldValueForbidden"}},
  };
  for (const auto& r : rows) {
    service_writes w;
    auto text = std::string(R"({"metadata":{"name":"s"},"spec":)") + r.spec + "}";
    EXPECT_EQ(w.write(text), r.want) << r.spec;
  }
}

TEST(ValidationService, MessageNamesEveryCause) {
  service_writes w;
  EXPECT_EQ(
      w.write(R"({"metadata":{"name":"web"},"spec":{"ports":[{"port":0},{"port":80}]}})").size(),
      4u); // [0].name, [0].port, [0].targetPort, [1].name
  auto obj =
      json::parse(R"({"metadata":{"name":"web"},"spec":{"ports":[{"port":0,"targetPort":8080}]}})")
          .as_object();
  auto e = prepare_create(services(), obj, w.alloc);
  ASSERT_FALSE(e);
  e = validate_object(services(), nullptr, obj);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "Service \"web\" is invalid: spec.ports[0].port: Invalid value: 0: must "
                        "be between 1 and 65535, inclusive");
}

TEST(ValidationService, NodePortsAreUniqueAcrossServices) {
  service_writes w;
  w.others.node_ports = {30080, 30000};
  EXPECT_EQ(
      w.write(
          R"({"metadata":{"name":"s"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30080}]}})"),
      list{"spec.ports[0].nodePort FieldValueInvalid"});
  // Allocation skips the ports others hold and the ones this Service asks for.
  auto made = w.made(
      R"({"metadata":{"name":"s"},"spec":{"type":"NodePort","ports":[{"name":"a","port":80},{"name":"b","port":81,"nodePort":30001}]}})");
  EXPECT_EQ(made.at("spec").at("ports").at(0).at("nodePort"), 30002);
  EXPECT_EQ(made.at("spec").at("ports").at(1).at("nodePort"), 30001);
  w.others.node_ports.insert(31000);
  EXPECT_EQ(
      w.write(
          R"({"metadata":{"name":"s"},"spec":{"type":"LoadBalancer","externalTrafficPolicy":"Local","healthCheckNodePort":31000,"ports":[{"port":80}]}})"),
      list{"spec.healthCheckNodePort FieldValueInvalid"});
}

TEST(ValidationService, ClusterIPIsAllocatedOnceAndImmutable) {
  service_writes w;
  w.others.cluster_ips = {"10.96.0.10", "10.96.0.1"};
  auto a = w.made(R"({"metadata":{"name":"a"},"spec":{"ports":[{"port":80}]}})");
  EXPECT_EQ(a.at("spec").at("clusterIP"), "10.96.0.11"); // .10 is taken
  EXPECT_EQ(
      w.write(
          R"({"metadata":{"name":"b"},"spec":{"clusterIP":"10.96.0.10","ports":[{"port":80}]}})"),
      list{"spec.clusterIPs FieldValueInvalid"});
  // An update that changes it: clusterIPs follows clusterIP, then "may not change once set".
  auto changed = a;
  changed["spec"].as_object()["clusterIP"] = "10.96.0.99";
  EXPECT_EQ(w.write(json::serialize(changed), &a), list{"spec.clusterIPs[0] FieldValueInvalid"});
  auto obj = changed;
  auto e = prepare_update(services(), a, obj, w.alloc);
  ASSERT_FALSE(e);
  e = validate_object(services(), &a, obj);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "Service \"a\" is invalid: spec.clusterIPs[0]: Invalid value: "
                        "[]string{\"10.96.0.99\"}: may not change once set");
  // Leaving it out keeps the allocated one; sending it unchanged is fine.
  auto omitted = a;
  omitted["spec"].as_object().erase("clusterIP");
  omitted["spec"].as_object().erase("clusterIPs");
  EXPECT_EQ(w.write(json::serialize(omitted), &a), list{});
  EXPECT_EQ(w.result.at("spec").at("clusterIP"), "10.96.0.11");
  EXPECT_EQ(w.write(json::serialize(a), &a), list{});
}

TEST(ValidationService, TypeChangeDropsWhatTheOldTypeNeeded) {
  service_writes w;
  auto lb = w.made(
      R"({"metadata":{"name":"s"},"spec":{"type":"LoadBalancer","externalTrafficPolicy":"Local","loadBalancerClass":"kube-vip.io/kube-vip-class","ports":[{"port":80}]}})");
  ASSERT_TRUE(lb.at("spec").as_object().contains("healthCheckNodePort"));
  lb["status"] =
      json::parse(R"({"loadBalancer":{"ingress":[{"ip":"192.168.1.200","ipMode":"VIP"}]}})");
  auto to_cluster_ip = lb;
  to_cluster_ip["spec"].as_object()["type"] = "ClusterIP";
  EXPECT_EQ(w.write(json::serialize(to_cluster_ip), &lb), list{});
  const auto& spec = w.result.at("spec").as_object();
  for (const char* gone : {"allocateLoadBalancerNodePorts", "externalTrafficPolicy",
                           "healthCheckNodePort", "loadBalancerClass"})
    EXPECT_FALSE(spec.contains(gone)) << gone;
  EXPECT_FALSE(spec.at("ports").at(0).as_object().contains("nodePort"));
  EXPECT_EQ(spec.at("clusterIP"), lb.at("spec").at("clusterIP"));
  EXPECT_EQ(w.result.at("status"), json::parse(R"({"loadBalancer":{}})"));
  // A nodePort the client changed while switching to ClusterIP is not dropped: refused.
  auto changed = to_cluster_ip;
  changed["spec"].as_object()["ports"].as_array()[0].as_object()["nodePort"] = 32000;
  EXPECT_EQ(w.write(json::serialize(changed), &lb),
            list{"spec.ports[0].nodePort FieldValueForbidden"});
  // To ExternalName: the cluster IP goes too.
  auto to_name = lb;
  to_name["spec"].as_object()["type"] = "ExternalName";
  to_name["spec"].as_object()["externalName"] = "db.example.com";
  EXPECT_EQ(w.write(json::serialize(to_name), &lb), list{});
  EXPECT_FALSE(w.result.at("spec").as_object().contains("clusterIP"));
  // NodePort -> LoadBalancer keeps the node ports.
  auto np = w.made(R"({"metadata":{"name":"n"},"spec":{"type":"NodePort","ports":[{"port":80}]}})");
  auto to_lb = np;
  to_lb["spec"].as_object()["type"] = "LoadBalancer";
  EXPECT_EQ(w.write(json::serialize(to_lb), &np), list{});
  EXPECT_EQ(w.result.at("spec").at("ports").at(0).at("nodePort"),
            np.at("spec").at("ports").at(0).at("nodePort"));
}

TEST(ValidationService, LoadBalancerClassAndIngress) {
  service_writes w;
  auto lb = w.made(
      R"({"metadata":{"name":"s"},"spec":{"type":"LoadBalancer","loadBalancerClass":"a.io/x","ports":[{"port":80}]}})");
  auto other = lb;
  other["spec"].as_object()["loadBalancerClass"] = "b.io/y";
  EXPECT_EQ(w.write(json::serialize(other), &lb), list{"spec.loadBalancerClass FieldValueInvalid"});
  EXPECT_EQ(
      w.write(
          R"({"metadata":{"name":"t"},"spec":{"type":"LoadBalancer","loadBalancerClass":"a/b/c","ports":[{"port":80}]}})"),
      list{"spec.loadBalancerClass FieldValueInvalid"});
  const row rows[] = {
      {R"({"ingress":[{"ip":"192.168.1.200"}]})", {}},
      {R"({"ingress":[{"hostname":"lb.example.com"}]})", {}},
      {R"({"ingress":[{"ip":"192.168.1.2000"}]})",
       {"status.loadBalancer.ingress[0].ip FieldValueInvalid"}},
      {R"({"ingress":[{"hostname":"10.0.0.1"}]})",
       {"status.loadBalancer.ingress[0].hostname FieldValueInvalid"}},
      {R"({"ingress":[{"ip":"10.0.0.1","ipMode":"Direct"}]})",
       {"status.loadBalancer.ingress[0].ipMode FieldValueNotSupported"}},
      {R"({"ingress":[{"hostname":"a.b","ipMode":"VIP"}]})",
       {"status.loadBalancer.ingress[0].ipMode FieldValueForbidden"}},
      {R"({"ingress":[{"hostname":"LB_1.example.com"}]})",
       {"status.loadBalancer.ingress[0].hostname FieldValueInvalid"}},
  };
  for (const auto& r : rows) {
    auto st = lb;
    st["status"] = json::object{{"loadBalancer", json::parse(r.spec)}};
    EXPECT_EQ(w.write(json::serialize(st), &lb), r.want) << r.spec;
  }
}

TEST(ValidationService, NoteAllocations) {
  service_writes w;
  auto lb = w.made(
      R"({"metadata":{"name":"s"},"spec":{"type":"LoadBalancer","externalTrafficPolicy":"Local","ports":[{"port":80,"nodePort":30500}]}})");
  validation_context ctx;
  note_service_allocations(lb, ctx);
  EXPECT_EQ(ctx.node_ports.size(), 2u); // the port and the health check port
  EXPECT_EQ(ctx.node_ports.count(30500), 1u);
  EXPECT_EQ(ctx.cluster_ips,
            std::set<std::string>{std::string(lb.at("spec").at("clusterIP").as_string())});
}

TEST(ValidationService, WrongTypesAreRefusedNotCrashed) {
  const char* specs[] = {
      R"({"ports":[{"port":"80"}]})",
      R"({"ports":[{"port":80,"nodePort":"x","name":5,"protocol":[]}]})",
      R"({"ports":[{"port":80,"targetPort":null}]})",
      R"({"type":"NodePort","ports":[{"port":1.5}]})",
      R"({"clusterIP":5,"clusterIPs":[1,null],"ports":[{"port":80}]})",
      R"({"type":"LoadBalancer","healthCheckNodePort":"x","loadBalancerIP":[],"ports":[{"port":80}]})",
      R"({"ports":{}})",
      R"({"ports":[1]})",
  };
  for (const char* spec : specs) {
    service_writes w;
    auto text = std::string(R"({"metadata":{"name":"s","labels":{"a":1}},"spec":)") + spec +
                R"(,"status":{"loadBalancer":{"ingress":[1,{"ip":5}]}}})";
    auto errs = w.write(text);
    auto old = w.result;
    w.write(text, &old); // and as an update of itself
    SUCCEED() << spec << " " << errs.size();
  }
}

} // namespace
} // namespace kvip::sim
