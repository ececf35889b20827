#pragma once
// Services of type LoadBalancer in a simulated cluster (issue 10, "Tests and
// benchmark"): Services and their EndpointSlices created, changed and deleted
// through the cluster's embedded API server with k8s::client, one at a time
// or many at once.
//
// The API server listens on the lab's bridge, which the calling process (a
// test in its private namespace, `kvip simulate` in the host's) may not
// reach: every request runs on a worker thread that entered the client
// namespace first (setns affects only that thread). Each worker has its own
// k8s::client (one keep-alive connection); `workers` of them serve create_many
// concurrently, one serves every other call.
//
// Times are mono_us(): microseconds on the steady clock, the same clock the
// arp_sweeper (simulation/arp_sweeper.hpp) stamps answers with, so "created
// at" and "first answered at" subtract.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "k8s/connection.hpp"
#include "k8s/result.hpp"
#include "simulation/cluster.hpp"

namespace kvip::k8s {
class client;
}

namespace kvip::sim {

/// Microseconds on the steady clock (comparable with arp_sweeper times).
std::int64_t mono_us();

/// A Service of type LoadBalancer as the lab makes it.
struct service_spec {
  std::string name;
  std::string ns = "default";
  std::vector<std::pair<std::string, int>> ports{{"TCP", 80}}; ///< (protocol, port)
  /// kube-vip.io/loadbalancerIPs (joined by commas); empty: no annotation.
  std::vector<std::string> ips;
  bool local = false;                   ///< externalTrafficPolicy Local (else Cluster)
  std::vector<std::string> ip_families; ///< spec.ipFamilies ("IPv4", "IPv6"); empty: unset
  std::string ip_family_policy;         ///< spec.ipFamilyPolicy; "": unset
  std::string load_balancer_ip;         ///< spec.loadBalancerIP; "": unset
  std::map<std::string, std::string> annotations; ///< every other annotation
  /// create()/create_many(): also create the EndpointSlice "<name>-lab" with one
  /// ready IPv4 endpoint on each of these lab nodes (0-based). Empty: none.
  std::vector<int> endpoints_on;
};

/// An EndpointSlice of a Service, with endpoints on lab nodes.
struct slice_spec {
  std::string service;
  std::string ns = "default";
  std::string name;       ///< "": "<service>-lab" ("-lab6" for IPv6)
  bool ipv6 = false;      ///< addressType IPv6 (else IPv4)
  std::vector<int> nodes; ///< one endpoint on each (0-based lab nodes)
  bool ready = true;      ///< conditions.ready of every endpoint
  std::vector<std::pair<std::string, int>> ports{{"TCP", 80}};
};

/// The Service object `s` describes (pure).
boost::json::object service_object(const service_spec& s);
/// The EndpointSlice `s` describes; `node_names` are the lab nodes' kvip names.
boost::json::object slice_object(const slice_spec& s, const std::vector<std::string>& node_names);
/// The slice's name: s.name, or "<service>-lab" / "<service>-lab6".
std::string slice_name(const slice_spec& s);

/// One Service of create_many().
struct created_service {
  std::string ns, name;
  std::int64_t start_us = 0; ///< mono_us() when its first request was sent
  std::int64_t done_us = 0;  ///< mono_us() when the last of its requests was answered
  std::string error;         ///< "" = created (with its slice)
};

class lab_services {
public:
  /// Starts `workers` threads in the cluster's client namespace (at least 1);
  /// an error when one cannot enter it or read the cluster's kubeconfig.
  static net::result<std::unique_ptr<lab_services>> open(cluster& c, int workers = 8);
  ~lab_services();
  lab_services(const lab_services&) = delete;
  lab_services& operator=(const lab_services&) = delete;

  /// Creates a namespace (already there is fine).
  net::result<void> ensure_namespace(const std::string& ns);
  /// Creates the Service (and its slice when s.endpoints_on is not empty).
  k8s::result<boost::json::object> create(const service_spec& s);
  /// Makes the stored Service say what `s` says: annotations (the IPs and
  /// `s.annotations`; other annotations are kept), ports, policy, families,
  /// loadBalancerIP. Read, change, PUT; retried on conflict. The slice is left alone.
  k8s::result<boost::json::object> update(const service_spec& s);
  k8s::result<boost::json::object> get(const std::string& ns, const std::string& name);
  /// Deletes the Service; its slices too when `with_slices`.
  k8s::result<void> remove(const std::string& ns, const std::string& name, bool with_slices = true);
  /// Creates or replaces an EndpointSlice.
  k8s::result<void> set_endpoints(const slice_spec& s);
  k8s::result<void> remove_endpoints(const std::string& ns, const std::string& slice);
  /// Every Event in `ns` whose involvedObject is the Service `name`.
  k8s::result<std::vector<boost::json::object>> events(const std::string& ns,
                                                       const std::string& name);
  /// Creates every Service (and slice) with `workers` requests in flight; one
  /// entry per spec, in order, each with its own times and error.
  /// `on_done(i, c)` (optional) runs on the worker as soon as spec i is
  /// created or refused.
  std::vector<created_service>
  create_many(const std::vector<service_spec>& specs,
              const std::function<void(std::size_t, const created_service&)>& on_done = {});

  /// Runs `fn` on a worker (in the client namespace) and waits for it.
  void run(const std::function<void(k8s::client&)>& fn);

private:
  explicit lab_services(cluster& c) : c_(c) {}
  using task = std::function<void(k8s::client&)>;
  void worker(const k8s::connection_config& conn, std::promise<std::string>* started);
  void post(task t);

  cluster& c_;
  std::vector<std::string> node_names_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<task> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

} // namespace kvip::sim
