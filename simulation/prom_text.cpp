#include "simulation/prom_text.hpp"

#include <cstdlib>

namespace kvip::sim {

std::vector<prom_sample> prom_samples(std::string_view text, std::string_view name) {
  std::vector<prom_sample> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    auto line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.substr(0, name.size()) != name || line.size() == name.size()) continue;
    prom_sample s;
    auto rest = line.substr(name.size());
    if (rest.front() == '{') {
      auto close = rest.find('}');
      if (close == std::string_view::npos) continue;
      s.labels = std::string{rest.substr(1, close - 1)};
      rest = rest.substr(close + 1);
    } else if (rest.front() != ' ') {
      continue; // another metric whose name starts with this one
    }
    std::string number{rest};
    char* end = nullptr;
    s.value = std::strtod(number.c_str(), &end);
    if (end == number.c_str()) continue;
    out.push_back(std::move(s));
  }
  return out;
}

std::string prom_label(std::string_view labels, std::string_view key) {
  std::string want = std::string{key} + "=\"";
  for (std::size_t at = labels.find(want); at != std::string_view::npos;
       at = labels.find(want, at + 1)) {
    if (at != 0 && labels[at - 1] != ',') continue;
    auto from = at + want.size();
    auto to = labels.find('"', from);
    if (to == std::string_view::npos) return {};
    return std::string{labels.substr(from, to - from)};
  }
  return {};
}

} // namespace kvip::sim
