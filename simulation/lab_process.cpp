#include "simulation/lab_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/wait.hpp"

extern char** environ;

namespace kvip::sim {

namespace {

std::vector<char*> c_argv(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v)
    out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (auto& a : argv)
    s += (s.empty() ? "" : " ") + a;
  return s;
}

} // namespace

command_result run_command(const std::vector<std::string>& argv) {
  command_result res;
  int fds[2];
  if (argv.empty() || ::pipe2(fds, O_CLOEXEC) != 0) return res;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  auto args = c_argv(argv);
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    res.output = argv[0] + ": " + std::strerror(rc);
    return res;
  }
  char buf[4096];
  for (;;) {
    auto n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) {
      res.output.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  res.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return res;
}

net::result<void> run_checked(const std::vector<std::string>& argv) {
  auto r = run_command(argv);
  if (r.ok()) return net::ok();
  auto out = r.output;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return net::make_error(joined(argv) + ": " +
                         (out.empty() ? "exit " + std::to_string(r.exit_code) : out));
}

net::result<process> process::start(const std::vector<std::string>& argv,
                                    const std::map<std::string, std::string>& env,
                                    const std::string& log_path) {
  process p;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const char* log = log_path.empty() ? "/dev/null" : log_path.c_str();
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::vector<std::string> env_strings;
  if (const char* path = std::getenv("PATH")) env_strings.push_back(std::string{"PATH="} + path);
  for (auto& [k, v] : env)
    env_strings.push_back(k + "=" + v);
  auto envp = c_argv(env_strings);
  auto args = c_argv(argv);
  int rc = posix_spawnp(&p.pid_, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    p.pid_ = -1; // nothing to kill or reap
    return net::make_error(joined(argv), rc);
  }
  return p;
}

process::~process() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    ::kill(pid_, SIGCONT); // a stopped process must run to die
    while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {}
  }
}

process::process(process&& o) noexcept : pid_(o.pid_), reaped_(o.reaped_), status_(o.status_) {
  o.pid_ = -1;
}

process& process::operator=(process&& o) noexcept {
  if (this != &o) {
    this->~process();
    pid_ = o.pid_;
    reaped_ = o.reaped_;
    status_ = o.status_;
    o.pid_ = -1;
  }
  return *this;
}

bool process::running() {
  if (pid_ <= 0 || reaped_) return false;
  if (::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

bool process::signal(int signo) const {
  return pid_ > 0 && !reaped_ && ::kill(pid_, signo) == 0;
}

int process::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  auto reap = [this] {
    if (!reaped_ && ::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
    return reaped_;
  };
  if (!net::eventually(reap, timeout, std::chrono::milliseconds{5})) return -1;
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

} // namespace kvip::sim
