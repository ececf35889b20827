// Kubernetes strategic merge patch: the subset kubectl's client-side apply and `kubectl patch`
// send (reference/k8s-api-subset.md §4, evidence §9.3).
//
// Semantics, applied recursively from the top-level object:
//
// * Maps merge per key; `null` deletes the key; a scalar replaces. A patch map where the target
//   has no map (absent or another type) is merged into {} (so nulls and directives vanish).
// * Lists follow the strategy `list_rules` gives for the kind and the field path (dot-joined
//   field names, list elements add no segment: Pod container ports are
//   "spec.containers.ports"):
//   - merge_by_key: patch elements (objects) carrying the merge key merge into the target
//     element with an equal key (numbers by value) or are appended; `{"$patch":"delete",
//     <key>:v}` removes every element with that key; an element without the key is an error.
//   - set: primitive elements are appended unless already present.
//   - replace (every other list, and every list of an unknown kind): the patch list replaces
//     the target list, directive keys stripped.
//   In any list, an element `{"$patch":"replace"}` makes the rest of the patch list the result.
// * Map directives (never copied into the result):
//   - `$patch`: "merge" (default), "replace" (the map becomes the patch's other keys),
//     "delete" (the key holding the map is removed; at the top level the object becomes {}).
//   - `$retainKeys: [..]`: target keys not listed are dropped before merging.
//   - `$deleteFromPrimitiveList/<f>: [..]`: those values are removed from list <f> first.
//   - `$setElementOrder/<f>: [..]`: after merging, the listed elements of <f> (identified by
//     merge key, or by value for sets) take the listed order in the slots they occupy;
//     unlisted elements (e.g. added by the server) stay where they are.
//   Other `$`-prefixed keys are ordinary data.
#include "simulation/patch.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <exception>
#include <vector>

namespace kvip::sim {

namespace json = boost::json;

namespace {

// -- the per-kind list table --------------------------------------------------

enum class list_strategy { replace, merge_by_key, set };

/// One list field with a non-default patch strategy. Kind "*" = every known kind (ObjectMeta).
struct list_rule {
  std::string_view kind;
  std::string_view path;
  list_strategy strategy;
  std::string_view key; ///< merge key for merge_by_key
};

using enum list_strategy;

// Atomic lists are not listed: replace is the default. Service `status.loadBalancer.ingress`,
// `spec.externalIPs`, Node `spec.taints`, Endpoints `subsets`, EndpointSlice `endpoints`/`ports`
// are atomic on the real server too.
constexpr std::array list_rules{
    list_rule{"*", "metadata.finalizers", set, ""},
    list_rule{"*", "metadata.ownerReferences", merge_by_key, "uid"},
    list_rule{"Service", "spec.ports", merge_by_key, "port"},
    list_rule{"Service", "status.conditions", merge_by_key, "type"},
    list_rule{"Node", "spec.podCIDRs", set, ""},
    list_rule{"Node", "status.conditions", merge_by_key, "type"},
    list_rule{"Node", "status.addresses", merge_by_key, "type"},
    list_rule{"Namespace", "status.conditions", merge_by_key, "type"},
    list_rule{"Pod", "spec.containers", merge_by_key, "name"},
    list_rule{"Pod", "spec.containers.ports", merge_by_key, "containerPort"},
    list_rule{"Pod", "spec.containers.env", merge_by_key, "name"},
    list_rule{"Pod", "spec.containers.volumeMounts", merge_by_key, "mountPath"},
    list_rule{"Pod", "spec.initContainers", merge_by_key, "name"},
    list_rule{"Pod", "spec.initContainers.ports", merge_by_key, "containerPort"},
    list_rule{"Pod", "spec.initContainers.env", merge_by_key, "name"},
    list_rule{"Pod", "spec.initContainers.volumeMounts", merge_by_key, "mountPath"},
    list_rule{"Pod", "spec.volumes", merge_by_key, "name"},
    list_rule{"Pod", "spec.imagePullSecrets", merge_by_key, "name"},
    list_rule{"Pod", "status.conditions", merge_by_key, "type"},
    list_rule{"Pod", "status.podIPs", merge_by_key, "ip"},
};

constexpr std::array<std::string_view, 10> known_kinds{
    "Service",   "ConfigMap", "Lease",  "EndpointSlice", "Node",
    "Endpoints", "Pod",       "Secret", "Namespace",     "Event"};

constexpr std::string_view patch_key = "$patch";
constexpr std::string_view retain_keys = "$retainKeys";
constexpr std::string_view delete_prefix = "$deleteFromPrimitiveList/";
constexpr std::string_view order_prefix = "$setElementOrder/";

bool is_directive(std::string_view key) {
  return key == patch_key || key == retain_keys || key.starts_with(delete_prefix) ||
         key.starts_with(order_prefix);
}

/// The `$patch` value of an object patch element ("" when absent), or nullptr when not a string.
const json::string* patch_directive(const json::object& o) {
  static const json::string none;
  auto* v = o.if_contains(patch_key);
  if (v == nullptr) return &none;
  return v->if_string();
}

/// Copy of `v` without directive keys; objects that held only directives are dropped from arrays.
json::value strip_directives(const json::value& v) {
  if (auto* o = v.if_object()) {
    json::object out;
    for (auto& [k, e] : *o)
      if (!is_directive(k)) out[k] = strip_directives(e);
    return out;
  }
  if (auto* a = v.if_array()) {
    json::array out;
    for (auto& e : *a) {
      auto* o = e.if_object();
      bool only_directives =
          o != nullptr && !o->empty() &&
          std::all_of(o->begin(), o->end(), [](auto& kv) { return is_directive(kv.key()); });
      if (!only_directives) out.push_back(strip_directives(e));
    }
    return out;
  }
  return v;
}

// -- the merger -----------------------------------------------------------------

class merger {
public:
  explicit merger(std::string_view kind)
      : kind_(kind),
        known_(std::find(known_kinds.begin(), known_kinds.end(), kind) != known_kinds.end()) {}

