// Field validation of the objects the embedded API server stores, as
// kube-apiserver's registry strategies do it after defaulting: metadata (names,
// labels, annotations), Services, EndpointSlices, Nodes, Events, ConfigMap and
// Secret keys, Leases. Pure: the store passes what other objects hold
// (validation_context) and turns the causes into one 422 (status.hpp invalid()).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "simulation/resources.hpp"
#include "simulation/status.hpp"

namespace kvip::sim {

/// What other objects already hold, which a write may not take.
struct validation_context {
  std::set<std::int64_t> node_ports; ///< nodePorts and healthCheckNodePorts of other Services
  std::set<std::string> cluster_ips; ///< cluster IPs of other Services
};

/// Adds the node ports and cluster IPs that Service `svc` holds to `ctx`.
void note_service_allocations(const boost::json::object& svc, validation_context& ctx);

/// Field errors in kube-apiserver's wording (its field.ErrorList), in the order found.
class field_errors {
public:
  /// "Invalid value: <shown>: <msg>"; `shown` as quote() or std::to_string render it.
  void invalid(std::string field, std::string shown, std::string_view msg);
  /// "Required value" or "Required value: <msg>".
  void required(std::string field, std::string_view msg = {});
  /// "Duplicate value: <shown>".
  void duplicate(std::string field, std::string shown);
  /// "Unsupported value: "<value>": supported values: "a", "b"".
  void not_supported(std::string field, std::string_view value,
                     std::initializer_list<std::string_view> supported);
  /// "Forbidden: <msg>".
  void forbidden(std::string field, std::string_view msg);
  /// "Too long: must have at most <max> bytes".
  void too_long(std::string field, std::size_t max);

  bool empty() const { return causes_.empty(); }
  const std::vector<field_cause>& causes() const { return causes_; }

private:
  std::vector<field_cause> causes_;
};

/// `s` in double quotes with '"', '\' and control characters escaped (Go's %q, ASCII).
std::string quote(std::string_view s);
/// A JSON value as kube-apiserver shows it after "Invalid value: " (strings quoted).
std::string shown(const boost::json::value& v);
/// True if `s` is an IPv4 or IPv6 address literal.
bool is_ip(std::string_view s);

/// Validates `obj` of `res` after defaulting; `old` is the stored object on update, null on
/// create. Every cause in one 422, or none when the object is valid.
std::optional<api_error> validate_object(const resource_info& res, const boost::json::object* old,
                                         const boost::json::object& obj,
                                         const validation_context& ctx = {});

/// metadata.labels and metadata.annotations (keys, values, total annotation size).
void validate_metadata(const boost::json::object& obj, field_errors& errs);
/// A Service's spec and status.loadBalancer (validation_service.cpp).
void validate_service(const boost::json::object* old, const boost::json::object& obj,
                      const validation_context& ctx, field_errors& errs);

} // namespace kvip::sim
