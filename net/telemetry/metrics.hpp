// A small thread-safe Prometheus metric registry: counters, gauges and
// fixed-bucket histograms, each a family of label-keyed series, rendered in
// the text exposition format 0.0.4. Hand-written because Debian ships no
// prometheus-cpp. No actors here (DESIGN.md §2).
//
// Usage:
//   auto& f = reg.counter_family("kube_vip_service_election_attempts_total", "…",
//                                {"namespace", "name"});
//   auto& c = f.with({"default", "nginx"});  // stable reference, keep it
//   c.inc();                                 // lock-free
//
// Registration errors (bad names, one name registered as two different
// things) are programming errors and throw std::logic_error.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kvip::net::telemetry {

/// Label values of one series, in the order of the family's label names.
using label_values = std::vector<std::string>;

enum class metric_type { counter, gauge, histogram };

/// True if `name` is a valid metric name: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool valid_metric_name(std::string_view name);

/// True if `name` is a valid label name: [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__".
bool valid_label_name(std::string_view name);

/// Formats a sample value as the exposition format expects: integers without exponent,
/// otherwise the shortest round-trip form; "NaN", "+Inf", "-Inf".
std::string format_value(double v);

/// A monotonically increasing value. All operations are lock-free.
class counter {
public:
  /// Adds 1.
  void inc() { add(1.0); }
  /// Adds `v`; negative or NaN increments are ignored (a counter never decreases).
  void add(double v);
  /// Current value.
  double value() const { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<double> value_{0.0};
};

/// A value that goes up and down. All operations are lock-free.
class gauge {
public:
  /// Sets the value.
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  /// Adds `v` (may be negative).
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  /// Adds 1.
  void inc() { add(1.0); }
  /// Subtracts 1.
  void dec() { add(-1.0); }
  /// Current value.
  double value() const { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<double> value_{0.0};
};

/// Observations counted into fixed buckets (upper bounds, `le` semantics). Lock-free.
class histogram {
public:
  /// A consistent-enough view: cumulative counts per bound (last = +Inf), sum, count.
  struct snapshot {
    std::vector<uint64_t> cumulative; ///< one per bound, plus +Inf as the last entry
    double sum = 0.0;
    uint64_t count = 0; ///< equals cumulative.back()
  };

  /// `bounds` must be sorted, finite and strictly increasing (the family checks this).
  explicit histogram(std::vector<double> bounds);

  /// Records one observation; NaN lands in the +Inf bucket.
  void observe(double v);
  /// Reads the current state; `count` always equals the +Inf bucket.
  snapshot read() const;
  /// The finite upper bounds.
  const std::vector<double>& bounds() const { return bounds_; }

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_; // per bucket, not cumulative; +Inf last
  std::atomic<double> sum_{0.0};
};

/// The buckets Prometheus clients use by default (5 ms … 10 s).
std::vector<double> default_buckets();

/// Type-erased part of a family, used by the registry to render it.
class family_base {
public:
  virtual ~family_base() = default;
  /// The exposed name (counters always end in "_total").
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  virtual metric_type type() const = 0;
  /// Appends HELP, TYPE and every series to `out`; nothing if the family has no series.
  virtual void render(std::string& out) const = 0;

protected:
  family_base(std::string name, std::string help, std::vector<std::string> label_names);
  /// Throws std::logic_error unless `values` has one entry per label name.
  void check_arity(const label_values& values) const;
  /// Appends `name{labels,extra}` (braces omitted when there are no labels).
  void write_series_name(std::string& out, std::string_view suffix, const label_values& values,
                         std::string_view extra_label = {},
                         std::string_view extra_value = {}) const;

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
};

/// All series of one metric, keyed by label values. Series live as long as the family
/// (i.e. the registry) unless removed.
template <class Metric>
class family final : public family_base {
public:
  family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds = {});

  /// The series for `values` (created on first use). The reference stays valid until
  /// remove()/clear() drops that series. Throws std::logic_error on a wrong label count.
  Metric& with(const label_values& values = {});
  /// Drops the series for `values`; returns whether it existed. Invalidates references to it.
  bool remove(const label_values& values);
  /// Drops every series (a label-less family keeps its single series, reset to zero).
  void clear();
  /// Number of series.
  size_t size() const;

  metric_type type() const override;
  void render(std::string& out) const override;
  /// Histogram bounds (empty for counters and gauges).
  const std::vector<double>& bounds() const { return bounds_; }

private:
  Metric& emplace_locked(const label_values& values);

  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<label_values, std::unique_ptr<Metric>> series_;
};

extern template class family<counter>;
extern template class family<gauge>;
extern template class family<histogram>;

using counter_family_t = family<counter>;
using gauge_family_t = family<gauge>;
using histogram_family_t = family<histogram>;

/// A set of metric families. Thread-safe; families live as long as the registry.
class registry {
public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// Registers (or returns the existing) counter family. "_total" is appended to `name`
  /// if missing. Throws std::logic_error on invalid names or a conflicting registration.
  counter_family_t& counter_family(std::string name, std::string help,
                                   std::vector<std::string> label_names = {});
  /// Registers (or returns the existing) gauge family; throws std::logic_error on conflicts.
  gauge_family_t& gauge_family(std::string name, std::string help,
                               std::vector<std::string> label_names = {});
  /// Registers (or returns the existing) histogram family with the given finite, strictly
  /// increasing bucket bounds (+Inf is implicit; a trailing +Inf is dropped). Empty `bounds`
  /// means default_buckets(). Throws std::logic_error on invalid input or conflicts.
  histogram_family_t& histogram_family(std::string name, std::string help,
                                       std::vector<std::string> label_names = {},
                                       std::vector<double> bounds = {});

  /// Renders every family in text exposition format 0.0.4, families sorted by name.
  std::string expose() const;

  /// The content type to serve expose() with.
  static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

private:
  template <class Family>
  Family& register_family(metric_type type, std::string name, std::string help,
                          std::vector<std::string> label_names, std::vector<double> bounds);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<family_base>> families_;
  std::map<std::string, std::string> sample_owner_; // exposed sample name -> family name
};

/// The process-wide registry used in production (tests build their own).
registry& default_registry();

} // namespace kvip::net::telemetry