  /// Merges `patch` into the map `target`; false with `error()` set on a malformed patch.
  bool merge_map(json::object& target, const json::object& patch, const std::string& path) {
    auto* directive = patch_directive(patch);
    if (directive == nullptr) return fail(path, "$patch must be a string");
    if (*directive == "delete") {
      target.clear();
      return true;
    }
    if (*directive == "replace")
      target.clear();
    else if (!directive->empty() && *directive != "merge")
      return fail(path, "unknown patch type \"" + std::string{*directive} + "\" in map");
    if (auto* retain = patch.if_contains(retain_keys); retain != nullptr) {
      if (!apply_retain_keys(target, *retain, path)) return false;
    }
    for (auto& [k, v] : patch) {
      if (!k.starts_with(delete_prefix)) continue;
      if (!delete_from_list(target, k.substr(delete_prefix.size()), v, path)) return false;
    }
    for (auto& [k, v] : patch) {
      if (is_directive(k)) continue;
      if (v.is_null() || is_delete_map(v)) {
        target.erase(k);
        continue;
      }
      if (!merge_value(target[k], v, join(path, k))) return false;
    }
    for (auto& [k, v] : patch) {
      if (!k.starts_with(order_prefix)) continue;
      auto field = k.substr(order_prefix.size());
      if (!v.is_array()) return fail(join(path, field), "$setElementOrder must be a list");
      if (auto* list = target.if_contains(field); list != nullptr && list->is_array())
        reorder(list->get_array(), v.get_array(), join(path, field));
    }
    return true;
  }

  const std::string& error() const { return error_; }

private:
  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string{key} : path + "." + std::string{key};
  }

  static bool is_delete_map(const json::value& v) {
    auto* o = v.if_object();
    if (o == nullptr) return false;
    auto* d = patch_directive(*o);
    return d != nullptr && *d == "delete";
  }

  bool fail(const std::string& path, const std::string& what) {
    error_ =
        "strategic merge patch: " + (path.empty() ? std::string{"<root>"} : path) + ": " + what;
    return false;
  }

  const list_rule* rule_for(const std::string& path) const {
    for (auto& r : list_rules)
      if ((r.kind == kind_ || (r.kind == "*" && known_)) && r.path == path) return &r;
    return nullptr;
  }

  bool merge_value(json::value& slot, const json::value& patch, const std::string& path) {
    if (auto* o = patch.if_object()) {
      if (!slot.is_object()) slot.emplace_object();
      return merge_map(slot.get_object(), *o, path);
    }
    if (auto* a = patch.if_array()) return merge_list(slot, *a, path);
    slot = patch;
    return true;
  }

  bool apply_retain_keys(json::object& target, const json::value& retain, const std::string& path) {
    auto* keys = retain.if_array();
    if (keys == nullptr ||
        !std::all_of(keys->begin(), keys->end(), [](auto& k) { return k.is_string(); }))
      return fail(path, "$retainKeys must be a list of strings");
    std::vector<std::string> drop;
    for (auto& [k, v] : target) {
      bool kept = std::any_of(keys->begin(), keys->end(),
                              [&](auto& want) { return want.get_string() == k; });
      if (!kept) drop.emplace_back(k);
    }
    for (auto& k : drop)
      target.erase(k);
    return true;
  }

  bool delete_from_list(json::object& target, std::string_view field, const json::value& values,
                        const std::string& path) {
    auto* gone = values.if_array();
    if (gone == nullptr) return fail(join(path, field), "$deleteFromPrimitiveList must be a list");
    auto* list = target.if_contains(field);
    if (list == nullptr || !list->is_array()) return true;
    auto& arr = list->get_array();
    for (auto it = arr.begin(); it != arr.end();) {
      bool hit =
          std::any_of(gone->begin(), gone->end(), [&](auto& g) { return json_equal(*it, g); });
      it = hit ? arr.erase(it) : it + 1;
    }
    return true;
  }

