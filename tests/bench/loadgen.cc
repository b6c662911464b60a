// cable-loadgen: many Action Cable WebSocket clients from one process, and an
// open-loop gRPC publisher. See tests/bench/README.md.
//
// --mode=clients  connects --clients clients (one io_context per --threads
//                 thread, paced at --connect_rate, bound round-robin to
//                 127.0.0.1..127.0.0.N), subscribes each to
//                 --subscriptions_per_client ChatChannel rooms, prints
//                 {"event":"ready",...}, then obeys commands on stdin:
//                   step K            start counting step K (acks "step")
//                   report K N MS     N messages were published in step K;
//                                     wait up to MS ms for them, print the
//                                     step's counts and latency histogram
//                   resume_slow MS    slow clients read again for MS ms;
//                                     print how many the server had closed
//                   quit
// --mode=publish  publishes --rate messages/s for --duration s as step
//                 --step, prints {"event":"published",...}.
// --mode=both     clients and publisher in one process; runs one step per
//                 --rates entry and prints one report line per step.
//
// Message i of a step goes to room (i % --streams); its data is
// {"st":STEP,"i":i,"t":INTENDED_SEND_NS,"p":"xxx..."} padded to
// --payload_bytes, with t on CLOCK_MONOTONIC. Latency is the receipt time
// minus t: publisher lag and batching count against the server.
//
// The parts: loadgen_client (one WebSocket client: connect, upgrade,
// subscribe, parse frames), loadgen_clients (worker threads and the set of
// clients, the steps), loadgen_publisher (the open-loop gRPC publisher),
// loadgen_report (the JSON lines); this file has the flags and the modes.

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/bench/loadgen_clients.h"
#include "tests/bench/loadgen_common.h"
#include "tests/bench/loadgen_publisher.h"
#include "tests/bench/loadgen_report.h"

ABSL_FLAG(std::string, mode, "both", "clients, publish or both.");
ABSL_FLAG(std::string, host, "127.0.0.1", "WebSocket server address.");
ABSL_FLAG(int, port, 8080, "WebSocket server port.");
ABSL_FLAG(std::string, path, "/cable", "WebSocket path.");
ABSL_FLAG(std::string, grpc, "127.0.0.1:50051",
          "cable.v1.Publisher address (host:port).");
ABSL_FLAG(int, clients, 100, "Clients in this process.");
ABSL_FLAG(int, client_offset, 0,
          "Global index of this process's first client (to split clients "
          "over several processes).");
ABSL_FLAG(int, subscriptions_per_client, 1, "Subscriptions per client.");
ABSL_FLAG(int, streams, 1,
          "Rooms bench-0..bench-(S-1); subscription j of global client c is "
          "room (c * subscriptions_per_client + j) % streams.");
ABSL_FLAG(std::string, room_prefix, "bench-", "Room name prefix.");
ABSL_FLAG(double, slow_fraction, 0,
          "Fraction of clients that stop reading once subscribed.");
ABSL_FLAG(int, slow_rcvbuf, 4096,
          "SO_RCVBUF of slow clients (small so the server notices soon).");
ABSL_FLAG(int, slow_mss, 536,
          "TCP_MAXSEG of slow clients: on loopback (64 KB MSS) the server's "
          "send buffer autotunes to megabytes unless the peer's MSS is "
          "small, and a stalled reader would take minutes to notice.");
ABSL_FLAG(int, threads, 1, "Client event-loop threads.");
ABSL_FLAG(double, connect_rate, 2000, "New connections per second.");
ABSL_FLAG(int, max_inflight_connects, 256,
          "Connections allowed between TCP connect and subscription "
          "confirmation at once.");
ABSL_FLAG(int, source_addresses, 1,
          "Bind clients round-robin to 127.0.0.1..127.0.0.N.");
ABSL_FLAG(double, connect_timeout, 300,
          "Seconds allowed for all clients to connect and subscribe.");
ABSL_FLAG(double, rate, 10, "Publish mode: messages per second.");
ABSL_FLAG(double, duration, 5, "Publish mode: seconds to publish.");
ABSL_FLAG(int, step, 1, "Publish mode: step number carried in payloads.");
ABSL_FLAG(std::string, rates, "10",
          "Both mode: comma-separated publish rates, one step each.");
ABSL_FLAG(int, payload_bytes, 256, "Size of each broadcast's data.");
ABSL_FLAG(int, max_batch, 1,
          "Messages that are due at the same moment go out in one "
          "BroadcastBatch of up to this many (1 = one Broadcast each).");
