#include "k8s/gossip_key.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "k8s/base64.hpp"
#include "k8s/client.hpp"
#include "k8s/object_view.hpp"
#include "k8s/resource.hpp"

namespace kvip::k8s {

namespace json = boost::json;

namespace {

/// Largest key file read (key material is at most 66 bytes).
constexpr std::size_t max_key_file = 4096;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode_hex(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string octal_mode(mode_t m) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

error config_error(const std::string& path, const std::string& what, int err = 0) {
  auto msg = "gossip key file " + path + ": " + what;
  if (err != 0) msg += std::string{": "} + std::strerror(err);
  return make_error(error_kind::config, msg);
}

/// Reads everything from `fd` (at most max_key_file + 1 bytes).
result<std::string> read_all(int fd, const std::string& path) {
  std::string out;
  char buf[512];
  while (out.size() <= max_key_file) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return config_error(path, "cannot read", errno);
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

result<std::string> read_key_fd(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return config_error(path, "cannot stat", errno);
  if (!S_ISREG(st.st_mode)) return config_error(path, "not a regular file");
  if ((st.st_mode & 077) != 0)
    return config_error(path, "mode " + octal_mode(st.st_mode) +
                                  " lets group or other users access the cluster key; "
                                  "chmod 600 it (a Secret volume: defaultMode: 0400)");
  auto text = read_all(fd, path);
  if (!text) return text.err();
  if (text->empty()) return config_error(path, "empty file (no key)");
  if (text->size() > max_key_file) return config_error(path, "too large to be a key");
  return parse_key_material(*text, "gossip key file " + path);
}

std::string secret_name(const std::string& ns) {
  return "Secret " + ns + "/" + gossip_key_secret;
}

/// The key in a Secret object's data.key.
result<std::string> key_from_secret(const json::object& obj, const std::string& ns) {
  auto what = secret_name(ns);
  auto encoded = jsonpath::optional_str(obj, {"data", gossip_key_data_key});
  if (!encoded)
    return make_error(error_kind::invalid, what + " has no data." + gossip_key_data_key +
                                               " (delete it to let kvip "
                                               "create a fresh key)");
  if (encoded->empty())
    return make_error(error_kind::invalid, what + ": data." + gossip_key_data_key + " is empty");
  auto raw = base64_decode(*encoded);
  if (!raw)
    return make_error(error_kind::invalid,
                      what + ": data." + gossip_key_data_key + " is not valid base64");
  auto key = parse_key_material(*raw, what + " data." + gossip_key_data_key);
  if (!key) key.err().kind = error_kind::invalid;
  return key;
}

/// An API error with the Secret (and for 401/403 the RBAC needed) named.
error api_error(error e, const std::string& verb, const std::string& ns) {
  auto prefix = verb + " " + secret_name(ns) + ": ";
  e.message = prefix + e.message;
  if (e.kind == error_kind::unauthorized)
    e.message += " (kvip needs get and create on secrets in namespace " + ns + ")";
  return e;
}

json::object new_secret(const std::string& ns, const std::string& key) {
  return json::object{
      {"metadata", json::object{{"name", gossip_key_secret},
                                {"namespace", ns},
                                {"labels", json::object{{"app.kubernetes.io/name", "kvip"}}}}},
      {"type", "Opaque"},
      {"data", json::object{{gossip_key_data_key, base64_encode(key)}}}};
}

} // namespace

result<std::string> parse_key_material(std::string_view text, const std::string& what) {
  if (text.size() == gossip_key_size) return std::string{text};
  if (!text.empty() && text.back() == '\n') {
    text.remove_suffix(1);
    if (text.size() == gossip_key_size) return std::string{text};
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  }
  if (text.size() == 2 * gossip_key_size) {
    if (auto raw = decode_hex(text)) return *raw;
  }
  return make_error(error_kind::config,
                    what + ": " + std::to_string(text.size()) +
                        " bytes are not a key (expected 32 raw bytes or 64 hex digits)");
}

result<std::string> load_key_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return config_error(path, "cannot open", errno);
  auto r = read_key_fd(fd, path);
  ::close(fd);
  return r;
}

result<std::string> random_key() {
  std::string key(gossip_key_size, '\0');
  std::size_t done = 0;
  while (done < key.size()) {
    auto n = ::getrandom(key.data() + done, key.size() - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return make_error(error_kind::config,
                        std::string{"getrandom for the gossip key: "} + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  return key;
}

result<std::string> load_or_create_key_secret(client& c, const std::string& ns) {
  // Three rounds cover a Secret deleted between our 409 and our re-read.
  for (int round = 0; round < 3; ++round) {
    auto got = c.get(resources::secrets, ns, gossip_key_secret);
    if (got) return key_from_secret(*got, ns);
    if (!got.is(error_kind::not_found)) return api_error(got.err(), "get", ns);
    auto key = random_key();
    if (!key) return key.err();
    auto made = c.create(resources::secrets, ns, new_secret(ns, *key));
    if (made) return *key;
    if (!made.is(error_kind::already_exists)) return api_error(made.err(), "create", ns);
    // Another node created it first: its key is the cluster's.
  }
  return make_error(error_kind::conflict,
                    secret_name(ns) + " kept vanishing between create (409) and get");
}

} // namespace kvip::k8s
