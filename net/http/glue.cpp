#include "net/http/glue.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>

#include <netdb.h>
#include <spdlog/spdlog.h>

namespace kvip::net::http {

namespace {

MHD_Result collect_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto& headers = *static_cast<std::map<std::string, std::string>*>(cls);
  auto [it, fresh] = headers.emplace(lower(key), value ? value : "");
  if (!fresh) (it->second += ", ") += (value ? value : "");
  return MHD_YES;
}

MHD_Result collect_query(void* cls, MHD_ValueKind, const char* key, const char* value) {
  static_cast<std::map<std::string, std::string>*>(cls)->emplace(key, value ? value : "");
  return MHD_YES;
}

} // namespace

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::map<std::string, std::string> headers_of(MHD_Connection* c) {
  std::map<std::string, std::string> out;
  MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &out);
  return out;
}

std::map<std::string, std::string> query_of(MHD_Connection* c) {
  std::map<std::string, std::string> out;
  MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_query, &out);
  return out;
}

void log_to_spdlog(void* prefix, const char* fmt, va_list ap) {
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::string_view msg{buf};
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r'))
    msg.remove_suffix(1);
  spdlog::debug("{}: {}", prefix ? static_cast<const char*>(prefix) : "http", msg);
}

net::result<socket_address> resolve_listen(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  auto port_text = std::to_string(port);
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port_text.c_str(), &hints, &res);
  if (rc != 0) return net::make_error(::gai_strerror(rc));
  socket_address out;
  std::memcpy(&out.storage, res->ai_addr, res->ai_addrlen);
  out.length = static_cast<socklen_t>(res->ai_addrlen);
  ::freeaddrinfo(res);
  return out;
}

bool declared_length_exceeds(MHD_Connection* c, std::size_t max) {
  const char* length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
  if (length == nullptr) return false;
  std::string_view sv{length};
  unsigned long long n = 0;
  auto [end, ec] = std::from_chars(sv.data(), sv.data() + sv.size(), n);
  return ec == std::errc::result_out_of_range || (ec == std::errc{} && n > max);
}

bool append_capped(std::string& body, std::string_view piece, std::size_t max) {
  if (body.size() + piece.size() > max) {
    std::string{}.swap(body);
    return false;
  }
  body.append(piece);
  return true;
}

} // namespace kvip::net::http
