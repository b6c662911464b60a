#include "tests/support/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace cable::testing {

std::string CableServerBinary() {
  const char* path = std::getenv("CABLE_SERVER");
  return path != nullptr ? path : "cable-server";
}

absl::StatusOr<ServerProcess> ServerProcess::Start(
    const std::string& binary, const std::vector<std::string>& args,
    std::chrono::milliseconds timeout, const std::vector<std::string>& env) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return absl::InternalError("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  std::vector<std::string> argv_storage{binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage = env;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  ServerProcess process;
  int rc = posix_spawn(&process.pid_, binary.c_str(), &actions, nullptr,
                       argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    process.pid_ = -1;
    return absl::InternalError(absl::StrCat("cannot start ", binary));
  }
  process.stdout_fd_ = pipe_fds[0];

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string output;
  static const std::regex kListening(
      R"(listening http=\S*:(\d+) grpc=\S*:(\d+))");
  for (;;) {
    std::smatch m;
    if (std::regex_search(output, m, kListening)) {
      process.http_port_ = std::stoi(m[1]);
      process.grpc_port_ = std::stoi(m[2]);
      // cable-service also names its internal (gateway) listener.
      static const std::regex kInternal(R"(internal=\S*:(-?\d+))");
      std::smatch internal;
      const std::string line = m.suffix().str().substr(
          0, m.suffix().str().find('\n'));
      if (std::regex_search(line, internal, kInternal)) {
        process.internal_port_ = std::stoi(internal[1]);
      }
      return process;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat(binary, " did not report its ports; output: ", output));
    }
    pollfd pfd{process.stdout_fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[512];
    ssize_t n = read(process.stdout_fd_, buf, sizeof buf);
    if (n <= 0) {
      return absl::UnavailableError(
          absl::StrCat(binary, " exited before listening; output: ", output));
    }
    output.append(buf, static_cast<std::size_t>(n));
  }
}

ServerProcess::ServerProcess(ServerProcess&& other) noexcept
    : pid_(other.pid_),
      stdout_fd_(other.stdout_fd_),
      http_port_(other.http_port_),
      grpc_port_(other.grpc_port_),
      internal_port_(other.internal_port_) {
  other.pid_ = -1;
  other.stdout_fd_ = -1;
}

absl::StatusOr<int> ServerProcess::Stop(int signal,
                                        std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  kill(pid_, signal);
  // The child holds the write end of its stdout pipe until it exits, so
  // end-of-file on ours means it is gone (as NatsServer waits for its log).
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return absl::DeadlineExceededError("server did not exit in time");
    }
    pollfd pfd{stdout_fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[512];
    if (read(stdout_fd_, buf, sizeof buf) <= 0) break;
  }
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    if (!Stop(SIGTERM, std::chrono::seconds(10)).ok()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

std::string BinaryFromEnv(const char* variable, const char* built) {
  const char* path = std::getenv(variable);
  return path != nullptr ? path : built;
}

}  // namespace cable::testing
