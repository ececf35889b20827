#include "net/l2/lo_host.hpp"

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "net/netlink/socket.hpp"

namespace kvip::net::l2 {

namespace {

constexpr const char* file_header =
    "# kvip userspace responder: host settings to restore (see net/l2/lo_host.hpp)\n";

/// An interface name usable in a sysctl path.
bool valid_ifname(const std::string& n) {
  return !n.empty() && n.size() < 16 && n != "." && n != ".." && n.find('/') == std::string::npos &&
         n.find(' ') == std::string::npos;
}

std::string conf_path(const std::string& ifname, const char* key) {
  return "net/ipv4/conf/" + ifname + "/" + key;
}

ip_prefix host_prefix(const ip_address& a) {
  return ip_prefix{a, a.max_prefix()};
}

/// arp_ignore values under which an address on lo is not answered on the
/// interface: 1 (configured on the interface), 2 (and same subnet), 8 (never).
bool ignores_lo(int v) {
  return v == 1 || v == 2 || v == 8;
}

int to_int(const std::string& s) {
  try {
    return std::stoi(s);
  } catch (...) {
    return -1;
  }
}

} // namespace

result<std::string> read_sysctl(const std::string& path) {
  std::ifstream in{path};
  if (!in) return make_error("sysctl " + path + ": cannot read", errno);
  std::string v;
  std::getline(in, v);
  return v;
}

result<void> write_sysctl(const std::string& path, const std::string& value) {
  std::FILE* f = std::fopen(path.c_str(), "we");
  if (f == nullptr) return make_error("sysctl " + path + ": cannot open for writing", errno);
  bool ok = std::fputs(value.c_str(), f) >= 0;
  int e = errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    e = errno;
  }
  if (!ok) return make_error("sysctl " + path + ": cannot write " + value, e);
  return net::ok();
}

lo_host::lo_host(lo_host_options opts) : opts_(std::move(opts)) {}

lo_host::~lo_host() = default;

result<std::unique_ptr<lo_host>> lo_host::open(lo_host_options opts) {
  std::unique_ptr<lo_host> h{new lo_host{std::move(opts)}};
  if (auto r = h->load(); !r) return r.err();
  return h;
}

result<void> lo_host::load() {
  std::error_code ec;
  if (!std::filesystem::exists(opts_.restore_file, ec)) return ok();
  std::ifstream in{opts_.restore_file};
  if (!in) return make_error("restore file " + opts_.restore_file + ": cannot read", errno);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls{line};
    std::string kind, a, b;
    ls >> kind >> a >> b;
    if (kind == "sysctl" && a.starts_with("net/ipv4/conf/") && !b.empty() &&
        a.find("..") == std::string::npos) {
      originals_.emplace(a, b);
    } else if (kind == "address" && ip_address::parse(a)) {
      held_.insert(*ip_address::parse(a));
    } else if (!kind.empty() && kind[0] != '#') {
      spdlog::warn("responder: restore file {}: ignoring line \"{}\"", opts_.restore_file, line);
    }
  }
  if (!originals_.empty() || !held_.empty())
    spdlog::warn("responder: a previous kvip left {} settings and {} lo addresses to restore "
                 "(it did not exit cleanly); adopting them",
                 originals_.size(), held_.size());
  return ok();
}

result<void> lo_host::save() const {
  std::filesystem::path p{opts_.restore_file};
  std::error_code ec;
  if (originals_.empty() && held_.empty()) {
    std::filesystem::remove(p, ec);
    if (ec) return make_error("restore file " + p.string() + ": cannot remove", ec.value());
    return ok();
  }
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  auto tmp = p.string() + ".tmp";
  {
    std::ofstream out{tmp, std::ios::trunc};
    out << file_header;
    for (const auto& [path, value] : originals_)
      out << "sysctl " << path << " " << value << "\n";
    for (const auto& a : held_)
      out << "address " << a.to_string() << "\n";
    out.flush();
    if (!out) return make_error("restore file " + tmp + ": cannot write", errno);
  }
  std::filesystem::rename(tmp, p, ec);
  if (ec) return make_error("restore file " + p.string() + ": cannot replace", ec.value());
  return ok();
}

result<void> lo_host::connect() {
  if (lo_index_ != 0) return ok();
  if (!nl_) {
    auto s = netlink::socket::open();
    if (!s) return s.err();
    nl_ = std::move(*s);
  }
  auto lo = nl_->link_by_name("lo");
  if (!lo) return lo.err();
  lo_index_ = lo->ifindex;
  return ok();
}

