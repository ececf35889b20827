#include "k8s/micro_time.hpp"

namespace kvip::k8s {

std::string format_micro_time(sys_micros t) {
  return net::format_rfc3339(t);
}

std::optional<sys_micros> parse_micro_time(std::string_view s) {
  return net::parse_rfc3339(s, 6);
}

std::string format_time(std::chrono::system_clock::time_point t) {
  return net::format_rfc3339(std::chrono::floor<std::chrono::microseconds>(t), false);
}

std::optional<sys_micros> parse_time(std::string_view s) {
  return net::parse_rfc3339(s);
}

} // namespace kvip::k8s
