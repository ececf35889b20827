#include "net/telemetry/metrics.hpp"

#include <algorithm>
#include <functional>
#include <stdexcept>

#include <prometheus/check_names.h>
#include <prometheus/text_serializer.h>

namespace kvip::net::telemetry {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::logic_error("metrics: " + what);
}

/// prometheus-cpp writes HELP verbatim; a backslash or newline there would break the format.
void check_help(const std::string& name, const std::string& help) {
  if (help.find_first_of("\\\n") != std::string::npos)
    fail(name + ": help text must not contain a backslash or newline");
}

void check_label_names(const std::string& name, const std::vector<std::string>& label_names) {
  for (const auto& l : label_names)
    if (!prometheus::CheckLabelName(l)) fail(name + ": invalid label name '" + l + "'");
}

template <class Metric>
prometheus::Family<Metric>& build(const std::string& name, const std::string& help,
                                  prometheus::Registry& reg) {
  if constexpr (std::is_same_v<Metric, counter>) {
    return prometheus::BuildCounter().Name(name).Help(help).Register(reg);
  } else if constexpr (std::is_same_v<Metric, gauge>) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(reg);
  } else {
    return prometheus::BuildHistogram().Name(name).Help(help).Register(reg);
  }
}

} // namespace

template <class Metric>
family<Metric>::family(prometheus::Family<Metric>& impl, std::vector<std::string> label_names,
                       std::vector<double> bounds)
    : impl_(impl), label_names_(std::move(label_names)), bounds_(std::move(bounds)) {}

template <class Metric>
prometheus::Labels family<Metric>::labels_of(const label_values& values) const {
  prometheus::Labels labels;
  for (size_t i = 0; i < values.size() && i < label_names_.size(); ++i)
    labels.emplace(label_names_[i], values[i]);
  if (values.size() != label_names_.size() || labels.size() != values.size()) {
    fail(impl_.GetName() + ": expected one value for each of " +
         std::to_string(label_names_.size()) + " distinct label names, got " +
         std::to_string(values.size()));
  }
  return labels;
}

template <class Metric>
void family<Metric>::remove(const label_values& values) {
  auto labels = labels_of(values);
  if (!impl_.Has(labels)) return;
  if constexpr (std::is_same_v<Metric, histogram>) {
    impl_.Remove(&impl_.Add(labels, bounds_));
  } else {
    impl_.Remove(&impl_.Add(labels));
  }
}

template <class Metric>
Metric& family<Metric>::with(const label_values& values) {
  auto labels = labels_of(values);
  if constexpr (std::is_same_v<Metric, histogram>) {
    return impl_.Add(labels, bounds_);
  } else {
    return impl_.Add(labels);
  }
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

template <class Metric>
family<Metric>& registry::add(std::string name, const std::string& help,
                              std::vector<std::string> label_names, std::vector<double> bounds) {
  std::lock_guard guard{mutex_};
  if (auto it = families_.find(name); it != families_.end()) {
    auto* existing = std::get_if<family<Metric>>(&it->second);
    if (existing == nullptr) fail(name + ": already registered as another type");
    if (existing->label_names() != label_names || existing->bounds() != bounds)
      fail(name + ": already registered with other label names or buckets");
    return *existing;
  }
  check_help(name, help);
  check_label_names(name, label_names);
  if (std::adjacent_find(bounds.begin(), bounds.end(), std::greater_equal<>{}) != bounds.end())
    fail(name + ": bucket bounds must be strictly increasing");
  auto& impl = build<Metric>(name, help, impl_); // throws on an invalid or clashing name
  auto& fam = std::get<family<Metric>>(
      families_
          .emplace(std::piecewise_construct, std::forward_as_tuple(std::move(name)),
                   std::forward_as_tuple(std::in_place_type<family<Metric>>, impl,
                                         std::move(label_names), std::move(bounds)))
          .first->second);
  // A label-less metric is exposed (at zero) from the moment it is registered.
  if (fam.label_names().empty()) fam.with({});
  return fam;
}

counter_family_t& registry::counter_family(std::string name, std::string help,
                                           std::vector<std::string> label_names,
                                           counter_name naming) {
  if (naming == counter_name::append_total && !name.ends_with("_total")) name += "_total";
  return add<counter>(std::move(name), help, std::move(label_names), {});
}

gauge_family_t& registry::gauge_family(std::string name, std::string help,
                                       std::vector<std::string> label_names) {
  return add<gauge>(std::move(name), help, std::move(label_names), {});
}

histogram_family_t& registry::histogram_family(std::string name, std::string help,
                                               std::vector<std::string> label_names,
                                               std::vector<double> bounds) {
  return add<histogram>(std::move(name), help, std::move(label_names), std::move(bounds));
}

std::string registry::expose() const {
  return prometheus::TextSerializer{}.Serialize(impl_.Collect());
}

registry& default_registry() {
  // Never destroyed: threads that still update metrics during exit must not see a dead registry.
  static auto* instance = new registry;
  return *instance;
}

} // namespace kvip::net::telemetry
