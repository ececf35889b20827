#include "simulation/object_util.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>

namespace kvip::sim {

namespace json = boost::json;

namespace {

std::mt19937_64& rng() {
  static std::mt19937_64 gen{std::random_device{}()};
  return gen;
}
std::mutex rng_mutex;

} // namespace

json::object& meta(json::object& obj) {
  auto& m = obj["metadata"];
  if (!m.is_object()) m = json::object{};
  return m.as_object();
}

std::string str_at(const json::object& obj, std::string_view a, std::string_view b) {
  auto* v = obj.if_contains(a);
  if (v != nullptr && !b.empty()) {
    v = v->is_object() ? v->as_object().if_contains(b) : nullptr;
  }
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->as_string());
}

const json::object& labels_of(const json::object& obj) {
  static const json::object empty;
  auto* m = obj.if_contains("metadata");
  if (m == nullptr || !m->is_object()) return empty;
  auto* l = m->as_object().if_contains("labels");
  if (l == nullptr || !l->is_object()) return empty;
  return l->as_object();
}

std::string now_rfc3339() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string new_uid() {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  {
    std::lock_guard g{rng_mutex};
    a = rng()();
    b = rng()();
  }
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL; // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; // variant 10
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string random_suffix(std::size_t n) {
  static constexpr std::string_view alphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  std::lock_guard g{rng_mutex};
  for (std::size_t i = 0; i < n; ++i)
    out += alphabet[rng()() % alphabet.size()];
  return out;
}

std::string check_object_name(std::string_view name) {
  if (name.empty()) return "name or generateName is required";
  if (name.size() > 253) return "must be no more than 253 characters";
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
           "'-' or '.', and must start and end with an alphanumeric character";
  }
  for (char c : name) {
    if (!alnum(c) && c != '-' && c != '.') {
      return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
             "characters, '-' or '.', and must start and end with an alphanumeric character";
    }
  }
  return {};
}

std::string to_base64(std::string_view bytes) {
  static constexpr char table[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
             (static_cast<unsigned char>(bytes[i + 1]) << 8) |
             static_cast<unsigned char>(bytes[i + 2]);
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += table[(n >> 6) & 63];
    out += table[n & 63];
  }
  if (i + 1 == bytes.size()) {
    auto n = static_cast<unsigned char>(bytes[i]) << 16;
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
             (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += table[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::uint64_t> parse_rv(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string to_text(const json::value& v) {
  return json::serialize(v);
}

} // namespace kvip::sim
