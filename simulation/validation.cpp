// Field validation shared by every kind (metadata) and the small per-kind rules
// (ConfigMap/Secret keys, EndpointSlice, Node, Event, Lease). Services are in
// validation_service.cpp.
#include "simulation/validation.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "net/ip.hpp"
#include "simulation/object_util.hpp"
#include "simulation/selector.hpp"

namespace kvip::sim {

namespace json = boost::json;

// -- field_errors --------------------------------------------------------------

void field_errors::invalid(std::string field, std::string shown, std::string_view msg) {
  causes_.push_back({std::move(field), "Invalid value: " + shown + ": " + std::string(msg)});
}

void field_errors::required(std::string field, std::string_view msg) {
  std::string detail = "Required value";
  if (!msg.empty()) detail += ": " + std::string(msg);
  causes_.push_back({std::move(field), std::move(detail), "FieldValueRequired"});
}

void field_errors::duplicate(std::string field, std::string shown) {
  causes_.push_back({std::move(field), "Duplicate value: " + shown, "FieldValueDuplicate"});
}

void field_errors::not_supported(std::string field, std::string_view value,
                                 std::initializer_list<std::string_view> supported) {
  std::string list;
  for (auto s : supported)
    list += (list.empty() ? "" : ", ") + quote(s);
  causes_.push_back({std::move(field),
                     "Unsupported value: " + quote(value) + ": supported values: " + list,
                     "FieldValueNotSupported"});
}

void field_errors::forbidden(std::string field, std::string_view msg) {
  causes_.push_back({std::move(field), "Forbidden: " + std::string(msg), "FieldValueForbidden"});
}

void field_errors::too_long(std::string field, std::size_t max) {
  causes_.push_back({std::move(field),
                     "Too long: must have at most " + std::to_string(max) + " bytes",
                     "FieldValueTooLong"});
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string shown(const json::value& v) {
  if (v.is_string()) return quote(v.as_string());
  if (v.is_null()) return "null";
  return json::serialize(v);
}

bool is_ip(std::string_view s) {
  return net::ip_address::parse(s).has_value();
}

// -- metadata -------------------------------------------------------------------

namespace {

constexpr std::size_t annotations_limit = 256 * 1024; // TotalAnnotationSizeLimitB

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

} // namespace

void validate_metadata(const json::object& obj, field_errors& errs) {
  if (auto* labels = jsonpath::object_at(obj, {"metadata", "labels"})) {
    for (const auto& [k, v] : *labels) {
      if (auto ok = validate_label_key(k); !ok)
        errs.invalid("metadata.labels", quote(k), ok.err().message);
      if (!v.is_string()) continue;
      if (auto ok = validate_label_value(v.as_string()); !ok)
        errs.invalid("metadata.labels", quote(v.as_string()), ok.err().message);
    }
  }
  auto* annotations = jsonpath::object_at(obj, {"metadata", "annotations"});
  if (annotations == nullptr) return;
  std::size_t total = 0;
  for (const auto& [k, v] : *annotations) {
    if (auto ok = validate_label_key(lower(k)); !ok)
      errs.invalid("metadata.annotations", quote(k), ok.err().message);
    total += k.size() + (v.is_string() ? v.as_string().size() : 0);
  }
  if (total > annotations_limit) errs.too_long("metadata.annotations", annotations_limit);
}

// -- ConfigMap and Secret keys --------------------------------------------------

namespace {

/// kube-apiserver's IsConfigMapKey, each reason separately.
std::vector<std::string> config_key_problems(std::string_view key) {
  std::vector<std::string> out;
  if (key.size() > 253) out.emplace_back("must be no more than 253 characters");
  bool chars_ok = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
  if (!chars_ok) {
    out.emplace_back("a valid config key must consist of alphanumeric characters, '-', '_' or "
                     "'.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
                     "validation is '[-._a-zA-Z0-9]+')");
  }
  if (key == ".") {
    out.emplace_back("must not be '.'");
  } else if (key == "..") {
    out.emplace_back("must not be '..'");
  } else if (key.starts_with("..")) {
    out.emplace_back("must not start with '..'");
  }
  return out;
}

constexpr std::size_t max_data_size = 1024 * 1024; // MaxSecretSize, also for ConfigMaps

/// The bytes a data value holds: base64 text (binaryData, Secret data) decoded.
std::size_t value_size(const json::value& v, bool base64) {
  if (!v.is_string()) return 0;
  if (!base64) return v.as_string().size();
  auto bytes = k8s::base64_decode(v.as_string());
  return bytes ? bytes->size() : v.as_string().size();
}

/// Keys of data and binaryData, duplicates between them, and the 1 MiB total
/// (field "[]" for a ConfigMap, "data" for a Secret, as kube-apiserver names them).
void validate_data(const json::object& obj, bool secret, field_errors& errs) {
  auto* binary = jsonpath::object_at(obj, {"binaryData"});
  std::size_t total = 0;
  for (const char* bag : {"data", "binaryData"}) {
    auto* data = jsonpath::object_at(obj, {bag});
    if (data == nullptr) continue;
    bool is_data = bag == std::string_view("data");
    for (const auto& [k, v] : *data) {
      std::string field = std::string(bag) + "[" + std::string(k) + "]";
      for (const auto& msg : config_key_problems(k))
        errs.invalid(field, quote(k), msg);
      if (is_data && binary != nullptr && binary->contains(k))
        errs.invalid(field, quote(k), "duplicate of key present in binaryData");
      total += value_size(v, secret || !is_data);
    }
  }
  if (total > max_data_size) errs.too_long(secret ? "data" : "[]", max_data_size);
}

// -- EndpointSlice, Node, Event, Lease --------------------------------------------

bool is_fqdn(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s.find('.') != std::string_view::npos && check_object_name(s).ok();
}

void validate_endpoint_addresses(const json::object& obj, const std::string& type,
                                 field_errors& errs) {
  auto* eps = jsonpath::find(obj, {"endpoints"});
  if (eps == nullptr || !eps->is_array()) return;
  std::size_t i = 0;
  for (const auto& ep : eps->as_array()) {
    auto path = "endpoints[" + std::to_string(i++) + "].addresses";
    auto* addrs = ep.is_object() ? ep.as_object().if_contains("addresses") : nullptr;
    if (addrs == nullptr || !addrs->is_array() || addrs->as_array().empty()) {
      errs.required(path, "must contain at least 1 address");
      continue;
    }
    std::size_t j = 0;
    for (const auto& a : addrs->as_array()) {
      auto field = path + "[" + std::to_string(j++) + "]";
      std::string text = a.is_string() ? std::string(a.as_string()) : std::string{};
      auto ip = net::ip_address::parse(text);
      if (type == "IPv4" && !(ip && ip->is_v4())) {
        errs.invalid(field, shown(a), "must be a valid IPv4 address");
      } else if (type == "IPv6" && !(ip && ip->is_v6())) {
        errs.invalid(field, shown(a), "must be a valid IPv6 address");
      } else if (type == "FQDN" && !is_fqdn(text)) {
        errs.invalid(field, shown(a), "must be a fully qualified domain name");
      }
    }
  }
}

/// ports[]: names DNS-1123 labels and unique ("" counts), protocols supported.
void validate_endpoint_ports(const json::object& obj, field_errors& errs) {
  auto* ports = jsonpath::find(obj, {"ports"});
  if (ports == nullptr || !ports->is_array()) return;
  std::set<std::string> names;
  for (std::size_t i = 0; i < ports->as_array().size(); ++i) {
    const auto& p = ports->as_array()[i];
    if (!p.is_object()) continue;
    auto path = "ports[" + std::to_string(i) + "]";
    auto name = jsonpath::str(p.as_object(), {"name"});
    if (auto ok = check_object_name(name, name_rule::dns1123_label); !name.empty() && !ok)
      errs.invalid(path + ".name", quote(name), ok.err().message);
    if (!names.insert(name).second) errs.duplicate(path + ".name", quote(name));
    auto protocol = jsonpath::str(p.as_object(), {"protocol"});
    if (protocol.empty()) {
      errs.required(path + ".protocol");
    } else if (protocol != "TCP" && protocol != "UDP" && protocol != "SCTP") {
      errs.not_supported(path + ".protocol", protocol, {"SCTP", "TCP", "UDP"});
    }
  }
}

void validate_endpoint_slice(const json::object* old, const json::object& obj, field_errors& errs) {
  auto type = jsonpath::str(obj, {"addressType"});
  if (type.empty()) {
    errs.required("addressType");
  } else if (type != "IPv4" && type != "IPv6" && type != "FQDN") {
    errs.not_supported("addressType", type, {"FQDN", "IPv4", "IPv6"});
  } else {
    if (old != nullptr && jsonpath::str(*old, {"addressType"}) != type)
      errs.invalid("addressType", quote(type), "field is immutable");
    validate_endpoint_addresses(obj, type, errs);
  }
  validate_endpoint_ports(obj, errs);
}

/// spec.podCIDRs, or [spec.podCIDR] when only that is set.
std::vector<std::string> pod_cidrs(const json::object& node) {
  std::vector<std::string> out;
  if (auto* list = jsonpath::find(node, {"spec", "podCIDRs"});
      list != nullptr && list->is_array()) {
    for (const auto& c : list->as_array())
      out.push_back(c.is_string() ? std::string(c.as_string()) : json::serialize(c));
  }
  auto single = jsonpath::str(node, {"spec", "podCIDR"});
  if (out.empty() && !single.empty()) out.push_back(single);
  return out;
}

void validate_node(const json::object* old, const json::object& obj, field_errors& errs) {
  auto cidrs = pod_cidrs(obj);
  for (std::size_t i = 0; i < cidrs.size(); ++i) {
    if (cidrs[i].find('/') == std::string::npos || !net::ip_prefix::parse(cidrs[i])) {
      errs.invalid("spec.podCIDRs[" + std::to_string(i) + "]", quote(cidrs[i]),
                   "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
    }
  }
  if (old == nullptr) return;
  auto before = pod_cidrs(*old);
  if (!before.empty() && before != cidrs) {
    errs.forbidden("spec.podCIDRs",
                   "node updates may not change podCIDR except from \"\" to valid");
  }
}

/// A string field of an event-style object that is required and at most `max` bytes long.
void check_event_text(const json::object& obj, const char* field, bool required, std::size_t max,
                      field_errors& errs) {
  auto v = jsonpath::str(obj, {field});
  if (required && v.empty()) errs.required(field);
  if (v.size() > max)
    errs.invalid(field, "\"\"", "can have at most " + std::to_string(max) + " characters");
}

/// kube-apiserver's legacyValidateEvent, which is all a core/v1 write gets: the
/// involvedObject's namespace, and for new-style events (eventTime set) the reporting
/// fields. `type` is not checked there (only events.k8s.io/v1 insists on Normal/Warning).
void validate_event(const json::object& obj, field_errors& errs) {
  auto ns = jsonpath::str(obj, {"metadata", "namespace"});
  auto involved_ns = jsonpath::str(obj, {"involvedObject", "namespace"});
  if (jsonpath::str(obj, {"eventTime"}).empty()) {
    bool ok = involved_ns.empty() ? (ns.empty() || ns == "default") : ns == involved_ns;
    if (!ok)
      errs.invalid("involvedObject.namespace", quote(involved_ns),
                   "does not match event.namespace");
    return;
  }
  if (involved_ns.empty() && ns != "default" && ns != "kube-system")
    errs.invalid("involvedObject.namespace", quote(involved_ns), "does not match event.namespace");
  auto controller = jsonpath::str(obj, {"reportingComponent"});
  if (controller.empty()) {
    errs.required("reportingComponent");
  } else if (auto ok = validate_label_key(controller); !ok) {
    errs.invalid("reportingComponent", quote(controller), ok.err().message);
  }
  check_event_text(obj, "reportingInstance", true, 128, errs);
  check_event_text(obj, "action", true, 128, errs);
  check_event_text(obj, "reason", true, 128, errs);
  check_event_text(obj, "message", false, 1024, errs);
}

void validate_lease(const json::object& obj, field_errors& errs) {
  auto* d = jsonpath::find(obj, {"spec", "leaseDurationSeconds"});
  if (d != nullptr && !d->is_null() && (!d->is_int64() || d->as_int64() <= 0))
    errs.invalid("spec.leaseDurationSeconds", shown(*d), "must be greater than 0");
  auto* t = jsonpath::find(obj, {"spec", "leaseTransitions"});
  if (t != nullptr && !t->is_null() && (!t->is_int64() || t->as_int64() < 0))
    errs.invalid("spec.leaseTransitions", shown(*t), "must be greater than or equal to 0");
}

} // namespace

std::optional<api_error> validate_object(const resource_info& res, const json::object* old,
                                         const json::object& obj, const validation_context& ctx) {
  field_errors errs;
  validate_metadata(obj, errs);
  if (res.kind == "Service") validate_service(old, obj, ctx, errs);
  if (res.kind == "ConfigMap" || res.kind == "Secret")
    validate_data(obj, res.kind == "Secret", errs);
  if (res.kind == "EndpointSlice") validate_endpoint_slice(old, obj, errs);
  if (res.kind == "Node") validate_node(old, obj, errs);
  if (res.kind == "Event") validate_event(obj, errs);
  if (res.kind == "Lease") validate_lease(obj, errs);
  if (errs.empty()) return std::nullopt;
  return invalid(res, jsonpath::str(obj, {"metadata", "name"}), errs.causes());
}

} // namespace kvip::sim
