#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cable::testing {

// A real server binary started as a child process on ephemeral ports. It
// reads the child's stdout until the "listening http=H:P grpc=H:P" line.
class ServerProcess final {
 public:
  // Starts `binary` with `args` and waits (up to `timeout`) for its
  // listening line.
  // `env` adds NAME=VALUE entries to this process's environment.
  static absl::StatusOr<ServerProcess> Start(
      const std::string& binary, const std::vector<std::string>& args,
      std::chrono::milliseconds timeout = std::chrono::seconds(20),
      const std::vector<std::string>& env = {});

  ServerProcess(ServerProcess&& other) noexcept;
  ServerProcess& operator=(ServerProcess&&) = delete;
  ~ServerProcess();

  int http_port() const { return http_port_; }
  int grpc_port() const { return grpc_port_; }
  // cable-service's internal listener (what gateways' --service names);
  // -1 when the server has none.
  int internal_port() const { return internal_port_; }
  pid_t pid() const { return pid_; }

  // Sends `signal` and waits up to `timeout` for the exit; returns the
  // exit status as waitpid reports it, or DeadlineExceeded.
  absl::StatusOr<int> Stop(int signal, std::chrono::milliseconds timeout);

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int http_port_ = 0;
  int grpc_port_ = 0;
  int internal_port_ = -1;
};

// The cable-server binary under test: $CABLE_SERVER.
std::string CableServerBinary();

// $`variable` when set, else `built` (a path the build passes in).
std::string BinaryFromEnv(const char* variable, const char* built);

}  // namespace cable::testing