  bool merge_list(json::value& slot, const json::array& patch, const std::string& path) {
    auto* rule = rule_for(path);
    if (rule == nullptr || rule->strategy == replace) {
      slot = strip_directives(patch);
      return true;
    }
    if (!slot.is_array()) slot.emplace_array();
    auto& target = slot.get_array();
    bool replace_all = std::any_of(patch.begin(), patch.end(), [](auto& e) {
      auto* o = e.if_object();
      auto* d = o != nullptr ? patch_directive(*o) : nullptr;
      return d != nullptr && *d == "replace" && o->size() == 1;
    });
    if (replace_all) target.clear();
    for (std::size_t i = 0; i < patch.size(); ++i) {
      auto& e = patch[i];
      std::string where = path + "[" + std::to_string(i) + "]";
      if (auto* o = e.if_object(); o != nullptr && o->size() == 1 && o->contains(patch_key)) {
        auto* d = patch_directive(*o);
        if (d != nullptr && *d == "replace") continue;
      }
      bool ok = rule->strategy == set ? merge_set_element(target, e, where)
                                      : merge_keyed_element(target, e, *rule, path, where);
      if (!ok) return false;
    }
    return true;
  }

  bool merge_set_element(json::array& target, const json::value& e, const std::string& where) {
    if (e.is_object() || e.is_array())
      return fail(where, "element of a set list must be a primitive");
    if (std::none_of(target.begin(), target.end(), [&](auto& t) { return json_equal(t, e); }))
      target.push_back(e);
    return true;
  }

  bool merge_keyed_element(json::array& target, const json::value& e, const list_rule& rule,
                           const std::string& path, const std::string& where) {
    auto* o = e.if_object();
    if (o == nullptr)
      return fail(where, "element of a list merged by \"" + std::string{rule.key} +
                             "\" must be an object");
    auto* directive = patch_directive(*o);
    if (directive == nullptr) return fail(where, "$patch must be a string");
    auto* key = o->if_contains(rule.key);
    if (key == nullptr)
      return fail(where, json::serialize(e) +
                             " does not contain declared merge key: " + std::string{rule.key});
    auto same_key = [&](const json::value& t) {
      auto* to = t.if_object();
      auto* tk = to != nullptr ? to->if_contains(rule.key) : nullptr;
      return tk != nullptr && json_equal(*tk, *key);
    };
    if (*directive == "delete") {
      target.erase(std::remove_if(target.begin(), target.end(), same_key), target.end());
      return true;
    }
    auto it = std::find_if(target.begin(), target.end(), same_key);
    if (it != target.end()) return merge_map(it->get_object(), *o, path);
    json::value fresh = json::object{};
    if (!merge_map(fresh.get_object(), *o, path)) return false;
    target.push_back(std::move(fresh));
    return true;
  }

  /// Identity used by $setElementOrder: the merge key's value, or the element for sets.
  const json::value* identity(const json::value& e, const list_rule& rule) const {
    if (rule.strategy == set) return &e;
    auto* o = e.if_object();
    return o != nullptr ? o->if_contains(rule.key) : nullptr;
  }

  void reorder(json::array& list, const json::array& order, const std::string& path) {
    auto* rule = rule_for(path);
    if (rule == nullptr || rule->strategy == replace) return;
    std::vector<bool> used(list.size(), false);
    std::vector<std::size_t> slots;
    std::vector<json::value> picked;
    for (auto& o : order) {
      auto* want = identity(o, *rule);
      if (want == nullptr) continue;
      for (std::size_t i = 0; i < list.size(); ++i) {
        auto* have = identity(list[i], *rule);
        if (!used[i] && have != nullptr && json_equal(*have, *want)) {
          used[i] = true;
          slots.push_back(i);
          picked.push_back(list[i]);
          break;
        }
      }
    }
    std::sort(slots.begin(), slots.end());
    for (std::size_t j = 0; j < slots.size(); ++j)
      list[slots[j]] = std::move(picked[j]);
  }

  std::string_view kind_;
  bool known_;
  std::string error_;
};

} // namespace

net::result<void> apply_strategic_merge_patch(json::value& target, const json::value& patch,
                                              std::string_view kind) {
  try {
    auto* p = patch.if_object();
    if (p == nullptr) return net::make_error("strategic merge patch must be a JSON object");
    if (json_deeper_than(patch, max_patch_depth))
      return net::make_error("strategic merge patch is nested too deeply");
    json::value work = target;
    if (!work.is_object()) work.emplace_object();
    merger m{kind};
    if (!m.merge_map(work.get_object(), *p, "")) return net::make_error(m.error());
    target = std::move(work);
    return net::ok();
  } catch (const std::exception& e) {
    return net::make_error(std::string{"strategic merge patch failed: "} + e.what());
  }
}

} // namespace kvip::sim
