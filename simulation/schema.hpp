// Typed decoding of request bodies: the Go types kube-apiserver decodes each
// served kind into, as data (struct type -> JSON field -> Go type), and a
// decoder that checks a JSON object against them the way sigs.k8s.io/json
// does: wrong JSON types, MicroTime/Time that does not parse, []byte that is
// no base64 are errors (Go's message text); fields no type declares are
// collected as unknown (strict decoding) and pruned.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "net/result.hpp"
#include "simulation/resources.hpp"

namespace kvip::sim {

/// One field of a Go struct: its JSON name and Go type ("string", "*int32", "[]v1.ServicePort",
/// "map[string]string", "v1.ObjectMeta", ...).
struct field_def {
  std::string_view name;
  std::string_view type;
};

/// The fields of the Go struct `type_name` ("v1.ServiceSpec"), or nullptr if it is not described.
const std::vector<field_def>* struct_fields(std::string_view type_name);
/// Every described struct type name (for tests: each field's type must resolve).
std::vector<std::string_view> struct_type_names();
/// The Go type a served kind decodes into ("v1.Service", "v1.Lease"), or "" if none.
std::string_view root_type(const resource_info& res);

/// A decoded body: the object with unknown fields pruned, and their paths
/// ("spec.foo", "spec.ports[0].bar") in document order.
struct decoded_object {
  boost::json::object object;
  std::vector<std::string> unknown_fields;
};

/// Decodes `obj` as `res`'s Go type. The error message is the decoder's
/// ("json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type
/// map[string]string", "illegal base64 data at input byte 3", "parsing time ...").
net::result<decoded_object> decode_object(const resource_info& res, boost::json::object obj);

/// Decodes `v` as the Go type `type` (used by decode_object and the tests).
net::result<decoded_object> decode_as(std::string_view type, boost::json::object obj);

} // namespace kvip::sim
