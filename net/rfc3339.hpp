#pragma once
// RFC 3339 timestamps in UTC: the one formatter and parser behind log lines,
// trace records and Kubernetes' metav1.Time / metav1.MicroTime (k8s/micro_time).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kvip::net {

using sys_micros = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

/// "2026-11-26T08:59:06.484405Z" (exactly six fractional digits), or with `fraction` false
/// "2026-11-26T08:59:06Z" (the fraction dropped).
std::string format_rfc3339(sys_micros t, bool fraction = true);

/// Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm)". `fraction_digits` is the required number of
/// fractional digits, -1 for any (including none); nullopt if malformed.
std::optional<sys_micros> parse_rfc3339(std::string_view s, int fraction_digits = -1);

} // namespace kvip::net
