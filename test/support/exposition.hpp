// Reading a Prometheus text exposition (format 0.0.4) back in tests: every
// sample with its label set (escapes undone), the # TYPE / # HELP lines, and
// `promtool check metrics` run on it.
#pragma once

#include <cstdio>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

#include "test/support/temp_file.hpp"

namespace kvip::test {

using label_set = std::map<std::string, std::string>;

/// One sample line: name{labels} value.
struct exposed_sample {
  std::string name;
  label_set labels;
  double value = 0;
};

/// Reads one quoted label value from just past its opening quote; undoes \\, \" and \n.
inline std::string read_label_value(const std::string& line, size_t& i) {
  std::string v;
  for (; i < line.size() && line[i] != '"'; ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      ++i;
      v += line[i] == 'n' ? '\n' : line[i];
    } else {
      v += line[i];
    }
  }
  ++i; // closing quote
  return v;
}

inline exposed_sample parse_sample_line(const std::string& line) {
  exposed_sample s;
  size_t i = line.find_first_of("{ ");
  s.name = line.substr(0, i);
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      auto eq = line.find('=', i);
      auto key = line.substr(i, eq - i);
      i = eq + 2; // past ="
      s.labels[key] = read_label_value(line, i);
      if (i < line.size() && line[i] == ',') ++i;
    }
    ++i;
  }
  s.value = std::stod(line.substr(i + 1));
  return s;
}

/// Every sample line of an exposition (comments skipped).
inline std::vector<exposed_sample> exposed_samples(const std::string& exposition) {
  std::vector<exposed_sample> out;
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') out.push_back(parse_sample_line(line));
  return out;
}

/// The samples named `name`.
inline std::vector<exposed_sample> exposed_samples(const std::string& exposition,
                                                   const std::string& name) {
  std::vector<exposed_sample> out;
  for (auto& s : exposed_samples(exposition))
    if (s.name == name) out.push_back(std::move(s));
  return out;
}

/// The value of the sample with exactly this name and label set, if present.
inline std::optional<double> exposed_value(const std::string& exposition, const std::string& name,
                                           const label_set& labels = {}) {
  for (const auto& s : exposed_samples(exposition, name))
    if (s.labels == labels) return s.value;
  return std::nullopt;
}

/// The lines of `exposition` that start with `prefix`.
inline std::vector<std::string> lines_starting(const std::string& exposition,
                                               const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(prefix)) out.push_back(line);
  return out;
}

/// What `promtool check metrics` said about an exposition.
struct promtool_result {
  int exit_status = -1;            ///< -1: promtool did not exit normally
  std::vector<std::string> output; ///< stdout and stderr, one entry per line
};

/// True when promtool is on PATH.
inline bool have_promtool() {
  return std::system("command -v promtool >/dev/null 2>&1") == 0;
}

/// Pipes `exposition` to `promtool check metrics`.
inline promtool_result promtool_check_metrics(const std::string& exposition) {
  temp_file file(exposition, ".prom");
  auto cmd = "promtool check metrics < '" + file.path() + "' 2>&1";
  promtool_result r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::string text;
  char buf[512];
  while (auto n = std::fread(buf, 1, sizeof buf, pipe))
    text.append(buf, n);
  int status = ::pclose(pipe);
  if (WIFEXITED(status)) r.exit_status = WEXITSTATUS(status);
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) r.output.push_back(line);
  return r;
}

} // namespace kvip::test
