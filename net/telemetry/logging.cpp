#include "net/telemetry/logging.hpp"

#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "net/rfc3339.hpp"
#include "net/telemetry/trace_sink.hpp"

namespace kvip::net::telemetry {

spdlog::level::level_enum from_slog(long level) {
  if (level < -4) return spdlog::level::trace;
  if (level <= -4) return spdlog::level::debug;
  if (level <= 0) return spdlog::level::info;
  if (level <= 4) return spdlog::level::warn;
  return spdlog::level::err;
}

namespace {

class json_formatter final : public spdlog::formatter {
public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = "{\"time\":\"";
    line += net::format_rfc3339(std::chrono::floor<std::chrono::microseconds>(msg.time));
    line += "\",\"level\":\"";
    auto lv = spdlog::level::to_string_view(msg.level);
    line.append(lv.data(), lv.size());
    line += "\",\"msg\":\"";
    net::telemetry::append_json_escaped(line,
                                        std::string_view{msg.payload.data(), msg.payload.size()});
    line += "\"}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }
};

} // namespace

std::unique_ptr<spdlog::formatter> make_json_formatter() {
  return std::make_unique<json_formatter>();
}

void setup_logging(long slog_level, const std::string& format) {
  auto logger =
      std::make_shared<spdlog::logger>("kvip", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (format == "json")
    logger->set_formatter(make_json_formatter());
  else
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
  logger->set_level(from_slog(slog_level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

} // namespace kvip::net::telemetry
