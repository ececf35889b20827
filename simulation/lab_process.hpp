#pragma once
// Running helper commands and long-lived processes for the netns lab:
// posix_spawn without a shell (arguments are never re-parsed), output
// captured for error messages, and process handles that are killed and
// reaped when they go out of scope.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <sys/types.h>

#include "net/result.hpp"

namespace kvip::sim {

/// Result of a command that ran to completion.
struct command_result {
  int exit_code = -1; ///< -1: could not start or was killed by a signal
  std::string output; ///< stdout and stderr, interleaved
  bool ok() const { return exit_code == 0; }
};

/// Runs argv[0] (looked up on PATH) with `argv`, waits, captures output.
command_result run_command(const std::vector<std::string>& argv);

/// Runs a command to completion; the error is "cmd ...: output".
net::result<void> run_checked(const std::vector<std::string>& argv);

/// A started background process; killed (SIGKILL) and reaped on destruction
/// unless already waited for.
class process {
public:
  process() = default;
  /// Starts argv with extra environment `env` (added to a minimal PATH-only
  /// environment), stdout+stderr appended to `log_path` ("" = /dev/null).
  static net::result<process> start(const std::vector<std::string>& argv,
                                    const std::map<std::string, std::string>& env,
                                    const std::string& log_path);
  ~process();
  process(process&& other) noexcept;
  process& operator=(process&& other) noexcept;
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  /// Sends a signal (SIGTERM, SIGKILL, SIGSTOP, SIGCONT...).
  bool signal(int signo) const;
  /// Waits up to `timeout` for exit; returns the exit code (128+signal when
  /// killed), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);

private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

} // namespace kvip::sim
