// Merging the configuration sources: flag > env > config file > default, per
// knob, then typed parsing through the knob table (config_knobs.cpp) and the
// derivation/validation pass (config_validate.cpp). Also reads the YAML file.
#include "net/config/detail.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <optional>

namespace kvip::net::config {

std::string to_string(const problem& p) {
  return p.key + "=" + p.value + ": " + p.expected;
}

std::map<std::string, std::string> environment_from(char** envp) {
  std::map<std::string, std::string> out;
  for (; envp != nullptr && *envp != nullptr; ++envp) {
    std::string_view entry{*envp};
    auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    out.emplace(std::string{entry.substr(0, eq)}, std::string{entry.substr(eq + 1)});
  }
  return out;
}

namespace {

using namespace detail;

// -- candidates -------------------------------------------------------------------

enum class rank { flag, env, file };

/// A value for one knob from one source.
struct candidate {
  std::string value; ///< raw text
  std::string key;   ///< as spelled by the user
  rank from;         ///< which source
};

using candidates = std::vector<std::optional<candidate>>; // per row index

std::string describe(const candidate& c) {
  switch (c.from) {
  case rank::flag:
    return "flag " + c.key + "=" + c.value;
  case rank::env:
    return "env " + c.key + "=" + c.value;
  case rank::file:
    break;
  }
  return "config file " + c.key + "=" + c.value;
}

/// Row index by every accepted spelling (env, alternative env, flag).
struct name_index {
  std::map<std::string, size_t> by_env;
  std::map<std::string, size_t> by_flag;
  std::map<std::string, size_t> by_canonical;
  std::map<std::string, size_t, std::less<>> by_yaml; // kube-vip's config-file names

  explicit name_index(const std::vector<knob_row>& rows) {
    for (size_t i = 0; i < rows.size(); ++i) {
      auto& r = rows[i];
      if (!r.info.env.empty()) by_env.emplace(r.info.env, i);
      if (!r.env_alt.empty()) by_env.emplace(r.env_alt, i);
      if (!r.info.flag.empty()) by_flag.emplace(r.info.flag, i);
      by_canonical.emplace(canonical_name(r), i);
    }
    for (auto& k : kube_vip_file_keys())
      if (auto i = by_canonical.find(std::string{k.knob}); i != by_canonical.end())
        by_yaml.emplace(k.yaml, i->second);
  }

  std::optional<size_t> file_key(const std::string& key) const {
    if (auto i = by_env.find(key); i != by_env.end()) return i->second;
    if (auto i = by_flag.find(key); i != by_flag.end()) return i->second;
    if (auto i = by_yaml.find(key); i != by_yaml.end()) return i->second;
    return std::nullopt;
  }
};

// Why an unknown file key is wrong, naming the replacement for kube-vip keys kvip does not read.
std::string unknown_key_text(const std::string& key) {
  for (auto& k : kube_vip_file_keys())
    if (k.yaml == key && k.knob.empty())
      return "a kube-vip key kvip does not read from a file: " + std::string{k.instead};
  return "unknown configuration key (use an env, flag or kube-vip config-file name, see --help)";
}

const name_index& names() {
  static const name_index index{knob_rows()};
  return index;
}

// -- the config file -------------------------------------------------------------------

// Converts a YAML value into the knob's text form; nullopt = unsupported shape.
std::optional<std::string> yaml_text(const YAML::Node& node, bool mapping_ok) {
  switch (node.Type()) {
  case YAML::NodeType::Null:
  case YAML::NodeType::Undefined:
    return std::string{};
  case YAML::NodeType::Scalar:
    return node.Scalar();
  case YAML::NodeType::Sequence: {
    std::string out;
    for (const auto& item : node) {
      if (!item.IsScalar()) return std::nullopt;
      out += (out.empty() ? "" : ",") + item.Scalar();
    }
    return out;
  }
  case YAML::NodeType::Map: {
    if (!mapping_ok) return std::nullopt;
    boost::json::object obj;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar() || !kv.second.IsScalar()) return std::nullopt;
      obj[kv.first.Scalar()] = kv.second.Scalar();
    }
    return boost::json::serialize(obj);
  }
  }
  return std::nullopt;
}

// Reads `path` into per-row candidates; every defect is a problem naming the path.
void read_file(const std::string& path, candidates& out, load_result& res) {
  auto fail = [&](std::string expected) {
    res.problems.push_back({"config_file", path, std::move(expected)});
  };
  {
    std::ifstream probe{path};
    if (!probe)
      return fail(std::string{"a readable YAML/JSON file ("} + std::strerror(errno) + ")");
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return fail("valid YAML/JSON (" + std::string{e.what()} + ")");
  }
  if (root.IsNull()) return; // an empty file sets nothing
  if (!root.IsMap())
    return fail("a YAML mapping of knob names (env, flag or kube-vip names) to values");
  auto& rows = knob_rows();
  for (const auto& kv : root) {
    auto key = kv.first.IsScalar() ? kv.first.Scalar() : std::string{"?"};
    auto spelled = path + ":" + key;
    auto raw_value = kv.second.IsScalar() ? kv.second.Scalar() : std::string{"<structured>"};
    auto idx = kv.first.IsScalar() ? names().file_key(key) : std::nullopt;
    if (!idx) {
      res.problems.push_back({spelled, raw_value, unknown_key_text(key)});
      continue;
    }
    auto& row = rows[*idx];
    if (canonical_name(row) == "config_file") {
      res.problems.push_back({spelled, raw_value, "config_file cannot be set inside the file"});
      continue;
    }
    auto text = yaml_text(kv.second, canonical_name(row) == "vip_leaseannotations");
    if (!text) {
      res.problems.push_back(
          {spelled, raw_value,
           key == "leaderElection" && kv.second.IsMap()
               ? "a boolean (vip_leaderelection); kube-vip's leaseDuration, renewDeadline and "
                 "retryPeriod go at the top level of the file"
               : "a scalar or a list of scalars"});
      continue;
    }
    if (out[*idx]) {
      res.problems.push_back(
          {spelled, *text, "set once per file (also set as " + out[*idx]->key + ")"});
      continue;
    }
    out[*idx] = candidate{*text, spelled, rank::file};
  }
}

