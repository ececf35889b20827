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
/// Ok if `name` is a valid DNS-1123 subdomain (lower-case alnum, '-', '.'), else why not.
net::result<void> check_object_name(std::string_view name);

} // namespace kvip::sim
