#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cable::testing {

// A real nats-server child process on 127.0.0.1. It learns its ports from
// the server's own log lines ("Listening for client connections on H:P",
// "Starting http monitor on H:P") read from a pipe, never by sleeping. A
// thread keeps draining the log (the last 64 KB are kept for errors).
class NatsServer final {
 public:
  struct Options {
    // JetStream (-js) with its store in `store_dir` (a fresh temporary
    // directory, removed with the server, when empty).
    bool jetstream = false;
    std::string store_dir;
    // Client port; -1 = ephemeral.
    int port = -1;
    // HTTP monitoring port; -1 = ephemeral, 0 = none.
    int monitoring_port = -1;
    // The binary: empty = $NATS_SERVER, else /usr/sbin/nats-server,
    // /usr/bin/nats-server, else "nats-server" from PATH.
    std::string binary;
    std::vector<std::string> extra_args;
    // Its own process group, for tests that stop it (SIGSTOP): in the
    // test's group, which may be orphaned (ctest), any other process of
    // the group exiting would make the kernel send the stopped server
    // SIGHUP and SIGCONT.
    bool own_process_group = false;
    // Failure bound for start and stop.
    std::chrono::milliseconds timeout = std::chrono::seconds(20);
  };

  static absl::StatusOr<NatsServer> Start(Options options);
  static absl::StatusOr<NatsServer> Start() { return Start(Options{}); }

  NatsServer(NatsServer&&) noexcept;
  NatsServer& operator=(NatsServer&&) noexcept;
  ~NatsServer();  // Stop(), then removes a temporary store directory.

  // "nats://127.0.0.1:PORT".
  std::string url() const;
  int port() const;
  // 0 when monitoring is off.
  int monitoring_port() const;
  bool running() const;
  pid_t pid() const;
  const std::string& store_dir() const;

  // SIGTERM and wait for the exit (SIGKILL after the timeout).
  absl::Status Stop();
  // SIGKILL and wait.
  absl::Status Kill();
  // SIGSTOP / SIGCONT: the server stops answering (its sockets stay open,
  // so clients see no disconnect) until resumed. The destructor resumes a
  // paused server before stopping it.
  absl::Status Pause();
  absl::Status Resume();
  // Stops it if running, then starts it again on the same client and
  // monitoring ports and store directory.
  absl::Status Restart();

  // The log read so far from the current process (for failure messages).
  std::string log() const;

 private:
  struct State;
  explicit NatsServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// One JetStream nats-server for the whole test process (no monitoring
// port), started on first use and stopped at exit; tests keep apart by
// using their own subject/bucket prefixes. Aborts if it cannot start.
NatsServer& SharedJetStreamServer();

}  // namespace cable::testing
