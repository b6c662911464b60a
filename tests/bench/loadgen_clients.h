#pragma once
// cable-loadgen's clients: Workers (one event-loop thread each) and the
// ClientSet spread over them, which connects everyone, starts steps and
// collects the counts that loadgen_report.h formats.

// clang-format off
#include <utility>  // before Boost.Asio: 1.74 uses std::exchange without it
// clang-format on
#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "tests/bench/loadgen_client.h"
#include "tests/bench/loadgen_common.h"
#include "tests/bench/loadgen_report.h"

namespace cable::bench {

// One event-loop thread and its clients: paces their connects, counts
// what they receive in the current step.
class Worker {
 public:
  Worker(const Config& config, double connect_rate, int max_inflight)
      : config_(config),
        connect_rate_(connect_rate),
        max_inflight_(std::max(1, max_inflight)),
        pace_(io_) {}

  void Add(std::unique_ptr<Client> c) { clients_.push_back(std::move(c)); }
  void Run() {
    thread_ = std::thread([this] {
      start_ns_ = NowNs();
      Pace();
      auto guard = net::make_work_guard(io_);
      io_.run();
    });
  }
  void Stop() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Runs `f` on this worker's thread and waits for its result.
  template <class F>
  auto Call(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    net::post(io_, [&task] { task(); });
    return result.get();
  }

  net::io_context& io() { return io_; }
  const Config& config() const { return config_; }
  std::vector<std::unique_ptr<Client>>& clients() { return clients_; }

  // Called by clients on their worker thread.
  void ConnectedOrFailed(bool ok, bool rejected, std::int64_t start_ns,
                         std::int64_t now) {
    --inflight_;
    done_.fetch_add(1, std::memory_order_relaxed);
    if (ok) {
      ++connect_.ready;
      connect_.ready_latency.Record(now - start_ns);
      connect_.last_ready_ns = std::max(connect_.last_ready_ns, now);
    } else if (rejected) {
      ++connect_.rejected;
    } else {
      ++connect_.failed;
    }
    Launch();
  }
  void Welcomed(std::int64_t start_ns, std::int64_t now) {
    ++connect_.welcomed;
    connect_.welcome_latency.Record(now - start_ns);
  }
  void Record(std::int64_t step, std::int64_t latency_ns, std::size_t bytes,
              std::int64_t now) {
    if (step != current_step_.load(std::memory_order_relaxed)) {
      ++stats_.late;
      return;
    }
    ++stats_.received;
    stats_.bytes += bytes;
    if (stats_.first_ns == 0) stats_.first_ns = now;
    stats_.last_ns = now;
    stats_.latency.Record(latency_ns);
    received_.store(stats_.received, std::memory_order_relaxed);
  }
  void Reordered() { ++stats_.reordered; }

  std::uint64_t done() const { return done_.load(std::memory_order_relaxed); }
  std::uint64_t received() const {
    return received_.load(std::memory_order_relaxed);
  }
  ConnectStats connect_stats() const { return connect_; }
  // On the worker thread: take the step's counters and start step `next`.
  StepStats TakeStep(std::int64_t next) {
    StepStats s = std::move(stats_);
    stats_ = StepStats();
    current_step_.store(next, std::memory_order_relaxed);
    received_.store(0, std::memory_order_relaxed);
    return s;
  }

 private:
  void Pace() {
    Launch();
    if (next_ >= clients_.size()) return;
    pace_.expires_after(std::chrono::milliseconds(1));
    pace_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) Pace();
    });
  }
  void Launch() {
    const double elapsed = static_cast<double>(NowNs() - start_ns_) / 1e9;
    const auto due = static_cast<std::size_t>(elapsed * connect_rate_) + 1;
    while (next_ < clients_.size() && next_ < due &&
           inflight_ < max_inflight_) {
      if (connect_.first_start_ns == 0) connect_.first_start_ns = NowNs();
      ++inflight_;
      clients_[next_++]->Start();
    }
  }

  const Config& config_;
  const double connect_rate_;
  const int max_inflight_;
  net::io_context io_;
  net::steady_timer pace_;
  std::thread thread_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::size_t next_ = 0;
  int inflight_ = 0;
  std::int64_t start_ns_ = 0;
  std::atomic<std::uint64_t> done_{0};
  ConnectStats connect_;
  StepStats stats_;
  std::atomic<std::int64_t> current_step_{0};
  alignas(64) std::atomic<std::uint64_t> received_{0};
};

// Every client of this process, spread over --threads Workers.
class ClientSet {
 public:
  explicit ClientSet(const Config& config);

  // Connects everyone (for at most `timeout_s`): the "ready" figures.
  ReadyCounts Connect(double timeout_s);
  void StartStep(std::int64_t step);
  // Waits up to `wait_ms` for the messages `published` in `step` should
  // bring, then takes the step's counts.
  StepCounts Report(std::int64_t step, std::int64_t published, int wait_ms);
  // Lets slow clients read again for `ms`; how many the server had closed.
  SlowCounts ResumeSlow(int ms);
  void Stop();

 private:
  // Messages that `published` broadcasts bring to the ready clients.
  std::int64_t Expected(std::int64_t published) const;

  const Config& config_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::int64_t> subs_per_room_;
  int total_ = 0;
  std::int64_t slow_ = 0;
};

}  // namespace cable::bench
