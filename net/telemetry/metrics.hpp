// kvip's metrics: a thin façade over prometheus-cpp (Debian prometheus-cpp-dev,
// core library). prometheus-cpp owns the metrics, their families and the text
// exposition format; this file only lets call sites name a series by label
// values in the family's label order, as kube-vip's Go code does:
//
//   auto& c = reg.counter_family("kvip_arp_conflicts_total", "…", {"node", "vip"})
//                 .with({"n1", "192.0.2.10"});   // prometheus::Counter&, keep it
//   c.Increment();
//
// Registering a name again returns the same family. Registration errors (bad
// names, one name registered as two different things, help text the
// exposition format cannot carry) are programming errors and throw
// std::logic_error (prometheus-cpp's std::invalid_argument is one).
// No actors here (DESIGN.md §2).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace kvip::net::telemetry {

using counter = prometheus::Counter;
using gauge = prometheus::Gauge;
using histogram = prometheus::Histogram;

/// Label values of one series, in the order of the family's label names.
using label_values = std::vector<std::string>;

/// One prometheus-cpp family with its label names (and, for histograms, its buckets).
template <class Metric>
class family {
public:
  family(prometheus::Family<Metric>& impl, std::vector<std::string> label_names,
         std::vector<double> bounds);

  /// The series for `values` (created on first use); the reference stays valid as long
  /// as the registry. Throws std::logic_error unless there is one value per label name.
  Metric& with(const label_values& values = {});
  /// Drops the series for `values`, which then no longer shows in the
  /// exposition (no-op when there is none). A reference with() returned for
  /// it dangles afterwards: for series that come and go (a member removed
  /// from the cluster), never for one a caller keeps.
  void remove(const label_values& values);

  const std::vector<std::string>& label_names() const { return label_names_; }
  /// Histogram bucket upper bounds (+Inf implicit); empty for counters and gauges.
  const std::vector<double>& bounds() const { return bounds_; }

private:
  prometheus::Labels labels_of(const label_values& values) const;

  prometheus::Family<Metric>& impl_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
};

extern template class family<counter>;
extern template class family<gauge>;
extern template class family<histogram>;

using counter_family_t = family<counter>;
using gauge_family_t = family<gauge>;
using histogram_family_t = family<histogram>;

/// Whether counter_family() may append "_total" to a counter's name.
enum class counter_name {
  append_total, ///< the default: "_total" is appended when missing
  /// The name is exposed exactly as given: only for a compatibility name that
  /// lacks "_total" (kube-vip's kube_vip_manager_all_services_events), which
  /// promtool then reports (see net/telemetry/kube_vip_metrics.hpp).
  as_given,
};

/// A set of metric families. Thread-safe; families and series live as long as the registry.
class registry {
public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// Registers (or returns the existing) counter family. "_total" is appended to `name`
  /// if missing, unless `naming` is counter_name::as_given.
  counter_family_t& counter_family(std::string name, std::string help,
                                   std::vector<std::string> label_names = {},
                                   counter_name naming = counter_name::append_total);
  /// Registers (or returns the existing) gauge family.
  gauge_family_t& gauge_family(std::string name, std::string help,
                               std::vector<std::string> label_names = {});
  /// Registers (or returns the existing) histogram family with strictly increasing,
  /// finite bucket upper bounds (+Inf is implicit).
  histogram_family_t& histogram_family(std::string name, std::string help,
                                       std::vector<std::string> label_names,
                                       std::vector<double> bounds);

  /// Every family with at least one series, in the text exposition format 0.0.4.
  std::string expose() const;

  /// The content type to serve expose() with.
  static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

private:
  template <class Metric>
  family<Metric>& add(std::string name, const std::string& help,
                      std::vector<std::string> label_names, std::vector<double> bounds);

  prometheus::Registry impl_;
  mutable std::mutex mutex_;
  std::map<std::string, std::variant<counter_family_t, gauge_family_t, histogram_family_t>>
      families_;
};

/// The process-wide registry used in production (tests build their own).
registry& default_registry();

} // namespace kvip::net::telemetry
