// The SVG timeline of `kvip simulate` (simulation/report.hpp).
#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "simulation/report.hpp"

namespace kvip::sim {

namespace {

constexpr double width = 1000, row_h = 28, left = 60, top = 46;

const char* fault_colour(const std::string& fault) {
  if (fault == "kill" || fault == "loss") return "#d62728";
  if (fault == "term") return "#9467bd";
  if (fault == "stop") return "#8c564b";
  if (fault == "linkdown") return "#17becf";
  return "#7f7f7f"; // partitions and outages
}

struct svg_scale {
  double t_end;
  double x(double t) const { return left + (width - left - 10) * t / std::max(t_end, 0.001); }
};

void node_rows(FILE* f, const scenario_result& r, const svg_scale& s) {
  static const char* colours[] = {"#2b7bb9", "#e07b24", "#3a9b4a", "#b9362b", "#7a4fb0"};
  for (std::size_t n = 0; n < r.node_names.size(); ++n) {
    double y = top + row_h * static_cast<double>(n);
    std::fprintf(f, "<text x=\"5\" y=\"%.0f\">%s</text>\n", y + 18, r.node_names[n].c_str());
    auto bar = [&](double from, double to) {
      std::fprintf(f, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"20\" fill=\"%s\"/>\n",
                   s.x(from), y + 4, std::max(1.0, s.x(to) - s.x(from)), colours[n % 5]);
    };
    // Merge consecutive samples answered by this node into bars.
    double start = -1, last = 0;
    for (auto& smp : r.samples) {
      double t = static_cast<double>(smp.t_us) / 1e6;
      bool on = std::find(smp.macs.begin(), smp.macs.end(), r.node_macs[n]) != smp.macs.end();
      if (on && start < 0) start = t;
      if (!on && start >= 0) {
        bar(start, t);
        start = -1;
      }
      last = t;
    }
    if (start >= 0) bar(start, last);
  }
}

} // namespace

net::result<void> write_svg(const scenario_result& r, const std::string& path) {
  if (r.samples.empty()) return net::make_error("no samples to draw");
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return net::make_error("cannot write " + path, errno);
  svg_scale s{static_cast<double>(r.samples.back().t_us) / 1e6};
  auto rows = r.node_names.size();
  double height = top + row_h * static_cast<double>(rows + 1) + 30;
  std::fprintf(f,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" "
               "height=\"100%%\" fill=\"white\"/>\n<text x=\"%.0f\" y=\"16\">Who answered ARP "
               "for the VIP (client view, 10 ms probes); faults: kill/loss red, term purple, "
               "stop brown, linkdown cyan, partitions and outages grey</text>\n",
               width, height, left);
  for (auto& sys : r.systems) {
    std::fprintf(f,
                 "<line x1=\"%.1f\" y1=\"22\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"black\" "
                 "stroke-dasharray=\"2,2\"/>\n<text x=\"%.1f\" y=\"36\">%s</text>\n",
                 s.x(sys.start_s), s.x(sys.start_s), height - 20, s.x(sys.start_s) + 3,
                 sys.system.c_str());
  }
  node_rows(f, r, s);
  double axis_y = top + row_h * static_cast<double>(rows) + 10;
  for (auto& t : r.trials) {
    const char* colour = fault_colour(t.fault);
    std::fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"%s\"/>\n",
                 s.x(t.fault_s), top, s.x(t.fault_s), axis_y, colour);
    if (r.trials.size() <= 12)
      std::fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" fill=\"%s\" font-size=\"10\">%s %s</text>\n",
                   s.x(t.fault_s) + 2, axis_y + 12, colour, t.fault.c_str(), t.from.c_str());
  }
  std::fprintf(f,
               "<text x=\"%.0f\" y=\"%.0f\">0 s</text><text x=\"%.0f\" y=\"%.0f\">%.1f s</text>\n",
               left, height - 4, width - 60, height - 4, s.t_end);
  std::fprintf(f, "</svg>\n");
  if (std::fclose(f) != 0) return net::make_error("cannot write " + path, errno);
  return net::ok();
}

} // namespace kvip::sim
