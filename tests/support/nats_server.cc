#include "tests/support/nats_server.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

extern char** environ;

namespace cable::testing {
namespace {

constexpr std::size_t kLogKeep = 64 * 1024;

std::string FindBinary(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("NATS_SERVER"); env != nullptr && *env) {
    return env;
  }
  for (const char* path : {"/usr/sbin/nats-server", "/usr/bin/nats-server"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "nats-server";
}

}  // namespace

struct NatsServer::State {
  Options options;
  std::string binary;
  std::string store_dir;
  bool owns_store_dir = false;
  int port = 0;
  int monitoring_port = 0;
  pid_t pid = -1;
  std::thread reader;

  mutable absl::Mutex mu;
  std::string output ABSL_GUARDED_BY(mu);
  bool ready ABSL_GUARDED_BY(mu) = false;
  bool eof ABSL_GUARDED_BY(mu) = false;
  int seen_port ABSL_GUARDED_BY(mu) = 0;
  int seen_monitoring_port ABSL_GUARDED_BY(mu) = 0;

  // Reads the child's log until EOF (the child exited and closed it).
  void Read(int fd) {
    static const std::regex kClient(
        R"(Listening for client connections on \S*:(\d+))");
    static const std::regex kMonitor(R"(Starting http monitor on \S*:(\d+))");
    char buf[4096];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      absl::MutexLock lock(&mu);
      if (n <= 0) {
        eof = true;
        break;
      }
      output.append(buf, static_cast<std::size_t>(n));
      if (!ready) {
        std::smatch m;
        if (seen_port == 0 && std::regex_search(output, m, kClient)) {
          seen_port = std::stoi(m[1]);
        }
        if (seen_monitoring_port == 0 &&
            std::regex_search(output, m, kMonitor)) {
          seen_monitoring_port = std::stoi(m[1]);
        }
        if (seen_port != 0 &&
            output.find("Server is ready") != std::string::npos) {
          ready = true;
        }
      } else if (output.size() > 2 * kLogKeep) {
        output.erase(0, output.size() - kLogKeep);
      }
    }
    close(fd);
  }

  absl::Status Launch() {
    std::vector<std::string> args{
        binary, "-a",        "127.0.0.1", "-p", std::to_string(options.port),
        "-n",   "cable-test"};
    if (options.monitoring_port != 0) {
      args.insert(args.end(), {"-m", std::to_string(options.monitoring_port)});
    }
    if (options.jetstream) {
      args.insert(args.end(), {"-js", "-sd", store_dir});
    }
    args.insert(args.end(), options.extra_args.begin(),
                options.extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError("pipe2");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    {
      absl::MutexLock lock(&mu);
      output.clear();
      ready = eof = false;
      seen_port = seen_monitoring_port = 0;
    }
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    if (options.own_process_group) {
      posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
      posix_spawnattr_setpgroup(&attributes, 0);
    }
    pid_t child = -1;
    int rc = posix_spawnp(&child, binary.c_str(), &actions, &attributes,
                          argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
      close(fds[0]);
      return absl::FailedPreconditionError(
          absl::StrCat("cannot start ", binary, ": ", std::strerror(rc),
                       " (set $NATS_SERVER to the nats-server binary)"));
    }
    pid = child;
    const int read_fd = fds[0];
    reader = std::thread([this, read_fd] { Read(read_fd); });

    bool finished;
    bool is_ready;
    int client_port;
    int monitor_port;
    std::string log;
    {
      absl::MutexLock lock(&mu);
      auto done = [this]()
                      ABSL_SHARED_LOCKS_REQUIRED(mu) { return ready || eof; };
      finished = mu.AwaitWithTimeout(absl::Condition(&done),
                                     absl::FromChrono(options.timeout));
      is_ready = ready;
      client_port = seen_port;
      monitor_port = seen_monitoring_port;
      log = output;
    }
    // The monitoring line comes before the client line; it is missing only
    // if the log format changed.
    if (is_ready && (options.monitoring_port == 0 || monitor_port != 0)) {
      port = client_port;
      monitoring_port = monitor_port;
      return absl::OkStatus();
    }
    (void)Terminate(SIGKILL);
    return absl::UnavailableError(
        absl::StrCat(binary,
                     is_ready   ? " did not report its monitoring port"
                     : finished ? " exited before it was ready"
                                : " was not ready in time",
                     "; output:\n", log));
  }

  // Sends `signal`, waits for the child to close its log (it exits), then
  // reaps it. Escalates to SIGKILL after the timeout.
  absl::Status Terminate(int signal) {
    if (pid <= 0) return absl::OkStatus();
    kill(pid, signal);
    // A paused (SIGSTOP) server handles SIGTERM only once continued.
    kill(pid, SIGCONT);
    bool exited;
    {
      absl::MutexLock lock(&mu);
      exited = mu.AwaitWithTimeout(absl::Condition(&eof),
                                   absl::FromChrono(options.timeout));
    }
    absl::Status status = absl::OkStatus();
    if (!exited) {
      status = absl::DeadlineExceededError(
          absl::StrCat("nats-server did not exit after signal ", signal));
      kill(pid, SIGKILL);
    }
    waitpid(pid, nullptr, 0);
    pid = -1;
    if (reader.joinable()) reader.join();
    return status;
  }
};

absl::StatusOr<NatsServer> NatsServer::Start(Options options) {
  auto state = std::make_unique<State>();
  state->binary = FindBinary(options.binary);
  state->store_dir = options.store_dir;
  if (options.jetstream && state->store_dir.empty()) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "cable-nats-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError("mkdtemp for the JetStream store");
    }
    state->store_dir = pattern;
    state->owns_store_dir = true;
  }
  state->options = std::move(options);
  NatsServer server(std::move(state));
  if (absl::Status s = server.state_->Launch(); !s.ok()) return s;
  return server;
}

