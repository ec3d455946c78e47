#include "common/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <memory>
#include <string>

namespace cod {

void setupLogging(std::string_view level) {
  // Not registered by name, so a second call simply replaces the default logger.
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("cod", sink);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace cod