// -- merging --------------------------------------------------------------------

std::optional<candidate> env_candidate(const knob_row& row, const sources& src) {
  for (auto* name : {&row.info.env, &row.env_alt}) {
    if (name->empty()) continue;
    auto i = src.env.find(*name);
    if (i != src.env.end() && (!i->second.empty() || row.env_empty_is_value))
      return candidate{i->second, *name, rank::env};
  }
  return std::nullopt;
}

std::string locate_config_file(const sources& src) {
  if (!src.config_file.empty()) return src.config_file;
  if (auto i = src.flags.find("config-file"); i != src.flags.end()) return i->second;
  if (auto i = src.env.find("config_file"); i != src.env.end()) return i->second;
  return {};
}

std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string local_hostname() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0) return {};
  return buf.data();
}

// Picks the winning candidate per row (flag > env > file) and reports
// file values that lose, unknown flags and ignored upper-case env names.
candidates merge(const sources& src, const candidates& file, load_result& res) {
  auto& rows = knob_rows();
  candidates flags(rows.size());
  for (auto& [name, value] : src.flags) {
    auto i = names().by_flag.find(name);
    if (i == names().by_flag.end())
      res.problems.push_back({"--" + name, value, "a known flag (see --help)"});
    else
      flags[i->second] = candidate{value, "--" + name, rank::flag};
  }
  candidates out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    auto env = env_candidate(rows[i], src);
    out[i] = flags[i] ? flags[i] : env ? env : file[i];
    if (file[i] && out[i]->from != rank::file)
      res.warnings.push_back(describe(*file[i]) + " is overridden by " + describe(*out[i]));
    auto& name = rows[i].info.env;
    if (!env && !name.empty() && upper(name) != name && src.env.count(upper(name)) != 0)
      res.warnings.push_back("environment variable " + upper(name) +
                             " is ignored: kube-vip env names are lower-case (" + name + ")");
  }
  return out;
}

// Folds deprecated aliases into their target knobs.
void fold_aliases(candidates& chosen, load_result& res) {
  auto& rows = knob_rows();
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].status != knob_status::deprecated || !chosen[i]) continue;
    auto& alias = *chosen[i];
    auto& target_name = rows[i].info.alias_of;
    auto t = names().by_canonical.at(target_name);
    res.warnings.push_back(alias.key + " is deprecated; use " + target_name + " instead");
    if (!chosen[t]) {
      chosen[t] = alias;
      if (target_name == "address") res.cfg.address_from_vip_address = true;
    } else if (chosen[t]->value != alias.value) {
      res.problems.push_back({alias.key, alias.value,
                              "set only one of " + canonical_name(rows[i]) + " and " + target_name +
                                  " (" + describe(*chosen[t]) + ")"});
    }
    chosen[i].reset();
  }
}

} // namespace

load_result load(const sources& src) {
  load_result res;
  auto& rows = knob_rows();
  candidates file(rows.size());
  auto path = locate_config_file(src);
  if (!path.empty()) {
    try {
      read_file(path, file, res);
    } catch (const std::exception& e) { // yaml-cpp node access; load() never throws
      res.problems.push_back(
          {"config_file", path, std::string{"valid YAML/JSON ("} + e.what() + ")"});
    }
  }
  auto chosen = merge(src, file, res);
  fold_aliases(chosen, res);
  origin_map origins;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!chosen[i]) continue;
    auto& row = rows[i];
    auto& c = *chosen[i];
    if (row.status == knob_status::ignored) {
      res.warnings.push_back(c.key + " is accepted for kube-vip compatibility but has no effect");
      continue;
    }
    origins[canonical_name(row)] = origin{c.key, c.value};
    error_sink sink{c.value};
    row.apply(res.cfg, c.value, sink);
    for (auto& item : sink.items())
      res.problems.push_back({c.key + item.key, item.value, item.expected});
  }
  res.cfg.config_file = path;
  if (res.cfg.node_name.empty()) {
    std::string host = src.hostname.empty() ? local_hostname() : src.hostname;
    error_sink ignore{host};
    rows[names().by_canonical.at("vip_nodename")].apply(res.cfg, host, ignore);
  }
  finish_and_validate(res, origins);
  return res;
}

} // namespace kvip::net::config
