// Kubernetes timestamps: metav1.Time (RFC 3339, seconds, "Z") and metav1.MicroTime
// (exactly six fractional digits, "Z"), as used by Lease acquireTime/renewTime. The
// RFC 3339 work is net/rfc3339's; these name the two Kubernetes forms.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "net/rfc3339.hpp"

namespace kvip::k8s {

using net::sys_micros;

/// Formats as MicroTime: "2026-11-26T08:59:06.484405Z" (UTC, exactly six digits).
std::string format_micro_time(sys_micros t);
/// Parses MicroTime; requires exactly six fractional digits and "Z" or a ±hh:mm offset.
std::optional<sys_micros> parse_micro_time(std::string_view s);
/// Formats as metav1.Time: "2026-11-26T08:59:06Z" (UTC, whole seconds).
std::string format_time(std::chrono::system_clock::time_point t);
/// Parses RFC 3339 (any number of fractional digits, "Z" or offset); nullopt if malformed.
std::optional<sys_micros> parse_time(std::string_view s);

} // namespace kvip::k8s
