#pragma once
// What every part of cable-loadgen shares: the clock, the integer parsing
// of data frames, the per-step and connect counters, and the settings.

#include <time.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "tests/bench/histogram.h"

namespace cable::bench {

inline std::int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Number of i in [0, n) with i % s == k.
inline std::int64_t CountFor(std::int64_t n, std::int64_t s, std::int64_t k) {
  return n / s + (k < n % s ? 1 : 0);
}

inline bool ParseInt(std::string_view text, std::size_t pos,
                     std::int64_t& out) {
  const char* b = text.data() + pos;
  const char* e = text.data() + text.size();
  return std::from_chars(b, e, out).ec == std::errc();
}

// Finds `"key":` in `text` and parses the integer after it.
inline bool FieldInt(std::string_view text, std::string_view key,
                     std::size_t from, std::int64_t& out,
                     std::size_t* end = nullptr) {
  std::size_t p = text.find(key, from);
  if (p == std::string_view::npos) return false;
  if (end != nullptr) *end = p + key.size();
  return ParseInt(text, p + key.size(), out);
}

// Counters of one worker thread (or of a merge of them).
struct StepStats {
  std::uint64_t received = 0;
  std::uint64_t late = 0;       // messages of another step
  std::uint64_t reordered = 0;  // index not above the last one seen
  std::uint64_t bytes = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  Histogram latency;
  void Merge(const StepStats& o) {
    received += o.received;
    late += o.late;
    reordered += o.reordered;
    bytes += o.bytes;
    if (o.first_ns != 0 && (first_ns == 0 || o.first_ns < first_ns))
      first_ns = o.first_ns;
    last_ns = std::max(last_ns, o.last_ns);
    latency.Merge(o.latency);
  }
};

struct ConnectStats {
  std::uint64_t welcomed = 0, ready = 0, failed = 0, rejected = 0;
  std::int64_t first_start_ns = 0, last_ready_ns = 0;
  Histogram welcome_latency, ready_latency;
  void Merge(const ConnectStats& o) {
    welcomed += o.welcomed;
    ready += o.ready;
    failed += o.failed;
    rejected += o.rejected;
    if (o.first_start_ns != 0 &&
        (first_start_ns == 0 || o.first_start_ns < first_start_ns))
      first_start_ns = o.first_start_ns;
    last_ready_ns = std::max(last_ready_ns, o.last_ready_ns);
    welcome_latency.Merge(o.welcome_latency);
    ready_latency.Merge(o.ready_latency);
  }
};

// The clients' settings (from the flags).
struct Config {
  std::string host, path, room_prefix;
  int port = 0;
  int subs = 1;
  int streams = 1;
  int slow_rcvbuf = 4096;
  int slow_mss = 536;
  int source_addresses = 1;
  // How many clients, and how they are spread and paced.
  int clients = 0;
  int client_offset = 0;
  double slow_fraction = 0;
  int threads = 1;
  double connect_rate = 2000;
  int max_inflight_connects = 256;
};

}  // namespace cable::bench
