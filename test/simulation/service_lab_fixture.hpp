#pragma once
// What the Service lab tests beyond services_netns_test.cpp share (issue 10,
// "Tests and benchmark"): a 3-node cluster running kvip (gossip or kube-vip's
// Lease mode) with svc_enable=true and the environment a fixture asks for,
// a TCP server on every node that names its node, the embedded API server
// reached from the client namespace (simulation/lab_services.hpp) and an ARP
// sweeper asking from the client who answers each Service IP.
//
// A fixture derives from ServiceLabTest, owns one service_lab for its whole
// suite (built in SetUpTestSuite, deleted in TearDownTestSuite) and returns it
// from lab(). Every Service, ConfigMap and namespace-scoped object a case
// makes through the helpers is deleted when the case ends, failed or not; a
// failed case prints the tail of every node's log.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "k8s/client.hpp"
#include "k8s/object_view.hpp"
#include "k8s/resource.hpp"
#include "net/wait.hpp"
#include "simulation/arp_sweeper.hpp"
#include "simulation/lab_services.hpp"
#include "simulation/lab_tcp.hpp"
#include "simulation/systems.hpp"

namespace kvip::test {

inline constexpr std::uint16_t lab_tcp_port = 8080;

/// One cluster and its tools.
struct service_lab {
  std::unique_ptr<sim::cluster> c;
  std::unique_ptr<sim::system_runner> sys;
  std::unique_ptr<sim::lab_services> api;
  std::unique_ptr<sim::arp_sweeper> sweep;
  std::string error; ///< why it could not be built
};

/// Builds `s`: `system` on every node with svc_enable=true and `env`. "" or why not.
/// With `node_objects`, every node's Node object exists before kvip starts.
inline std::string build_service_lab(service_lab& s, sim::system_id system,
                                     const std::map<std::string, std::string>& env,
                                     bool node_objects = false) {
  using namespace std::chrono_literals;
  sim::cluster_options o;
  o.kvip_binary = KVIP_BINARY;
  o.start_nodes = false;
  o.extra_env = env;
  o.extra_env["svc_enable"] = "true";
  auto made = sim::cluster::create(o);
  if (!made) return "cluster: " + made.err().describe();
  s.c = std::move(*made);
  for (int i = 0; node_objects && i < o.nodes; ++i)
    if (auto made = s.c->create_node_object(i); !made) return "Node: " + made.err().describe();
  s.sys = std::make_unique<sim::system_runner>(*s.c, system);
  for (const auto& h : s.c->lab().nodes())
    if (auto srv = sim::start_tcp_banner(s.c->lab(), h, lab_tcp_port, h.name, 15s); !srv)
      return srv.err().describe();
  if (auto st = s.sys->start_all(); !st) return "start: " + st.err().describe();
  if (auto why = s.sys->wait_all_ready(30s, nullptr); !why.empty()) return "not ready: " + why;
  auto api = sim::lab_services::open(*s.c, 2);
  if (!api) return api.err().describe();
  s.api = std::move(*api);
  auto sw = sim::arp_sweeper::start(sim::sweep_from(s.c->lab().client(), 1000));
  if (!sw) return sw.err().describe();
  s.sweep = std::move(*sw);
  return {};
}

inline net::ip_address lab_ip(const std::string& s) {
  return *net::ip_address::parse(s);
}

/// The last `lines` lines of a file.
inline std::string file_tail(const std::string& path, std::size_t lines) {
  std::ifstream in{path};
  std::vector<std::string> all;
  for (std::string l; std::getline(in, l);)
    all.push_back(l);
  std::string out;
  for (auto i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
    out += all[i] + "\n";
  return out;
}

/// A Service of type LoadBalancer with endpoints on every node.
inline sim::service_spec lab_service(const std::string& name, std::vector<std::string> ips,
                                     const std::string& ns = "default") {
  sim::service_spec s;
  s.name = name;
  s.ns = ns;
  s.ips = std::move(ips);
  s.endpoints_on = {0, 1, 2};
  return s;
}

/// "02:99:00:00:00:01 02:99:00:00:00:02" ("none" when empty).
inline std::string macs_text(const std::vector<net::mac_address>& macs) {
  std::string out;
  for (const auto& m : macs)
    out += (out.empty() ? "" : " ") + net::to_string(m);
  return out.empty() ? "none" : out;
}

/// True when `events` holds a Warning Event with `reason` (and `text` in its message).
inline bool has_warning(const std::vector<boost::json::object>& events, const std::string& reason,
                        const std::string& text = {}) {
  for (const auto& e : events)
    if (k8s::jsonpath::str(e, {"type"}) == "Warning" &&
        k8s::jsonpath::str(e, {"reason"}) == reason &&
        k8s::jsonpath::str(e, {"message"}).find(text) != std::string::npos)
      return true;
  return false;
}

class ServiceLabTest : public ::testing::Test {
protected:
  virtual service_lab& lab() = 0;

  void SetUp() override { ASSERT_TRUE(lab().error.empty()) << lab().error; }

  void TearDown() override {
    if (!lab().api) return;
    for (auto& [ns, name] : made_)
      (void)api().remove(ns, name);
    for (auto& [ns, name] : config_maps_)
      api().run([&](k8s::client& cl) { (void)cl.remove(k8s::resources::config_maps, ns, name); });
    if (!HasFailure()) return;
    for (int i = 0; i < c().options().nodes; ++i)
      std::printf("---- %s\n%s\n", c().node_log(i).c_str(), file_tail(c().node_log(i), 60).c_str());
  }

  sim::cluster& c() { return *lab().c; }
  sim::lab_services& api() { return *lab().api; }
  sim::arp_sweeper& sweep() { return *lab().sweep; }
  std::string node_name(int i) { return c().lab().nodes().at(static_cast<std::size_t>(i)).name; }

  /// Creates a Service (deleted when the case ends) and asks for its IPs.
  void create(const sim::service_spec& s) {
    made_.emplace_back(s.ns, s.name);
    auto r = api().create(s);
    ASSERT_TRUE(r.ok()) << s.name << ": " << r.err().describe();
    std::vector<net::ip_address> targets;
    for (const auto& a : s.ips)
      targets.push_back(lab_ip(a));
    sweep().add(targets);
  }

  /// Creates or replaces a ConfigMap (deleted when the case ends).
  void set_config_map(const std::string& ns, const std::string& name,
                      const std::map<std::string, std::string>& data) {
    if (std::find(config_maps_.begin(), config_maps_.end(), std::pair{ns, name}) ==
        config_maps_.end())
      config_maps_.emplace_back(ns, name);
    boost::json::object d;
    for (const auto& [k, v] : data)
      d[k] = v;
    k8s::result<boost::json::object> r = k8s::make_error(k8s::error_kind::cancelled, "not run");
    api().run([&](k8s::client& cl) {
      (void)cl.remove(k8s::resources::config_maps, ns, name);
      r = cl.create(
          k8s::resources::config_maps, ns,
          boost::json::object{{"metadata", {{"name", name}, {"namespace", ns}}}, {"data", d}});
    });
    ASSERT_TRUE(r.ok()) << "ConfigMap " << ns << "/" << name << ": " << r.err().describe();
  }

  /// The node that alone answered `a`'s newest complete request, else -1.
  int sole_owner(const std::string& a) {
    auto e = sweep().entry(lab_ip(a));
    if (!e || e->current.size() != 1) return -1;
    return c().node_of(e->current[0]);
  }

  /// Waits until one node alone answers `a`; its index (-1 after the budget).
  int owner(const std::string& a, std::chrono::milliseconds budget = std::chrono::seconds{10}) {
    sweep().add({lab_ip(a)});
    int who = -1;
    net::eventually([&] { return (who = sole_owner(a)) >= 0; }, budget);
    return who;
  }

  /// True when nothing answered a request for `a` sent after `since_us` for all of
  /// `window` (the requests keep going meanwhile).
  bool silent(const std::string& a, std::int64_t since_us, std::chrono::milliseconds window) {
    sweep().add({lab_ip(a)});
    auto asked = [&] {
      auto e = sweep().entry(lab_ip(a));
      return e && e->current_sent_us > since_us;
    };
    if (!net::eventually(asked, std::chrono::seconds{2})) return false;
    return net::always(
        [&] {
          auto e = sweep().entry(lab_ip(a));
          return e && e->current.empty() && e->macs.empty();
        },
        window, std::chrono::milliseconds{20});
  }

  /// What a TCP connect to a:8080 from the client reads ("" when none).
  std::string hello(const std::string& a) {
    auto r =
        sim::tcp_hello(c().lab().client().netns, lab_ip(a), lab_tcp_port, std::chrono::seconds{1});
    return r.outcome == sim::tcp_outcome::answered ? r.text : "";
  }

  /// One annotation of a Service ("" when absent or the Service is).
  std::string annotation(const std::string& ns, const std::string& name, const std::string& key) {
    auto s = api().get(ns, name);
    return s ? k8s::jsonpath::str(*s, {"metadata", "annotations", key}) : "";
  }

  /// Waits until the Service carries annotation `key`; its value ("" after the budget).
  std::string wait_annotation(const std::string& ns, const std::string& name,
                              const std::string& key,
                              std::chrono::milliseconds budget = std::chrono::seconds{10}) {
    std::string v;
    net::eventually([&] { return !(v = annotation(ns, name, key)).empty(); }, budget,
                    std::chrono::milliseconds{50});
    return v;
  }

  /// The holder of Lease ns/name ("" when it names nobody; nullopt when there is none).
  std::optional<std::string> lease_holder(const std::string& ns, const std::string& name) {
    std::optional<std::string> holder;
    api().run([&](k8s::client& cl) {
      if (auto l = cl.get(k8s::resources::leases, ns, name))
        holder = k8s::jsonpath::str(*l, {"spec", "holderIdentity"});
    });
    return holder;
  }

  /// The lab node named `name`, or -1.
  int node_index(const std::string& name) {
    const auto& n = c().lab().nodes();
    for (std::size_t i = 0; i < n.size(); ++i)
      if (n[i].name == name) return static_cast<int>(i);
    return -1;
  }

  /// Waits until Lease ns/name names a lab node; its index (-1 after the budget).
  int wait_lease_holder(const std::string& ns, const std::string& name,
                        std::chrono::milliseconds budget = std::chrono::seconds{10}) {
    int who = -1;
    net::eventually(
        [&] {
          auto h = lease_holder(ns, name);
          return h && (who = node_index(*h)) >= 0;
        },
        budget, std::chrono::milliseconds{100});
    return who;
  }

  /// Waits until a Warning Event with `reason` (and `text`) is recorded on the Service.
  bool wait_warning(const std::string& ns, const std::string& name, const std::string& reason,
                    const std::string& text = {},
                    std::chrono::milliseconds budget = std::chrono::seconds{10}) {
    return net::eventually(
        [&] {
          auto ev = api().events(ns, name);
          return ev && has_warning(*ev, reason, text);
        },
        budget, std::chrono::milliseconds{100});
  }

  std::vector<std::pair<std::string, std::string>> made_;
  std::vector<std::pair<std::string, std::string>> config_maps_;
};

} // namespace kvip::test