NatsServer::NatsServer(std::unique_ptr<State> state)
    : state_(std::move(state)) {}
NatsServer::NatsServer(NatsServer&&) noexcept = default;
NatsServer& NatsServer::operator=(NatsServer&& other) noexcept {
  if (this != &other) {
    if (state_) (void)Stop();
    state_ = std::move(other.state_);
  }
  return *this;
}

NatsServer::~NatsServer() {
  if (!state_) return;
  (void)Stop();
  if (state_->owns_store_dir) {
    std::error_code ec;
    std::filesystem::remove_all(state_->store_dir, ec);
  }
}

std::string NatsServer::url() const {
  return absl::StrCat("nats://127.0.0.1:", state_->port);
}
int NatsServer::port() const { return state_->port; }
int NatsServer::monitoring_port() const { return state_->monitoring_port; }
bool NatsServer::running() const { return state_->pid > 0; }
pid_t NatsServer::pid() const { return state_->pid; }
const std::string& NatsServer::store_dir() const { return state_->store_dir; }

absl::Status NatsServer::Stop() { return state_->Terminate(SIGTERM); }
absl::Status NatsServer::Kill() { return state_->Terminate(SIGKILL); }

absl::Status NatsServer::Pause() {
  if (state_->pid <= 0 || kill(state_->pid, SIGSTOP) != 0) {
    return absl::FailedPreconditionError("nats-server is not running");
  }
  // SIGSTOP takes effect asynchronously: until the kernel reports the child
  // stopped it may still answer (a PONG to a flush the test sends next).
  int status = 0;
  pid_t got;
  do {
    got = waitpid(state_->pid, &status, WUNTRACED);
  } while (got < 0 && errno == EINTR);
  if (got != state_->pid || !WIFSTOPPED(status)) {
    return absl::InternalError("nats-server did not stop on SIGSTOP");
  }
  return absl::OkStatus();
}

absl::Status NatsServer::Resume() {
  if (state_->pid <= 0 || kill(state_->pid, SIGCONT) != 0) {
    return absl::FailedPreconditionError("nats-server is not running");
  }
  return absl::OkStatus();
}

absl::Status NatsServer::Restart() {
  if (absl::Status s = Stop(); !s.ok()) return s;
  state_->options.port = state_->port;
  if (state_->options.monitoring_port != 0) {
    state_->options.monitoring_port = state_->monitoring_port;
  }
  return state_->Launch();
}

std::string NatsServer::log() const {
  absl::MutexLock lock(&state_->mu);
  return state_->output;
}

NatsServer& SharedJetStreamServer() {
  static NatsServer server = [] {
    NatsServer::Options options;
    options.jetstream = true;
    options.monitoring_port = 0;
    absl::StatusOr<NatsServer> started = NatsServer::Start(options);
    if (!started.ok()) {
      std::fprintf(stderr, "nats-server: %s\n",
                   started.status().ToString().c_str());
      std::abort();
    }
    return *std::move(started);
  }();
  return server;
}

}  // namespace cable::testing
