#include "k8s/services/node_labels.hpp"

#include <algorithm>

#include "k8s/client.hpp"
#include "k8s/object_view.hpp"
#include "k8s/resource.hpp"
#include "k8s/services/annotations.hpp"

namespace kvip::k8s::services {

namespace {

/// The label values of `addresses` (each once, in order), or nullopt with a
/// problem for an address that is not one.
std::vector<net::ip_address> parse_all(const std::vector<std::string>& addresses,
                                       const std::string& whose,
                                       std::vector<std::string>& problems) {
  std::vector<net::ip_address> out;
  for (const auto& a : addresses) {
    auto ip = net::ip_address::parse(a);
    if (!ip) {
      problems.push_back(whose + ": " + quote(a) + " is not an IP address; left out");
      continue;
    }
    if (std::find(out.begin(), out.end(), *ip) == out.end()) out.push_back(*ip);
  }
  return out;
}

} // namespace

desired_labels labels_for(const node_ownership& o) {
  desired_labels d;
  auto cp = parse_all(o.control_plane, std::string(has_ip_label), d.problems);
  if (!cp.empty()) {
    if (auto v = service_provided_value(cp))
      d.labels[std::string(has_ip_label)] = *v;
    else
      d.problems.push_back(v.err().message);
  }
  for (const auto& s : o.services) {
    auto key = service_provided_label(s.ns, s.name);
    if (!key) {
      d.problems.push_back(key.err().message);
      continue;
    }
    auto ips = parse_all(s.addresses, *key, d.problems);
    if (ips.empty()) continue;
    auto value = service_provided_value(ips);
    if (!value) {
      d.problems.push_back(*key + ": " + value.err().message);
      continue;
    }
    d.labels[*key] = *value;
  }
  return d;
}

std::optional<boost::json::object> label_patch(const std::map<std::string, std::string>& desired,
                                               const boost::json::object& node) {
  auto current = object_view{node}.labels();
  boost::json::object labels;
  for (const auto& [k, v] : desired) {
    auto it = current.find(k);
    if (it == current.end() || it->second != v) labels[k] = v;
  }
  for (const auto& [k, v] : current)
    if (is_kvip_node_label(k) && !desired.count(k)) labels[k] = nullptr;
  if (labels.empty()) return std::nullopt;
  boost::json::object metadata;
  metadata["labels"] = std::move(labels);
  boost::json::object patch;
  patch["metadata"] = std::move(metadata);
  return patch;
}

const char* to_string(label_outcome o) {
  switch (o) {
  case label_outcome::written:
    return "written";
  case label_outcome::unchanged:
    return "unchanged";
  case label_outcome::failed:
    return "failed";
  }
  return "?";
}

namespace {

/// "set a=b, c=d; removed e" for a log line.
std::string describe_patch(const boost::json::object& patch) {
  std::string set, removed;
  for (const auto& kv : patch.at("metadata").as_object().at("labels").as_object()) {
    std::string key{kv.key()};
    if (kv.value().is_null()) {
      removed += (removed.empty() ? "" : ", ") + key;
    } else {
      set += (set.empty() ? "" : ", ") + key + "=" + std::string{kv.value().as_string().c_str()};
    }
  }
  std::string out = set.empty() ? "" : "set " + set;
  if (!removed.empty()) out += (out.empty() ? "removed " : "; removed ") + removed;
  return out;
}

} // namespace

label_write_report write_node_labels(client& c, const std::string& node,
                                     const std::map<std::string, std::string>& desired) {
  label_write_report rep;
  auto got = c.get(resources::nodes, "", node);
  if (!got) {
    rep.detail = "GET node " + node + ": " + got.err().describe();
    return rep;
  }
  auto patch = label_patch(desired, *got);
  if (!patch) {
    rep.result = label_outcome::unchanged;
    rep.detail = std::to_string(desired.size()) + " kvip label(s) as wanted";
    return rep;
  }
  auto done = c.merge_patch(resources::nodes, "", node, *patch);
  if (!done) {
    rep.detail = "PATCH node " + node + ": " + done.err().describe();
    return rep;
  }
  rep.result = label_outcome::written;
  rep.detail = describe_patch(*patch);
  return rep;
}

} // namespace kvip::k8s::services
