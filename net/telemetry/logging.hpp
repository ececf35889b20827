#pragma once
// Process logging on spdlog: level from kube-vip's `vip_loglevel` (slog scale)
// and text or JSON-lines output (`kvip_log_format`).

#include <memory>
#include <string>

#include <spdlog/common.h>

namespace spdlog {
class formatter;
}

namespace kvip::net::telemetry {

/// Maps kube-vip's slog level (-4 debug, 0 info, 4 warn, 8 error; values in
/// between round towards the more verbose level; below -4 is trace) to spdlog.
spdlog::level::level_enum from_slog(long level);

/// A formatter writing one JSON object per line:
/// {"time":"…Z","level":"info","msg":"…"} with the message escaped.
std::unique_ptr<spdlog::formatter> make_json_formatter();

/// Configures the default logger (stderr): level and format ("text"|"json").
void setup_logging(long slog_level, const std::string& format);

} // namespace kvip::net::telemetry
