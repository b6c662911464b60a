// cable-floor: what one loopback TCP write costs on this machine, without
// Cable. The process forks: the child opens --connections sockets (bound
// round-robin to 127.0.0.2..127.0.0.N) and reads them with epoll, like the
// load generator; the parent accepts them and, --messages times, writes a
// --bytes frame to every socket from one thread (--frames_per_write frames
// in one write), timing each round. Prints one JSON line:
//
//   cpu_us_per_write   the writing thread's CPU time per write() call
//   cpu_us_per_frame   the same per frame
//   round_ms_p50/max   wall time to write one message to every socket
//   receiver_cpu_us_per_frame  the reading process's CPU time per frame
//
// This is the floor under any server that writes each client's frame with
// its own system call: Cable's gateway cannot fan a message out faster.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"

ABSL_FLAG(int, connections, 9000,
          "Sockets (the hard open-file limit is "
          "per process; each side holds one each).");
ABSL_FLAG(int, messages, 20, "Rounds of one frame to every socket.");
ABSL_FLAG(int, bytes, 300, "Bytes per frame (a 256-byte payload's frame).");
ABSL_FLAG(int, frames_per_write, 1, "Frames per write() call.");
ABSL_FLAG(int, source_addresses, 8, "Client source addresses 127.0.0.2...");

namespace {

double Seconds(clockid_t clock) {
  timespec t;
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::_Exit(2);
}

void RaiseFileLimit() {
  rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

void WriteAll(int fd, const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w < 0) Die("write");
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

void ReadAll(int fd, void* data, std::size_t n) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t r = read(fd, p, n);
    if (r <= 0) Die("read");
    p += r;
    n -= static_cast<std::size_t>(r);
  }
}

// The child: connects, reports readiness on `ready`, reads until `total`
// bytes came, then reports its CPU time on `ready`.
[[noreturn]] void Receiver(const sockaddr_in& server, int connections,
                           int sources, std::uint64_t total, int ready) {
  std::vector<int> fds;
  const int ep = epoll_create1(0);
  for (int i = 0; i < connections; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) Die("socket");
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr =
        htonl(0x7f000002u + static_cast<unsigned>(i % sources));
    if (bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0)
      Die("bind");
    if (connect(fd, reinterpret_cast<const sockaddr*>(&server),
                sizeof server) != 0)
      Die("connect");
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    fds.push_back(fd);
  }
  const char ok = 1;
  WriteAll(ready, &ok, 1);
  const double cpu0 = Seconds(CLOCK_PROCESS_CPUTIME_ID);
  std::vector<epoll_event> events(1024);
  std::vector<char> buffer(1 << 16);
  std::uint64_t got = 0;
  while (got < total) {
    const int n = epoll_wait(ep, events.data(), 1024, 10000);
    if (n <= 0) Die("epoll_wait (frames missing)");
    for (int i = 0; i < n; ++i) {
      const ssize_t r = read(events[i].data.fd, buffer.data(), buffer.size());
      if (r > 0) got += static_cast<std::uint64_t>(r);
    }
  }
  const double cpu = Seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  WriteAll(ready, &cpu, sizeof cpu);
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Measures the cost of one loopback TCP write per socket (no Cable).");
  absl::ParseCommandLine(argc, argv);
  const int connections = absl::GetFlag(FLAGS_connections);
  const int messages = absl::GetFlag(FLAGS_messages);
  const int bytes = absl::GetFlag(FLAGS_bytes);
  const int per_write = std::max(1, absl::GetFlag(FLAGS_frames_per_write));
  const int sources = std::max(1, absl::GetFlag(FLAGS_source_addresses));
  RaiseFileLimit();

  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof server;
  if (bind(listener, reinterpret_cast<sockaddr*>(&server), sizeof server) !=
          0 ||
      listen(listener, 4096) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&server), &len) != 0)
    Die("listen");

  const std::uint64_t total = static_cast<std::uint64_t>(connections) *
                              static_cast<std::uint64_t>(messages) *
                              static_cast<std::uint64_t>(per_write) *
                              static_cast<std::uint64_t>(bytes);
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) Die("pipe");
  const pid_t child = fork();
  if (child < 0) Die("fork");
  if (child == 0) {
    close(pipe_fds[0]);
    Receiver(server, connections, sources, total, pipe_fds[1]);
  }
  close(pipe_fds[1]);

  std::vector<int> fds;
  const int one = 1;
  for (int i = 0; i < connections; ++i) {
    const int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) Die("accept");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fds.push_back(fd);
  }
  char ok;
  ReadAll(pipe_fds[0], &ok, 1);

  const std::string frame(static_cast<std::size_t>(bytes), 'x');
  std::vector<iovec> iov(static_cast<std::size_t>(per_write),
                         iovec{const_cast<char*>(frame.data()), frame.size()});
  std::vector<double> rounds;
  const double cpu0 = Seconds(CLOCK_THREAD_CPUTIME_ID);
  for (int m = 0; m < messages; ++m) {
    const double start = Seconds(CLOCK_MONOTONIC);
    for (int fd : fds) {
      const ssize_t w = writev(fd, iov.data(), per_write);
      if (w != static_cast<ssize_t>(per_write) * bytes) Die("writev");
    }
    rounds.push_back(Seconds(CLOCK_MONOTONIC) - start);
  }
  const double cpu = Seconds(CLOCK_THREAD_CPUTIME_ID) - cpu0;
  double receiver_cpu = 0;
  ReadAll(pipe_fds[0], &receiver_cpu, sizeof receiver_cpu);
  int status = 0;
  waitpid(child, &status, 0);
  std::sort(rounds.begin(), rounds.end());
  const double writes = static_cast<double>(connections) * messages;
  std::printf(
      "{\"connections\":%d,\"messages\":%d,\"bytes\":%d,\"frames_per_write\":"
      "%d,\"cpu_us_per_write\":%.3f,\"cpu_us_per_frame\":%.3f,"
      "\"round_ms_p50\":%.2f,\"round_ms_max\":%.2f,"
      "\"receiver_cpu_us_per_frame\":%.3f}\n",
      connections, messages, bytes, per_write, cpu / writes * 1e6,
      cpu / writes / per_write * 1e6, rounds[rounds.size() / 2] * 1e3,
      rounds.back() * 1e3, receiver_cpu / writes / per_write * 1e6);
  return 0;
}
