// Small helpers for objects the embedded API server stores: UIDs, generated
// names, name checks. JSON access, timestamps and base64 are k8s/'s
// (object_view.hpp, micro_time.hpp, base64.hpp): one of each.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "k8s/base64.hpp"
#include "k8s/micro_time.hpp"
#include "k8s/object_view.hpp"
#include "net/result.hpp"

namespace kvip::sim {

namespace jsonpath = k8s::jsonpath;

/// A random UUID v4 string.
std::string new_uid();
/// `n` random characters from Kubernetes' generateName alphabet.
std::string random_suffix(std::size_t n = 5);
/// The rule an object name (or another DNS-style field) must follow.
enum class name_rule {
  dns1123_subdomain, ///< most kinds: dot-separated labels, <= 253 characters
  dns1123_label,     ///< Namespaces, port names: [a-z0-9-], alphanumeric ends, <= 63
  dns1035_label,     ///< Services: a DNS-1123 label that starts with a letter
};

/// The rule kube-apiserver applies to the names of `kind` objects.
name_rule object_name_rule(std::string_view kind);
/// Ok if `name` follows `rule`, else kube-apiserver's reason why not.
net::result<void> check_object_name(std::string_view name,
                                    name_rule rule = name_rule::dns1123_subdomain);

} // namespace kvip::sim
