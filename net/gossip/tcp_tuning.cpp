#include "net/gossip/tcp_tuning.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace kvip::net::gossip {

namespace {

// Linux 6.15's uapi numbers; Debian 12's headers predate them.
#ifndef TCP_RTO_MAX_MS
constexpr int TCP_RTO_MAX_MS = 44;
#endif
#ifndef TCP_RTO_MIN_US
constexpr int TCP_RTO_MIN_US = 45;
#endif

bool is_connected_tcp(int fd) {
  int type = 0, protocol = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) return false;
  len = sizeof protocol;
  if (::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0 || protocol != IPPROTO_TCP)
    return false;
  sockaddr_storage peer{};
  len = sizeof peer;
  return ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0;
}

void set(int fd, int option, const char* name, long value, tcp_tuning_outcome& out) {
  const std::string what = std::string(name) + "=" + std::to_string(value);
  const int v = static_cast<int>(value);
  if (::setsockopt(fd, IPPROTO_TCP, option, &v, sizeof v) == 0)
    out.applied.push_back(what);
  else
    out.refused.push_back(what + ": " + std::strerror(errno));
}

} // namespace

result<tcp_tuning_outcome> apply_tcp_tuning(int fd, const tcp_tuning& t) {
  if (!is_connected_tcp(fd))
    return make_error("fd " + std::to_string(fd) + " is not a connected TCP socket");
  tcp_tuning_outcome out;
  if (t.rto_min.count() > 0) set(fd, TCP_RTO_MIN_US, "TCP_RTO_MIN_US", t.rto_min.count(), out);
  if (t.rto_max.count() > 0) set(fd, TCP_RTO_MAX_MS, "TCP_RTO_MAX_MS", t.rto_max.count(), out);
  if (t.thin_linear_timeouts) set(fd, TCP_THIN_LINEAR_TIMEOUTS, "TCP_THIN_LINEAR_TIMEOUTS", 1, out);
  return out;
}

} // namespace kvip::net::gossip
