#include "net/telemetry/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <system_error>

namespace kvip::net::telemetry {

namespace {

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool name_char(char c) {
  return name_start(c) || (c >= '0' && c <= '9');
}

/// Appends `s` with the escapes the exposition format wants; quotes only inside label values.
void append_escaped(std::string& out, std::string_view s, bool escape_quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

std::string_view type_name(metric_type t) {
  switch (t) {
  case metric_type::counter:
    return "counter";
  case metric_type::gauge:
    return "gauge";
  case metric_type::histogram:
    return "histogram";
  }
  return "untyped";
}

void append_header(std::string& out, const family_base& f) {
  out += "# HELP ";
  out += f.name();
  out += ' ';
  append_escaped(out, f.help(), false);
  out += "\n# TYPE ";
  out += f.name();
  out += ' ';
  out += type_name(f.type());
  out += '\n';
}

/// The sample names a family exposes, used to detect clashes such as a gauge
/// "x_count" next to a histogram "x".
std::vector<std::string> sample_names(metric_type t, const std::string& name) {
  if (t != metric_type::histogram) return {name};
  return {name, name + "_bucket", name + "_sum", name + "_count"};
}

[[noreturn]] void fail(const std::string& what) {
  throw std::logic_error("metrics: " + what);
}

} // namespace

bool valid_metric_name(std::string_view name) {
  if (name.empty() || !(name_start(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return name_char(c) || c == ':'; });
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || !name_start(name[0]) || name.starts_with("__")) return false;
  return std::all_of(name.begin(), name.end(), name_char);
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::to_chars_result r;
  if (v == std::trunc(v) && std::fabs(v) < 1e15) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, v);
  }
  return std::string(buf, r.ptr);
}

// -- metric types ----------------------------------------------------------------

void counter::add(double v) {
  if (!(v >= 0.0)) return; // negative or NaN
  value_.fetch_add(v, std::memory_order_relaxed);
}

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i)
    counts_[i].store(0, std::memory_order_relaxed);
}

void histogram::observe(double v) {
  size_t idx = bounds_.size(); // +Inf
  if (!std::isnan(v)) {
    idx =
        static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  }
  counts_[idx].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot s;
  s.cumulative.reserve(bounds_.size() + 1);
  uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    acc += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(acc);
  }
  s.count = acc;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> default_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

// -- families ----------------------------------------------------------------------

family_base::family_base(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

void family_base::check_arity(const label_values& values) const {
  if (values.size() != label_names_.size()) {
    fail(name_ + ": expected " + std::to_string(label_names_.size()) + " label value(s), got " +
         std::to_string(values.size()));
  }
}

void family_base::write_series_name(std::string& out, std::string_view suffix,
                                    const label_values& values, std::string_view extra_label,
                                    std::string_view extra_value) const {
  out += name_;
  out += suffix;
  if (values.empty() && extra_label.empty()) return;
  out += '{';
  bool first = true;
  auto put = [&](std::string_view k, std::string_view v) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    append_escaped(out, v, true);
    out += '"';
  };
  for (size_t i = 0; i < values.size(); ++i)
    put(label_names_[i], values[i]);
  if (!extra_label.empty()) put(extra_label, extra_value);
  out += '}';
}

template <class Metric>
family<Metric>::family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> bounds)
    : family_base(std::move(name), std::move(help), std::move(label_names)),
      bounds_(std::move(bounds)) {
  // A label-less metric is exposed (at zero) from the moment it is registered.
  if (label_names_.empty()) emplace_locked({});
}

template <class Metric>
Metric& family<Metric>::emplace_locked(const label_values& values) {
  auto it = series_.find(values);
  if (it == series_.end()) {
    std::unique_ptr<Metric> m;
    if constexpr (std::is_same_v<Metric, histogram>) {
      m = std::make_unique<histogram>(bounds_);
    } else {
      m = std::make_unique<Metric>();
    }
    it = series_.emplace(values, std::move(m)).first;
  }
  return *it->second;
}

template <class Metric>
Metric& family<Metric>::with(const label_values& values) {
  check_arity(values);
  std::lock_guard guard{mutex_};
  return emplace_locked(values);
}

template <class Metric>
bool family<Metric>::remove(const label_values& values) {
  std::lock_guard guard{mutex_};
  if (label_names_.empty()) return false;
  return series_.erase(values) > 0;
}

template <class Metric>
void family<Metric>::clear() {
  std::lock_guard guard{mutex_};
  series_.clear();
  if (label_names_.empty()) emplace_locked({});
}

