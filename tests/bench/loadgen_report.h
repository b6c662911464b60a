#pragma once
// cable-loadgen's output: one JSON line per event ("ready", "published",
// "report", "slow"), which run.py reads.

#include <cstdint>
#include <string>

#include "tests/bench/loadgen_common.h"
#include "tests/bench/loadgen_publisher.h"

namespace cable::bench {

// The clients once connected.
struct ReadyCounts {
  int clients = 0;
  std::int64_t slow = 0;
  int subs = 1;  // subscriptions per client
  ConnectStats connect;
};

// One step's deliveries and the clients closed so far.
struct StepCounts {
  std::int64_t step = 0;
  int clients = 0;
  std::int64_t slow = 0;
  std::int64_t published = 0;
  std::int64_t expected = 0;
  StepStats stats;
  std::int64_t closed = 0, slow_closed = 0, too_slow = 0;
};

// The slow clients after resume_slow.
struct SlowCounts {
  std::int64_t slow = 0, closed_by_server = 0, told_too_slow = 0;
};

// Nanoseconds as milliseconds with three decimals.
std::string Ms(std::uint64_t ns);
// A JSON string (control characters dropped).
std::string Quote(const std::string& s);

std::string ReadyJson(const ReadyCounts& r);
std::string PublishJson(std::int64_t step, double rate, double duration,
                        const PublishResult& r);
std::string ReportJson(const StepCounts& r);
std::string SlowJson(const SlowCounts& r);

// Writes `line` and a newline to stdout and flushes.
void Print(const std::string& line);

}  // namespace cable::bench