ABSL_FLAG(int, max_inflight_rpcs, 2000, "Publisher RPCs in flight at most.");
ABSL_FLAG(int, wait_ms, 5000,
          "Both mode: how long to wait for a step's messages after "
          "publishing.");

namespace cable::bench {
namespace {

void RaiseFdLimit() {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int Main() {
  RaiseFdLimit();
  const std::string mode = absl::GetFlag(FLAGS_mode);
  Config config;
  config.host = absl::GetFlag(FLAGS_host);
  config.port = absl::GetFlag(FLAGS_port);
  config.path = absl::GetFlag(FLAGS_path);
  config.room_prefix = absl::GetFlag(FLAGS_room_prefix);
  config.subs = std::max(1, absl::GetFlag(FLAGS_subscriptions_per_client));
  config.streams = std::max(1, absl::GetFlag(FLAGS_streams));
  config.slow_rcvbuf = absl::GetFlag(FLAGS_slow_rcvbuf);
  config.slow_mss = absl::GetFlag(FLAGS_slow_mss);
  config.source_addresses = std::max(1, absl::GetFlag(FLAGS_source_addresses));
  config.clients = absl::GetFlag(FLAGS_clients);
  config.client_offset = absl::GetFlag(FLAGS_client_offset);
  config.slow_fraction = absl::GetFlag(FLAGS_slow_fraction);
  config.threads = std::max(1, absl::GetFlag(FLAGS_threads));
  config.connect_rate = absl::GetFlag(FLAGS_connect_rate);
  config.max_inflight_connects = absl::GetFlag(FLAGS_max_inflight_connects);
  if (config.subs > config.streams) {
    std::fprintf(stderr, "--subscriptions_per_client exceeds --streams\n");
    return 2;
  }
  auto publisher = [&] {
    return std::make_unique<Publisher>(
        absl::GetFlag(FLAGS_grpc), config.streams, config.room_prefix,
        absl::GetFlag(FLAGS_payload_bytes), absl::GetFlag(FLAGS_max_batch),
        absl::GetFlag(FLAGS_max_inflight_rpcs));
  };

  if (mode == "publish") {
    auto p = publisher();
    const double rate = absl::GetFlag(FLAGS_rate);
    const double duration = absl::GetFlag(FLAGS_duration);
    const std::int64_t step = absl::GetFlag(FLAGS_step);
    Print(PublishJson(step, rate, duration, p->Run(step, rate, duration)));
    return 0;
  }
  if (mode != "clients" && mode != "both") {
    std::fprintf(stderr, "--mode must be clients, publish or both\n");
    return 2;
  }

  ClientSet clients(config);
  Print(ReadyJson(clients.Connect(absl::GetFlag(FLAGS_connect_timeout))));

  if (mode == "both") {
    auto p = publisher();
    std::int64_t step = 0;
    const double duration = absl::GetFlag(FLAGS_duration);
    for (absl::string_view r :
         absl::StrSplit(absl::GetFlag(FLAGS_rates), ',', absl::SkipEmpty())) {
      const double rate = std::stod(std::string(r));
      clients.StartStep(++step);
      PublishResult pr = p->Run(step, rate, duration);
      Print(PublishJson(step, rate, duration, pr));
      Print(ReportJson(
          clients.Report(step, pr.published, absl::GetFlag(FLAGS_wait_ms))));
    }
    if (absl::GetFlag(FLAGS_slow_fraction) > 0) {
      Print(SlowJson(clients.ResumeSlow(2000)));
    }
  } else {
    std::string line;
    while (std::getline(std::cin, line)) {
      std::vector<std::string> words =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (words.empty()) continue;
      if (words[0] == "quit") break;
      if (words[0] == "step" && words.size() == 2) {
        clients.StartStep(std::stoll(words[1]));
        Print(absl::StrCat("{\"event\":\"step\",\"step\":", words[1], "}"));
      } else if (words[0] == "report" && words.size() == 4) {
        Print(ReportJson(clients.Report(
            std::stoll(words[1]), std::stoll(words[2]), std::stoi(words[3]))));
      } else if (words[0] == "resume_slow" && words.size() == 2) {
        Print(SlowJson(clients.ResumeSlow(std::stoi(words[1]))));
      } else {
        Print(absl::StrCat("{\"event\":\"error\",\"line\":", Quote(line), "}"));
      }
    }
  }
  // Thousands of sockets close with the process.
  std::fflush(stdout);
  std::_Exit(0);
}

}  // namespace
}  // namespace cable::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Action Cable load generator: WebSocket clients and a gRPC publisher.");
  absl::ParseCommandLine(argc, argv);
  return cable::bench::Main();
}