template <class Metric>
size_t family<Metric>::size() const {
  std::lock_guard guard{mutex_};
  return series_.size();
}

template <class Metric>
metric_type family<Metric>::type() const {
  if constexpr (std::is_same_v<Metric, counter>) {
    return metric_type::counter;
  } else if constexpr (std::is_same_v<Metric, gauge>) {
    return metric_type::gauge;
  } else {
    return metric_type::histogram;
  }
}

template <class Metric>
void family<Metric>::render(std::string& out) const {
  std::lock_guard guard{mutex_};
  if (series_.empty()) return;
  append_header(out, *this);
  for (const auto& [values, metric] : series_) {
    if constexpr (std::is_same_v<Metric, histogram>) {
      auto snap = metric->read();
      for (size_t i = 0; i < snap.cumulative.size(); ++i) {
        auto le = i < bounds_.size() ? format_value(bounds_[i]) : std::string{"+Inf"};
        write_series_name(out, "_bucket", values, "le", le);
        out += ' ';
        out += format_value(static_cast<double>(snap.cumulative[i]));
        out += '\n';
      }
      write_series_name(out, "_sum", values);
      out += ' ';
      out += format_value(snap.sum);
      out += '\n';
      write_series_name(out, "_count", values);
      out += ' ';
      out += format_value(static_cast<double>(snap.count));
      out += '\n';
    } else {
      write_series_name(out, "", values);
      out += ' ';
      out += format_value(metric->value());
      out += '\n';
    }
  }
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

// -- registry ----------------------------------------------------------------------

template <class Family>
Family& registry::register_family(metric_type type, std::string name, std::string help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> bounds) {
  if (!valid_metric_name(name)) fail("invalid metric name '" + name + "'");
  std::set<std::string_view> seen;
  for (const auto& l : label_names) {
    if (!valid_label_name(l)) fail(name + ": invalid label name '" + l + "'");
    if (type == metric_type::histogram && l == "le") fail(name + ": label 'le' is reserved");
    if (!seen.insert(l).second) fail(name + ": duplicate label name '" + l + "'");
  }
  std::lock_guard guard{mutex_};
  if (auto it = families_.find(name); it != families_.end()) {
    auto* existing = dynamic_cast<Family*>(it->second.get());
    if (existing == nullptr) {
      fail(name + ": already registered as a " + std::string{type_name(it->second->type())});
    }
    if (existing->label_names() != label_names) {
      fail(name + ": already registered with different label names");
    }
    if (existing->bounds() != bounds) fail(name + ": already registered with different buckets");
    return *existing;
  }
  auto samples = sample_names(type, name);
  for (const auto& s : samples) {
    if (auto it = sample_owner_.find(s); it != sample_owner_.end()) {
      fail(name + ": sample name '" + s + "' clashes with family '" + it->second + "'");
    }
  }
  auto fam =
      std::make_unique<Family>(name, std::move(help), std::move(label_names), std::move(bounds));
  auto& ref = *fam;
  for (auto& s : samples)
    sample_owner_.emplace(std::move(s), name);
  families_.emplace(std::move(name), std::move(fam));
  return ref;
}

counter_family_t& registry::counter_family(std::string name, std::string help,
                                           std::vector<std::string> label_names) {
  if (!name.ends_with("_total")) name += "_total";
  return register_family<counter_family_t>(metric_type::counter, std::move(name), std::move(help),
                                           std::move(label_names), {});
}

gauge_family_t& registry::gauge_family(std::string name, std::string help,
                                       std::vector<std::string> label_names) {
  return register_family<gauge_family_t>(metric_type::gauge, std::move(name), std::move(help),
                                         std::move(label_names), {});
}

histogram_family_t& registry::histogram_family(std::string name, std::string help,
                                               std::vector<std::string> label_names,
                                               std::vector<double> bounds) {
  if (bounds.empty()) bounds = default_buckets();
  if (std::isinf(bounds.back()) && bounds.back() > 0) bounds.pop_back();
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) fail(name + ": bucket bounds must be finite");
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      fail(name + ": bucket bounds must be strictly increasing");
    }
  }
  return register_family<histogram_family_t>(metric_type::histogram, std::move(name),
                                             std::move(help), std::move(label_names),
                                             std::move(bounds));
}

std::string registry::expose() const {
  std::string out;
  std::lock_guard guard{mutex_};
  for (const auto& [name, fam] : families_)
    fam->render(out);
  return out;
}

registry& default_registry() {
  // Never destroyed: threads that still update metrics during exit must not see a dead registry.
  static auto* instance = new registry;
  return *instance;
}

} // namespace kvip::net::telemetry
