// Between the allocator and the API: what a Service object holds and needs, and
// what to write back when it gets addresses (reference kube-vip-behaviour.md §4,
// "Sync algorithm" and "Writes").
//
// read_service() reads one Service:
//   * what it holds: every IP address in kube-vip.io/loadbalancerIPs (DNS names
//     are skipped), spec.loadBalancerIP and status.loadBalancer.ingress[].ip, with
//     its spec.ports; all count as in use, so nothing any Service shows is handed out;
//   * what it needs: nothing when the annotation is set (or the Service is not of
//     type LoadBalancer); the legacy adoption when only spec.loadBalancerIP is set
//     (copy it into the annotation); else an allocation.
//
// The write-back is one JSON merge patch of the Service: the annotation
// kube-vip.io/loadbalancerIPs, spec.loadBalancerIP (the first address, for
// older clients), the label implementation=kube-vip (what kube-vip-cloud-provider
// finds its Services by), the legacy label ipam-address removed (as
// kube-vip-cloud-provider does), and kube-vip.io/serviceInterface when the ConfigMap
// names an interface. With the Service's resourceVersion in the patch, a Service
// changed since it was read fails with 409 Conflict instead of being overwritten.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "k8s/ipam/allocator.hpp"
#include "k8s/objects.hpp"

namespace kvip::k8s::ipam {

inline constexpr std::string_view loadbalancer_ips_annotation = "kube-vip.io/loadbalancerIPs";
inline constexpr std::string_view service_interface_annotation = "kube-vip.io/serviceInterface";
inline constexpr std::string_view implementation_label = "implementation";
inline constexpr std::string_view implementation_value = "kube-vip";
/// kube-vip-cloud-provider's legacy label, removed by every write-back.
inline constexpr std::string_view legacy_ipam_label = "ipam-address";

/// What a Service needs from the allocator.
enum class service_need {
  nothing,      ///< it has the annotation, or is not of type LoadBalancer
  adopt_legacy, ///< spec.loadBalancerIP only: write it into the annotation
  allocate,     ///< no address yet
};

/// "nothing", "adopt_legacy", "allocate".
const char* to_string(service_need n);

/// What to write to a Service.
struct writeback {
  std::string load_balancer_ips; ///< kube-vip.io/loadbalancerIPs ("10.0.0.1,fd00::1")
  std::string load_balancer_ip;  ///< spec.loadBalancerIP (the first address)
  std::string service_interface; ///< kube-vip.io/serviceInterface; "" writes none
  bool operator==(const writeback&) const = default;
};

/// One Service as the allocator sees it.
struct service_reading {
  holding held; ///< for allocator::observe
  request want; ///< for allocator::allocate (need == allocate)
  service_need need = service_need::nothing;
  writeback legacy;                  ///< need == adopt_legacy: what to write
  std::vector<std::string> problems; ///< addresses that could not be read
};

/// Reads a Service (see the header comment).
service_reading read_service(const service& svc);

/// The write-back of an allocation.
writeback writeback_for(const allocation& a);

/// The merge patch that writes `w` (metadata.resourceVersion = `resource_version`
/// unless empty).
boost::json::object service_patch(const writeback& w, std::string_view resource_version = {});

} // namespace kvip::k8s::ipam