result<void> lo_host::add(const ip_address& vip) {
  if (!opts_.manage_addresses) return ok();
  if (held_.insert(vip).second) {
    // Recorded before it is added: a crash in between leaves at most a
    // removal of an absent address to the successor.
    if (auto r = save(); !r) {
      held_.erase(vip);
      return r;
    }
  }
  if (auto c = connect(); !c)
    return make_error("lo: add " + vip.to_string() + ": " + c.err().message, c.err().code);
  return nl_->add_vip(lo_index_, host_prefix(vip));
}

result<void> lo_host::record(const std::vector<ip_address>& vips) {
  if (!opts_.manage_addresses) return ok();
  std::vector<ip_address> fresh;
  for (const auto& v : vips)
    if (held_.insert(v).second) fresh.push_back(v);
  if (fresh.empty()) return ok();
  if (auto r = save(); !r) {
    for (const auto& v : fresh)
      held_.erase(v);
    return r;
  }
  return ok();
}

result<void> lo_host::remove(const ip_address& vip) {
  if (!opts_.manage_addresses || held_.count(vip) == 0) return ok();
  if (auto c = connect(); !c)
    return make_error("lo: remove " + vip.to_string() + ": " + c.err().message, c.err().code);
  if (auto r = nl_->remove_address(lo_index_, host_prefix(vip)); !r) return r;
  held_.erase(vip);
  return save();
}

result<void> lo_host::set_sysctl(const std::string& rel, const std::string& value) {
  auto path = opts_.proc_sys + "/" + rel;
  auto now = read_sysctl(path);
  if (!now) return now.err();
  if (originals_.count(rel) == 0) {
    originals_.emplace(rel, *now);
    if (auto r = save(); !r) {
      originals_.erase(rel);
      return r;
    }
  }
  if (*now != value) {
    if (auto r = write_sysctl(path, value); !r) return r;
    spdlog::info("responder: {} {} -> {}", rel, *now, value);
  }
  current_[rel] = value;
  return ok();
}

result<void> lo_host::prepare(const std::string& ifname) {
  if (!valid_ifname(ifname)) return make_error("responder: bad interface name \"" + ifname + "\"");
  auto ignore_rel = conf_path(ifname, "arp_ignore");
  auto now = read_sysctl(opts_.proc_sys + "/" + ignore_rel);
  if (!now) return now.err();
  // Keep a stricter value that already ignores lo's addresses (also one a
  // predecessor set: then the recorded original is what gets restored).
  auto want = ignores_lo(to_int(*now)) ? *now : std::string{"1"};
  if (auto r = set_sysctl(ignore_rel, want); !r) return r;
  if (auto r = set_sysctl(conf_path(ifname, "arp_announce"), "2"); !r) return r;
  auto all = read_sysctl(opts_.proc_sys + "/" + conf_path("all", "arp_ignore"));
  int effective = std::max(all ? to_int(*all) : 0, to_int(want));
  if (!ignores_lo(effective))
    return make_error("responder: net.ipv4.conf.all.arp_ignore=" + all.value_or("?") + " makes " +
                      ifname + " answer ARP for addresses on lo; set it to 0, 1, 2 or 8");
  return ok();
}

result<void> lo_host::restore() {
  std::string errors;
  auto note = [&errors](const error& e) {
    if (!errors.empty()) errors += "; ";
    errors += e.describe();
  };
  for (auto it = held_.begin(); it != held_.end();) {
    auto c = connect();
    auto r = c ? nl_->remove_address(lo_index_, host_prefix(*it)) : result<void>{c.err()};
    if (!r) {
      note(r.err());
      ++it;
      continue;
    }
    spdlog::info("responder: removed {} from lo", it->to_string());
    it = held_.erase(it);
  }
  for (auto it = originals_.begin(); it != originals_.end();) {
    auto path = opts_.proc_sys + "/" + it->first;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) { // interface gone: nothing to restore
      it = originals_.erase(it);
      continue;
    }
    if (auto r = write_sysctl(path, it->second); !r) {
      note(r.err());
      ++it;
      continue;
    }
    spdlog::info("responder: restored {} = {}", it->first, it->second);
    current_.erase(it->first);
    it = originals_.erase(it);
  }
  if (auto r = save(); !r) note(r.err());
  if (!errors.empty()) return make_error("responder: restore: " + errors);
  return ok();
}

std::vector<std::string> lo_host::describe() const {
  std::vector<std::string> out;
  for (const auto& [rel, orig] : originals_) {
    auto it = current_.find(rel);
    out.push_back(rel + " " + orig + " -> " + (it == current_.end() ? "(adopted)" : it->second));
  }
  for (const auto& a : held_)
    out.push_back("lo " + host_prefix(a).to_string());
  return out;
}

} // namespace kvip::net::l2
