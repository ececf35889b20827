#include "simulation/lab_faults.hpp"

#include <cmath>
#include <cstdlib>

#include "net/number.hpp"

namespace kvip::sim {

namespace {

struct fault_name {
  fault_kind kind;
  std::string_view name;
};

constexpr fault_name fault_names[] = {
    {fault_kind::kill, "kill"},
    {fault_kind::stop, "stop"},
    {fault_kind::linkdown, "linkdown"},
    {fault_kind::term, "term"},
    {fault_kind::partition_gossip, "partition-gossip"},
    {fault_kind::partition_api, "partition-api"},
    {fault_kind::api_outage, "api-outage"},
    {fault_kind::loss, "loss"},
    {fault_kind::rolling, "rolling"},
    {fault_kind::forge, "forge"},
    {fault_kind::forge_peers, "forge-peers"},
    {fault_kind::delete_node, "delete-node"},
};

std::string known_faults() {
  std::string s;
  for (auto& f : fault_names)
    s += (s.empty() ? "" : ", ") + std::string{f.name};
  return s;
}

} // namespace

std::string_view to_string(fault_kind f) {
  for (auto& n : fault_names)
    if (n.kind == f) return n.name;
  return "?";
}

const std::vector<fault_kind>& all_faults() {
  static const std::vector<fault_kind> all = [] {
    std::vector<fault_kind> v;
    for (auto& f : fault_names)
      v.push_back(f.kind);
    return v;
  }();
  return all;
}

net::result<std::vector<fault_kind>> parse_faults(std::string_view list) {
  std::vector<fault_kind> out;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    auto comma = list.find(',', pos);
    auto item = list.substr(pos, comma == std::string_view::npos ? list.npos : comma - pos);
    bool found = false;
    for (auto& f : fault_names)
      if (f.name == item) {
        found = true;
        bool dup = false;
        for (auto k : out)
          dup |= k == f.kind;
        if (!dup) out.push_back(f.kind);
      }
    if (!found)
      return net::make_error("--faults: unknown fault '" + std::string{item} +
                             "' (known: " + known_faults() + ")");
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

net::result<std::chrono::milliseconds> parse_duration_flag(std::string_view flag,
                                                           std::string_view text) {
  auto bad = [&] {
    return net::make_error(std::string{flag} + ": '" + std::string{text} +
                           "' is not a duration (e.g. 500ms, 5s, 1m, or bare milliseconds)");
  };
  std::size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.'))
    ++i;
  auto number = std::string{text.substr(0, i)};
  auto unit = text.substr(i);
  if (number.empty() || number.front() == '.' || number.back() == '.') return bad();
  char* end = nullptr;
  double v = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !std::isfinite(v)) return bad();
  double scale = 0;
  if (unit.empty() || unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60000;
  } else {
    return bad();
  }
  double ms = v * scale;
  if (ms > 24.0 * 3600 * 1000)
    return net::make_error(std::string{flag} + ": '" + std::string{text} + "' is over a day");
  return std::chrono::milliseconds{static_cast<long>(std::llround(ms))};
}

net::result<int> parse_percent_flag(std::string_view flag, std::string_view text) {
  auto t = text;
  if (!t.empty() && t.back() == '%') t.remove_suffix(1);
  auto v = net::parse_integer<int>(t);
  if (!v || *v < 0 || *v > 100)
    return net::make_error(std::string{flag} + ": '" + std::string{text} +
                           "' is not a whole percentage from 0 to 100 (e.g. 10%)");
  return *v;
}

net::result<nft_guard> nft_guard::add(const lab& l, const lab_host& h, const std::string& name,
                                      const std::string& body) {
  nft_guard g;
  // A leftover of an interrupted trial under the same name goes first.
  (void)l.run(h, {"nft", "delete", "table", "inet", name});
  if (auto e = l.exec(h, {"nft", "table inet " + name + " {\n" + body + "}\n"}); !e) return e.err();
  g.netns_ = h.netns;
  g.name_ = name;
  return g;
}

nft_guard::~nft_guard() {
  remove();
}

nft_guard::nft_guard(nft_guard&& o) noexcept
    : netns_(std::move(o.netns_)), name_(std::move(o.name_)) {
  o.name_.clear();
}

nft_guard& nft_guard::operator=(nft_guard&& o) noexcept {
  if (this != &o) {
    remove();
    netns_ = std::move(o.netns_);
    name_ = std::move(o.name_);
    o.name_.clear();
  }
  return *this;
}

void nft_guard::remove() {
  if (name_.empty()) return;
  run_command({"ip", "netns", "exec", netns_, "nft", "delete", "table", "inet", name_});
  name_.clear();
}

std::string nft_table_name(const lab& l, std::string_view what) {
  std::string w;
  for (char c : what)
    w += c == '-' ? '_' : c;
  return "kvip_sim_" + l.run_id() + "_" + w;
}

std::string nft_drop_body(const std::vector<std::string>& matches) {
  std::string body;
  for (const char* hook : {"input", "output"}) {
    body += std::string{" chain "} + hook + " { type filter hook " + hook +
            " priority -10; policy accept;\n";
    for (auto& m : matches)
      body += "  " + m + " drop\n";
    body += " }\n";
  }
  return body;
}

std::string nft_loss_body(int percent) {
  return nft_drop_body({"numgen random mod 100 < " + std::to_string(percent)});
}

} // namespace kvip::sim
