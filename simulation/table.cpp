#include "simulation/table.hpp"

#include <algorithm>
#include <set>

#include "net/rfc3339.hpp"
#include "simulation/object_util.hpp"

namespace kvip::sim {

namespace json = boost::json;

namespace {

// -- Accept -----------------------------------------------------------------------------

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// One media range: type/subtype plus its parameters.
struct media_range {
  std::string type;
  std::string as, g, v;
};

media_range parse_range(std::string_view entry) {
  media_range m;
  auto semi = entry.find(';');
  m.type = std::string(trim(entry.substr(0, semi)));
  while (semi != std::string_view::npos) {
    entry.remove_prefix(semi + 1);
    semi = entry.find(';');
    auto param = trim(entry.substr(0, semi));
    auto eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    auto key = trim(param.substr(0, eq));
    auto val = std::string(trim(param.substr(eq + 1)));
    if (key == "as") m.as = val;
    if (key == "g") m.g = val;
    if (key == "v") m.v = val;
  }
  return m;
}

/// The representation `m` stands for, or nullopt when this server cannot produce it.
std::optional<representation> fit(const media_range& m, bool list) {
  bool json_type = m.type == "application/json" || m.type == "application/*" || m.type == "*/*" ||
                   m.type.empty();
  if (!json_type) return std::nullopt;
  if (m.as.empty()) return representation{};
  if (m.g != "meta.k8s.io" || (m.v != "v1" && m.v != "v1beta1")) return std::nullopt;
  representation r;
  r.version = m.v;
  if (m.as == "Table")
    r.kind = representation::as::table;
  else if (m.as == "PartialObjectMetadata" && !list)
    r.kind = representation::as::partial;
  else if (m.as == "PartialObjectMetadataList" && list)
    r.kind = representation::as::partial_list;
  else
    return std::nullopt;
  return r;
}

// -- cells ------------------------------------------------------------------------------

std::string join(const std::vector<std::string>& v, std::string_view sep = ",") {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::vector<std::string> strings_at(const json::object& o,
                                    std::initializer_list<std::string_view> path) {
  std::vector<std::string> out;
  auto* v = jsonpath::find(o, path);
  if (!v || !v->is_array()) return out;
  for (const auto& e : v->as_array())
    if (e.is_string()) out.emplace_back(e.as_string());
  return out;
}

const json::array& array_at(const json::object& o, std::initializer_list<std::string_view> path) {
  static const json::array empty;
  auto* v = jsonpath::find(o, path);
  return v && v->is_array() ? v->as_array() : empty;
}

/// translateTimestampSince: the HumanDuration since `ts`, "<unknown>" when unset.
std::string since(const std::string& ts, std::chrono::system_clock::time_point now) {
  auto t = net::parse_rfc3339(ts);
  if (!t) return "<unknown>";
  return human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

std::string age(const json::object& o, std::chrono::system_clock::time_point now) {
  return since(jsonpath::str(o, {"metadata", "creationTimestamp"}), now);
}

std::string service_external_ip(const json::object& svc) {
  auto type = jsonpath::str(svc, {"spec", "type"});
  auto external = strings_at(svc, {"spec", "externalIPs"});
  if (type == "ClusterIP" || type == "NodePort" || type.empty())
    return external.empty() ? "<none>" : join(external);
  if (type == "ExternalName") return jsonpath::str(svc, {"spec", "externalName"});
  if (type != "LoadBalancer") return "<unknown>";
  std::set<std::string> lb; // sorted and unique, as sets.String.List()
  for (const auto& in : array_at(svc, {"status", "loadBalancer", "ingress"})) {
    if (!in.is_object()) continue;
    auto ip = jsonpath::str(in.as_object(), {"ip"});
    auto host = jsonpath::str(in.as_object(), {"hostname"});
    if (!ip.empty())
      lb.insert(ip);
    else if (!host.empty())
      lb.insert(host);
  }
  std::vector<std::string> all(lb.begin(), lb.end());
  all.insert(all.end(), external.begin(), external.end());
  return all.empty() ? "<pending>" : join(all);
}

std::string service_ports(const json::object& svc) {
  std::vector<std::string> pieces;
  for (const auto& p : array_at(svc, {"spec", "ports"})) {
    if (!p.is_object()) continue;
    const auto& po = p.as_object();
    auto port = std::to_string(jsonpath::integer(po, {"port"}).value_or(0));
    auto node_port = jsonpath::integer(po, {"nodePort"}).value_or(0);
    if (node_port > 0) port += ":" + std::to_string(node_port);
    pieces.push_back(port + "/" + jsonpath::str(po, {"protocol"}));
  }
  return pieces.empty() ? "<none>" : join(pieces);
}

std::string format_labels(const std::map<std::string, std::string>& m) {
  std::vector<std::string> kv;
  for (const auto& [k, v] : m)
    kv.push_back(k + "=" + v);
  return kv.empty() ? "<none>" : join(kv);
}

json::array service_cells(const json::object& o) {
  auto cluster_ips = strings_at(o, {"spec", "clusterIPs"});
  std::string cluster_ip = cluster_ips.empty() ? "<none>" : cluster_ips.front();
  return {jsonpath::str(o, {"spec", "type"}), cluster_ip, service_external_ip(o), service_ports(o)};
}

std::string node_status(const json::object& o) {
  std::vector<std::string> status;
  for (const auto& c : array_at(o, {"status", "conditions"})) {
    if (!c.is_object() || jsonpath::str(c.as_object(), {"type"}) != "Ready") continue;
    status = {jsonpath::str(c.as_object(), {"status"}) == "True" ? "Ready" : "NotReady"};
  }
  if (status.empty()) status.emplace_back("Unknown");
  if (jsonpath::boolean(o, {"spec", "unschedulable"}).value_or(false))
    status.emplace_back("SchedulingDisabled");
  return join(status);
}

std::string node_roles(const json::object& o) {
  constexpr std::string_view prefix = "node-role.kubernetes.io/";
  std::set<std::string> roles;
  for (const auto& [k, v] : jsonpath::string_map(o, {"metadata", "labels"})) {
    if (k.rfind(prefix, 0) == 0 && k.size() > prefix.size())
      roles.insert(k.substr(prefix.size()));
    else if (k == "kubernetes.io/role" && !v.empty())
      roles.insert(v);
  }
  return roles.empty() ? "<none>" : join({roles.begin(), roles.end()});
}

std::string node_address(const json::object& o, std::string_view type) {
  for (const auto& a : array_at(o, {"status", "addresses"}))
    if (a.is_object() && jsonpath::str(a.as_object(), {"type"}) == type)
      return jsonpath::str(a.as_object(), {"address"});
  return "<none>";
}

std::string or_unknown(std::string s) {
  return s.empty() ? "<unknown>" : s;
}

/// kube-apiserver's listWithMoreString: at most three, then " + N more...", "<unset>" if none.
std::string first_three(const std::vector<std::string>& all) {
  if (all.empty()) return "<unset>";
  std::vector<std::string> head(all.begin(), all.begin() + std::min<std::size_t>(3, all.size()));
  auto out = join(head);
  if (all.size() > 3) out += " + " + std::to_string(all.size() - 3) + " more...";
  return out;
}

json::array endpoint_slice_cells(const json::object& o) {
  std::vector<std::string> ports, addresses;
  for (const auto& p : array_at(o, {"ports"})) {
    if (!p.is_object()) continue;
    auto num = jsonpath::integer(p.as_object(), {"port"});
    auto name = jsonpath::optional_str(p.as_object(), {"name"});
    ports.push_back(num ? std::to_string(*num) : name ? *name : "*");
  }
  for (const auto& e : array_at(o, {"endpoints"}))
    if (e.is_object())
      for (auto& a : strings_at(e.as_object(), {"addresses"}))
        addresses.push_back(a);
  return {jsonpath::str(o, {"addressType"}), first_three(ports), first_three(addresses)};
}

std::int64_t map_size(const json::object& o, std::string_view key) {
  auto* v = jsonpath::find(o, {key});
  return v && v->is_object() ? static_cast<std::int64_t>(v->as_object().size()) : 0;
}

std::string first_non_empty(std::string a, std::string b) {
  return a.empty() ? b : a;
}

/// kube-apiserver's printEvent (wide): times fall back to eventTime and series.
json::array event_cells(const json::object& o, std::chrono::system_clock::time_point now) {
  auto first_ts = jsonpath::str(o, {"firstTimestamp"});
  auto first = since(first_ts.empty() ? jsonpath::str(o, {"eventTime"}) : first_ts, now);
  auto last_ts = jsonpath::str(o, {"lastTimestamp"});
  auto last = last_ts.empty() ? first : since(last_ts, now);
  auto count = jsonpath::integer(o, {"count"}).value_or(0);
  if (jsonpath::object_at(o, {"series"}) != nullptr) {
    last = since(jsonpath::str(o, {"series", "lastObservedTime"}), now);
    count = jsonpath::integer(o, {"series", "count"}).value_or(0);
  } else if (count == 0) {
    count = 1;
  }
  auto kind = jsonpath::str(o, {"involvedObject", "kind"});
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  auto name = jsonpath::str(o, {"involvedObject", "name"});
  auto component = first_non_empty(jsonpath::str(o, {"source", "component"}),
                                   jsonpath::str(o, {"reportingComponent"}));
  auto instance = first_non_empty(jsonpath::str(o, {"source", "host"}),
                                  jsonpath::str(o, {"reportingInstance"}));
  auto message = jsonpath::str(o, {"message"});
  auto b = message.find_first_not_of(" \t\n\r");
  auto e = message.find_last_not_of(" \t\n\r");
  message = b == std::string::npos ? "" : message.substr(b, e - b + 1);
  return {last,
          jsonpath::str(o, {"type"}),
          jsonpath::str(o, {"reason"}),
          name.empty() ? kind : kind + "/" + name,
          jsonpath::str(o, {"involvedObject", "fieldPath"}),
          instance.empty() ? component : component + ", " + instance,
          message,
          first,
          count,
          jsonpath::str(o, {"metadata", "name"})};
}

/// kube-apiserver's formatEndpoints: "ip:port" per address and port, three at most.
std::string endpoints_cell(const json::object& o) {
  const auto& subsets = array_at(o, {"subsets"});
  if (subsets.empty()) return "<none>";
  std::vector<std::string> all;
  for (const auto& ss : subsets) {
    if (!ss.is_object()) continue;
    std::vector<std::string> ips;
    for (const auto& a : array_at(ss.as_object(), {"addresses"}))
      if (a.is_object()) ips.push_back(jsonpath::str(a.as_object(), {"ip"}));
    const auto& ports = array_at(ss.as_object(), {"ports"});
    if (ports.empty()) all.insert(all.end(), ips.begin(), ips.end());
    for (const auto& p : ports) {
      if (!p.is_object()) continue;
      auto port = std::to_string(jsonpath::integer(p.as_object(), {"port"}).value_or(0));
      for (const auto& ip : ips)
        all.push_back((ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + port);
    }
  }
  return all.empty() ? "" : first_three(all);
}

/// The cells of one row, in column order.
json::array cells_for(const resource_info& res, const json::object& o,
                      std::chrono::system_clock::time_point now) {
  if (res.group.empty() && res.kind == "Event") return event_cells(o, now);
  json::array c{jsonpath::str(o, {"metadata", "name"})};
  const auto& k = res.kind;
  if (k == "Endpoints") {
    c.push_back(json::string(endpoints_cell(o)));
    c.push_back(json::string(age(o, now)));
    return c;
  }
  auto append = [&](json::array more) {
    for (auto& v : more)
      c.push_back(std::move(v));
  };
  if (k == "Service") {
    append(service_cells(o));
    c.push_back(json::string(age(o, now)));
    auto sel = jsonpath::string_map(o, {"spec", "selector"});
    c.push_back(json::string(format_labels(sel)));
  } else if (k == "Lease") {
    append({jsonpath::str(o, {"spec", "holderIdentity"}), age(o, now)});
  } else if (k == "Node") {
    append({node_status(o), node_roles(o), age(o, now),
            jsonpath::str(o, {"status", "nodeInfo", "kubeletVersion"}),
            node_address(o, "InternalIP"), node_address(o, "ExternalIP"),
            or_unknown(jsonpath::str(o, {"status", "nodeInfo", "osImage"})),
            or_unknown(jsonpath::str(o, {"status", "nodeInfo", "kernelVersion"})),
            or_unknown(jsonpath::str(o, {"status", "nodeInfo", "containerRuntimeVersion"}))});
  } else if (k == "EndpointSlice") {
    append(endpoint_slice_cells(o));
    c.push_back(json::string(age(o, now)));
  } else if (k == "Namespace") {
    append({jsonpath::str(o, {"status", "phase"}), age(o, now)});
  } else if (k == "ConfigMap") {
    append({map_size(o, "data") + map_size(o, "binaryData"), age(o, now)});
  } else if (k == "Secret") {
    append({jsonpath::str(o, {"type"}), map_size(o, "data"), age(o, now)});
  } else {
    c.push_back(json::string(age(o, now)));
  }
  return c;
}

json::object list_metadata(const table_meta& meta) {
  json::object md;
  if (!meta.resource_version.empty()) md["resourceVersion"] = meta.resource_version;
  if (!meta.continue_token.empty()) {
    md["continue"] = meta.continue_token;
    md["remainingItemCount"] = meta.remaining;
  }
  return md;
}

} // namespace

representation negotiate(std::string_view accept, bool list) {
  if (trim(accept).empty()) return {};
  while (true) {
    auto comma = accept.find(',');
    if (auto r = fit(parse_range(accept.substr(0, comma)), list)) return *r;
    if (comma == std::string_view::npos) return {};
    accept.remove_prefix(comma + 1);
  }
}

std::optional<include_object> parse_include_object(std::string_view v) {
  if (v.empty() || v == "Metadata") return include_object::metadata;
  if (v == "Object") return include_object::object;
  if (v == "None") return include_object::none;
  return std::nullopt;
}

std::string human_duration(std::chrono::seconds d) {
  auto s = d.count();
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return std::to_string(s) + "s";
  auto with = [](long long big, const char* bu, long long small, const char* su) {
    return std::to_string(big) + bu + (small == 0 ? "" : std::to_string(small) + su);
  };
  auto minutes = s / 60;
  if (minutes < 10) return with(minutes, "m", s % 60, "s");
  if (minutes < 180) return std::to_string(minutes) + "m";
  auto hours = s / 3600;
  if (hours < 8) return with(hours, "h", minutes % 60, "m");
  if (hours < 48) return std::to_string(hours) + "h";
  if (hours < 24 * 8) return with(hours / 24, "d", hours % 24, "h");
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24) + "d";
  if (hours < 24 * 365 * 8) return with(hours / 24 / 365, "y", (hours / 24) % 365, "d");
  return std::to_string(hours / 24 / 365) + "y";
}

json::object partial_metadata(const json::object& obj, const std::string& version) {
  json::object md;
  if (auto* m = jsonpath::object_at(obj, {"metadata"})) md = *m;
  return {{"kind", "PartialObjectMetadata"},
          {"apiVersion", "meta.k8s.io/" + version},
          {"metadata", std::move(md)}};
}

json::object partial_metadata_list(const std::vector<const json::object*>& items,
                                   const table_meta& meta, const std::string& version) {
  json::array out;
  for (const auto* o : items)
    out.push_back(partial_metadata(*o, version));
  return {{"kind", "PartialObjectMetadataList"},
          {"apiVersion", "meta.k8s.io/" + version},
          {"metadata", list_metadata(meta)},
          {"items", std::move(out)}};
}

json::object make_table(const resource_info& res, const std::vector<const json::object*>& items,
                        const table_meta& meta, include_object include, const std::string& version,
                        std::chrono::system_clock::time_point now) {
  json::array rows;
  for (const auto* o : items) {
    json::object row{{"cells", cells_for(res, *o, now)}};
    if (include == include_object::metadata)
      row["object"] = partial_metadata(*o, version);
    else if (include == include_object::object)
      row["object"] = *o;
    else
      row["object"] = nullptr;
    rows.push_back(std::move(row));
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/" + version},
          {"metadata", list_metadata(meta)},
          {"columnDefinitions", table_columns(res)},
          {"rows", std::move(rows)}};
}

} // namespace kvip::sim
